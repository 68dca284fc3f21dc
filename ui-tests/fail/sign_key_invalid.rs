use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "local", local(sign_key = r#"{"kty":"EC","crv":"P-384","x":"a","y":"b","d":"c"}"#)),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}
