//! The MCP transport's sessions: rmcp's session manager, wrapped so that every event id names
//! its session, and (with `http.mcp_sessions = "shared"`) its external session store and event
//! store on [`SharedSessions`].
//!
//! - **Restore.** rmcp asks [`StoredSessions::load`] for a session this instance does not hold;
//!   the guard has checked its owner first, from the same record.
//! - **Events.** With a store shared between instances, each response stream's events go to
//!   its log ([`StoredEvents`]), so a `Last-Event-ID` resumes on any instance. Event ids are
//!   signed for their session (`super::event_ids`): [`BoundSessions`] signs them and replays
//!   only an id signed for the session it names; the guard answers 404 before when that session
//!   is not the caller's.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use rmcp::model::{ClientJsonRpcMessage, InitializeRequestParams, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, EventStoreError, EventStream, RestoreOutcome, ServerSseMessage, SessionId,
    SessionState, SessionStore, SessionStoreError,
};
use serde::{Deserialize, Serialize};

use super::event_ids::EventIds;
use crate::guard::SharedSessions;

/// rmcp's external session store, read from the records the guard writes.
pub(crate) struct StoredSessions(pub(crate) Arc<SharedSessions>);

#[async_trait::async_trait]
impl SessionStore for StoredSessions {
    /// A store that cannot be read answers "no such session" (the client starts a new one),
    /// not an error (which the transport would answer 500).
    async fn load(&self, session_id: &str) -> Result<Option<SessionState>, SessionStoreError> {
        let record = match self.0.for_restore(session_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return Ok(None),
            Err(error) => {
                tracing::warn!(target: "frontmcp_auth::mcp", "an MCP session cannot be restored: {error}");
                return Ok(None);
            }
        };
        let params: InitializeRequestParams = serde_json::from_str(&record.initialize)?;
        Ok(Some(SessionState::new(params)))
    }

    /// The guard writes the record (with its owner) when `initialize` creates the session.
    async fn store(&self, _: &str, _: &SessionState) -> Result<(), SessionStoreError> {
        Ok(())
    }

    async fn delete(&self, session_id: &str) -> Result<(), SessionStoreError> {
        Ok(self.0.delete(session_id).await?)
    }
}

/// One logged event: the message, or a retry hint.
#[derive(Serialize, Deserialize)]
struct LoggedEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<ServerJsonRpcMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_ms: Option<u64>,
}

/// rmcp's event store, on the token storage's event log (and a count of events it could not
/// log).
pub(crate) struct StoredEvents(
    pub(crate) Arc<SharedSessions>,
    pub(crate) std::sync::atomic::AtomicU64,
);

#[async_trait::async_trait]
impl EventStore for StoredEvents {
    async fn store_event(
        &self,
        stream_id: &str,
        event: &ServerSseMessage,
    ) -> Result<String, EventStoreError> {
        let body = serde_json::to_string(&LoggedEvent {
            message: event.message.as_deref().cloned(),
            retry_ms: event.retry.map(|r| r.as_millis() as u64),
        })?;
        match self.0.backend().append_mcp_event(stream_id, body).await {
            Ok(entry) => Ok(format!("{stream_id}/{entry}")),
            // The event is still sent; only a resume of it elsewhere is lost (the transport
            // would fail the whole response on an error).
            Err(error) => {
                tracing::warn!(target: "frontmcp_auth::mcp", "an MCP event is not logged: {error}");
                let unlogged = self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(format!("{stream_id}/unlogged-{unlogged}"))
            }
        }
    }

    async fn replay_events_after(
        &self,
        last_event_id: &str,
    ) -> Result<EventStream, EventStoreError> {
        let Some((stream, after)) = last_event_id.rsplit_once('/') else {
            return Ok(Box::pin(futures::stream::empty()));
        };
        let events = match self.0.backend().mcp_events_after(stream, after).await {
            Ok(events) => events,
            Err(error) => {
                tracing::warn!(target: "frontmcp_auth::mcp", "MCP events cannot be replayed: {error}");
                Vec::new()
            }
        };
        let stream = stream.to_owned();
        let replayed: Vec<ServerSseMessage> = events
            .into_iter()
            .filter_map(|(entry, body)| {
                let logged: LoggedEvent = serde_json::from_str(&body).ok()?;
                let mut event = ServerSseMessage::default();
                event.event_id = Some(format!("{stream}/{entry}"));
                event.message = logged.message.map(Arc::new);
                event.retry = logged.retry_ms.map(std::time::Duration::from_millis);
                Some(event)
            })
            .collect();
        Ok(Box::pin(futures::stream::iter(replayed)))
    }
}

/// rmcp's local session manager, with every event id bound to its session
/// ([`EventIds`]).
pub(crate) struct BoundSessions {
    inner: LocalSessionManager,
    ids: EventIds,
}

impl BoundSessions {
    /// Sessions in this process; their streams' events go to `events` when given, and their
    /// ids are signed with `shared`'s key when it keeps records in a store.
    pub(crate) fn new(
        events: Option<Arc<dyn EventStore>>,
        shared: Option<Arc<SharedSessions>>,
    ) -> Self {
        let inner = LocalSessionManager::default();
        Self {
            inner: match events {
                Some(events) => inner.with_event_store(events),
                None => inner,
            },
            ids: EventIds::new(shared),
        }
    }

    /// `stream` with each event id signed for `session`.
    async fn bind(
        &self,
        session: &SessionId,
        stream: impl Stream<Item = ServerSseMessage> + Send + Sync + 'static,
    ) -> impl Stream<Item = ServerSseMessage> + Send + Sync + 'static {
        let key = self.ids.key().await;
        let session = session.clone();
        stream.map(move |mut event| {
            if let Some(id) = event.event_id.take() {
                event.event_id = Some(EventIds::sign(&key, &session, &id));
            }
            event
        })
    }
}

impl SessionManager for BoundSessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.inner.create_session().await
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_stream(id, message).await?;
        Ok(self.bind(id, stream).await)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.inner.create_standalone_stream(id).await?;
        Ok(self.bind(id, stream).await)
    }

    /// An id that is not one this session was given (another session's, or altered) is an
    /// error, which the transport answers with an empty stream.
    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let Some(inner_id) = self.ids.open(id, &last_event_id).await else {
            return Err(LocalSessionManagerError::SessionNotFound(id.clone()));
        };
        let stream = self.inner.resume(id, inner_id.to_owned()).await?;
        Ok(self.bind(id, stream).await)
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.inner.restore_session(id).await
    }

    /// None: requests served without a session (the 2026-07-28 transport) keep no event log
    /// (their ids could not be bound to a caller).
    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        None
    }
}
