use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        local(
            sign_key = r#"{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}"#,
            jwt_secret = "a-long-enough-secret-of-32-bytes-or-more",
        ),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
