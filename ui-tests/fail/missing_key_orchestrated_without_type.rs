use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "orchestrated"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
