//! Calls to the upstream provider: the authorization URL, the token endpoint (code and refresh
//! grants), userinfo and revocation. Every call has a timeout and a size cap and follows no
//! redirect: the upstream is never trusted to send this server elsewhere.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::provider::{Discovery, Endpoints, ProviderSettings};
use frontmcp_auth_config::UpstreamAuthMethod;

/// The largest upstream response read, in bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// What went wrong with the upstream provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// The provider could not be reached, timed out or failed (5xx).
    #[error("the identity provider is unreachable: {0}")]
    Unreachable(String),
    /// The provider answered with an OAuth error (`invalid_grant`, ...).
    #[error("the identity provider refused: {error}")]
    Refused {
        /// The OAuth error code.
        error: String,
        /// Its description, when given.
        description: Option<String>,
    },
    /// The provider's answer is not what the protocol allows (a bad `id_token`, ...).
    #[error("the identity provider's answer is invalid: {0}")]
    Invalid(String),
    /// The caller has no upstream session: anonymous, another mode, or stateless sessions.
    #[error("no upstream tokens for this caller: {0}")]
    NoSession(String),
    /// The upstream refused the refresh token: the session has ended; sign in again.
    #[error("the upstream session has ended; sign in again")]
    SessionEnded,
    /// No provider with this id.
    #[error("no upstream provider `{0}`")]
    UnknownProvider(String),
    /// Federation: the caller's session has not linked this provider. `connect_url`, when the
    /// server could make one, opens the page where the user links it (after signing in again
    /// as themselves); the tool call succeeds when retried after.
    #[error("`{provider}` is not linked to this session{}", connect_hint(connect_url.as_deref()))]
    NotLinked {
        /// The provider id.
        provider: String,
        /// The connect page for this user and session.
        connect_url: Option<String>,
    },
}

fn connect_hint(url: Option<&str>) -> String {
    url.map(|u| format!("; link it at {u} and try again"))
        .unwrap_or_default()
}

/// The tokens of one upstream sign-in, as kept (sealed) in the vault.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// The upstream access token.
    pub access_token: String,
    /// The token type (`Bearer`).
    pub token_type: String,
    /// When the access token expires; `None` when the provider says nothing (GitHub).
    pub expires_at: Option<u64>,
    /// The upstream refresh token.
    pub refresh_token: Option<String>,
    /// The upstream id token.
    pub id_token: Option<String>,
    /// The scopes granted, space separated.
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.is_some())
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// One upstream authorization request's parameters.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest<'a> {
    /// Our callback URL.
    pub redirect_uri: &'a str,
    /// The `state`.
    pub state: &'a str,
    /// The OpenID `nonce`.
    pub nonce: &'a str,
    /// The S256 challenge of our verifier.
    pub code_challenge: &'a str,
}

/// The client of one upstream provider.
#[derive(Debug)]
pub struct UpstreamClient {
    settings: Arc<ProviderSettings>,
    discovery: Discovery,
    http: reqwest::Client,
}

impl UpstreamClient {
    /// A client for `settings`' provider; every call times out after `timeout`.
    pub fn new(settings: Arc<ProviderSettings>, discovery: Discovery, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("frontmcp-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            discovery,
            http,
        }
    }

    /// The provider's settings.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The provider's endpoints.
    ///
    /// # Errors
    ///
    /// [`UpstreamError::Unreachable`] when they cannot be discovered.
    pub async fn endpoints(&self) -> Result<Arc<Endpoints>, UpstreamError> {
        self.discovery
            .endpoints()
            .await
            .map_err(|e| UpstreamError::Unreachable(e.to_string()))
    }

