use frontmcp_auth::prelude::*;
struct BillingApp;
struct AnalyticsApp;
#[frontmcp(
    split_by_app = true,
    apps(BillingApp(auth(mode = "public")), AnalyticsApp),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
