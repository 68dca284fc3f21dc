use frontmcp_auth::prelude::*;

use frontmcp_auth_ui_tests::{AnalyticsApp, BillingApp};

#[frontmcp(
    info(name = "SplitServer", version = "1.0.0"),
    split_by_app = true,
    apps(
        BillingApp(auth(mode = "local", consent(enabled = true))),
        AnalyticsApp(auth(mode = "public")),
    ),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["apps"]["billing_app"]["auth"]["mode"], "local");
    assert_eq!(base["apps"]["analytics_app"]["auth"]["mode"], "public");
}
