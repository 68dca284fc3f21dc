//! RFC 9728 protected resource metadata, at `/.well-known/oauth-protected-resource` and at the
//! path form `/.well-known/oauth-protected-resource{entry_path}/mcp`.

use serde_json::{Value, json};

use frontmcp_auth_config::{AuthConfig, AuthMode};

/// The metadata document for the MCP endpoint at `{base}{resource_path}`, whose tools require
/// `tool_scopes`.
pub fn protected_resource_metadata(
    base: &str,
    resource_path: &str,
    name: &str,
    auth: &AuthConfig,
    tool_scopes: &[String],
) -> Value {
    let (servers, scopes): (Vec<String>, Vec<String>) = match auth.mode {
        AuthMode::Public => (Vec::new(), auth.anonymous_scopes.clone()),
        AuthMode::Transparent => (
            auth.provider.iter().cloned().collect(),
            auth.required_scopes.clone(),
        ),
        // Remote mode's clients talk OAuth to this server; only it talks to the provider.
        AuthMode::Local | AuthMode::Remote => {
            let entry = resource_path.strip_suffix("/mcp").unwrap_or_default();
            let issuer = match &auth.local.issuer {
                Some(issuer) => issuer.trim_end_matches('/').to_owned(),
                None => format!("{base}{entry}"),
            };
            let policy = crate::oauth::scope::ScopePolicy::new(
                &auth.scopes_supported,
                tool_scopes,
                auth.refresh.enabled,
            );
            (vec![issuer], policy.resource_scopes())
        }
    };
    json!({
        "resource": format!("{base}{resource_path}"),
        "authorization_servers": servers,
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": name,
    })
}
