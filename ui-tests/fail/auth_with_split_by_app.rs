use frontmcp_auth::prelude::*;
struct BillingApp;
#[frontmcp(
    split_by_app = true,
    apps(BillingApp(auth(mode = "public"))),
    auth(mode = "local"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
