use frontmcp_auth::prelude::*;
struct BillingApp;
#[frontmcp(
    apps(BillingApp(auth(mode = "public"))),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
