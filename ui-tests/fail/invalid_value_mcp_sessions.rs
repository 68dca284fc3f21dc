use frontmcp_auth::prelude::*;

#[frontmcp(http(mcp_sessions = "sticky"))]
struct Server;

fn main() {
    let _ = Server::definition();
}
