//! Redirect URIs: what a client may register, and when a requested URI matches a registered one.
//!
//! Matching is exact (RFC 9700 §2.1), with one exception from RFC 8252 §7.3: a loopback `http`
//! redirect URI matches on any port, since native apps listen on an ephemeral one.

use url::Url;

/// The longest redirect URI accepted, in bytes.
pub const MAX_REDIRECT_URI_BYTES: usize = 2048;

/// Why a redirect URI cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    /// Longer than 2048 bytes.
    #[error("the redirect URI is longer than 2048 bytes")]
    TooLong,
    /// Not an absolute URI.
    #[error("the redirect URI is not an absolute URI")]
    NotAbsolute,
    /// Spaces, control or non-ASCII characters (they must be percent-encoded).
    #[error("the redirect URI must be visible ASCII; percent-encode other characters")]
    NotAscii,
    /// It has a fragment.
    #[error("a redirect URI must not have a fragment")]
    Fragment,
    /// `javascript:`, `data:`, `file:` or `vbscript:`.
    #[error("the `{0}` scheme is never a valid redirect")]
    ForbiddenScheme(String),
    /// Plain `http` to a host that is not loopback.
    #[error("http redirect URIs are allowed only for loopback hosts; use https")]
    InsecureHttp,
    /// A wildcard in a registered URI (only allowlists may hold patterns).
    #[error("a registered redirect URI must not contain `*`")]
    Wildcard,
}

const FORBIDDEN_SCHEMES: &[&str] = &["javascript", "data", "file", "vbscript", "blob"];

/// Whether `host` names this machine (`127.0.0.1` and the rest of 127/8, `[::1]`, `localhost`).
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Validates a redirect URI a client wants to register.
///
/// # Errors
///
/// Each rule's own [`RedirectUriError`].
pub fn validate_registration(uri: &str) -> Result<Url, RedirectUriError> {
    if uri.len() > MAX_REDIRECT_URI_BYTES {
        return Err(RedirectUriError::TooLong);
    }
    if uri.contains('*') {
        return Err(RedirectUriError::Wildcard);
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RedirectUriError::NotAscii);
    }
    let url = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute)?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(RedirectUriError::Fragment);
    }
    let scheme = url.scheme();
    if FORBIDDEN_SCHEMES.contains(&scheme) {
        return Err(RedirectUriError::ForbiddenScheme(scheme.to_owned()));
    }
    if scheme == "http" && !url.host_str().is_some_and(is_loopback_host) {
        return Err(RedirectUriError::InsecureHttp);
    }
    Ok(url)
}

/// Whether `requested` matches `registered`: byte for byte, or for loopback `http` URIs
/// everything but the port.
pub fn matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(registered), Ok(requested)) = (Url::parse(registered), Url::parse(requested)) else {
        return false;
    };
    let loopback = |u: &Url| u.scheme() == "http" && u.host_str().is_some_and(is_loopback_host);
    loopback(&registered)
        && loopback(&requested)
        && registered.host_str() == requested.host_str()
        && registered.path() == requested.path()
        && registered.query() == requested.query()
        && registered.username() == requested.username()
        && registered.password().is_none()
        && requested.password().is_none()
        && requested.fragment().is_none()
}

/// The entry of `dcr.allowed_redirect_uris` that names the MCP clients people use: their
/// hosted callbacks ([`KNOWN_CLIENT_CALLBACKS`]) and any loopback redirect URI (native apps).
pub const KNOWN_CLIENTS: &str = "known-clients";

/// The hosted OAuth callbacks of well-known MCP clients (Claude, ChatGPT connectors, Cursor,
/// VS Code), as `dcr.allowed_redirect_uris` patterns.
pub const KNOWN_CLIENT_CALLBACKS: &[&str] = &[
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "https://chatgpt.com/connector/oauth/*",
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://www.cursor.com/agents/mcp/oauth/callback",
    "cursor://anysphere.cursor-mcp/oauth/callback",
    "https://vscode.dev/redirect",
    "https://insiders.vscode.dev/redirect",
];

fn is_loopback_uri(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| u.host_str().is_some_and(is_loopback_host))
}

/// Whether Dynamic Client Registration may register `uri` under `allowlist` (`dcr.allowed_redirect_uris`):
/// an exact entry, or a pattern whose `*` stands for characters other than `/ ? # @`, or
/// [`KNOWN_CLIENTS`]. With no allowlist, only loopback redirect URIs are allowed.
pub fn allowed_by(allowlist: &[String], uri: &str) -> bool {
    if allowlist.is_empty() {
        return is_loopback_uri(uri);
    }
    allowlist.iter().any(|pattern| {
        if pattern == KNOWN_CLIENTS {
            is_loopback_uri(uri) || KNOWN_CLIENT_CALLBACKS.iter().any(|p| glob_matches(p, uri))
        } else {
            glob_matches(pattern, uri)
        }
    })
}

