use frontmcp_auth::prelude::*;

#[frontmcp(
    http(entry_path = "api/"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
