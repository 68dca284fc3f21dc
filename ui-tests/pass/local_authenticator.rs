//! Local mode with an authenticator set in code: checked at compile time to implement
//! `Authenticator` and `Default`; the rulebook sees `authenticator = "custom"`.
use frontmcp_auth::login::{AuthenticatedUser, Authenticator, BoxFuture, LoginAttempt, LoginRefusal};
use frontmcp_auth::prelude::*;
use frontmcp_auth_ui_tests::BillingApp;

#[derive(Default)]
struct StaffDirectory;

impl Authenticator for StaffDirectory {
    fn authenticate<'a>(
        &'a self,
        attempt: &'a LoginAttempt,
    ) -> BoxFuture<'a, Result<AuthenticatedUser, LoginRefusal>> {
        Box::pin(async move {
            match attempt.field("username") {
                Some(name) => Ok(AuthenticatedUser::new(name)),
                None => Err(LoginRefusal::Invalid("who are you?".into())),
            }
        })
    }
}

#[frontmcp(
    apps(BillingApp),
    http(public_url = "https://mcp.example.com"),
    auth(
        mode = "local",
        local(jwt_secret = env("JWT_SECRET")),
        token_storage(sqlite(path = "auth.db")),
        login(authenticator = StaffDirectory, passkeys = true),
    ),
    security(profile = "production"),
)]
struct Server;

fn main() {
    let definition = Server::definition();
    assert!(definition.authenticator_in_code().is_some());
    assert_eq!(definition.base()["auth"]["login"]["authenticator"], "custom");
}