fn glob_matches(pattern: &str, text: &str) -> bool {
    let Some((head, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(remaining) = text.strip_prefix(head) else {
        return false;
    };
    for (taken, ch) in remaining
        .char_indices()
        .map(|(i, c)| (i, Some(c)))
        .chain([(remaining.len(), None)])
    {
        if glob_matches(rest, &remaining[taken..]) {
            return true;
        }
        if ch.is_none_or(|c| "/?#@".contains(c)) {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(validate_registration("https://app.example.com/callback").is_ok());
        assert!(validate_registration("http://127.0.0.1:8976/callback").is_ok());
        assert!(validate_registration("http://localhost/cb").is_ok());
        assert!(validate_registration("http://[::1]:1234/cb").is_ok());
        assert!(validate_registration("cursor://anysphere.cursor-mcp/oauth/callback").is_ok());
        assert_eq!(
            validate_registration("http://app.example.com/cb"),
            Err(RedirectUriError::InsecureHttp)
        );
        assert_eq!(
            validate_registration("https://app.example.com/cb#x"),
            Err(RedirectUriError::Fragment)
        );
        assert_eq!(
            validate_registration("javascript:alert(1)"),
            Err(RedirectUriError::ForbiddenScheme("javascript".into()))
        );
        assert_eq!(
            validate_registration("data:text/html,hi"),
            Err(RedirectUriError::ForbiddenScheme("data".into()))
        );
        assert_eq!(
            validate_registration("file:///etc/passwd"),
            Err(RedirectUriError::ForbiddenScheme("file".into()))
        );
        assert_eq!(
            validate_registration("/relative"),
            Err(RedirectUriError::NotAbsolute)
        );
        assert_eq!(
            validate_registration("https://*.example.com/cb"),
            Err(RedirectUriError::Wildcard)
        );
        let long = format!("https://app.example.com/{}", "a".repeat(2048));
        assert_eq!(validate_registration(&long), Err(RedirectUriError::TooLong));
    }

    #[test]
    fn redirect_uri_must_match_exactly() {
        let registered = "https://app.example.com/callback";
        assert!(matches(registered, registered));
        for other in [
            "https://app.example.com/callback/",
            "https://app.example.com/callback?x=1",
            "https://app.example.com/Callback",
            "https://app.example.com:8443/callback",
            "https://evil.example.com/callback",
            "http://app.example.com/callback",
        ] {
            assert!(!matches(registered, other), "{other}");
        }
    }

    #[test]
    fn loopback_redirect_uris_match_any_port() {
        assert!(matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:51234/callback"
        ));
        assert!(matches(
            "http://localhost:3000/cb",
            "http://localhost:4000/cb"
        ));
        assert!(!matches(
            "http://127.0.0.1/callback",
            "http://127.0.0.1:51234/other"
        ));
        assert!(!matches(
            "http://127.0.0.1/callback",
            "http://localhost:51234/callback"
        ));
        assert!(!matches(
            "http://127.0.0.1/cb",
            "http://user:pw@127.0.0.1:9/cb"
        ));
    }

    #[test]
    fn allowlists_take_exact_entries_and_port_or_label_globs() {
        let list = vec![
            "https://app.example.com/cb".to_owned(),
            "http://127.0.0.1:*/callback".to_owned(),
            "https://*.tenant.example.com/cb".to_owned(),
        ];
        assert!(allowed_by(&list, "https://app.example.com/cb"));
        assert!(allowed_by(&list, "http://127.0.0.1:8976/callback"));
        assert!(allowed_by(&list, "https://eu.tenant.example.com/cb"));
        assert!(!allowed_by(
            &list,
            "https://evil.com/.tenant.example.com/cb"
        ));
        assert!(!allowed_by(
            &list,
            "https://evil.com?.tenant.example.com/cb"
        ));
        assert!(!allowed_by(
            &list,
            "https://evil.com@x.tenant.example.com/cb"
        ));
        assert!(!allowed_by(&list, "https://app.example.com/cb2"));
        assert!(allowed_by(&[], "http://127.0.0.1:9999/cb"));
        assert!(
            !allowed_by(&[], "https://app.example.com/cb"),
            "no allowlist: loopback only"
        );
    }
}
