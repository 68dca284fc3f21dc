use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "public", token_storage(redis(host = "localhost"))),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
