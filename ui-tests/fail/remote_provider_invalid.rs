use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "remote",
        provider = "okta",
        client_id = "mcp-server",
        scopes = ["profile", "email"],
        provider_config(authorization_params(nonce = "fixed")),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
