use frontmcp_auth::prelude::*;

#[frontmcp(auth(mode = "local", token_storage(redis(host = env("REDIS HOST")))))]
struct Server;

fn main() {}
