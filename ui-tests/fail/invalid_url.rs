use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "transparent", provider = "auth.example.com", expected_audience = "api"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
