//! `GET /oauth/authorize`: the client and its exact redirect URI are validated before anything
//! may redirect; later errors go back to the client with `error`, `state` and `iss` (RFC 9207);
//! a valid request becomes a pending authorization and the login page.

use url::Url;

use super::clients::ClientLookup;
use super::error::{ErrorCode, OAuthError};
use super::flow::{
    ErrorPage, LoginPrompt, PENDING_KEEP_EXTRA, PENDING_TTL, ProviderOption, client_host,
    error_redirect,
};
use super::params::Params;
use super::pkce::CodeChallenge;
use super::redirect_uri::{allowed_by, matches, validate_registration};
use super::scope::{beyond, parse_scope};
use super::server::AuthorizationServer;
use crate::secrets::{digest, random_id, random_token};
use crate::store::{ClientAuthMethod, ClientRecord, ClientSource, PendingAuthorization};

/// Why an authorization request did not reach the login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: a page here, never a redirect.
    Page(ErrorPage),
    /// An error for the client, sent to its validated redirect URI.
    Redirect(String),
}

/// The longest `state` accepted, in characters.
pub const MAX_STATE_CHARS: usize = 512;
/// The shortest `state` accepted when one is required (64 bits as base64url is 11; the
/// seeds' production minimum is 8 bytes).
pub const MIN_STATE_CHARS: usize = 8;

/// Whether a `state` is at most [`MAX_STATE_CHARS`] characters, none of them a control
/// character. (It is echoed byte for byte, so text beyond RFC 6749's `VSCHAR` is kept rather
/// than refused.)
fn state_well_formed(state: &str) -> bool {
    state.chars().count() <= MAX_STATE_CHARS && !state.chars().any(char::is_control)
}

/// Checks `state`: always well formed when present; present and at least
/// [`MIN_STATE_CHARS`] long when `required` (`security.require_state`).
fn check_state(state: Option<&str>, required: bool) -> Result<(), OAuthError> {
    match state {
        Some(state) if state.chars().count() > MAX_STATE_CHARS => Err(OAuthError::invalid_request(
            format!("state must be at most {MAX_STATE_CHARS} characters"),
        )),
        Some(state) if !state_well_formed(state) => Err(OAuthError::invalid_request(
            "state must not contain control characters",
        )),
        Some(state) if required && state.chars().count() < MIN_STATE_CHARS => {
            Err(OAuthError::invalid_request(format!(
                "state must be at least {MIN_STATE_CHARS} characters"
            )))
        }
        None if required => Err(OAuthError::invalid_request(format!(
            "state is required: send an unguessable value of at least {MIN_STATE_CHARS} characters"
        ))),
        _ => Ok(()),
    }
}

/// What a valid authorization request leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeStep {
    /// Local mode: the login page.
    Login(Box<LoginPrompt>),
    /// Remote mode: the browser goes to the upstream provider.
    Upstream {
        /// The upstream authorization URL.
        location: String,
        /// The pending authorization.
        pending_id: String,
        /// The secret the browser keeps in a cookie: the upstream callback is accepted only
        /// from the browser that started the sign-in.
        browser_key: String,
    },
}

impl AuthorizationServer {
    /// Local mode: validates an authorization request made to `base` and returns the login
    /// page of its pending authorization (remote mode: the upstream redirect, as an error).
    ///
    /// # Errors
    ///
    /// As [`Self::authorize_step`].
    pub async fn authorize(
        &self,
        params: &Params,
        base: &str,
    ) -> Result<LoginPrompt, AuthorizeError> {
        match self.authorize_step(params, base).await? {
            AuthorizeStep::Login(prompt) => Ok(*prompt),
            AuthorizeStep::Upstream { location, .. } => Err(AuthorizeError::Redirect(location)),
        }
    }

