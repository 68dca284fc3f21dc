use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "public", session_ttl = 0),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
