//! `POST /oauth/passkey`: the passkey ceremonies inside an authorization. After a verified
//! sign-in the user is offered to register a passkey (`register` or `skip`); from the login
//! page a user may instead sign in with one (`passkey=start` on the login form, then
//! `authenticate` or `cancel` here). The ceremony's state is kept on the pending authorization
//! with a fresh CSRF token, so the page's submission is bound to this browser and this request.

use super::flow::{
    CallbackInput, CallbackOutcome, ErrorPage, PENDING_KEEP_EXTRA, PasskeyMode, PasskeyPrompt,
    unavailable_page,
};
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::login::normalize_username;
use crate::login::passkey::{MAX_CREDENTIAL_BYTES, PasskeyError};
use crate::secrets::{digest, random_token};
use crate::store::{AppChoice, Identity, PendingAuthorization};

/// What the passkey page posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyAction {
    /// A new credential to register.
    Register(String),
    /// No passkey now.
    Skip,
    /// An assertion to sign in with.
    Authenticate(String),
    /// Back to the login form.
    Cancel,
}

/// The passkey page's submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyInput {
    /// `pending_auth_id`.
    pub pending_auth_id: String,
    /// The form's CSRF token.
    pub csrf_token: String,
    /// The CSRF cookie.
    pub csrf_cookie: Option<String>,
    /// What the user did.
    pub action: PasskeyAction,
    /// The browser's address.
    pub client_ip: Option<std::net::IpAddr>,
}

/// Reads the passkey page's form.
///
/// # Errors
///
/// A 400 page for a malformed form.
pub fn parse_passkey(
    form: &super::Params,
    csrf_cookie: Option<String>,
) -> Result<PasskeyInput, ErrorPage> {
    let bad = |message: &str| ErrorPage::bad_request("Invalid passkey request", message);
    if let Some(name) = form.names().find(|n| form.is_repeated(n)) {
        return Err(bad(&format!("the `{name}` field is repeated")));
    }
    let pending_auth_id = form
        .get("pending_auth_id")
        .filter(|id| super::flow::pending_id_well_formed(id))
        .ok_or_else(|| bad("pending_auth_id is missing or malformed"))?
        .to_owned();
    let credential = form.get("credential").unwrap_or_default();
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(bad("the credential is too large"));
    }
    let action = match form.get("action") {
        Some("register") => PasskeyAction::Register(credential.to_owned()),
        Some("skip") => PasskeyAction::Skip,
        Some("authenticate") => PasskeyAction::Authenticate(credential.to_owned()),
        Some("cancel") => PasskeyAction::Cancel,
        _ => return Err(bad("action must be register, skip, authenticate or cancel")),
    };
    Ok(PasskeyInput {
        pending_auth_id,
        csrf_token: form.get("csrf_token").unwrap_or_default().to_owned(),
        csrf_cookie,
        action,
        client_ip: None,
    })
}

fn passkey_page_error(error: &PasskeyError) -> ErrorPage {
    match error {
        PasskeyError::Unavailable(_) => unavailable_page(),
        other => ErrorPage::bad_request("Passkey not accepted", other.to_string()),
    }
}

impl AuthorizationServer {
    /// Stores the ceremony on the pending authorization with a fresh CSRF token; the prompt.
    async fn passkey_prompt(
        &self,
        mut waiting: PendingAuthorization,
        mode: PasskeyMode,
        username: String,
        options: String,
        error: Option<String>,
    ) -> Result<Box<PasskeyPrompt>, ErrorPage> {
        let csrf_token = random_token();
        waiting.csrf_hash = digest(&csrf_token);
        waiting.login_name = Some(username.clone());
        let keep = waiting.expires_at + PENDING_KEEP_EXTRA;
        let prompt = PasskeyPrompt {
            pending_id: waiting.id.clone(),
            csrf_token,
            client_name: waiting.client_name.clone(),
            redirect_uri: waiting.redirect_uri.clone(),
            mode,
            username,
            options,
            error,
        };
        self.store
            .put_pending(waiting, keep)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        Ok(Box::new(prompt))
    }

    /// After a sign-in without a passkey: the offer to register one (`None` when passkeys are
    /// off or the user has one already).
    pub(crate) async fn passkey_offer(
        &self,
        pending: &PendingAuthorization,
        identity: &Identity,
        choice: &Option<AppChoice>,
        username: &str,
    ) -> Result<Option<Box<PasskeyPrompt>>, ErrorPage> {
        let Some(passkeys) = self.login.passkeys() else {
            return Ok(None);
        };
        let Some(username) = normalize_username(username) else {
            return Ok(None);
        };
        if passkeys
            .has_passkey(&username)
            .await
            .map_err(|e| passkey_page_error(&e))?
        {
            return Ok(None);
        }
        let (options, state) = match passkeys.begin_registration(&username, identity).await {
            Ok(started) => started,
            Err(PasskeyError::TooMany) => return Ok(None),
            Err(error) => return Err(passkey_page_error(&error)),
        };
        let mut waiting = pending.clone();
        waiting.identity = Some(identity.clone());
        waiting.app_choice = choice.clone();
        waiting.passkey_state = Some(state);
        let prompt = self
            .passkey_prompt(waiting, PasskeyMode::Register, username, options, None)
            .await?;
        Ok(Some(prompt))
    }

