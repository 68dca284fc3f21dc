use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        token_storage(redis(cluster = ["10.0.0.1"], db = 2, key_prefix = "app{1}:")),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
