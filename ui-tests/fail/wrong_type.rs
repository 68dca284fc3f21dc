use frontmcp_auth::prelude::*;

#[frontmcp(
    http(port = "3000"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
