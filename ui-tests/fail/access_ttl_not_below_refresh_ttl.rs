use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", refresh(access_token_ttl = 86400, refresh_token_ttl = 3600)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
