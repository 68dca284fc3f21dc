//! Sessions: one per refresh family (a user's authorization at a client), indexed by user.
//! They carry `security.max_concurrent_sessions` (a new login beyond it revokes the oldest)
//! and `POST /admin/sessions/revoke` (revokes a user's families and sessions at once).

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::OAuthError;
use super::server::AuthorizationServer;
use crate::audit::{self, Event};
use crate::secrets::constant_time_eq;
use crate::store::{RefreshFamily, SessionRecord, StoreError};

/// Session expiries are kept rounded up to this many seconds, so that a burst of refreshes in
/// one family rewrites its session record at most once per step (a record outlives its family
/// by less than a step, never the other way round).
const SESSION_EXPIRY_STEP: u64 = 60;

/// `expires_at` rounded up to the next [`SESSION_EXPIRY_STEP`].
pub(crate) fn session_expiry(expires_at: u64) -> u64 {
    expires_at.div_ceil(SESSION_EXPIRY_STEP) * SESSION_EXPIRY_STEP
}

/// The longest `reason` an administrator may give, in characters.
const MAX_REASON_CHARS: usize = 200;

/// The body of `POST /admin/sessions/revoke`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminRevoke {
    /// The user whose sessions end, by login email (local mode, where it is the subject).
    #[serde(default)]
    pub user_email: Option<String>,
    /// The user whose sessions end, by subject (remote mode: the provider's `sub`).
    #[serde(default)]
    pub subject: Option<String>,
    /// Why, for the audit log.
    #[serde(default)]
    pub reason: Option<String>,
    /// End every session of the user.
    #[serde(default)]
    pub revoke_all: bool,
    /// End only the user's sessions at this client (when `revoke_all` is false).
    #[serde(default)]
    pub client_id: Option<String>,
}

/// Why an admin request was refused.
#[derive(Debug)]
pub enum AdminError {
    /// No or a wrong credential (401).
    Unauthorized,
    /// A malformed body (400).
    BadRequest(String),
    /// Storage failed (503).
    Unavailable,
}

impl From<StoreError> for AdminError {
    fn from(_: StoreError) -> Self {
        AdminError::Unavailable
    }
}

impl AuthorizationServer {
    /// The session record of a new family.
    pub(crate) fn session_of(&self, family: &RefreshFamily) -> SessionRecord {
        SessionRecord {
            id: family.id.clone(),
            subject: family.grant.subject.clone(),
            client_id: family.grant.client_id.clone(),
            // The login time: stable across rotations, so a rewrite keeps the session's age.
            created_at: family.grant.auth_time,
            expires_at: session_expiry(family.expires_at),
        }
    }

    /// Records a new session and applies the session limit: beyond `max` live sessions
    /// (`security.max_concurrent_sessions`, or the cap of grants without a browser; `0`: no
    /// limit), the user's oldest sessions are revoked.
    pub(crate) async fn start_session(
        &self,
        session: SessionRecord,
        max: u64,
    ) -> Result<(), OAuthError> {
        let subject = session.subject.clone();
        let client_id = session.client_id.clone();
        let new_id = session.id.clone();
        self.store.put_session(session).await?;
        audit::record(Event::SessionCreate, Some(&subject), Some(&client_id), "");
        if max == 0 {
            return Ok(());
        }
        let sessions = self.store.sessions_of(&subject).await?;
        let excess = sessions
            .len()
            .saturating_sub(usize::try_from(max).unwrap_or(usize::MAX));
        // Oldest first; sessions of the same second are in no set order, and the new one
        // is never the one that goes.
        for oldest in sessions.iter().filter(|s| s.id != new_id).take(excess) {
            self.store.revoke_family(&oldest.id).await?;
            self.store.delete_session(&oldest.id).await?;
            self.end_upstream(&oldest.id).await;
            audit::record(
                Event::SessionExpire,
                Some(&subject),
                Some(&oldest.client_id),
                "max_concurrent_sessions",
            );
        }
        Ok(())
    }

