//! The upstream identity provider of these tests: node `oidc-provider` on loopback
//! (`tests/node/remote-idp.mjs`), with the test user `ada` and this server's client `mcp-remote`.

use frontmcp_auth_testkit::{Process, start_node};
use serde_json::Value;

/// The environment of `example-remote` in front of `idp`.
pub fn server_env(idp: &Idp) -> Vec<(&'static str, String)> {
    vec![
        ("IDP_PROVIDER_URL", idp.issuer.clone()),
        ("IDP_CLIENT_ID", String::from("mcp-remote")),
        ("IDP_CLIENT_SECRET", String::from("mcp-remote-secret")),
        (
            "FRONTMCP_AUTH__VAULT_KEY",
            String::from("an-example-vault-key-of-at-least-32-characters"),
        ),
        (
            "FRONTMCP_AUTH__LOCAL__JWT_SECRET",
            String::from("an-example-secret-that-is-long-enough"),
        ),
    ]
}

/// The provider, killed on drop.
pub struct Idp {
    _process: Process,
    pub issuer: String,
}

impl Idp {
    /// Starts it and waits for its issuer URL.
    pub fn start() -> Idp {
        let process = start_node("remote-idp.mjs", &[], "ISSUER ");
        let issuer = process.line.trim_start_matches("ISSUER ").trim().to_owned();
        Idp {
            _process: process,
            issuer,
        }
    }

    /// A JSON document of the provider (`/__test/stats`, `/__test/tokens`).
    pub fn get(&self, path: &str) -> Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            reqwest::get(format!("{}{path}", self.issuer))
                .await
                .expect("provider")
                .json()
                .await
                .expect("json")
        })
    }
}