    /// The origins the browser may be sent to for this provider's authorization: the
    /// configured or discovered authorization endpoint's, and the issuer's (for the login
    /// page's `form-action`, whose redirect leads there).
    pub fn authorization_origins(&self) -> Vec<String> {
        let discovered = self.discovery.known().and_then(|e| e.authorization.clone());
        [
            self.settings.configured.authorization.clone(),
            discovered,
            Some(self.settings.issuer.clone()),
        ]
        .into_iter()
        .flatten()
        .filter_map(|u| url::Url::parse(&u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization())
        .collect()
    }

    /// The URL the browser is sent to.
    ///
    /// # Errors
    ///
    /// When the endpoints cannot be discovered.
    pub async fn authorization_url(
        &self,
        request: &AuthorizationRequest<'_>,
    ) -> Result<String, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let base = endpoints.authorization.clone().unwrap_or_default();
        let mut url = url::Url::parse(&base)
            .map_err(|e| UpstreamError::Invalid(format!("authorization endpoint: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", request.redirect_uri)
                .append_pair("state", request.state)
                .append_pair("code_challenge", request.code_challenge)
                .append_pair("code_challenge_method", "S256");
            if !self.settings.scopes.is_empty() {
                query.append_pair("scope", &self.settings.scopes.join(" "));
            }
            if self.settings.openid() {
                query.append_pair("nonce", request.nonce);
            }
            for (name, value) in &self.settings.authorization_params {
                query.append_pair(name, value);
            }
        }
        Ok(url.into())
    }

    /// Exchanges an upstream authorization code.
    ///
    /// # Errors
    ///
    /// [`UpstreamError::Refused`] for an OAuth error, [`UpstreamError::Unreachable`] for a
    /// transport failure, [`UpstreamError::Invalid`] for a malformed answer.
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
        now: u64,
    ) -> Result<TokenSet, UpstreamError> {
        self.token_request(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", code_verifier),
            ],
            now,
        )
        .await
    }

    /// Refreshes with an upstream refresh token; the old one is kept when none is returned.
    ///
    /// # Errors
    ///
    /// As [`Self::exchange_code`]; `invalid_grant` means the upstream session has ended.
    pub async fn refresh(&self, current: &TokenSet, now: u64) -> Result<TokenSet, UpstreamError> {
        let refresh_token = current
            .refresh_token
            .as_deref()
            .ok_or_else(|| UpstreamError::Invalid(String::from("no refresh token")))?;
        let mut next = self
            .token_request(
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ],
                now,
            )
            .await?;
        if next.refresh_token.is_none() {
            next.refresh_token = current.refresh_token.clone();
        }
        if next.id_token.is_none() {
            next.id_token = current.id_token.clone();
        }
        Ok(next)
    }

    /// Revokes an upstream token (RFC 7009) where the provider has a revocation endpoint;
    /// `Ok(false)` when it has none.
    ///
    /// # Errors
    ///
    /// When the provider cannot be reached or refuses.
    pub async fn revoke(&self, token: &str, hint: &str) -> Result<bool, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let Some(url) = endpoints.revocation.clone() else {
            return Ok(false);
        };
        let form = [("token", token), ("token_type_hint", hint)];
        let response = self
            .authenticated(&endpoints, &url, &form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(true);
        }
        let body = read_capped(response).await?;
        Err(refusal(status, &body))
    }

    /// The userinfo document for `access_token`.
    ///
    /// # Errors
    ///
    /// When there is no userinfo endpoint, or it fails.
    pub async fn userinfo(&self, access_token: &str) -> Result<Map<String, Value>, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let url = endpoints
            .userinfo
            .clone()
            .ok_or_else(|| UpstreamError::Invalid(String::from("no userinfo endpoint")))?;
        let response = self
            .http
            .get(&url)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let body = read_capped(response).await?;
        if !status.is_success() {
            return Err(refusal(status, &body));
        }
        match serde_json::from_slice(&body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(UpstreamError::Invalid(String::from(
                "userinfo is not a JSON object",
            ))),
        }
    }

    /// GitHub's primary verified email, when the user endpoint shows none.
    pub async fn github_primary_email(&self, access_token: &str) -> Option<String> {
        let response = self
            .http
            .get("https://api.github.com/user/emails")
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .ok()?;
        let body = read_capped(response).await.ok()?;
        let emails: Vec<Value> = serde_json::from_slice(&body).ok()?;
        emails
            .iter()
            .find(|e| e["primary"] == true && e["verified"] == true)
            .and_then(|e| e["email"].as_str())
            .map(str::to_owned)
    }

    fn authenticated(
        &self,
        endpoints: &Endpoints,
        url: &str,
        form: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let secret = self.settings.client_secret.as_ref().map(|s| s.expose());
        let request = self.http.post(url).header("accept", "application/json");
        let request = match (self.settings.auth_method(endpoints), secret) {
            (UpstreamAuthMethod::ClientSecretBasic, Some(secret)) => {
                // RFC 6749 §2.3.1: both parts form-encoded before joining.
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!("{}:{}", encode(&self.settings.client_id), encode(secret));
                let basic = base64::engine::general_purpose::STANDARD.encode(pair);
                request.header("authorization", format!("Basic {basic}"))
            }
            (UpstreamAuthMethod::ClientSecretPost, Some(secret)) => {
                fields.push(("client_id", &self.settings.client_id));
                fields.push(("client_secret", secret));
                request
            }
            _ => {
                fields.push(("client_id", &self.settings.client_id));
                request
            }
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }

    async fn token_request(
        &self,
        form: &[(&str, &str)],
        now: u64,
    ) -> Result<TokenSet, UpstreamError> {
        let endpoints = self.endpoints().await?;
        let url = endpoints.token.clone().unwrap_or_default();
        let response = self
            .authenticated(&endpoints, &url, form)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let body = read_capped(response).await?;
        if !status.is_success() {
            return Err(refusal(status, &body));
        }
        parse_token_response(&body, now)
    }
}

