/// The environment of `example-federation` with `github` and `slack` pointed at two OpenID
/// providers (their issuers override the GitHub and Slack presets through the environment
/// layer), both with the client `mcp-remote` of `tests/node/remote-idp.mjs`.
pub fn server_env(github: &str, slack: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_CLIENT_ID", String::from("mcp-remote")),
        ("GITHUB_CLIENT_SECRET", String::from("mcp-remote-secret")),
        ("SLACK_CLIENT_ID", String::from("mcp-remote")),
        ("SLACK_CLIENT_SECRET", String::from("mcp-remote-secret")),
        ("FRONTMCP_AUTH__PROVIDERS__GITHUB__ISSUER", github.to_owned()),
        ("FRONTMCP_AUTH__PROVIDERS__SLACK__ISSUER", slack.to_owned()),
        (
            "FRONTMCP_AUTH__VAULT_KEY",
            String::from("an-example-vault-key-of-at-least-32-characters"),
        ),
        (
            "JWT_SECRET",
            String::from("an-example-secret-that-is-long-enough"),
        ),
    ]
}
