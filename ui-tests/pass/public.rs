use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "PublicServer", version = "1.0.0"),
    auth(
        mode = "public",
        session_ttl = 3600,
        anonymous_scopes = ["anonymous"],
        public_access(tools = ["echo", "add"], prompts = "all", rate_limit = 60),
    ),
)]
struct Server;

fn main() {
    let definition = Server::definition();
    assert_eq!(definition.name(), "Server");
    assert_eq!(definition.base()["auth"]["public_access"]["tools"][1], "add");
}
