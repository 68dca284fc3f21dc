use frontmcp_auth::prelude::*;

#[frontmcp(
    http(public_url = "https://mcp.example.com"),
    auth(
        mode = "transparent",
        provider = "https://idp.example.com",
        expected_audience = "https://mcp.example.com/mcp",
        require_audience = false,
    ),
    security(profile = "production"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
