use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        require_email = false,
        login(authenticator = "password", passkeys = true, max_failures = 0),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
