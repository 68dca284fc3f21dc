//! What every stage of the browser flow shares: the pages it shows (login, consent, passkey,
//! error), the outcome of a submitted form, the redirects back to the client, the form's field
//! names and the lifetimes of pending records. The stages (authorize, callback, consent,
//! incremental, federated, passkey, remote, connect) import this module and never each other's
//! types.

use std::collections::BTreeMap;
use std::net::IpAddr;

use super::error::{ErrorCode, OAuthError};
use crate::mcp::CatalogTool;
use crate::secrets::{constant_time_eq, digest};
use crate::store::PendingAuthorization;

/// Seconds an authorization code is valid.
pub const CODE_TTL: u64 = 60;

/// Seconds a pending authorization (the login page) is valid.
pub const PENDING_TTL: u64 = 600;

/// Seconds a pending authorization is kept past its expiry, so that a late login is told
/// "request expired" rather than "unknown request".
pub const PENDING_KEEP_EXTRA: u64 = 600;

/// An error shown as a page on this server: used whenever redirecting is not safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPage {
    /// The HTTP status.
    pub status: u16,
    /// The page title.
    pub title: String,
    /// What went wrong, shown to the user.
    pub message: String,
}

impl ErrorPage {
    /// A 400 page.
    pub fn bad_request(title: &str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            title: title.to_owned(),
            message: message.into(),
        }
    }

    /// The page for a storage or internal failure.
    pub fn from_oauth(error: &OAuthError) -> Self {
        Self {
            status: error.code.status(),
            title: String::from("Authorization failed"),
            message: error.description.clone(),
        }
    }
}

/// What the login page needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginPrompt {
    /// The pending authorization's id (`pending_auth_id`).
    pub pending_id: String,
    /// The CSRF token, in the form and in a cookie.
    pub csrf_token: String,
    /// The client's display name.
    pub client_name: String,
    /// The host of a client id that is a URL (a metadata document): who really asks, shown
    /// beside the name the document claims.
    pub client_host: Option<String>,
    /// Where the user will be sent back to.
    pub redirect_uri: String,
    /// The authenticator's fields, each with the value to show again (never a password).
    pub fields: Vec<(crate::login::LoginField, String)>,
    /// A notice above the form (the demo login says what it is).
    pub notice: Option<String>,
    /// A message about the previous submission, if it was refused.
    pub error: Option<String>,
    /// The page's HTTP status: 200, 400 after a refusal, 429 while backing off.
    pub status: u16,
    /// The apps this login authorizes (progressive authorization); empty when it does not apply.
    pub apps: Vec<String>,
    /// Whether the user may uncheck apps to skip them.
    pub apps_skippable: bool,
    /// Whether passkey sign-in is offered.
    pub passkeys: bool,
    /// Federation: the providers to link, each with whether it is required.
    pub providers: Vec<ProviderOption>,
    /// Federation: how many providers must be linked.
    pub min_providers: usize,
    /// Origins the form's answer may redirect to besides the client (the providers'), for the
    /// page's `form-action`.
    pub form_targets: Vec<String>,
}

/// A provider the login page offers to link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderOption {
    /// The provider id (the checkbox `provider.{id}`).
    pub id: String,
    /// Its display name.
    pub name: String,
    /// Whether `federated_auth.required_providers` names it (always linked).
    pub required: bool,
}

/// The host of a URL client id (a metadata document), for the pages.
pub(crate) fn client_host(client_id: &str) -> Option<String> {
    if !super::cimd::is_document_url(client_id) {
        return None;
    }
    let url = url::Url::parse(client_id).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

/// Builds the redirect that reports `error` to the client (RFC 6749 §4.1.2.1, RFC 9207).
pub fn error_redirect(
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
    issuer: &str,
) -> String {
    let mut pairs = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_str()),
    ];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    with_query(redirect_uri, &pairs)
}

/// `uri` with `pairs` appended to its query.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{encoded}")
}

/// The prefix of the login form's provider checkboxes (`provider.{id}`).
pub const PROVIDER_FIELD_PREFIX: &str = "provider.";

/// The login form as submitted (stage parseInput).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackInput {
    /// `pending_auth_id`.
    pub pending_auth_id: String,
    /// The form's CSRF token.
    pub csrf_token: String,
    /// The CSRF cookie sent with the form.
    pub csrf_cookie: Option<String>,
    /// Every other field of the form (the authenticator's), by name.
    pub fields: BTreeMap<String, String>,
    /// The browser's address, for backoff and the authenticator.
    pub client_ip: Option<IpAddr>,
    /// `passkey=start`: sign in with a passkey of the `username` field instead.
    pub passkey_start: bool,
    /// `incremental=true`: progressive authorization of one app.
    pub incremental: bool,
    /// `app_id` for progressive authorization.
    pub app_id: Option<String>,
    /// `federated=true`: chain through upstream providers.
    pub federated: bool,
    /// Selected provider ids.
    pub providers: Vec<String>,
    /// Whether the form carried the app list (`apps_shown`).
    pub apps_shown: bool,
    /// The apps checked on the form (`app.{id}`).
    pub checked_apps: Vec<String>,
}

