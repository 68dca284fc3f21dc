use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        providers(github(
            authorization_endpoint = "https://github.com/login/oauth/authorize",
            token_endpoint = "https://github.com/login/oauth/access_token",
            client_id = "gh-client",
        )),
        federated_auth(required_providers = ["githbu"]),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
