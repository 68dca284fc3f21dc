//! Grants without a user's browser: `client_credentials` for pre-registered confidential
//! clients (SEP-1046), their `private_key_jwt` authentication (RFC 7523), and the ID-JAG grant
//! (SEP-990: an enterprise identity provider's Identity Assertion JWT Authorization Grant,
//! exchanged for our token). See `docs/machine-clients.md` and `docs/enterprise.md`.

use serde_json::{Map, Value, json};

use super::assertion::{Expected, verify};
use super::error::{ErrorCode, OAuthError};
use super::machines::{
    CLIENT_ASSERTION_TYPE, CLIENT_CREDENTIALS, ID_JAG_TYP, JWT_BEARER, MachineClient,
};
use super::params::Params;
use super::scope::parse_scope;
use super::server::{AuthorizationServer, TokenResponse};
use crate::audit::{self, Event};
use crate::store::{ClientRecord, Grant, Identity};

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
