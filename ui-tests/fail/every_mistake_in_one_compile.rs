use frontmcp_auth::prelude::*;

#[frontmcp(
    http(port = 70000),
    auth(
        mode = "local",
        local(jwt_secret = "short"),
        refresh(access_token_ttl = 0),
        consnet(enabled = true),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
