use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", local(max_keys = 0)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
