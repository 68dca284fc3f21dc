//! Stage handleFederatedAuth: after the local login verified the user, the browser visits each
//! chosen upstream provider in turn (the seeds' "Federated Provider Chaining"): PKCE, `state`
//! and `nonce` for the first, its authorization URL, its callback, the next, and so on. Each
//! provider's tokens are sealed for the user and client; once the chain ends, the gate
//! (`min_providers`, `required_providers`) decides whether stage createAuthorizationCode runs.
//!
//! The chain is bound three ways: the `state` names the pending authorization (checked whole in
//! `strict` mode), only the provider awaited may answer, and only the browser that started the
//! chain (its cookie) may continue it. A connect ticket ([`super::connect`]) runs the same
//! chain for one provider and stores the tokens in an existing session.

use super::flow::{CallbackOutcome, ErrorPage, PENDING_KEEP_EXTRA};
use super::params::Params;
use super::remote::{bad_response, upstream_page, upstream_request};
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::{constant_time_eq, digest, random_token};
use crate::store::{AppChoice, FederatedSession, Identity, LinkedProvider, PendingAuthorization};
use crate::upstream::{FederatedProvider, TokenSet, UpstreamError, VaultEntry, verify_id_token};
use frontmcp_auth_config::StateValidation;

/// The page for a provider selection the server cannot honour.
pub(crate) fn invalid_selection(why: &str) -> ErrorPage {
    ErrorPage::bad_request(
        "Invalid provider selection",
        format!("invalid provider selection: {why}"),
    )
}

impl FederatedSession {
    /// A chain over `selected`, not started.
    pub(crate) fn chosen(selected: Vec<String>) -> Self {
        Self {
            selected,
            current: None,
            linked: Vec::new(),
            refused: Vec::new(),
            browser_hash: String::new(),
        }
    }

    /// The ids of the providers linked so far.
    pub(crate) fn linked_ids(&self) -> Vec<String> {
        self.linked.iter().map(|l| l.provider.clone()).collect()
    }

    /// The next provider to visit.
    fn next(&self) -> Option<&String> {
        self.selected.iter().find(|id| {
            !self.refused.contains(id) && !self.linked.iter().any(|l| &l.provider == *id)
        })
    }

    /// Whether every chosen provider has answered.
    pub(crate) fn finished(&self) -> bool {
        self.current.is_none() && self.next().is_none() && !self.browser_hash.is_empty()
    }
}

impl AuthorizationServer {
    /// The providers a login form chose: `providers=a,b` and the checked `provider.{id}` boxes,
    /// or every provider when the form named none and did not ask for a federated login.
    ///
    /// # Errors
    ///
    /// The 400 "invalid provider selection" page for an unknown id, or `federated=true`
    /// without a provider.
    pub(crate) fn provider_selection(
        &self,
        federated: bool,
        chosen: &[String],
    ) -> Result<Option<Vec<String>>, ErrorPage> {
        let Some(federation) = &self.federation else {
            if federated || !chosen.is_empty() {
                return Err(invalid_selection("this server has no federated providers"));
            }
            return Ok(None);
        };
        if let Some(unknown) = chosen.iter().find(|id| federation.provider(id).is_none()) {
            return Err(invalid_selection(&format!(
                "`{}` is not a provider of this server",
                unknown.chars().take(64).collect::<String>()
            )));
        }
        // A form that names no provider and does not ask for a federated login (a template
        // without the provider list) links them all; `federated=true` with none links none.
        let all = chosen.is_empty() && !federated;
        // In configuration order, each once.
        let selected: Vec<String> = federation
            .providers
            .iter()
            .map(|p| p.id().to_owned())
            .filter(|id| all || chosen.contains(id))
            .collect();
        if selected.is_empty() && federation.gate(&[]).is_some() {
            return Err(invalid_selection("choose at least one provider"));
        }
        if let Some(why) = federation.gate(&selected) {
            return Err(invalid_selection(&why));
        }
        Ok(Some(selected))
    }

