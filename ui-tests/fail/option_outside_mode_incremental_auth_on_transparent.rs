use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "transparent",
        provider = "https://auth.example.com",
        expected_audience = "https://api.example.com",
        incremental_auth(enabled = true),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
