use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        scopes_supported = ["reports:read"],
        dcr(clients(
            reporting(client_secret = env("REPORTING_SECRET"), grant_types = ["client_credentials"], scopes = ["reports:read"]),
            billing(jwks_uri = "https://billing.example.com/jwks", grant_types = ["client_credentials"]),
            corp_agent(client_secret = env("AGENT_SECRET"), grant_types = ["urn:ietf:params:oauth:grant-type:jwt-bearer"]),
        )),
        id_jag(issuers(corp(issuer = "https://login.corp.example", jwks_uri = "https://login.corp.example/jwks"))),
    ),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["auth"]["dcr"]["clients"]["reporting"]["grant_types"][0], "client_credentials");
    assert_eq!(base["auth"]["id_jag"]["issuers"]["corp"]["issuer"], "https://login.corp.example");
}