    /// Starts the chain for a verified `identity`: the first provider's authorization URL.
    pub(crate) async fn begin_federation(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
        choice: Option<AppChoice>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let selected = match &pending.federation {
            Some(chain) => chain.selected.clone(),
            None => self
                .provider_selection(false, &[])?
                .ok_or_else(|| invalid_selection("this server has no federated providers"))?,
        };
        let browser_key = random_token();
        let mut chain = FederatedSession::chosen(selected);
        chain.browser_hash = digest(&browser_key);
        let mut waiting = pending.clone();
        waiting.identity = Some(identity);
        waiting.app_choice = choice;
        waiting.federation = Some(chain);
        let location = self.visit_next(&mut waiting).await?;
        Ok(CallbackOutcome::Upstream {
            location,
            pending_id: waiting.id,
            browser_key,
        })
    }

    /// Stores `pending` with a fresh request to its chain's next provider; that provider's
    /// authorization URL.
    async fn visit_next(&self, pending: &mut PendingAuthorization) -> Result<String, ErrorPage> {
        let next = pending
            .federation
            .as_ref()
            .and_then(FederatedSession::next)
            .cloned()
            .ok_or_else(|| invalid_selection("no provider left to link"))?;
        let provider = self
            .federation
            .as_ref()
            .and_then(|f| f.provider(&next))
            .ok_or_else(|| invalid_selection("the provider is no longer configured"))?;
        let redirect_uri = format!("{}/oauth/provider/{next}/callback", pending.issuer);
        let (url, request) = upstream_request(&provider.client, &pending.id, redirect_uri).await?;
        pending.upstream = Some(request);
        if let Some(chain) = pending.federation.as_mut() {
            chain.current = Some(next);
        }
        self.store
            .put_pending(pending.clone(), pending.expires_at + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        Ok(url)
    }

    /// `GET /oauth/provider/{id}/callback` of a federated provider: checks the answer belongs
    /// to this chain, this provider and this browser; links the provider (or notes the
    /// refusal); then the next provider, or the gate and the rest of the login.
    ///
    /// # Errors
    ///
    /// A 400 page for an unknown, replayed, mismatched, misdirected or expired answer; 403
    /// when the gate stays closed; 503 / 502 when the provider fails.
    pub async fn federated_callback(
        &self,
        provider_id: &str,
        params: &Params,
        browser_key: Option<&str>,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let federation = self
            .federation
            .as_ref()
            .ok_or_else(|| bad_response("unknown provider"))?;
        let provider = federation
            .provider(provider_id)
            .ok_or_else(|| bad_response("unknown provider"))?;
        let (state, pending) = self.answered_pending(params).await?;
        let (Some(request), Some(chain)) = (pending.upstream.clone(), pending.federation.clone())
        else {
            return Err(bad_response(
                "this answer was already used: start again from your application",
            ));
        };
        let refuse = |why: &str, message: &str| {
            audit::record(
                Event::LoginFailure,
                pending.identity.as_ref().map(|i| i.subject.as_str()),
                Some(&pending.client_id),
                why,
            );
            Err(bad_response(message))
        };
        if chain.current.as_deref() != Some(provider_id) {
            return refuse(
                "provider answer out of turn",
                "this answer comes from another provider than the one being linked",
            );
        }
        let strict = self.auth.federated_auth.state_validation == StateValidation::Strict;
        if strict && !constant_time_eq(&digest(state), &request.state_hash) {
            return refuse(
                "provider state mismatch",
                "state mismatch: this answer belongs to another sign-in",
            );
        }
        if !browser_key.is_some_and(|key| constant_time_eq(&digest(key), &chain.browser_hash)) {
            return refuse(
                "provider answer from another browser",
                "this sign-in was started in another browser: start again from your application",
            );
        }
        // One answer per request, also when two arrive at once.
        let mut pending = self.take(&pending.id).await.map_err(|_| {
            bad_response("this answer was already used: start again from your application")
        })?;
        pending.upstream = None;
        let identity = pending
            .identity
            .clone()
            .ok_or_else(|| bad_response("no verified user for this chain"))?;
        let mut chain = chain;
        chain.current = None;
        if params.get("error").is_some() {
            audit::record(
                Event::LoginFailure,
                Some(&identity.subject),
                Some(&pending.client_id),
                &format!("{provider_id} refused the link"),
            );
            chain.refused.push(provider_id.to_owned());
        } else {
            let code = params
                .get("code")
                .filter(|c| !c.is_empty() && c.len() <= 2048)
                .ok_or_else(|| bad_response("the provider sent no code"))?;
            let tokens = provider
                .client
                .exchange_code(code, &request.code_verifier, &request.redirect_uri, self.now())
                .await
                .map_err(|e| {
                    tracing::warn!(target: "frontmcp_auth::upstream", provider = %provider_id, error = %e, "provider code exchange failed");
                    upstream_page(&e)
                })?;
            let subject = self
                .provider_subject(provider, &tokens, &request.nonce)
                .await
                .map_err(|e| {
                    tracing::warn!(target: "frontmcp_auth::upstream", provider = %provider_id, error = %e, "provider identity refused");
                    upstream_page(&e)
                })?;
            let entry = VaultEntry {
                subject: identity.subject.clone(),
                client_id: pending.client_id.clone(),
                provider: provider_id.to_owned(),
                tokens,
                keep_until: 0,
            };
            let sealed = federation.vault.seal_carried(&entry).ok_or_else(|| {
                ErrorPage::from_oauth(&super::server::internal("cannot seal the provider tokens"))
            })?;
            audit::record(
                Event::ProviderLinked,
                Some(&identity.subject),
                Some(&pending.client_id),
                provider_id,
            );
            chain.linked.push(LinkedProvider {
                provider: provider_id.to_owned(),
                subject,
                sealed,
            });
        }
        pending.federation = Some(chain.clone());
        if chain.next().is_some() {
            let location = self.visit_next(&mut pending).await?;
            return Ok(CallbackOutcome::Redirect(location));
        }
        if pending.connect.is_some() {
            return self.finish_connect(pending, &identity).await;
        }
        if let Some(why) = federation.gate(&chain.linked_ids()) {
            audit::record(
                Event::LoginFailure,
                Some(&identity.subject),
                Some(&pending.client_id),
                "federated gate closed",
            );
            return Err(gate_page(&why));
        }
        pending.upstream_tokens = Some(self.seal_links(&pending, &identity)?);
        self.store
            .put_pending(pending.clone(), pending.expires_at + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        let choice = pending.app_choice.clone();
        self.after_login(&pending, identity, choice).await
    }

    /// Every linked provider's tokens, sealed as one bundle for the code.
    fn seal_links(
        &self,
        pending: &PendingAuthorization,
        identity: &Identity,
    ) -> Result<String, ErrorPage> {
        let vault = self
            .federation
            .as_ref()
            .map(|f| &f.vault)
            .ok_or_else(|| bad_response("no federated providers"))?;
        let internal =
            || ErrorPage::from_oauth(&super::server::internal("cannot seal the provider tokens"));
        let mut entries = Vec::new();
        for link in pending.federation.iter().flat_map(|c| &c.linked) {
            let opened = vault
                .open_carried(&link.sealed, &identity.subject, &pending.client_id)
                .ok_or_else(internal)?;
            entries.extend(opened);
        }
        vault.seal_all(&entries).ok_or_else(internal)
    }

    /// The user's stable subject at the provider: the verified `id_token`'s `sub` for OpenID
    /// providers, the user endpoint's id otherwise (`None` when the provider has none).
    async fn provider_subject(
        &self,
        provider: &FederatedProvider,
        tokens: &TokenSet,
        nonce: &str,
    ) -> Result<Option<String>, UpstreamError> {
        let settings = provider.client.settings();
        if settings.openid() {
            let id_token = tokens.id_token.as_deref().ok_or_else(|| {
                UpstreamError::Invalid(String::from("no id_token in the token response"))
            })?;
            let claims =
                verify_id_token(id_token, settings, &provider.keys, nonce, self.now()).await?;
            return Ok(claims
                .get("sub")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned));
        }
        let has_userinfo = provider
            .client
            .endpoints()
            .await
            .is_ok_and(|e| e.userinfo.is_some());
        if !has_userinfo {
            return Ok(None);
        }
        let info = provider.client.userinfo(&tokens.access_token).await?;
        Ok(super::remote::user_id(&info))
    }
}

/// The page for a chain that ended with the gate closed: nothing is minted, and it says why.
pub(crate) fn gate_page(why: &str) -> ErrorPage {
    ErrorPage {
        status: 403,
        title: String::from("Not enough accounts linked"),
        message: format!(
            "no access was granted: {why}. Start again from your application and link the accounts this server needs"
        ),
    }
}
