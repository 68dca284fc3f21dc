use frontmcp_auth::prelude::*;

#[frontmcp(
    http(public_url = "https://mcp.example.com"),
    auth(
        mode = "local",
        local(jwt_secret = env("JWT_SECRET")),
        login(authenticator = "password"),
        token_storage(redis(host = "redis.example.com")),
    ),
    security(profile = "production"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
