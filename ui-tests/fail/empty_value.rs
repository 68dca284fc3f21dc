use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "", version = "1.0.0"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
