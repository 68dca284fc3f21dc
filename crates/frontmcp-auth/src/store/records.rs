//! The records the stores hold.

use serde::{Deserialize, Serialize};

/// How a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// A public client: no secret, PKCE only.
    None,
    /// `client_secret_basic`: HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// `client_secret_post`: the secret in the request body.
    ClientSecretPost,
}

impl ClientAuthMethod {
    /// The RFC 7591 name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::None => "none",
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }

    /// Reads an RFC 7591 name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "none" => Some(ClientAuthMethod::None),
            "client_secret_basic" => Some(ClientAuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(ClientAuthMethod::ClientSecretPost),
            _ => None,
        }
    }
}

/// Where a client came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// `dcr(clients(...))` in the configuration.
    Configured,
    /// Dynamic Client Registration.
    Registered,
    /// A Client ID Metadata Document.
    MetadataDocument,
    /// An unregistered client let in by `require_registered_clients = false`.
    Unregistered,
}

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The client id.
    pub client_id: String,
    /// SHA-256 of the client secret (confidential clients only).
    pub secret_hash: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Registered redirect URIs, matched exactly (loopback: any port).
    pub redirect_uris: Vec<String>,
    /// Token endpoint authentication.
    pub auth_method: ClientAuthMethod,
    /// The scopes the client may request, if it registered a limit.
    pub scope: Option<Vec<String>>,
    /// Where the client came from.
    pub source: ClientSource,
    /// When it was registered, in seconds since the epoch.
    pub created_at: u64,
    /// When a dynamically registered client ends unless used again (`dcr.client_ttl` after
    /// its last use); `None`: it does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_until: Option<u64>,
    /// SHA-256 of the registration access token (RFC 7592) of a dynamically registered client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_token_hash: Option<String>,
}

impl ClientRecord {
    /// Whether the client is still there at `now`.
    pub fn is_live(&self, now: u64) -> bool {
        self.keep_until.is_none_or(|until| until > now)
    }

    /// The name to show a user: the registered name, else the client id.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.client_id)
    }
}

/// An authorization request waiting for the user to log in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Random id, carried by the login form as `pending_auth_id`.
    pub id: String,
    /// The client.
    pub client_id: String,
    /// The client's display name, for the login page.
    pub client_name: String,
    /// The exact redirect URI of the request.
    pub redirect_uri: String,
    /// The client's `state`, echoed byte for byte.
    pub state: Option<String>,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// The resource (the token's `aud`).
    pub resource: String,
    /// The S256 code challenge.
    pub code_challenge: String,
    /// SHA-256 of the login form's CSRF token.
    pub csrf_hash: String,
    /// The issuer the request was made to.
    pub issuer: String,
    /// When the request was made.
    pub created_at: u64,
    /// When it expires (10 minutes after `created_at`).
    pub expires_at: u64,
    /// Who logged in, once the login form is accepted and the consent screen is showing.
    #[serde(default)]
    pub identity: Option<Identity>,
    /// The apps this request authorizes (progressive authorization), decided when the request
    /// arrived: the `app` parameter, validated against the server's apps.
    #[serde(default)]
    pub apps: Option<Vec<String>>,
    /// The apps the user chose on the login page, and the ones skipped (set with `identity`).
    #[serde(default)]
    pub app_choice: Option<AppChoice>,
    /// The username of a passkey ceremony under way (or of the password sign-in that offers
    /// to register one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_name: Option<String>,
    /// The passkey ceremony's state (JSON), bound to this authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey_state: Option<String>,
    /// Remote mode: the upstream round trip under way (cleared once its callback arrived).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamRequest>,
    /// Remote mode: the sign-in's upstream tokens, sealed, until the code is issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_tokens: Option<String>,
    /// Federation (stage handleFederatedAuth): the provider chain under way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<FederatedSession>,
    /// Federation: this record is a connect ticket, linking one provider to an existing
    /// session instead of authorizing a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectRequest>,
}

/// A federated login under way: the providers chosen, the ones linked so far. (Who signed in
/// is the pending authorization's `identity`, set when the chain starts.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedSession {
    /// The providers chosen, in the order they are visited.
    pub selected: Vec<String>,
    /// The provider whose answer is awaited (its request is `upstream`).
    pub current: Option<String>,
    /// The providers linked: id, the provider's stable subject, and the tokens sealed for the
    /// user and client.
    pub linked: Vec<LinkedProvider>,
    /// The providers the user refused at, or that failed.
    pub refused: Vec<String>,
    /// SHA-256 of the key in the browser's cookie: only that browser continues the chain.
    pub browser_hash: String,
}

/// One provider linked during a federated login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedProvider {
    /// The provider id.
    pub provider: String,
    /// The user's stable subject at the provider, when it says (`sub`, or its user id).
    pub subject: Option<String>,
    /// The tokens, sealed for the local user and client.
    pub sealed: String,
}

/// A connect ticket: link `provider` to session `session_id` of `subject` at `client_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectRequest {
    /// The session (refresh family) the tokens join.
    pub session_id: String,
    /// The local user who asked; whoever signs in on the connect page must be them.
    pub subject: String,
    /// The provider to link.
    pub provider: String,
}

