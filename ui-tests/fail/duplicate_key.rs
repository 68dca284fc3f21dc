use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", refresh(access_token_ttl = 900, access_token_ttl = 600)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
