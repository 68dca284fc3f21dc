//! Seed 000, "Minimum Production Configuration", as an attribute.
use frontmcp_auth::prelude::*;

#[frontmcp(
    info(name = "ProductionServer", version = "1.0.0"),
    auth(
        mode = "orchestrated",
        type = "local",
        session_mode = "stateful",
        // Persistent storage
        token_storage(
            type = "redis",
            config(
                host = env("REDIS_HOST"),
                port = env("REDIS_PORT", default = 6379),
                tls = true,
                key_prefix = "auth:",
            ),
        ),
        // Stable keys
        local(sign_key = env("JWT_SIGNING_KEY")),
        // Token refresh settings
        refresh(enabled = true, skew_seconds = 60),
        // Security
        consent(enabled = true),
    ),
)]
struct Server;

fn main() {
    let base = Server::definition().base().clone();
    assert_eq!(base["auth"]["type"], "local");
    assert_eq!(base["auth"]["token_storage"]["config"]["host"]["$env"], "REDIS_HOST");
}
