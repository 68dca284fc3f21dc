//! Connect tickets: the pending record behind a connect URL (`{issuer}/oauth/connect?ticket=...`),
//! one per session and provider. The page that redeems it is [`super::connect`].

use std::sync::Arc;

use futures::future::BoxFuture;

use super::flow::{PENDING_KEEP_EXTRA, PENDING_TTL};
use crate::clock::Clock;
use crate::secrets::digest;
use crate::store::{ConnectRequest, PendingAuthorization, Store};
use crate::verify::ConnectLinks;

/// Makes connect tickets in the store.
pub(crate) struct ConnectTickets {
    store: Arc<dyn Store>,
    clock: Clock,
}

impl ConnectTickets {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Clock) -> Self {
        Self { store, clock }
    }
}

/// The ticket id of `provider` for `session_id`: one per session and provider, so a tool
/// called in a loop rewrites one record rather than adding records.
fn ticket_id(session_id: &str, provider: &str) -> String {
    digest(&format!("connect:{session_id}:{provider}"))
}

impl ConnectLinks for ConnectTickets {
    fn connect_url<'a>(
        &'a self,
        session_id: &'a str,
        subject: &'a str,
        client_id: &'a str,
        issuer: &'a str,
        provider: &'a str,
    ) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let id = ticket_id(session_id, provider);
            let now = self.clock.now();
            let url = format!("{issuer}/oauth/connect?ticket={id}");
            // A ticket still open (perhaps with its page showing) is reused as it is.
            if let Ok(Some(open)) = self.store.pending(&id).await
                && now < open.expires_at
            {
                return Some(url);
            }
            // No redirect URI, no PKCE, no client state: a ticket authorizes no client.
            let ticket = PendingAuthorization {
                id,
                client_id: client_id.to_owned(),
                client_name: client_id.to_owned(),
                issuer: issuer.to_owned(),
                created_at: now,
                expires_at: now + PENDING_TTL,
                connect: Some(ConnectRequest {
                    session_id: session_id.to_owned(),
                    subject: subject.to_owned(),
                    provider: provider.to_owned(),
                }),
                ..PendingAuthorization::default()
            };
            let keep = ticket.expires_at + PENDING_KEEP_EXTRA;
            match self.store.put_pending(ticket, keep).await {
                Ok(()) => Some(url),
                Err(e) => {
                    tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "cannot store a connect ticket");
                    None
                }
            }
        })
    }
}
