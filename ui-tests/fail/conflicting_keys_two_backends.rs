use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", token_storage(sqlite(path = "auth.db"), redis(host = "localhost"))),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
