use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(mode = "public", public_access(resources = ["docs://handbook", "docs://pages/{id}"])),
    prompt_scopes(summarise = ["docs:write"]),
    resource_scopes("docs://secret" = ["docs:secret"], "docs://pages/{id}" = ["docs:pages"]),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["prompt_scopes"]["summarise"][0], "docs:write");
    assert_eq!(base["resource_scopes"]["docs://secret"][0], "docs:secret");
    assert_eq!(base["resource_scopes"]["docs://pages/{id}"][0], "docs:pages");
    assert_eq!(
        base["auth"]["public_access"]["resources"][1],
        "docs://pages/{id}"
    );
}
