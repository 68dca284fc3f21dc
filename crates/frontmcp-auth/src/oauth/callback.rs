//! `POST /oauth/callback`: the login form's submission, run as the seeds' named stages:
//! parseInput → validatePendingAuth → handleIncrementalAuth → handleFederatedAuth → consent
//! (when enabled; see [`super::consent`]) → createAuthorizationCode → redirectToClient. A
//! client's input never produces a 500.

use super::consent::ConsentDecision;
use super::error::OAuthError;
use super::flow::{
    CODE_TTL, CallbackInput, CallbackOutcome, ErrorPage, PROVIDER_FIELD_PREFIX, csrf_matches,
    pending_id_well_formed, unavailable_page, with_query,
};
use super::params::Params;
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::login::{AuthenticatedUser, LoginAttempt, LoginOutcome, RESERVED_FIELDS};
use crate::secrets::{digest, random_token};
use crate::store::{AppChoice, CodeGrant, Grant, Identity, PendingAuthorization};

/// Claims this server sets itself: an authenticator's extra claims never replace them.
const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "client_id",
    "scope",
    "sid",
    "email",
    "name",
    "consent",
    "authorized_apps",
    "skipped_apps",
    "azp",
    "typ",
];

/// Stage parseInput: reads the form; a missing `pending_auth_id` is a 400 page.
///
/// # Errors
///
/// The 400 page for a missing or malformed field.
pub fn parse_input(form: &Params, csrf_cookie: Option<String>) -> Result<CallbackInput, ErrorPage> {
    let bad = |message: &str| ErrorPage::bad_request("Invalid login request", message);
    if let Some(name) = form
        .names()
        .find(|name| !name.starts_with(super::flow::APP_FIELD_PREFIX) && form.is_repeated(name))
    {
        return Err(bad(&format!("the `{name}` field is repeated")));
    }
    let pending_auth_id = form
        .get("pending_auth_id")
        .ok_or_else(|| bad("pending_auth_id is missing: start again from your application"))?;
    if !pending_id_well_formed(pending_auth_id) {
        return Err(bad("pending_auth_id is malformed"));
    }
    let mut providers: Vec<String> = form
        .get("providers")
        .map(|p| {
            p.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    providers.extend(
        form.names()
            .filter_map(|name| name.strip_prefix(PROVIDER_FIELD_PREFIX))
            .map(str::to_owned),
    );
    providers.dedup();
    Ok(CallbackInput {
        pending_auth_id: pending_auth_id.to_owned(),
        csrf_token: form.get("csrf_token").unwrap_or_default().to_owned(),
        csrf_cookie,
        fields: form
            .names()
            .filter(|name| {
                !RESERVED_FIELDS.contains(name)
                    && *name != "passkey"
                    && !name.starts_with(super::flow::APP_FIELD_PREFIX)
                    && !name.starts_with(PROVIDER_FIELD_PREFIX)
            })
            .filter_map(|name| form.get(name).map(|v| (name.to_owned(), v.to_owned())))
            .collect(),
        client_ip: None,
        passkey_start: form.get("passkey") == Some("start"),
        incremental: form.get("incremental") == Some("true"),
        app_id: form.get("app_id").map(str::to_owned),
        federated: form.get("federated") == Some("true"),
        providers,
        apps_shown: form.get(super::flow::APPS_SHOWN_FIELD).is_some(),
        checked_apps: form
            .names()
            .filter_map(|name| name.strip_prefix(super::flow::APP_FIELD_PREFIX))
            .map(str::to_owned)
            .collect(),
    })
}

impl AuthorizationServer {
    /// Runs the callback stages on a submitted login form.
    ///
    /// # Errors
    ///
    /// The 400 page of the stage that refused the request (or 503 when storage is down).
    pub async fn callback(&self, input: CallbackInput) -> Result<CallbackOutcome, ErrorPage> {
        if let Some(remote) = &self.remote {
            return Err(ErrorPage::bad_request(
                "Invalid login request",
                format!(
                    "this server signs users in at {}, not with a login form; start again from your application",
                    remote.client.settings().display
                ),
            ));
        }
        let pending = match self
            .validate_pending_auth(
                &input.pending_auth_id,
                &input.csrf_token,
                input.csrf_cookie.as_deref(),
            )
            .await
        {
            Ok(pending) => pending,
            Err(page) => {
                audit::record(Event::LoginFailure, None, None, &page.title);
                return Err(page);
            }
        };
        if pending.identity.is_some() {
            return Err(ErrorPage::bad_request(
                "Invalid login request",
                "this login was already submitted; continue on the page that followed it",
            ));
        }
        let mut pending = pending;
        let choice = if pending.connect.is_some() {
            None
        } else {
            // Stage handleFederatedAuth, first half: the selection is checked before the
            // password, and the chain starts once the user is verified.
            pending.federation = self
                .provider_selection(input.federated, &input.providers)?
                .map(crate::store::FederatedSession::chosen);
            self.choose_apps(&input, &pending)?
        };
        if input.passkey_start {
            return self.passkey_begin(&input, &pending, choice).await;
        }
        let attempt = LoginAttempt {
            fields: input.fields.clone(),
            client_id: pending.client_id.clone(),
            client_name: pending.client_name.clone(),
            apps: pending.apps.clone().unwrap_or_default(),
            client_ip: input.client_ip,
        };
        let user = match self.login.check(&attempt).await {
            LoginOutcome::Accepted(user) => user,
            LoginOutcome::Refused { message, status } => {
                return Ok(CallbackOutcome::Retry(Box::new(self.login_prompt(
                    &pending,
                    input.csrf_token.clone(),
                    Some(message),
                    status,
                    &input.fields,
                ))));
            }
            LoginOutcome::Unavailable => return Err(unavailable_page()),
        };
        let identity = identity_of(user);
        let username = self.login.account(&attempt);
        self.signed_in(&pending, identity, choice, username, true)
            .await
    }

    /// After a verified sign-in: the email-domain rule, the audit event, remembered apps, the
    /// passkey offer (once per sign-in without one), then consent or the code.
    pub(crate) async fn signed_in(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
        choice: Option<AppChoice>,
        username: Option<String>,
        offer_passkey: bool,
    ) -> Result<CallbackOutcome, ErrorPage> {
        self.check_domain(&identity, &pending.client_id)
            .map_err(|domain| ErrorPage {
                status: 403,
                title: String::from("Email domain not allowed"),
                message: match domain {
                    None => String::from(
                        "this server only accepts sign-ins with an email address of an allowed organisation",
                    ),
                    Some(domain) => format!(
                        "sign-ins with addresses at `{domain}` are not allowed on this server; use your organisation's email address"
                    ),
                },
            })?;
        audit::record(
            Event::LoginSuccess,
            Some(&identity.subject),
            Some(&pending.client_id),
            "",
        );
        let choice = match choice {
            Some(choice) => Some(
                self.remember_apps(&identity, &pending.client_id, choice)
                    .await?,
            ),
            None => None,
        };
        if offer_passkey
            && let Some(username) = username
            && let Some(prompt) = self
                .passkey_offer(pending, &identity, &choice, &username)
                .await?
        {
            return Ok(CallbackOutcome::Passkey(prompt));
        }
        self.after_login(pending, identity, choice).await
    }

    /// The federated chain (until it has run), then consent, then the code.
    pub(crate) async fn after_login(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
        choice: Option<AppChoice>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let chain_done = pending
            .federation
            .as_ref()
            .is_some_and(crate::store::FederatedSession::finished);
        if pending.connect.is_some() && !chain_done {
            return self.connect_signed_in(pending, identity).await;
        }
        // Nothing chosen (allowed only when `min_providers = 0` and none is required): no chain.
        let nothing_chosen = pending
            .federation
            .as_ref()
            .is_some_and(|chain| chain.selected.is_empty());
        if self.federation.is_some() && !chain_done && !nothing_chosen {
            return self.begin_federation(pending, identity, choice).await;
        }
        match self.consent_stage(pending, &identity, &choice).await? {
            ConsentDecision::Ask(prompt) => Ok(CallbackOutcome::Consent(prompt)),
            ConsentDecision::Granted(consent) => {
                let pending = self.take(&pending.id).await?;
                self.finish(&pending, identity, consent, choice).await
            }
        }
    }

    /// Removes the pending authorization: exactly one submission completes it.
    pub(crate) async fn take(&self, id: &str) -> Result<PendingAuthorization, ErrorPage> {
        self.store
            .take_pending(id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .ok_or_else(|| {
                ErrorPage::bad_request("Invalid login request", "this login was already completed")
            })
    }

    /// The last stages: the code, then the redirect to the client.
    pub(crate) async fn finish(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
        consent: Option<Vec<String>>,
        apps: Option<AppChoice>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let subject = identity.subject.clone();
        let kept = apps.clone();
        let code = self
            .create_authorization_code(pending, identity, consent, apps)
            .await?;
        if let Some(choice) = &kept {
            self.keep_apps(&subject, &pending.client_id, choice).await?;
        }
        Ok(CallbackOutcome::Redirect(redirect_to_client(
            pending, &code,
        )))
    }

    /// Stage validatePendingAuth: the pending authorization exists, has not expired, and the
    /// form's CSRF token matches both the one issued with it and the cookie.
    pub(crate) async fn validate_pending_auth(
        &self,
        pending_id: &str,
        csrf_token: &str,
        csrf_cookie: Option<&str>,
    ) -> Result<PendingAuthorization, ErrorPage> {
        let pending = self
            .store
            .pending(pending_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .ok_or_else(|| {
                ErrorPage::bad_request(
                    "Invalid login request",
                    "unknown or finished authorization request: start again from your application",
                )
            })?;
        if self.now() >= pending.expires_at {
            return Err(ErrorPage::bad_request(
                "Request expired",
                "request expired: the login page was open for more than 10 minutes; start again from your application",
            ));
        }
        if !csrf_matches(csrf_token, csrf_cookie, &pending.csrf_hash) {
            return Err(ErrorPage {
                status: 403,
                title: String::from("Invalid login request"),
                message: String::from(
                    "the form's security token does not match; reload the login page and try again",
                ),
            });
        }
        Ok(pending)
    }

    /// `security.allowed_email_domains`, for every way in (a login form, an upstream sign-in,
    /// an ID-JAG): a user of another domain (or without an email while domains are set) is
    /// refused, audited, with the reason (the refused domain, or `None` when there is no email).
    pub(crate) fn check_domain(
        &self,
        identity: &Identity,
        client_id: &str,
    ) -> Result<(), Option<String>> {
        if self.security.allowed_email_domains.is_empty() {
            return Ok(());
        }
        let allowed = identity
            .email
            .as_deref()
            .is_some_and(|email| self.security.email_domain_allowed(email));
        if allowed {
            return Ok(());
        }
        audit::record(
            Event::LoginFailure,
            Some(&identity.subject),
            Some(client_id),
            "email domain not allowed",
        );
        Err(identity
            .email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d.to_owned())
            .filter(|d| !d.is_empty()))
    }

    /// Stage createAuthorizationCode: a single-use code, valid 60 s, bound to the client, the
    /// redirect URI and the PKCE challenge. Only its hash is stored.
    async fn create_authorization_code(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
        consent: Option<Vec<String>>,
        apps: Option<AppChoice>,
    ) -> Result<String, ErrorPage> {
        if let Some(federation) = &self.federation {
            // Not before the gate, whatever path led here.
            let linked = pending
                .federation
                .as_ref()
                .filter(|chain| chain.finished())
                .map(crate::store::FederatedSession::linked_ids)
                .unwrap_or_default();
            if pending.connect.is_some() {
                return Err(super::federated::invalid_selection(
                    "a link request mints no code",
                ));
            }
            if let Some(why) = federation.gate(&linked) {
                return Err(super::federated::gate_page(&why));
            }
        }
        let now = self.now();
        let (authorized_apps, skipped_apps) = self.app_claims(apps);
        let code = random_token();
        let grant = CodeGrant {
            grant: Grant {
                client_id: pending.client_id.clone(),
                subject: identity.subject,
                email: identity.email,
                name: identity.name,
                scope: pending.scope.clone(),
                resource: pending.resource.clone(),
                issuer: pending.issuer.clone(),
                auth_time: now,
                consent,
                authorized_apps,
                skipped_apps,
                claims: identity.claims,
            },
            redirect_uri: pending.redirect_uri.clone(),
            code_challenge: pending.code_challenge.clone(),
            expires_at: now + CODE_TTL,
            upstream_tokens: pending.upstream_tokens.clone(),
        };
        let keep_until = now + CODE_TTL + self.auth.refresh.access_token_ttl;
        self.store
            .put_code(digest(&code), grant, keep_until)
            .await
            .map_err(|e| ErrorPage::from_oauth(&OAuthError::from(e)))?;
        Ok(code)
    }
}

/// The identity of a signed-in user, without extra claims this server sets itself.
pub(crate) fn identity_of(user: AuthenticatedUser) -> Identity {
    let claims = user
        .claims
        .into_iter()
        .filter(|(name, _)| !RESERVED_CLAIMS.contains(&name.as_str()))
        .collect();
    Identity {
        subject: user.subject,
        email: user.email.map(|e| e.to_lowercase()),
        name: user.name,
        claims,
    }
}

/// Stage redirectToClient: the redirect URI with `code`, the client's `state` byte for byte,
/// and `iss` (RFC 9207).
fn redirect_to_client(pending: &PendingAuthorization, code: &str) -> String {
    let mut pairs = vec![("code", code)];
    if let Some(state) = &pending.state {
        pairs.push(("state", state.as_str()));
    }
    pairs.push(("iss", pending.issuer.as_str()));
    with_query(&pending.redirect_uri, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_stage_needs_a_pending_id() {
        let form = Params::from_urlencoded(b"email=a%40b.co").expect("form");
        let page = parse_input(&form, None).expect_err("refused");
        assert_eq!(page.status, 400);
        let form = Params::from_urlencoded(b"pending_auth_id=%3Cscript%3E").expect("form");
        assert!(parse_input(&form, None).is_err());
        let form = Params::from_urlencoded(b"pending_auth_id=abc&csrf_token=t&providers=a,b")
            .expect("form");
        let input = parse_input(&form, Some("t".into())).expect("parsed");
        assert_eq!(input.providers, ["a", "b"]);
    }
}