    /// Validates an authorization request made to `base` and starts a pending authorization:
    /// the login page (local mode) or the upstream sign-in (remote mode).
    ///
    /// # Errors
    ///
    /// [`AuthorizeError::Page`] while the client or redirect URI is not established,
    /// [`AuthorizeError::Redirect`] afterwards.
    pub async fn authorize_step(
        &self,
        params: &Params,
        base: &str,
    ) -> Result<AuthorizeStep, AuthorizeError> {
        let (client, redirect_uri) = self.client_and_redirect(params).await?;
        let issuer = self.issuer(base);
        let requested_state = params.get("state");
        // A malformed state is not echoed back to the client.
        let state = requested_state.filter(|s| state_well_formed(s));
        // RFC 9700 §4.11.2: before the user has acted, an error goes back to the redirect URI
        // of a client registered in configuration only; a client trusted dynamically (DCR,
        // a metadata document, an unregistered one) gets a page, so this server never sends a
        // browser on to a URI it has no reason to trust.
        let trusted = client.source == ClientSource::Configured;
        let fail = |error: OAuthError| {
            if trusted {
                AuthorizeError::Redirect(error_redirect(&redirect_uri, &error, state, &issuer))
            } else {
                AuthorizeError::Page(ErrorPage::bad_request(
                    "Invalid authorization request",
                    format!("{}: {}", error.code.as_str(), error.description),
                ))
            }
        };
        params.no_repeats().map_err(fail)?;
        check_state(requested_state, self.security.state_required()).map_err(fail)?;
        match params.get("response_type") {
            Some("code") => {}
            Some(other) => {
                return Err(fail(OAuthError::new(
                    ErrorCode::UnsupportedResponseType,
                    format!("response_type `{other}` is not supported; use `code`"),
                )));
            }
            None => {
                return Err(fail(OAuthError::invalid_request(
                    "response_type is required",
                )));
            }
        }
        let challenge = CodeChallenge::parse(
            params.get("code_challenge"),
            params.get("code_challenge_method"),
        )
        .map_err(|e| fail(OAuthError::invalid_request(e.to_string())))?;
        let policy = self.scope_policy();
        let mut scope = parse_scope(params.get("scope").unwrap_or_default()).map_err(fail)?;
        if scope.is_empty() {
            // A client that asks for nothing gets the baseline (the 401 challenge's `scope`),
            // within what it registered.
            scope = policy
                .baseline
                .iter()
                .filter(|s| {
                    client
                        .scope
                        .as_ref()
                        .is_none_or(|allowed| allowed.contains(s))
                })
                .cloned()
                .collect();
        }
        let unknown = policy.unknown(&scope);
        if !unknown.is_empty() {
            return Err(fail(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("this server does not grant: {}", unknown.join(" ")),
            )));
        }
        if let Some(allowed) = &client.scope {
            let extra = beyond(&scope, allowed);
            if !extra.is_empty() {
                return Err(fail(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("the client may not request: {}", extra.join(" ")),
                )));
            }
        }
        let resource = self
            .check_resource(params.get("resource"), base)
            .map_err(fail)?;

        let apps = self.requested_apps(params).map_err(fail)?;
        let now = self.now();
        let csrf_token = random_token();
        let pending = PendingAuthorization {
            id: random_id(),
            client_id: client.client_id.clone(),
            client_name: client.display_name().to_owned(),
            redirect_uri: redirect_uri.clone(),
            state: state.map(str::to_owned),
            scope,
            resource,
            code_challenge: challenge.as_str().to_owned(),
            csrf_hash: digest(&csrf_token),
            issuer,
            created_at: now,
            expires_at: now + PENDING_TTL,
            identity: None,
            apps,
            app_choice: None,
            login_name: None,
            passkey_state: None,
            upstream: None,
            upstream_tokens: None,
            federation: None,
            connect: None,
        };
        if self.remote.is_some() {
            let pending_id = pending.id.clone();
            let location = self.begin_upstream(pending, base).await?;
            return Ok(AuthorizeStep::Upstream {
                location,
                pending_id,
                browser_key: csrf_token,
            });
        }
        if let Some(notice) = self.login.setup_notice().await {
            return Err(AuthorizeError::Page(ErrorPage {
                status: 503,
                title: String::from("No users yet"),
                message: notice,
            }));
        }
        let prompt = self.login_prompt(&pending, csrf_token, None, 200, &Default::default());
        self.store
            .put_pending(pending, now + PENDING_TTL + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| AuthorizeError::Page(ErrorPage::from_oauth(&e.into())))?;
        Ok(AuthorizeStep::Login(Box::new(prompt)))
    }

    /// The login page of `pending`: the authenticator's fields with `values` shown again
    /// (never a password), `error` above them.
    pub(crate) fn login_prompt(
        &self,
        pending: &PendingAuthorization,
        csrf_token: String,
        error: Option<String>,
        status: u16,
        values: &std::collections::BTreeMap<String, String>,
    ) -> LoginPrompt {
        let (apps, apps_skippable) = self.login_apps(pending);
        let fields = self
            .login
            .fields()
            .into_iter()
            .map(|field| {
                let value = values
                    .get(&field.name)
                    .map(|v| v.chars().take(crate::login::MAX_EMAIL_BYTES).collect())
                    .unwrap_or_default();
                (field, value)
            })
            .collect();
        LoginPrompt {
            pending_id: pending.id.clone(),
            csrf_token,
            client_name: pending.client_name.clone(),
            client_host: client_host(&pending.client_id),
            redirect_uri: pending.redirect_uri.clone(),
            fields,
            notice: self.login.notice().map(str::to_owned),
            error,
            status,
            apps,
            apps_skippable,
            passkeys: self.login.passkeys().is_some(),
            providers: self
                .federation
                .iter()
                .filter(|_| pending.connect.is_none())
                .flat_map(|f| &f.providers)
                .map(|p| ProviderOption {
                    id: p.id().to_owned(),
                    name: p.display().to_owned(),
                    required: p.required,
                })
                .collect(),
            min_providers: self.federation.as_ref().map_or(0, |f| f.min_providers),
            form_targets: self
                .federation
                .as_ref()
                .map(|f| f.form_targets())
                .unwrap_or_default(),
        }
    }

    /// The client and the redirect URI to use, or the page explaining why there is none.
    async fn client_and_redirect(
        &self,
        params: &Params,
    ) -> Result<(ClientRecord, String), AuthorizeError> {
        let page = |message: String| {
            AuthorizeError::Page(ErrorPage::bad_request(
                "Invalid authorization request",
                message,
            ))
        };
        for name in ["client_id", "redirect_uri"] {
            if params.is_repeated(name) {
                return Err(page(format!("the `{name}` parameter is repeated")));
            }
        }
        let client_id = params
            .get("client_id")
            .ok_or_else(|| page(String::from("client_id is required")))?;
        let requested = params.get("redirect_uri");
        let client = match self
            .find_client(client_id, true)
            .await
            .map_err(|e| AuthorizeError::Page(ErrorPage::from_oauth(&e)))?
        {
            ClientLookup::Found(client) => client,
            ClientLookup::Refused(reason) => return Err(page(reason)),
            ClientLookup::Unknown if self.auth.require_registered_clients => {
                return Err(page(String::from(
                    "unknown client: register it first (dynamic client registration or configuration)",
                )));
            }
            ClientLookup::Unknown => self
                .unregistered_client(client_id, requested)
                .map_err(page)?,
        };
        let redirect_uri = match requested {
            Some(uri) => {
                if !client.redirect_uris.iter().any(|r| matches(r, uri)) {
                    return Err(page(String::from(
                        "redirect_uri is not registered for this client",
                    )));
                }
                uri.to_owned()
            }
            None => match client.redirect_uris.as_slice() {
                [only] => only.clone(),
                _ => return Err(page(String::from("redirect_uri is required"))),
            },
        };
        Ok((client, redirect_uri))
    }

    /// With `require_registered_clients = false`: an unknown client is a public client whose
    /// redirect URI must pass the registration rules and `dcr.allowed_redirect_uris`.
    fn unregistered_client(
        &self,
        client_id: &str,
        requested: Option<&str>,
    ) -> Result<ClientRecord, String> {
        let uri = requested.ok_or_else(|| String::from("redirect_uri is required"))?;
        validate_registration(uri).map_err(|e| e.to_string())?;
        if !allowed_by(&self.auth.dcr.allowed_redirect_uris, uri) {
            return Err(String::from(
                "redirect_uri is not allowed for unregistered clients",
            ));
        }
        Ok(ClientRecord {
            client_id: client_id.to_owned(),
            secret_hash: None,
            name: None,
            redirect_uris: vec![uri.to_owned()],
            auth_method: ClientAuthMethod::None,
            scope: None,
            source: ClientSource::Unregistered,
            created_at: self.now(),
            keep_until: None,
            registration_token_hash: None,
        })
    }

    /// The resource a request names (RFC 8707): this server's MCP endpoint, or `invalid_target`.
    pub(crate) fn check_resource(
        &self,
        resource: Option<&str>,
        base: &str,
    ) -> Result<String, OAuthError> {
        let ours = self.resource(base);
        let Some(resource) = resource else {
            return Ok(ours);
        };
        let parsed = Url::parse(resource).map_err(|_| {
            OAuthError::new(ErrorCode::InvalidTarget, "resource must be an absolute URI")
        })?;
        if parsed.fragment().is_some() {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource must not have a fragment",
            ));
        }
        if resource.trim_end_matches('/') == ours {
            Ok(ours)
        } else {
            Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                format!("this server issues tokens for {ours} only"),
            ))
        }
    }
}
