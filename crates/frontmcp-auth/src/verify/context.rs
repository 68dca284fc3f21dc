//! `AuthContext`: who is calling, for tools and handlers (the Rust counterpart of `this.auth`).

use std::sync::Arc;

use rmcp::handler::server::common::{AsRequestContext, FromContextPart};
use serde_json::{Map, Value};

use crate::upstream::{UpstreamError, UpstreamToken, Vault};

/// The caller of a request, as the guard established it.
///
/// The guard puts it into the HTTP request's extensions; a tool takes it as a parameter:
///
/// ```
/// use frontmcp_auth::AuthContext;
/// use rmcp::{tool, tool_router};
///
/// #[derive(Clone, Default)]
/// struct ProfileApp;
///
/// #[tool_router(server_handler)]
/// impl ProfileApp {
///     #[tool(description = "Who am I?")]
///     async fn whoami(&self, auth: AuthContext) -> String {
///         let email = auth.claim("email").and_then(|e| e.as_str()).unwrap_or("no email");
///         format!("{} <{email}> with scopes {:?}", auth.subject, auth.scopes)
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AuthContext {
    /// The subject: the token's `sub`, or `anon:<uuid>` for an anonymous session.
    pub subject: String,
    /// Whether the caller sent no token and was let in anonymously.
    pub anonymous: bool,
    /// The scopes granted (the token's `scope`/`scp`, or the anonymous scopes).
    pub scopes: Vec<String>,
    /// Every claim of the token (empty for anonymous callers). Shared: the guard hands the same
    /// claims to every call made with one token without copying them.
    pub claims: Arc<Map<String, Value>>,
    /// The OAuth client the token was issued to (`client_id`, `azp` or `cid`), if known.
    pub client_id: Option<String>,
    /// The session: the MCP session id when the client has one, else the anonymous session.
    pub session_id: Option<String>,
    /// When the credential expires, in seconds since the Unix epoch.
    pub expires_at: Option<u64>,
    /// Remote mode and federation, with stateful sessions: the vault holding the session's
    /// upstream tokens.
    pub upstream: Option<UpstreamAccess>,
}

/// Makes the URL of the page where a user links a federated provider to their session.
pub trait ConnectLinks: Send + Sync {
    /// The connect page of `provider` for session `session_id` of `subject` at `client_id`,
    /// on the server whose issuer is `issuer`; `None` when no ticket can be stored.
    fn connect_url<'a>(
        &'a self,
        session_id: &'a str,
        subject: &'a str,
        client_id: &'a str,
        issuer: &'a str,
        provider: &'a str,
    ) -> futures::future::BoxFuture<'a, Option<String>>;
}

/// A handle on the vault of the caller's session (see [`AuthContext::upstream_token`]) and,
/// with federation, on the connect pages.
#[derive(Clone)]
pub struct UpstreamAccess {
    /// The vault.
    pub vault: Arc<Vault>,
    /// Federation: makes connect URLs for providers the session has not linked.
    pub connect: Option<Arc<dyn ConnectLinks>>,
}

impl PartialEq for UpstreamAccess {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.vault, &other.vault)
    }
}

impl std::fmt::Debug for UpstreamAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamAccess")
    }
}

impl AuthContext {
    /// An anonymous caller with `scopes`.
    pub fn anonymous(subject: String, scopes: Vec<String>, expires_at: Option<u64>) -> Self {
        Self {
            session_id: Some(subject.clone()),
            subject,
            anonymous: true,
            scopes,
            claims: Arc::default(),
            client_id: None,
            expires_at,
            upstream: None,
        }
    }

    /// A fresh access token of the upstream provider `provider` for a tool that calls the
    /// provider's API: remote mode's (`"default"`, or its `provider_config.id`) or a federated
    /// provider's (its id). The counterpart of the seeds' `this.orchestration.getToken(id)`. It
    /// is refreshed first when it is within `refresh.skew_seconds` of expiry.
    ///
    /// # Errors
    ///
    /// [`UpstreamError::NotLinked`] when the session has not linked the federated provider,
    /// with the URL of the page where the user links it (a tool returns it as its error, or
    /// sends it as a URL-mode elicitation); [`UpstreamError::NoSession`] for anonymous callers,
    /// without upstream providers and with stateless sessions (which keep no upstream tokens);
    /// [`UpstreamError::SessionEnded`] when the upstream refused remote mode's refresh;
    /// [`UpstreamError::Unreachable`] when the provider is down and the token has expired;
    /// [`UpstreamError::UnknownProvider`].
    pub async fn upstream_token(&self, provider: &str) -> Result<UpstreamToken, UpstreamError> {
        let (access, session) = self.upstream_session()?;
        match access.vault.token(session, &self.subject, provider).await {
            Err(UpstreamError::NotLinked {
                provider,
                connect_url: None,
            }) => Err(UpstreamError::NotLinked {
                connect_url: self.connect_url(access, session, &provider).await,
                provider,
            }),
            other => other,
        }
    }

