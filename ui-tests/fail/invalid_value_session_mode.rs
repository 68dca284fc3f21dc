use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", session_mode = "sticky"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
