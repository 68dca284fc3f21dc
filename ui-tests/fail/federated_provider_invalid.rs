use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        providers(
            github(client_id = "gh-client"),
            okta(client_id = "okta-client"),
            gitlab(client_id = "gl-client"),
        ),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
