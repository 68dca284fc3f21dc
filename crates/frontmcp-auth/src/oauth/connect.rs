//! Linking a federated provider later (MCP URL-mode elicitation): a tool whose caller has not
//! linked a provider gets a connect URL, `{issuer}/oauth/connect?ticket=...`. The ticket is a
//! pending record bound to the session, the user and the client that asked; it is not a
//! credential. The page asks the user to sign in again, and only the user the ticket names may
//! go on; then the provider's authorization runs (the chain of [`super::federated`] with one
//! provider) and its tokens join the session in the vault. The provider's tokens go from the
//! provider to this server only, never through the MCP client.

use super::flow::{
    CallbackOutcome, ErrorPage, LoginPrompt, PENDING_KEEP_EXTRA, pending_id_well_formed,
};
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::{digest, random_token};
use crate::store::{Identity, PendingAuthorization};

impl AuthorizationServer {
    /// `GET /oauth/connect?ticket=...`: the sign-in form for the ticket's user, with a fresh
    /// CSRF token.
    ///
    /// # Errors
    ///
    /// A 400 page for a missing, unknown, finished or expired ticket.
    pub async fn connect_page(&self, ticket: Option<&str>) -> Result<LoginPrompt, ErrorPage> {
        let bad = |message: &str| ErrorPage::bad_request("Invalid link request", message);
        let ticket = ticket
            .filter(|t| pending_id_well_formed(t))
            .ok_or_else(|| bad("the link is incomplete: ask your application for a new one"))?;
        let mut pending = self
            .store
            .pending(ticket)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .filter(|p| p.connect.is_some() && p.identity.is_none())
            .ok_or_else(|| bad("unknown or finished link: ask your application for a new one"))?;
        if self.now() >= pending.expires_at {
            return Err(bad(
                "this link has expired (10 minutes): ask your application for a new one",
            ));
        }
        let provider = pending
            .connect
            .as_ref()
            .and_then(|c| self.federation.as_ref()?.provider(&c.provider))
            .ok_or_else(|| bad("this provider is no longer offered"))?;
        let notice = format!(
            "Sign in to link your {} account. Only the account that asked for this link can continue.",
            provider.display()
        );
        let csrf_token = random_token();
        pending.csrf_hash = digest(&csrf_token);
        self.store
            .put_pending(pending.clone(), pending.expires_at + PENDING_KEEP_EXTRA)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        let mut prompt = self.login_prompt(&pending, csrf_token, None, 200, &Default::default());
        prompt.notice = Some(notice);
        Ok(prompt)
    }

    /// The connect page's sign-in: only the user the ticket names may link the provider.
    pub(crate) async fn connect_signed_in(
        &self,
        pending: &PendingAuthorization,
        identity: Identity,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let Some(connect) = &pending.connect else {
            return Err(ErrorPage::bad_request(
                "Invalid link request",
                "not a link request",
            ));
        };
        if identity.subject != connect.subject {
            audit::record(
                Event::LoginFailure,
                Some(&identity.subject),
                Some(&pending.client_id),
                "connect page signed in as another user",
            );
            // The ticket is spent: whoever holds the link cannot try other accounts.
            let _ = self.take(&pending.id).await;
            return Err(ErrorPage {
                status: 403,
                title: String::from("Another account"),
                message: String::from(
                    "this link was made for another account than the one you signed in with; nothing was linked",
                ),
            });
        }
        let mut waiting = pending.clone();
        waiting.federation = Some(crate::store::FederatedSession::chosen(vec![
            connect.provider.clone(),
        ]));
        self.begin_federation(&waiting, identity, None).await
    }

    /// The end of a connect chain: the provider's tokens join the session, if the session
    /// is still the user's and alive.
    pub(crate) async fn finish_connect(
        &self,
        pending: PendingAuthorization,
        identity: &Identity,
    ) -> Result<CallbackOutcome, ErrorPage> {
        let (Some(connect), Some(federation)) = (&pending.connect, &self.federation) else {
            return Err(ErrorPage::bad_request(
                "Invalid link request",
                "not a link request",
            ));
        };
        let display = federation
            .provider(&connect.provider)
            .map_or(connect.provider.as_str(), |p| p.display())
            .to_owned();
        let Some(link) = pending
            .federation
            .iter()
            .flat_map(|c| &c.linked)
            .find(|l| l.provider == connect.provider)
        else {
            return Err(ErrorPage::bad_request(
                "Not linked",
                format!("{display} was not linked: access was refused there"),
            ));
        };
        let family = self
            .store
            .family(&connect.session_id)
            .await
            .map_err(|e| ErrorPage::from_oauth(&e.into()))?
            .filter(|f| {
                !f.revoked
                    && f.grant.subject == identity.subject
                    && f.grant.client_id == pending.client_id
                    && f.expires_at > self.now()
            })
            .ok_or_else(|| {
                ErrorPage::bad_request(
                    "Session ended",
                    "the session that asked for this link has ended; sign in again from your application",
                )
            })?;
        let entries = federation
            .vault
            .open_carried(&link.sealed, &identity.subject, &pending.client_id)
            .ok_or_else(|| {
                ErrorPage::from_oauth(&super::server::internal("the provider tokens do not open"))
            })?;
        let keep_until = super::sessions::session_expiry(family.expires_at);
        for mut entry in entries {
            entry.keep_until = keep_until;
            federation
                .vault
                .put(&connect.session_id, entry)
                .await
                .map_err(|e| ErrorPage::from_oauth(&e.into()))?;
        }
        Ok(CallbackOutcome::Done(ErrorPage {
            status: 200,
            title: format!("{display} linked"),
            message: format!(
                "your {display} account is linked; return to your application and try again"
            ),
        }))
    }
}
