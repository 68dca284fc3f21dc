use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "locla"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
