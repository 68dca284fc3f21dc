use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", local(jwt_secret = "only-twenty-bytes!!!")),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
