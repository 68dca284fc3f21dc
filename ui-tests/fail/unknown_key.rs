use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", consnet(enabled = true)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
