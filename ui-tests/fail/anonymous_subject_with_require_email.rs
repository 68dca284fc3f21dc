use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", anonymous_subject = "operator"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
