//! Grants without a user's browser: `client_credentials` for pre-registered confidential
//! clients (SEP-1046), their `private_key_jwt` authentication (RFC 7523), and the ID-JAG grant
//! (SEP-990: an enterprise identity provider's Identity Assertion JWT Authorization Grant,
//! exchanged for our token). See `docs/machine-clients.md` and `docs/enterprise.md`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::assertion::{Expected, SeenAssertions, verify};
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::scope::parse_scope;
use super::server::{AuthorizationServer, TokenResponse};
use crate::audit::{self, Event};
use crate::clock::Clock;
use crate::store::{ClientRecord, Grant, Identity};
use crate::upstream::{HttpFetcher, JwksCache, JwksOptions, JwksSource, keys_from_jwks};
use frontmcp_auth_config::{AuthConfig, TrustedIssuer};

/// The grant type of client credentials.
pub const CLIENT_CREDENTIALS: &str = "client_credentials";
/// The grant type of JWT assertions (RFC 7523), the ID-JAG's.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The client assertion type of `private_key_jwt`.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The ID-JAG's `typ`.
pub const ID_JAG_TYP: &str = "oauth-id-jag+jwt";
/// The grant profile advertised for ID-JAG.
pub const ID_JAG_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// A pre-registered client's grants, scopes and keys.
pub(crate) struct MachineClient {
    grants: Vec<String>,
    scopes: Vec<String>,
    keys: Option<Arc<JwksCache>>,
}

/// An enterprise issuer trusted for ID-JAGs.
pub(crate) struct EnterpriseIssuer {
    config: TrustedIssuer,
    keys: Arc<JwksCache>,
}

/// The machine clients and enterprise issuers of a server.
#[derive(Default)]
pub(crate) struct Machines {
    clients: HashMap<String, MachineClient>,
    issuers: Vec<EnterpriseIssuer>,
    pub(crate) seen: SeenAssertions,
}

fn keys_of(
    jwks: Option<&Value>,
    uri: Option<&String>,
    discover: Option<&str>,
    fetcher: &HttpFetcher,
    clock: &Clock,
) -> Option<Arc<JwksCache>> {
    let source = match (jwks, uri, discover) {
        (Some(jwks), _, _) => JwksSource::Inline(keys_from_jwks(jwks)),
        (None, Some(uri), _) => JwksSource::Uri(uri.clone()),
        (None, None, Some(issuer)) => JwksSource::Discover(issuer.to_owned()),
        (None, None, None) => return None,
    };
    Some(Arc::new(JwksCache::new(
        source,
        fetcher.clone(),
        JwksOptions::default(),
        clock.clone(),
    )))
}

impl Machines {
    /// The machine clients and issuers `auth` configures.
    pub(crate) fn from_config(auth: &AuthConfig, fetcher: &HttpFetcher, clock: &Clock) -> Self {
        let clients = auth
            .dcr
            .clients
            .iter()
            .map(|client| {
                let grants = if client.grant_types.is_empty() {
                    vec![
                        String::from("authorization_code"),
                        String::from("refresh_token"),
                    ]
                } else {
                    client.grant_types.clone()
                };
                let keys = keys_of(
                    client.jwks.as_ref(),
                    client.jwks_uri.as_ref(),
                    None,
                    fetcher,
                    clock,
                );
                (
                    client.client_id.clone(),
                    MachineClient {
                        grants,
                        scopes: client.scopes.clone(),
                        keys,
                    },
                )
            })
            .collect();
        let issuers = auth
            .id_jag
            .issuers
            .iter()
            .filter_map(|issuer| {
                Some(EnterpriseIssuer {
                    keys: keys_of(
                        issuer.jwks.as_ref(),
                        issuer.jwks_uri.as_ref(),
                        Some(&issuer.issuer),
                        fetcher,
                        clock,
                    )?,
                    config: issuer.clone(),
                })
            })
            .collect();
        Self {
            clients,
            issuers,
            seen: SeenAssertions::default(),
        }
    }

    /// Whether any client may use `grant`.
    pub(crate) fn offers(&self, grant: &str) -> bool {
        self.clients
            .values()
            .any(|c| c.grants.iter().any(|g| g == grant))
    }

    /// Whether any client authenticates with `private_key_jwt`.
    pub(crate) fn signs_assertions(&self) -> bool {
        self.clients.values().any(|c| c.keys.is_some())
    }

