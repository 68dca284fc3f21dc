use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(federated_auth(min_providers = 1)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
