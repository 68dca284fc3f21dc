//! Remote mode's sign-in: after `GET /oauth/authorize` validated the client and stored the
//! pending authorization, the browser goes to the upstream provider with our own PKCE, `state`
//! and `nonce`; `GET /oauth/provider/{id}/callback` checks them, exchanges the upstream code,
//! establishes the identity (a verified `id_token`, or userinfo), then runs the same stages as
//! local mode (progressive authorization, consent, our code, the redirect to the client).

use serde_json::{Map, Value, json};

use super::authorize::AuthorizeError;
use super::error::{ErrorCode, OAuthError};
use super::flow::{
    CallbackInput, CallbackOutcome, ErrorPage, PENDING_KEEP_EXTRA, error_redirect,
    pending_id_well_formed,
};
use super::params::Params;
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::{constant_time_eq, digest, random_token};
use crate::store::{Identity, PendingAuthorization, UpstreamRequest};
use crate::upstream::{AuthorizationRequest, TokenSet, UpstreamError, VaultEntry, verify_id_token};
use frontmcp_auth_config::StateValidation;

/// Length of the random part of an upstream `state`.
const STATE_SECRET_CHARS: usize = 43;

/// The page for an identity provider that cannot be reached.
fn unreachable_page() -> ErrorPage {
    ErrorPage {
        status: 503,
        title: String::from("Identity provider unavailable"),
        message: String::from(
            "the identity provider cannot be reached right now; try again shortly from your application",
        ),
    }
}

pub(crate) fn bad_response(message: &str) -> ErrorPage {
    ErrorPage::bad_request("Invalid sign-in response", message)
}

/// The page for an upstream failure during the callback.
pub(crate) fn upstream_page(error: &UpstreamError) -> ErrorPage {
    match error {
        UpstreamError::Unreachable(_) => unreachable_page(),
        UpstreamError::Refused { error, .. } => bad_response(&format!(
            "the identity provider refused the sign-in ({error}); start again from your application"
        )),
        _ => ErrorPage {
            status: 502,
            title: String::from("Sign-in failed"),
            message: String::from(
                "the identity provider's answer could not be verified; start again from your application",
            ),
        },
    }
}

/// The S256 challenge of a PKCE verifier.
pub(crate) fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        digest.as_ref(),
    )
}

/// A fresh request to `client`'s provider for pending authorization `pending_id`: our own
/// PKCE S256, a `state` naming the pending authorization, an OpenID `nonce`. The provider's
/// authorization URL, and what its callback must match.
pub(crate) async fn upstream_request(
    client: &crate::upstream::UpstreamClient,
    pending_id: &str,
    redirect_uri: String,
) -> Result<(String, UpstreamRequest), ErrorPage> {
    let state = format!("{pending_id}.{}", random_token());
    let nonce = random_token();
    let code_verifier = format!("{}{}", random_token(), random_token());
    let url = client
        .authorization_url(&AuthorizationRequest {
            redirect_uri: &redirect_uri,
            state: &state,
            nonce: &nonce,
            code_challenge: &s256(&code_verifier),
        })
        .await
        .map_err(|e| {
            tracing::warn!(target: "frontmcp_auth::upstream", provider = %client.settings().id, error = %e, "cannot start an upstream authorization");
            upstream_page(&e)
        })?;
    let request = UpstreamRequest {
        state_hash: digest(&state),
        nonce,
        code_verifier,
        redirect_uri,
    };
    Ok((url, request))
}

/// Splits an upstream `state` (`{pending id}.{secret}`) when it has the format this server
/// issues.
pub(crate) fn split_state(state: &str) -> Option<&str> {
    let (id, secret) = state.split_once('.')?;
    let secret_ok = secret.len() == STATE_SECRET_CHARS
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (pending_id_well_formed(id) && secret_ok).then_some(id)
}

/// The OAuth error sent to the client for an upstream `error`.
fn client_error(upstream: &str) -> OAuthError {
    match upstream {
        "access_denied"
        | "login_required"
        | "consent_required"
        | "interaction_required"
        | "account_selection_required" => OAuthError::new(
            ErrorCode::AccessDenied,
            "the user refused at the identity provider",
        ),
        "temporarily_unavailable" => OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the identity provider is temporarily unavailable",
        ),
        _ => OAuthError::new(
            ErrorCode::ServerError,
            "the identity provider could not sign the user in",
        ),
    }
}

impl AuthorizationServer {
    /// Remote mode: stores `pending` with a fresh upstream request and returns the upstream
    /// authorization URL.
    pub(crate) async fn begin_upstream(
        &self,
        mut pending: PendingAuthorization,
        base: &str,
    ) -> Result<String, AuthorizeError> {
        let remote = self.remote.as_ref().ok_or_else(|| {
            AuthorizeError::Page(upstream_page(&UpstreamError::Unreachable(String::new())))
        })?;
        let redirect_uri =
            self.endpoint(base, &format!("/oauth/provider/{}/callback", remote.id()));
        let (url, request) = upstream_request(&remote.client, &pending.id, redirect_uri)
            .await
            .map_err(AuthorizeError::Page)?;
        pending.upstream = Some(request);
        let keep_until = pending.expires_at + PENDING_KEEP_EXTRA;
        self.store
            .put_pending(pending, keep_until)
            .await
            .map_err(|e| AuthorizeError::Page(ErrorPage::from_oauth(&e.into())))?;
        Ok(url)
    }