    /// Whether ID-JAGs are accepted.
    pub(crate) fn accepts_id_jag(&self) -> bool {
        !self.issuers.is_empty()
    }

    fn client(&self, client_id: &str) -> Option<&MachineClient> {
        self.clients.get(client_id)
    }
}

/// The claims of a JWT, unverified: only to find who claims to have signed it.
fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
}

impl AuthorizationServer {
    /// `private_key_jwt`: the client whose signed assertion `params` carries, for `audience`
    /// (this server's token endpoint).
    ///
    /// # Errors
    ///
    /// `invalid_client` for an assertion that does not verify, names another client, was
    /// already used, or comes from a client without keys.
    pub(crate) async fn assertion_client(
        &self,
        params: &Params,
        audience: Option<&str>,
    ) -> Result<String, OAuthError> {
        let invalid = |why: &str| OAuthError::invalid_client(format!("client assertion: {why}"));
        if params.get("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
            return Err(invalid(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let audience =
            audience.ok_or_else(|| invalid("private_key_jwt is accepted at the token endpoint"))?;
        let assertion = params.require("client_assertion")?;
        let claimed = unverified_claims(assertion)
            .and_then(|c| text(&c, "sub").map(str::to_owned))
            .ok_or_else(|| invalid("the assertion names no client (sub)"))?;
        if params.get("client_id").is_some_and(|id| id != claimed) {
            return Err(invalid("client_id differs from the assertion's sub"));
        }
        // Configured keys, or the keys of a metadata document read at authorization.
        let keys = self
            .machines
            .client(&claimed)
            .and_then(|c| c.keys.clone())
            .or_else(|| self.documents.keys(&claimed))
            .ok_or_else(|| invalid("this client has no keys registered"))?;
        let algorithms: Vec<String> = frontmcp_auth_config::rules::ASSERTION_ALGORITHMS
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let expected = Expected {
            typ: None,
            algorithms: &algorithms,
            audiences: &[audience.to_owned()],
        };
        let claims = verify(assertion, &keys, &expected, self.now())
            .await
            .map_err(|e| invalid(&e))?;
        if text(&claims, "iss") != Some(claimed.as_str()) {
            return Err(invalid("iss and sub must both be the client id"));
        }
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let jti = text(&claims, "jti").unwrap_or_default();
        if !self
            .machines
            .seen
            .first_use(self.store.as_ref(), &claimed, jti, self.now(), exp)
            .await
        {
            return Err(invalid("this assertion was already used"));
        }
        Ok(claimed)
    }

    /// Whether `client_id` must authenticate with `private_key_jwt` (it has keys and no
    /// secret).
    pub(crate) fn needs_assertion(&self, client: &ClientRecord) -> bool {
        client.secret_hash.is_none()
            && (self
                .machines
                .client(&client.client_id)
                .is_some_and(|c| c.keys.is_some())
                || self.documents.keys(&client.client_id).is_some())
    }

    /// The `client_credentials` grant: a token for the client itself.
    pub(crate) async fn client_credentials(
        &self,
        params: &Params,
        client: &ClientRecord,
        base: &str,
    ) -> Result<TokenResponse, OAuthError> {
        let machine = self.machine_for(client, CLIENT_CREDENTIALS)?;
        let requested = parse_scope(params.get("scope").unwrap_or_default())?;
        let scope = if requested.is_empty() {
            machine.scopes.clone()
        } else {
            if let Some(extra) = requested.iter().find(|s| !machine.scopes.contains(s)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    format!("this client may not have `{extra}`"),
                ));
            }
            requested
        };
        let resource = self.requested_resource(params, base)?;
        let mut claims = std::collections::BTreeMap::new();
        claims.insert(String::from("grant_type"), json!(CLIENT_CREDENTIALS));
        let grant = Grant {
            client_id: client.client_id.clone(),
            subject: client.client_id.clone(),
            email: None,
            name: None,
            scope,
            resource,
            issuer: self.issuer(base),
            auth_time: self.now(),
            consent: None,
            authorized_apps: None,
            skipped_apps: None,
            claims,
        };
        self.issue_without_refresh(grant, CLIENT_CREDENTIALS).await
    }

    /// The ID-JAG grant: an enterprise identity provider's assertion about a user, for the
    /// authenticated client, exchanged for our token.
    pub(crate) async fn id_jag(
        &self,
        params: &Params,
        client: &ClientRecord,
        base: &str,
    ) -> Result<TokenResponse, OAuthError> {
        self.machine_for(client, JWT_BEARER)?;
        let invalid = |why: &str| OAuthError::invalid_grant(format!("ID-JAG: {why}"));
        let assertion = params.require("assertion")?;
        let iss = unverified_claims(assertion)
            .and_then(|c| text(&c, "iss").map(str::to_owned))
            .ok_or_else(|| invalid("the assertion names no issuer"))?;
        let issuer = self
            .machines
            .issuers
            .iter()
            .find(|i| i.config.issuer == iss)
            .ok_or_else(|| invalid("the issuer is not trusted here"))?;
        let ours = self.issuer(base);
        let expected = Expected {
            typ: Some(ID_JAG_TYP),
            algorithms: &issuer.config.algorithms,
            audiences: std::slice::from_ref(&ours),
        };
        let now = self.now();
        let claims = verify(assertion, &issuer.keys, &expected, now)
            .await
            .map_err(|e| invalid(&e))?;
        let subject = text(&claims, "sub")
            .filter(|s| s.len() <= 255)
            .ok_or_else(|| invalid("no subject"))?
            .to_owned();
        if text(&claims, "client_id") != Some(client.client_id.as_str()) {
            return Err(invalid("issued for another client"));
        }
        let resource = self.requested_resource(params, base)?;
        if let Some(named) = text(&claims, "resource")
            && named.trim_end_matches('/') != resource
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the assertion is for another resource",
            ));
        }
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let jti = text(&claims, "jti").unwrap_or_default();
        let scope_of_replay = format!("{iss} {subject}");
        if !self
            .machines
            .seen
            .first_use(self.store.as_ref(), &scope_of_replay, jti, now, exp)
            .await
        {
            return Err(invalid("this assertion was already used"));
        }
        let granted = parse_scope(text(&claims, "scope").unwrap_or_default())?;
        let scope = match params.get("scope") {
            None => granted,
            Some(requested) => {
                let requested = parse_scope(requested)?;
                requested
                    .into_iter()
                    .filter(|s| granted.contains(s))
                    .collect()
            }
        };
        let unknown = self.scope_policy().unknown(&scope);
        if !unknown.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("this server does not grant: {}", unknown.join(" ")),
            ));
        }
        let verified = claims.get("email_verified") != Some(&Value::Bool(false));
        let identity = Identity {
            subject,
            email: text(&claims, "email")
                .filter(|_| verified)
                .map(str::to_lowercase),
            name: text(&claims, "name").map(str::to_owned),
            claims: std::collections::BTreeMap::from([(String::from("idp"), json!(iss))]),
        };
        // The same identity rules as a sign-in in the browser.
        self.check_domain(&identity, &client.client_id)
            .map_err(|_| invalid("the user's email domain is not allowed here"))?;
        let consent = if self.auth.consent.enabled {
            let remembered = self
                .store
                .consent(&identity.subject, &client.client_id)
                .await?
                .ok_or_else(|| {
                    invalid("the user has not chosen the tools this client may call; they sign in once in a browser")
                })?;
            Some(remembered.tools)
        } else {
            None
        };
        audit::record(
            Event::LoginSuccess,
            Some(&identity.subject),
            Some(&client.client_id),
            "id-jag",
        );
        let grant = Grant {
            client_id: client.client_id.clone(),
            subject: identity.subject,
            email: identity.email,
            name: identity.name,
            scope,
            resource,
            issuer: ours,
            auth_time: claims
                .get("auth_time")
                .and_then(Value::as_u64)
                .unwrap_or(now),
            consent,
            authorized_apps: None,
            skipped_apps: None,
            claims: identity.claims,
        };
        self.issue_without_refresh(grant, "id-jag").await
    }

    /// The machine client `client` if it may use `grant`.
    fn machine_for(
        &self,
        client: &ClientRecord,
        grant: &str,
    ) -> Result<&MachineClient, OAuthError> {
        self.machines
            .client(&client.client_id)
            .filter(|m| m.grants.iter().any(|g| g == grant))
            .ok_or_else(|| {
                OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    format!("this client may not use the {grant} grant"),
                )
            })
    }

    /// The `resource` of a request: ours (the default), else `invalid_target`.
    fn requested_resource(&self, params: &Params, base: &str) -> Result<String, OAuthError> {
        let ours = self.resource(base);
        match params.get("resource") {
            None => Ok(ours),
            Some(named) if named.trim_end_matches('/') == ours => Ok(ours),
            Some(_) => Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the resource is not this server's",
            )),
        }
    }
}