    /// The federated providers the caller's session has linked.
    ///
    /// # Errors
    ///
    /// As [`Self::upstream_token`]; [`UpstreamError::Unreachable`] when storage is down.
    pub async fn linked_providers(&self) -> Result<Vec<String>, UpstreamError> {
        let (access, session) = self.upstream_session()?;
        access.vault.linked(session, &self.subject).await
    }

    fn upstream_session(&self) -> Result<(&UpstreamAccess, &str), UpstreamError> {
        if self.anonymous {
            return Err(UpstreamError::NoSession(String::from(
                "anonymous callers have no upstream tokens",
            )));
        }
        match (&self.upstream, &self.session_id) {
            (Some(access), Some(session)) => Ok((access, session.as_str())),
            _ => Err(UpstreamError::NoSession(String::from(
                "this server keeps no upstream tokens (remote mode and federated providers with stateful sessions do)",
            ))),
        }
    }

    async fn connect_url(
        &self,
        access: &UpstreamAccess,
        session: &str,
        provider: &str,
    ) -> Option<String> {
        let connect = access.connect.as_ref()?;
        let client_id = self.client_id.as_deref()?;
        let issuer = self.claims.get("iss").and_then(Value::as_str)?;
        connect
            .connect_url(session, &self.subject, client_id, issuer, provider)
            .await
    }

    /// The endpoints of the upstream provider `provider` (its userinfo URL, say), for a tool
    /// that calls the provider's API with [`Self::upstream_token`].
    ///
    /// # Errors
    ///
    /// As [`Self::upstream_token`]; [`UpstreamError::Unreachable`] when the provider's
    /// metadata cannot be read.
    pub async fn upstream_endpoints(
        &self,
        provider: &str,
    ) -> Result<Arc<crate::upstream::Endpoints>, UpstreamError> {
        let Some(access) = &self.upstream else {
            return Err(UpstreamError::NoSession(String::from(
                "this server keeps no upstream tokens (remote mode and federated providers with stateful sessions do)",
            )));
        };
        let client = access
            .vault
            .client(provider)
            .ok_or_else(|| UpstreamError::UnknownProvider(provider.to_owned()))?;
        client.endpoints().await
    }

    /// Whether the caller holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The scopes of `required` the caller lacks.
    pub fn missing_scopes<'a>(&self, required: &'a [String]) -> Vec<&'a str> {
        required
            .iter()
            .filter(|scope| !self.has_scope(scope))
            .map(String::as_str)
            .collect()
    }

    /// A claim of the token.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }
}

/// Reads the scopes of a claim set: `scope` (space separated) or `scp` (list or string).
pub fn scopes_of(claims: &Map<String, Value>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(text)) => scopes.extend(text.split_whitespace().map(str::to_owned)),
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned))
            }
            _ => {}
        }
    }
    scopes.dedup();
    scopes
}

impl<C: AsRequestContext> FromContextPart<C> for AuthContext {
    fn from_context_part(context: &mut C) -> Result<Self, rmcp::ErrorData> {
        context
            .as_request_context()
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<AuthContext>())
            .cloned()
            .ok_or_else(|| {
                rmcp::ErrorData::internal_error(
                    "the request did not pass the frontmcp-auth guard",
                    None,
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_come_from_scope_or_scp() {
        let claims = serde_json::json!({"scope": "read write", "scp": ["admin"]});
        let scopes = scopes_of(claims.as_object().expect("object"));
        assert_eq!(scopes, ["read", "write", "admin"]);
        let context = AuthContext {
            scopes,
            ..AuthContext::anonymous("anon:x".into(), Vec::new(), None)
        };
        assert_eq!(
            context.missing_scopes(&["read".into(), "delete".into()]),
            ["delete"]
        );
    }
}