    /// `passkey=start` on the login form: the sign-in ceremony for the `username` field.
    pub(crate) async fn passkey_begin(
        &self,
        input: &CallbackInput,
        pending: &PendingAuthorization,
        choice: Option<AppChoice>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let retry = |message: &str, status: u16| {
            Ok(CallbackOutcome::Retry(Box::new(self.login_prompt(
                pending,
                input.csrf_token.clone(),
                Some(message.to_owned()),
                status,
                &input.fields,
            ))))
        };
        let Some(passkeys) = self.login.passkeys() else {
            return Err(ErrorPage::bad_request(
                "Invalid login request",
                "passkeys are not offered on this server",
            ));
        };
        let Some(username) = input
            .fields
            .get("username")
            .and_then(|u| normalize_username(u))
        else {
            return retry("enter your username to use a passkey", 400);
        };
        if let Some(backoff) = self.login.backoff()
            && backoff
                .locked(Some(&username), input.client_ip)
                .await
                .is_some()
        {
            return retry("too many failed sign-in attempts; try again later", 429);
        }
        match passkeys.begin_authentication(&username).await {
            Ok((options, state)) => {
                let mut waiting = pending.clone();
                waiting.passkey_state = Some(state);
                waiting.app_choice = choice;
                let prompt = self
                    .passkey_prompt(waiting, PasskeyMode::Authenticate, username, options, None)
                    .await?;
                Ok(CallbackOutcome::Passkey(prompt))
            }
            Err(PasskeyError::Unknown) => retry(
                "no passkey is registered for that account; sign in with your password",
                400,
            ),
            Err(error) => Err(passkey_page_error(&error)),
        }
    }

    /// `POST /oauth/passkey`: the passkey page's answer.
    ///
    /// # Errors
    ///
    /// The 400/403 page for an unknown, expired or forged submission; 503 when storage fails.
    pub async fn passkey(&self, input: PasskeyInput) -> Result<CallbackOutcome, ErrorPage> {
        let pending = self
            .validate_pending_auth(
                &input.pending_auth_id,
                &input.csrf_token,
                input.csrf_cookie.as_deref(),
            )
            .await?;
        let bad = |message: &str| ErrorPage::bad_request("Invalid passkey request", message);
        let Some(passkeys) = self.login.passkeys() else {
            return Err(bad("passkeys are not offered on this server"));
        };
        let (Some(username), Some(state)) =
            (pending.login_name.clone(), pending.passkey_state.clone())
        else {
            return Err(bad("no passkey step is under way for this request"));
        };
        let choice = pending.app_choice.clone();
        match (input.action, pending.identity.clone()) {
            (PasskeyAction::Skip, Some(identity)) => {
                self.after_login(&pending, identity, choice).await
            }
            (PasskeyAction::Register(credential), Some(identity)) => {
                match passkeys
                    .finish_registration(&username, &identity, &state, &credential, self.now())
                    .await
                {
                    Ok(()) => {
                        audit::record(
                            Event::LoginSuccess,
                            Some(&identity.subject),
                            Some(&pending.client_id),
                            "passkey registered",
                        );
                        self.after_login(&pending, identity, choice).await
                    }
                    Err(PasskeyError::Unavailable(_)) => Err(unavailable_page()),
                    Err(error) => {
                        // Offer again with a fresh challenge; "Not now" still continues.
                        let (options, state) = passkeys
                            .begin_registration(&username, &identity)
                            .await
                            .map_err(|e| passkey_page_error(&e))?;
                        let mut waiting = pending.clone();
                        waiting.passkey_state = Some(state);
                        let prompt = self
                            .passkey_prompt(
                                waiting,
                                PasskeyMode::Register,
                                username,
                                options,
                                Some(error.to_string()),
                            )
                            .await?;
                        Ok(CallbackOutcome::Passkey(prompt))
                    }
                }
            }
            (PasskeyAction::Authenticate(credential), None) => {
                match passkeys
                    .finish_authentication(&username, &state, &credential)
                    .await
                {
                    Ok(identity) => {
                        self.signed_in(&pending, identity, choice, None, false)
                            .await
                    }
                    Err(PasskeyError::Unavailable(_)) => Err(unavailable_page()),
                    Err(error) => {
                        if let Some(backoff) = self.login.backoff() {
                            backoff.failed(Some(&username), input.client_ip).await;
                        }
                        audit::record(
                            Event::LoginFailure,
                            None,
                            Some(&pending.client_id),
                            "passkey not verified",
                        );
                        self.back_to_login(pending, Some(error.to_string()), 400)
                            .await
                    }
                }
            }
            (PasskeyAction::Cancel, None) => self.back_to_login(pending, None, 200).await,
            _ => Err(bad("that step does not fit this request")),
        }
    }

    /// The login form again, with a fresh CSRF token and the ceremony cleared.
    async fn back_to_login(
        &self,
        mut pending: PendingAuthorization,
        error: Option<String>,
        status: u16,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let csrf_token = random_token();
        pending.csrf_hash = digest(&csrf_token);
        pending.passkey_state = None;
        pending.login_name = None;
        let keep = pending.expires_at + PENDING_KEEP_EXTRA;
        let prompt = self.login_prompt(&pending, csrf_token, error, status, &Default::default());
        self.store
            .put_pending(pending, keep)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        Ok(CallbackOutcome::Retry(Box::new(prompt)))
    }
}
