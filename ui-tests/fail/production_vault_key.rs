use frontmcp_auth::prelude::*;

#[frontmcp(
    http(public_url = "https://mcp.example.com"),
    auth(
        mode = "remote",
        provider = "https://idp.example.com",
        client_id = "mcp-server",
        client_secret = env("IDP_CLIENT_SECRET"),
        local(jwt_secret = env("JWT_SECRET")),
        token_storage(redis(host = "redis.internal", private_network = true)),
    ),
    security(profile = "production"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
