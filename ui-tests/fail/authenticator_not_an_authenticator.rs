use frontmcp_auth::prelude::*;

/// Not an authenticator: it implements `Default` only.
#[derive(Default)]
struct Directory;

#[frontmcp(auth(mode = "local", login(authenticator = Directory)))]
struct Server;

fn main() {
    let _ = Server::definition();
}