impl CallbackInput {
    /// The input of a stage run without a login form (remote mode's upstream callback).
    pub fn without_form(pending_auth_id: &str) -> Self {
        Self {
            pending_auth_id: pending_auth_id.to_owned(),
            csrf_token: String::new(),
            csrf_cookie: None,
            fields: BTreeMap::new(),
            client_ip: None,
            passkey_start: false,
            incremental: false,
            app_id: None,
            federated: false,
            providers: Vec::new(),
            apps_shown: false,
            checked_apps: Vec::new(),
        }
    }
}

/// What the callback does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Send the browser back to the client with the code.
    Redirect(String),
    /// Show the login form again with a message (the pending authorization stays valid).
    Retry(Box<LoginPrompt>),
    /// Show the consent screen.
    Consent(Box<ConsentPrompt>),
    /// Show the passkey page (register one, or sign in with one).
    Passkey(Box<PasskeyPrompt>),
    /// Send the browser to an upstream provider, binding the chain to it with a cookie
    /// carrying `browser_key`.
    Upstream {
        /// The provider's authorization URL.
        location: String,
        /// The pending authorization.
        pending_id: String,
        /// The key the browser's cookie carries.
        browser_key: String,
    },
    /// A page that ends the flow without a redirect (a provider linked on a connect page).
    Done(ErrorPage),
}

/// Whether a form's CSRF token matches both its cookie and the hash stored with the pending
/// authorization (compared in constant time).
pub(crate) fn csrf_matches(token: &str, cookie: Option<&str>, stored_hash: &str) -> bool {
    cookie.is_some_and(|cookie| constant_time_eq(cookie, token))
        && constant_time_eq(&digest(token), stored_hash)
}

/// The redirect telling the client the user refused (`access_denied`), with `state` and `iss`.
pub(crate) fn denied_redirect(pending: &PendingAuthorization) -> String {
    error_redirect(
        &pending.redirect_uri,
        &OAuthError::new(ErrorCode::AccessDenied, "the user refused"),
        pending.state.as_deref(),
        &pending.issuer,
    )
}

/// Whether a form's `pending_auth_id` can be one this server issued: 1 to 64 characters of
/// letters, digits, `-` and `_`.
pub(crate) fn pending_id_well_formed(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The name of the cookie carrying the CSRF token of pending authorization `pending_id`.
pub fn csrf_cookie_name(pending_id: &str) -> String {
    format!("fmcp_csrf_{pending_id}")
}

/// The cookie binding a remote-mode sign-in to the browser that started it.
pub fn upstream_cookie_name(pending_id: &str) -> String {
    format!("fmcp_up_{pending_id}")
}

/// The page for an authenticator (or passkey store) that cannot answer.
pub(crate) fn unavailable_page() -> ErrorPage {
    ErrorPage {
        status: 503,
        title: String::from("Sign-in unavailable"),
        message: String::from("the sign-in service is unavailable right now; try again shortly"),
    }
}

/// The hidden field of a consent form that lists the scopes (so an unchecked scope is refused
/// rather than granted).
pub const SCOPES_SHOWN_FIELD: &str = "scopes_shown";

/// How long a remembered choice is kept: a year.
pub const REMEMBER_SECONDS: u64 = 365 * 24 * 3600;

/// What the consent page needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentPrompt {
    /// The pending authorization's id.
    pub pending_id: String,
    /// A new CSRF token, in the form and in the cookie.
    pub csrf_token: String,
    /// The client's display name.
    pub client_name: String,
    /// The host of a URL client id (see [`super::LoginPrompt::client_host`]).
    pub client_host: Option<String>,
    /// Where the user will be sent back to.
    pub redirect_uri: String,
    /// The tools offered, in groups: by app, or one group with an empty name.
    pub groups: Vec<(String, Vec<CatalogTool>)>,
    /// The tools checked when the page opens.
    pub selected: Vec<String>,
    /// The scopes the client asks for, each approved or not on the page.
    pub scopes: Vec<String>,
    /// Show each tool's description.
    pub show_descriptions: bool,
    /// Offer select-all / select-none.
    pub allow_select_all: bool,
    /// A message above the list.
    pub custom_message: Option<String>,
    /// What was wrong with the previous submission.
    pub error: Option<String>,
}

/// Which ceremony the passkey page runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyMode {
    /// Register a passkey after a sign-in.
    Register,
    /// Sign in with a passkey.
    Authenticate,
}

/// What the passkey page needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyPrompt {
    /// The pending authorization's id.
    pub pending_id: String,
    /// A new CSRF token, in the form and in the cookie.
    pub csrf_token: String,
    /// The client's display name.
    pub client_name: String,
    /// Where the user returns to.
    pub redirect_uri: String,
    /// The ceremony.
    pub mode: PasskeyMode,
    /// The account.
    pub username: String,
    /// The WebAuthn options for the browser (JSON).
    pub options: String,
    /// What went wrong with the previous try.
    pub error: Option<String>,
}

/// The login form's field that says the app list was shown (so an unchecked app is skipped).
pub const APPS_SHOWN_FIELD: &str = "apps_shown";

/// The prefix of the login form's app checkboxes: `app.{id}=on`.
pub const APP_FIELD_PREFIX: &str = "app.";
