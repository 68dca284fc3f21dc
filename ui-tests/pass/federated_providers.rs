use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        vault_key = env("FRONTMCP_AUTH__VAULT_KEY", default = "a-vault-key-of-at-least-32-characters"),
        providers(
            github(client_id = "gh-client", client_secret = env("GITHUB_CLIENT_SECRET")),
            slack(client_id = "slack-client", client_secret = env("SLACK_CLIENT_SECRET")),
            corp(issuer = "https://idp.example.com", client_id = "corp-client"),
            plain(
                authorization_endpoint = "https://auth.example.com/authorize",
                token_endpoint = "https://auth.example.com/token",
                client_id = "plain-client",
            ),
        ),
        federated_auth(min_providers = 2, required_providers = ["github"]),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