    /// `GET /oauth/provider/{id}/callback`: the upstream's answer, then the callback stages.
    ///
    /// # Errors
    ///
    /// A 400 page for an unknown, replayed, mismatched or expired `state`; 503 when the
    /// provider cannot be reached; 502 when its answer does not verify.
    pub async fn upstream_callback(
        &self,
        provider_id: &str,
        params: &Params,
        browser_key: Option<&str>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let remote = self
            .remote
            .as_ref()
            .filter(|r| r.id() == provider_id)
            .ok_or_else(|| bad_response("unknown identity provider"))?;
        let (state, pending) = self.answered_pending(params).await?;
        let Some(request) = pending.upstream.clone() else {
            return Err(bad_response(
                "this sign-in response was already used: start again from your application",
            ));
        };
        let strict = self.auth.federated_auth.state_validation == StateValidation::Strict;
        if strict && !constant_time_eq(&digest(state), &request.state_hash) {
            audit::record(
                Event::LoginFailure,
                None,
                Some(&pending.client_id),
                "upstream state mismatch",
            );
            return Err(bad_response(
                "state mismatch: this answer belongs to another sign-in",
            ));
        }
        // Only the browser that started the sign-in may finish it: a link to the upstream
        // sign-in sent to someone else cannot log them in to the sender's client.
        if !browser_key.is_some_and(|key| constant_time_eq(&digest(key), &pending.csrf_hash)) {
            audit::record(
                Event::LoginFailure,
                None,
                Some(&pending.client_id),
                "upstream answer from another browser",
            );
            return Err(bad_response(
                "this sign-in was started in another browser: start again from your application",
            ));
        }
        // One answer per upstream request, also when two arrive at once.
        let mut pending = self.take(&pending.id).await.map_err(|_| {
            bad_response(
                "this sign-in response was already used: start again from your application",
            )
        })?;
        if let Some(error) = params.get("error") {
            audit::record(
                Event::LoginFailure,
                None,
                Some(&pending.client_id),
                "the identity provider refused",
            );
            return Ok(CallbackOutcome::Redirect(error_redirect(
                &pending.redirect_uri,
                &client_error(error),
                pending.state.as_deref(),
                &pending.issuer,
            )));
        }
        let code = params
            .get("code")
            .filter(|c| !c.is_empty() && c.len() <= 2048)
            .ok_or_else(|| bad_response("the identity provider sent no code"))?;
        let now = self.now();
        let tokens = remote
            .client
            .exchange_code(code, &request.code_verifier, &request.redirect_uri, now)
            .await
            .map_err(|e| {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "upstream code exchange failed");
                upstream_page(&e)
            })?;
        let identity = self
            .upstream_identity(&tokens, &request.nonce)
            .await
            .map_err(|e| {
                tracing::warn!(target: "frontmcp_auth::upstream", error = %e, "upstream identity refused");
                audit::record(
                    Event::LoginFailure,
                    None,
                    Some(&pending.client_id),
                    "the identity provider's answer did not verify",
                );
                upstream_page(&e)
            })?;
        pending.upstream = None;
        if let Some(vault) = &remote.vault {
            let entry = VaultEntry {
                subject: identity.subject.clone(),
                client_id: pending.client_id.clone(),
                provider: remote.id().to_owned(),
                tokens,
                keep_until: 0,
            };
            pending.upstream_tokens = Some(vault.seal_carried(&entry).ok_or_else(|| {
                ErrorPage::from_oauth(&super::server::internal("cannot seal the upstream tokens"))
            })?);
        }
        self.store
            .put_pending(pending.clone(), pending.expires_at + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        let input = CallbackInput::without_form(&pending.id);
        let choice = self.choose_apps(&input, &pending)?;
        self.signed_in(&pending, identity, choice, None, false)
            .await
    }