/// The upstream authorization request of a remote-mode sign-in: what its callback must match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamRequest {
    /// SHA-256 of the `state` sent upstream.
    pub state_hash: String,
    /// The OpenID `nonce` sent upstream.
    pub nonce: String,
    /// The PKCE verifier of the upstream code.
    pub code_verifier: String,
    /// The `redirect_uri` sent upstream (the token request repeats it).
    pub redirect_uri: String,
}

/// The apps a login authorizes and the ones the user skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppChoice {
    /// Authorized apps.
    pub authorized: Vec<String>,
    /// Skipped apps.
    pub skipped: Vec<String>,
}

/// A user who logged in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The subject.
    pub subject: String,
    /// The email, when given.
    pub email: Option<String>,
    /// The name, when given.
    pub name: Option<String>,
    /// Extra claims for the user's access tokens, from the authenticator.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub claims: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Who authorized what: shared by a code and the refresh family it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The client.
    pub client_id: String,
    /// The user's subject.
    pub subject: String,
    /// The user's email, when given.
    pub email: Option<String>,
    /// The user's name, when given.
    pub name: Option<String>,
    /// Granted scopes.
    pub scope: Vec<String>,
    /// The token audience.
    pub resource: String,
    /// The issuer.
    pub issuer: String,
    /// When the user logged in.
    pub auth_time: u64,
    /// The tools the user consented to (the token's `consent` claim); absent when the consent
    /// screen is off, and then every tool is callable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Vec<String>>,
    /// The apps the user authorized (progressive authorization; the `authorized_apps` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorized_apps: Option<Vec<String>>,
    /// The apps the user skipped whose tools run anonymously (the `skipped_apps` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_apps: Option<Vec<String>>,
    /// Extra claims from the authenticator (never one this server sets itself).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub claims: std::collections::BTreeMap<String, serde_json::Value>,
}

/// An authorization code's grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeGrant {
    /// What was authorized.
    pub grant: Grant,
    /// The redirect URI the code was sent to.
    pub redirect_uri: String,
    /// The S256 challenge the verifier must match.
    pub code_challenge: String,
    /// When the code expires (60 s after issue).
    pub expires_at: u64,
    /// Remote mode: the upstream tokens, sealed, moved into the vault when the code is redeemed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_tokens: Option<String>,
}

/// What redeeming a code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// The first redemption: the grant.
    Fresh(Box<CodeGrant>),
    /// Redeemed before; the family the first redemption started.
    Reused {
        /// That family.
        family_id: String,
    },
    /// No such code.
    Unknown,
}

/// A refresh-token family: one authorization, rotated on every use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFamily {
    /// Random id, also the access tokens' `sid`.
    pub id: String,
    /// What was authorized.
    pub grant: Grant,
    /// The generation of the current refresh token (0 for the first).
    pub generation: u64,
    /// When the current refresh token expires.
    pub expires_at: u64,
    /// When the current generation was issued.
    pub rotated_at: u64,
    /// The previous generation's response, sealed with the previous refresh token, returned
    /// again to an identical retry inside the grace window.
    pub replay: Option<Vec<u8>>,
    /// Whether the family is revoked.
    pub revoked: bool,
}

/// Which family a refresh token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyLookup {
    /// The family as stored now.
    pub family: RefreshFamily,
    /// The generation of the presented token.
    pub generation: u64,
}

/// One rotation step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The family.
    pub family_id: String,
    /// The generation being replaced; the step fails unless it is still current.
    pub from_generation: u64,
    /// Hash of the new refresh token.
    pub new_token_hash: String,
    /// When the new token expires.
    pub expires_at: u64,
    /// Now.
    pub rotated_at: u64,
    /// The response sealed for a retry within the grace window.
    pub replay: Vec<u8>,
}

/// A user's login at a client, named by the access tokens' `sid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The session id.
    pub id: String,
    /// The user's subject.
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// When the session started.
    pub created_at: u64,
    /// When it ends.
    pub expires_at: u64,
}

/// A user's remembered consent for one client: which tools it may call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// The user's subject.
    pub subject: String,
    /// The client.
    pub client_id: String,
    /// The tools the user selected.
    pub tools: Vec<String>,
    /// Every tool the consent screen offered, so that a tool added later asks again.
    pub offered: Vec<String>,
    /// The apps the user has authorized for this client so far (progressive authorization:
    /// each new authorization adds to them).
    #[serde(default)]
    pub apps: Vec<String>,
    /// The scopes beyond the baseline the user has approved for this client (a new one asks
    /// again).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the choice was made.
    pub granted_at: u64,
}

/// A user of the built-in directory, and the passkeys registered for a user of any
/// authenticator (keyed by the username the login used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The sign-in name (lower case), unique.
    pub username: String,
    /// The subject of the user's tokens.
    pub subject: String,
    /// The user's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The argon2id hash (PHC string); absent for a record that only holds passkeys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Registered passkeys, as the WebAuthn library serializes them (public keys and counters,
    /// no secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passkeys: Vec<serde_json::Value>,
    /// When the user was added.
    pub created_at: u64,
}
