use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "remote", client_id = "frontmcp"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
