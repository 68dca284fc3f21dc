use frontmcp_auth::prelude::*;

#[frontmcp(
    apps(MissingApp),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
