use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", pkce(method = "plain")),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
