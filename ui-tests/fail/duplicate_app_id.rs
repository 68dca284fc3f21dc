use frontmcp_auth::prelude::*;
struct BillingApp;
struct LegacyBillingApp;
#[frontmcp(
    apps(BillingApp(id = "billing"), LegacyBillingApp(id = "billing")),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
