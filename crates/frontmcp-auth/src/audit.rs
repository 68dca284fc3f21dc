//! Audit events: one structured log line per security-relevant event, at `info` with the
//! target `frontmcp_auth::audit`, carrying the user, the client, the client IP and the user
//! agent of the request that caused it.
//!
//! The request's IP and user agent travel in a task-local set by the router for every
//! request ([`scope`]), so the authorization server records them without passing request
//! details through every call. No token, code, secret or verifier is ever a field of an event.

use std::future::Future;
use std::net::IpAddr;

/// The longest user agent recorded, in characters.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Who is on the other end of the current request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client IP (the right-most untrusted `X-Forwarded-For` entry behind trusted proxies).
    pub ip: Option<IpAddr>,
    /// The `User-Agent`, cut to 256 characters, control characters removed.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// Meta for a request from `ip` with `user_agent`.
    pub fn new(ip: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        Self {
            ip,
            user_agent: user_agent.map(|ua| {
                ua.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_USER_AGENT_CHARS)
                    .collect()
            }),
        }
    }
}

tokio::task_local! {
    static REQUEST: RequestMeta;
}

/// Runs `future` with `meta` as the current request's meta.
pub async fn scope<F: Future>(meta: RequestMeta, future: F) -> F::Output {
    REQUEST.scope(meta, future).await
}

/// The events, named as in the seeds' audit list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A user logged in at the login page.
    LoginSuccess,
    /// A login was refused (bad input, a domain not allowed, an expired request).
    LoginFailure,
    /// A client ended a user's session (token revocation).
    Logout,
    /// Tokens were issued for an authorization code.
    TokenCreate,
    /// A refresh token was rotated.
    TokenRefresh,
    /// A token was revoked.
    TokenRevoke,
    /// A used code or rotated refresh token was presented again; its family is revoked.
    TokenReuseDetected,
    /// The refresh token just rotated was presented again within `reuse_grace_seconds` and got
    /// the same answer (a client retry, or a copy racing it).
    TokenRefreshReplay,
    /// A session started (a refresh family).
    SessionCreate,
    /// A session ended before its natural end (session limit, administrator).
    SessionExpire,
    /// A client registered dynamically.
    ClientRegister,
    /// A dynamically registered client replaced its metadata (RFC 7592).
    ClientUpdate,
    /// A dynamically registered client deleted its registration (RFC 7592).
    ClientDelete,
    /// An administrator acted.
    AdminAction,
    /// Remote mode: an upstream access token was refreshed with the upstream refresh token.
    UpstreamRefresh,
    /// Remote mode: the upstream refused the refresh token, so the session ended.
    UpstreamSessionEnded,
    /// A federated provider was linked to a user (at login, or through a connect page).
    ProviderLinked,
}

impl Event {
    /// Every event, in documentation order.
    pub const ALL: &'static [Event] = &[
        Event::LoginSuccess,
        Event::LoginFailure,
        Event::Logout,
        Event::TokenCreate,
        Event::TokenRefresh,
        Event::TokenRevoke,
        Event::TokenReuseDetected,
        Event::TokenRefreshReplay,
        Event::SessionCreate,
        Event::SessionExpire,
        Event::ClientRegister,
        Event::ClientUpdate,
        Event::ClientDelete,
        Event::AdminAction,
        Event::UpstreamRefresh,
        Event::UpstreamSessionEnded,
        Event::ProviderLinked,
    ];

    /// The event's name in log lines.
    pub fn name(self) -> &'static str {
        match self {
            Event::LoginSuccess => "auth.login.success",
            Event::LoginFailure => "auth.login.failure",
            Event::Logout => "auth.logout",
            Event::TokenCreate => "token.create",
            Event::TokenRefresh => "token.refresh",
            Event::TokenRevoke => "token.revoke",
            Event::TokenReuseDetected => "token.reuse_detected",
            Event::TokenRefreshReplay => "token.refresh.replay",
            Event::SessionCreate => "session.create",
            Event::SessionExpire => "session.expire",
            Event::ClientRegister => "client.register",
            Event::ClientUpdate => "client.update",
            Event::ClientDelete => "client.delete",
            Event::AdminAction => "admin.action",
            Event::UpstreamRefresh => "upstream.refresh",
            Event::UpstreamSessionEnded => "upstream.session_ended",
            Event::ProviderLinked => "provider.linked",
        }
    }
}

/// Records `event` about `user` (a subject or email) at `client`, with a short `detail`
/// (a reason or outcome, never a credential).
pub fn record(event: Event, user: Option<&str>, client: Option<&str>, detail: &str) {
    let meta = REQUEST.try_with(Clone::clone).unwrap_or_default();
    let ip = meta.ip.map(|ip| ip.to_string());
    tracing::info!(
        target: "frontmcp_auth::audit",
        event = event.name(),
        user = user.unwrap_or(""),
        client_id = client.unwrap_or(""),
        ip = ip.as_deref().unwrap_or(""),
        user_agent = meta.user_agent.as_deref().unwrap_or(""),
        detail,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_cut_and_cleaned() {
        let meta = RequestMeta::new(None, Some(&format!("a\nb\u{7}{}", "x".repeat(400))));
        let ua = meta.user_agent.expect("ua");
        assert!(ua.starts_with("abx"));
        assert_eq!(ua.chars().count(), MAX_USER_AGENT_CHARS);
    }

    #[test]
    fn event_names_are_the_seeds_names_and_distinct() {
        let names: std::collections::BTreeSet<_> = Event::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), Event::ALL.len());
        assert!(names.contains("auth.login.success"));
        assert!(names.contains("token.reuse_detected"));
    }
}
