use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", refresh(rotate_refresh_token = false)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