    /// Moves a session's end with its family's after a rotation of `family` (as it was before
    /// the rotation): no read, and a write only when the rounded end moves, so at most one
    /// per [`SESSION_EXPIRY_STEP`] (best effort: the rotation has happened; a failure only
    /// shortens how long the session is listed).
    pub(crate) async fn extend_session(&self, family: &RefreshFamily, expires_at: u64) {
        let expires_at = session_expiry(expires_at);
        if expires_at == session_expiry(family.expires_at) {
            return;
        }
        let session = SessionRecord {
            expires_at,
            ..self.session_of(family)
        };
        if let Err(e) = self.store.put_session(session).await {
            tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "could not extend a session record");
        }
        if let Some(vault) = self.vault() {
            vault.extend(&family.id, expires_at).await;
        }
    }

    /// Removes a session record whose family was revoked (best effort).
    pub(crate) async fn end_session_record(&self, family_id: &str) {
        if let Err(e) = self.store.delete_session(family_id).await {
            tracing::warn!(target: "frontmcp_auth::oauth", error = %e, "could not delete a session record");
        }
        self.end_upstream(family_id).await;
    }

    /// Remote mode and federation: the session's upstream tokens go, and each upstream refresh
    /// token is revoked where the provider has a revocation endpoint.
    pub(crate) async fn end_upstream(&self, family_id: &str) {
        if let Some(vault) = self.vault() {
            vault.end(family_id).await;
        }
    }

    /// Whether `POST /admin/sessions/revoke` is served (an admin credential is configured).
    pub fn admin_enabled(&self) -> bool {
        self.security.admin_token.is_some()
    }

    /// `POST /admin/sessions/revoke`: checks the admin credential, then revokes the user's
    /// refresh families and deletes their sessions (all, or those at one client).
    ///
    /// # Errors
    ///
    /// [`AdminError::Unauthorized`] without the right bearer credential,
    /// [`AdminError::BadRequest`] for a malformed body, [`AdminError::Unavailable`] when
    /// storage fails.
    pub async fn admin_revoke(
        &self,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<Value, AdminError> {
        let expected = self
            .security
            .admin_token
            .as_ref()
            .ok_or(AdminError::Unauthorized)?;
        let authorized = bearer.is_some_and(|given| constant_time_eq(given, expected.expose()));
        if !authorized {
            audit::record(
                Event::AdminAction,
                None,
                None,
                "refused: bad admin credential",
            );
            return Err(AdminError::Unauthorized);
        }
        let request: AdminRevoke = serde_json::from_slice(body).map_err(|e| {
            AdminError::BadRequest(format!("the body is not a revocation request: {e}"))
        })?;
        let remote = self.remote.is_some();
        let (field, user) = match (&request.user_email, &request.subject) {
            (Some(email), None) if !remote => ("user_email", email.trim()),
            (Some(_), None) => {
                return Err(AdminError::BadRequest(String::from(
                    "remote mode knows users by the provider's subject: send `subject` (the `sub` of their tokens)",
                )));
            }
            (None, Some(subject)) => ("subject", subject.trim()),
            _ => {
                return Err(AdminError::BadRequest(String::from(
                    "name the user with exactly one of `user_email` or `subject`",
                )));
            }
        };
        if user.is_empty() || user.len() > 254 || user.chars().any(char::is_control) {
            return Err(AdminError::BadRequest(format!(
                "{field} must be non-empty, of at most 254 bytes, without control characters"
            )));
        }
        if !request.revoke_all && request.client_id.is_none() {
            return Err(AdminError::BadRequest(String::from(
                "set revoke_all = true, or name the client_id whose sessions end",
            )));
        }
        let reason: String = request
            .reason
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_REASON_CHARS)
            .collect();
        // Logins keep an email's subject lowercased; a subject from elsewhere (an
        // authenticator in code, the provider) is matched as written too.
        let mut sessions = self.store.sessions_of(user).await?;
        let lowered = user.to_lowercase();
        if field == "user_email" && lowered != user {
            for session in self.store.sessions_of(&lowered).await? {
                if !sessions.iter().any(|s| s.id == session.id) {
                    sessions.push(session);
                }
            }
        }
        let mut revoked = 0u64;
        for session in sessions {
            if !request.revoke_all
                && request.client_id.as_deref() != Some(session.client_id.as_str())
            {
                continue;
            }
            self.store.revoke_family(&session.id).await?;
            self.store.delete_session(&session.id).await?;
            self.end_upstream(&session.id).await;
            audit::record(
                Event::SessionExpire,
                Some(user),
                Some(&session.client_id),
                "admin",
            );
            revoked += 1;
        }
        audit::record(
            Event::AdminAction,
            Some(user),
            request.client_id.as_deref(),
            &format!("sessions.revoke: {revoked} revoked; reason: {reason}"),
        );
        Ok(json!({ field: user, "revoked_sessions": revoked }))
    }
}
