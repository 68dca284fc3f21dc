use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        local(jwt_secret = env("JWT_SECRET"), key_rotation_days = 30),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
