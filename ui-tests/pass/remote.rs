use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "RemoteServer", version = "1.0.0"),
    auth(
        mode = "remote",
        provider = env("IDP_PROVIDER_URL"),
        client_id = env("IDP_CLIENT_ID"),
        client_secret = env("IDP_CLIENT_SECRET"),
        scopes = ["openid", "profile", "email"],
        token_storage = "memory",
        consent(enabled = true),
        federated_auth(state_validation = "strict"),
    ),
)]
struct Server;

fn main() {
    assert_eq!(Server::definition().base()["auth"]["mode"], "remote");
}
