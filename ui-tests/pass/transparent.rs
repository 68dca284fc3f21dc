use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "TransparentServer", version = "1.0.0"),
    auth(
        mode = "transparent",
        provider = "https://tenant.auth0.com",
        provider_config(
            name = "Auth0",
            jwks_uri = "https://tenant.auth0.com/.well-known/jwks.json",
            additional_issuers = ["https://auth.example.com"],
            verify_issuer = true,
        ),
        expected_audience = "https://api.yourservice.com",
        require_audience = true,
        required_scopes = ["mcp:read"],
        allow_anonymous = false,
    ),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["auth"]["mode"], "transparent");
    assert_eq!(base["auth"]["expected_audience"], "https://api.yourservice.com");
}
