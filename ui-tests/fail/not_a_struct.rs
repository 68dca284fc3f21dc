use frontmcp_auth::prelude::*;

#[frontmcp(auth(mode = "public"))]
enum Server {
    Main,
}

fn main() {}