    /// The first checks of any provider's answer: no repeated parameter, a `state` of this
    /// server's format, naming a pending authorization that has not expired.
    pub(crate) async fn answered_pending<'p>(
        &self,
        params: &'p Params,
    ) -> Result<(&'p str, PendingAuthorization), ErrorPage> {
        if let Some(name) = ["state", "code", "error"]
            .into_iter()
            .find(|n| params.is_repeated(n))
        {
            return Err(bad_response(&format!("the `{name}` parameter is repeated")));
        }
        let state = params
            .get("state")
            .ok_or_else(|| bad_response("state is missing: start again from your application"))?;
        let pending_id = split_state(state)
            .ok_or_else(|| bad_response("state is malformed: start again from your application"))?;
        let pending = self
            .store
            .pending(pending_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .ok_or_else(|| {
                bad_response("unknown or finished sign-in: start again from your application")
            })?;
        if self.now() >= pending.expires_at {
            return Err(ErrorPage::bad_request(
                "Request expired",
                "request expired: the sign-in took more than 10 minutes; start again from your application",
            ));
        }
        Ok((state, pending))
    }

    /// Who signed in: the verified `id_token` (completed from userinfo when it lacks the
    /// email or name), or userinfo alone for providers without OpenID Connect.
    async fn upstream_identity(
        &self,
        tokens: &TokenSet,
        nonce: &str,
    ) -> Result<Identity, UpstreamError> {
        let remote = self
            .remote
            .as_ref()
            .ok_or_else(|| UpstreamError::Invalid(String::from("not remote mode")))?;
        let settings = remote.client.settings();
        let mut claims = if settings.openid() {
            let id_token = tokens.id_token.as_deref().ok_or_else(|| {
                UpstreamError::Invalid(String::from("no id_token in the token response"))
            })?;
            verify_id_token(id_token, settings, &remote.keys, nonce, self.now()).await?
        } else {
            Map::new()
        };
        let needs_userinfo =
            !settings.openid() || claims.get("email").is_none() || claims.get("name").is_none();
        let has_userinfo = remote
            .client
            .endpoints()
            .await
            .is_ok_and(|e| e.userinfo.is_some());
        if needs_userinfo && (has_userinfo || !settings.openid()) {
            let info = remote.client.userinfo(&tokens.access_token).await?;
            merge_userinfo(&mut claims, info, settings.openid())?;
        }
        if settings.preset.name == "github"
            && claims.get("email").is_none_or(Value::is_null)
            && let Some(email) = remote
                .client
                .github_primary_email(&tokens.access_token)
                .await
        {
            claims.insert("email".into(), json!(email));
            claims.insert("email_verified".into(), json!(true));
        }
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let subject =
            text("sub").ok_or_else(|| UpstreamError::Invalid(String::from("no subject")))?;
        // An address the provider says it has not verified is not an identity.
        let verified = claims.get("email_verified") != Some(&Value::Bool(false))
            && claims.get("email_verified") != Some(&json!("false"));
        let email = text("email").filter(|_| verified);
        let name = text("name").or_else(|| text("preferred_username"));
        let mut extra = std::collections::BTreeMap::new();
        extra.insert(String::from("idp"), json!(remote.id()));
        Ok(Identity {
            subject,
            email: email.map(|e| e.to_lowercase()),
            name,
            claims: extra,
        })
    }
}

/// The user's id in a userinfo answer: `sub` (OpenID), `id` (GitHub's number) or
/// `account_id` (Atlassian).
pub(crate) fn user_id(info: &Map<String, Value>) -> Option<String> {
    match info
        .get("sub")
        .or_else(|| info.get("id"))
        .or_else(|| info.get("account_id"))
    {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Adds userinfo's claims. With OpenID Connect its `sub` must be the `id_token`'s (Core
/// §5.3.2); without it, the provider's user id (GitHub's numeric `id`) is the subject.
fn merge_userinfo(
    claims: &mut Map<String, Value>,
    info: Map<String, Value>,
    openid: bool,
) -> Result<(), UpstreamError> {
    let info_sub = user_id(&info);
    if openid {
        if info_sub.as_deref() != claims.get("sub").and_then(Value::as_str) {
            return Err(UpstreamError::Invalid(String::from(
                "userinfo is about another user than the id_token",
            )));
        }
    } else {
        let sub = info_sub.ok_or_else(|| UpstreamError::Invalid(String::from("no user id")))?;
        claims.insert("sub".into(), json!(sub));
        if let Some(login) = info.get("login") {
            claims.insert("preferred_username".into(), login.clone());
        }
    }
    for name in ["email", "email_verified", "name", "preferred_username"] {
        if let Some(value) = info.get(name)
            && !value.is_null()
            && !claims.contains_key(name)
        {
            claims.insert(name.into(), value.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_have_one_format() {
        let secret = "a".repeat(STATE_SECRET_CHARS);
        assert_eq!(split_state(&format!("abc.{secret}")), Some("abc"));
        assert_eq!(split_state(&format!("abc.{secret}x")), None);
        assert_eq!(split_state(&format!("a<b.{secret}")), None);
        assert_eq!(split_state("abc"), None);
        assert_eq!(split_state(""), None);
    }

    #[test]
    fn upstream_errors_become_oauth_errors() {
        assert_eq!(client_error("access_denied").code, ErrorCode::AccessDenied);
        assert_eq!(client_error("login_required").code, ErrorCode::AccessDenied);
        assert_eq!(client_error("<script>").code, ErrorCode::ServerError);
    }

    #[test]
    fn userinfo_must_be_about_the_same_user() {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("ada"));
        let mut info = Map::new();
        info.insert("sub".into(), json!("mallory"));
        assert!(merge_userinfo(&mut claims, info, true).is_err());
        let mut github = Map::new();
        let mut info = Map::new();
        info.insert("id".into(), json!(42));
        info.insert("login".into(), json!("ada"));
        merge_userinfo(&mut github, info, false).expect("github");
        assert_eq!(github["sub"], json!("42"));
        assert_eq!(github["preferred_username"], json!("ada"));
    }
}
