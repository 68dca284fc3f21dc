//! Several instances behind a round-robin balancer: MCP sessions shared through the store (the
//! default, written out), on a Redis Cluster named by its seed nodes.
use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "ScaledServer", version = "1.0.0"),
    http(mcp_sessions = "shared"),
    auth(
        mode = "local",
        token_storage(redis(
            cluster = ["10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"],
            tls = true,
        )),
    ),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["http"]["mcp_sessions"], "shared");
    assert_eq!(base["auth"]["token_storage"]["redis"]["cluster"][2], "10.0.0.3:6379");
}
