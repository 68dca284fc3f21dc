use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "public", consent(enabled = true)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
