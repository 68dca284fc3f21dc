use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", token_storage(redis(port = 6380, tls = true))),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
