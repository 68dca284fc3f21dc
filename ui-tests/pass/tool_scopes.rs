use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", scopes_supported = ["notes:read"]),
    tool_scopes(add = ["math:write"], billing(status = ["billing:read"])),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["tool_scopes"]["add"][0], "math:write");
    assert_eq!(base["tool_scopes"]["billing"]["status"][0], "billing:read");
}
