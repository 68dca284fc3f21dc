use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "remote", provider = "https://auth.example.com"),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