fn transport(e: reqwest::Error) -> UpstreamError {
    // The URL is left out: a token request's URL carries nothing secret, but keep it terse.
    UpstreamError::Unreachable(if e.is_timeout() {
        String::from("timed out")
    } else {
        e.without_url().to_string()
    })
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, UpstreamError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(UpstreamError::Invalid(format!(
                "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error answer: an OAuth error body on 4xx, else the provider is failing.
fn refusal(status: reqwest::StatusCode, body: &[u8]) -> UpstreamError {
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(body).ok();
    let error = parsed
        .as_ref()
        .and_then(|m| m.get("error"))
        .and_then(Value::as_str)
        .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_graphic()));
    match error {
        Some(error) if status.is_client_error() => UpstreamError::Refused {
            error: error.to_owned(),
            description: parsed
                .as_ref()
                .and_then(|m| m.get("error_description"))
                .and_then(Value::as_str)
                .map(|d| d.chars().take(200).collect()),
        },
        _ if status.is_server_error() => UpstreamError::Unreachable(format!("answered {status}")),
        _ => UpstreamError::Invalid(format!("answered {status}")),
    }
}

/// Reads a token response (RFC 6749 §5.1). GitHub answers errors with 200 and an `error`.
pub(crate) fn parse_token_response(body: &[u8], now: u64) -> Result<TokenSet, UpstreamError> {
    let map: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| UpstreamError::Invalid(String::from("the token response is not JSON")))?;
    if let Some(error) = map.get("error").and_then(Value::as_str) {
        return Err(UpstreamError::Refused {
            error: error.chars().take(64).collect(),
            description: map
                .get("error_description")
                .and_then(Value::as_str)
                .map(|d| d.chars().take(200).collect()),
        });
    }
    let text = |name: &str| {
        map.get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let access_token = text("access_token")
        .ok_or_else(|| UpstreamError::Invalid(String::from("no access_token")))?;
    let expires_in = match map.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    Ok(TokenSet {
        access_token,
        token_type: text("token_type").unwrap_or_else(|| String::from("Bearer")),
        expires_at: expires_in.map(|s| now.saturating_add(s)),
        refresh_token: text("refresh_token"),
        id_token: text("id_token"),
        scope: text("scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_are_read_strictly() {
        let set = parse_token_response(
            br#"{"access_token":"a","token_type":"Bearer","expires_in":"60","refresh_token":"r"}"#,
            100,
        )
        .expect("parsed");
        assert_eq!(set.expires_at, Some(160));
        assert_eq!(set.refresh_token.as_deref(), Some("r"));
        assert!(!format!("{set:?}").contains("\"a\""));
        let github = parse_token_response(br#"{"error":"bad_verification_code"}"#, 0);
        assert!(
            matches!(github, Err(UpstreamError::Refused { error, .. }) if error == "bad_verification_code")
        );
        assert!(parse_token_response(br#"{"token_type":"Bearer"}"#, 0).is_err());
        assert!(parse_token_response(b"<html>", 0).is_err());
    }

    #[test]
    fn error_answers_are_told_apart() {
        let refused = refusal(
            reqwest::StatusCode::BAD_REQUEST,
            br#"{"error":"invalid_grant"}"#,
        );
        assert!(
            matches!(refused, UpstreamError::Refused { ref error, .. } if error == "invalid_grant")
        );
        let failing = refusal(reqwest::StatusCode::BAD_GATEWAY, b"oops");
        assert!(matches!(failing, UpstreamError::Unreachable(_)));
    }
}
