use frontmcp_auth::prelude::*;

#[frontmcp(
    http(public_url = "http://mcp.example.com"),
    auth(mode = "local", allow_default_public = true, dcr(enabled = true)),
    security(profile = "production", admin_token = "too-short"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
