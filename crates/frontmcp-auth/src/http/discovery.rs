//! RFC 9728 protected resource metadata, at `/.well-known/oauth-protected-resource` and at the
//! path form `/.well-known/oauth-protected-resource{entry_path}/mcp`.

use serde_json::{Value, json};

use frontmcp_auth_config::{AuthConfig, AuthMode};

/// The metadata document for the MCP endpoint at `{base}{resource_path}`.
pub fn protected_resource_metadata(
    base: &str,
    resource_path: &str,
    name: &str,
    auth: &AuthConfig,
) -> Value {
    let (servers, scopes): (Vec<String>, Vec<String>) = match auth.mode {
        AuthMode::Public => (Vec::new(), auth.anonymous_scopes.clone()),
        AuthMode::Transparent | AuthMode::Remote => (
            auth.provider.iter().cloned().collect(),
            auth.required_scopes.clone(),
        ),
        AuthMode::Local => (
            vec![auth.local.issuer.clone().unwrap_or_else(|| base.to_owned())],
            Vec::new(),
        ),
    };
    json!({
        "resource": format!("{base}{resource_path}"),
        "authorization_servers": servers,
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    })
}
