use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "transparent", expected_audience = "https://api.example.com"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
