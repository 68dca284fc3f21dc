//! Authorization server metadata (RFC 8414, also served as OpenID discovery).

use serde_json::{Value, json};

use super::server::AuthorizationServer;

impl AuthorizationServer {
    /// The metadata document for a request to `base`.
    pub fn metadata(&self, base: &str) -> Value {
        let issuer = self.issuer(base);
        let mut grants = vec!["authorization_code"];
        if self.auth.refresh.enabled {
            grants.push("refresh_token");
        }
        if self.machines.offers(super::machines::CLIENT_CREDENTIALS) {
            grants.push(super::machines::CLIENT_CREDENTIALS);
        }
        if self.machines.accepts_id_jag() {
            grants.push(super::machines::JWT_BEARER);
        }
        let mut auth_methods = vec!["none", "client_secret_basic", "client_secret_post"];
        let assertions = self.machines.signs_assertions() || self.documents.enabled();
        if assertions {
            auth_methods.push("private_key_jwt");
        }
        let mut document = json!({
            "issuer": issuer,
            "authorization_endpoint": self.endpoint(base, "/oauth/authorize"),
            "token_endpoint": self.endpoint(base, "/oauth/token"),
            "jwks_uri": self.endpoint(base, "/.well-known/jwks.json"),
            "revocation_endpoint": self.endpoint(base, "/oauth/revoke"),
            "introspection_endpoint": self.endpoint(base, "/oauth/introspect"),
            "userinfo_endpoint": self.endpoint(base, "/oauth/userinfo"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grants,
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": self.scope_policy().grantable(),
            "subject_types_supported": ["public"],
            "client_id_metadata_document_supported": self.documents.enabled(),
            "authorization_response_iss_parameter_supported": true,
            "resource_indicators_supported": true,
        });
        if let Some(object) = document.as_object_mut() {
            if assertions {
                object.insert(
                    "token_endpoint_auth_signing_alg_values_supported".into(),
                    json!(frontmcp_auth_config::rules::ASSERTION_ALGORITHMS),
                );
            }
            if self.machines.accepts_id_jag() {
                object.insert(
                    "authorization_grant_profiles_supported".into(),
                    json!([super::machines::ID_JAG_PROFILE]),
                );
            }
        }
        if self.registration_enabled()
            && let Some(object) = document.as_object_mut()
        {
            object.insert(
                "registration_endpoint".into(),
                json!(self.endpoint(base, "/oauth/register")),
            );
        }
        document
    }
}
