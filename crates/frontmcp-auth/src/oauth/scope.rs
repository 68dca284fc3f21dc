//! Scope strings (RFC 6749 §3.3): space-separated tokens of `NQCHAR`.

use super::error::{ErrorCode, OAuthError};

/// Scopes every orchestrated server grants (identity claims).
pub const STANDARD_SCOPES: &[&str] = &["profile", "email"];

/// The scope of a refresh token, granted (and advertised by the authorization server) when
/// refresh is on.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// What a server grants: the baseline a client should ask for (the standard scopes and
/// `scopes_supported`), plus the scopes per-tool requirements need and `offline_access` with
/// refresh. Anything else is `invalid_scope`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopePolicy {
    /// The scopes a client should ask for up front.
    pub baseline: Vec<String>,
    /// Scopes that tools require (granted on request, shown on the consent screen).
    pub step_up: Vec<String>,
    /// Whether `offline_access` is granted (refresh is on).
    pub offline: bool,
}

impl ScopePolicy {
    /// The policy of `supported` (configured) scopes, `tool_scopes` and refresh.
    pub fn new(supported: &[String], tool_scopes: &[String], offline: bool) -> Self {
        let mut baseline: Vec<String> = STANDARD_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        for scope in supported {
            if !baseline.contains(scope) && scope != OFFLINE_ACCESS {
                baseline.push(scope.clone());
            }
        }
        let mut step_up = Vec::new();
        for scope in tool_scopes {
            if !baseline.contains(scope) && !step_up.contains(scope) {
                step_up.push(scope.clone());
            }
        }
        Self {
            baseline,
            step_up,
            offline,
        }
    }

    /// Every scope a token may carry.
    pub fn grantable(&self) -> Vec<String> {
        let mut all = self.resource_scopes();
        if self.offline {
            all.push(OFFLINE_ACCESS.to_owned());
        }
        all
    }

    /// The scopes of the protected resource (never `offline_access`, which is the
    /// authorization server's).
    pub fn resource_scopes(&self) -> Vec<String> {
        let mut all = self.baseline.clone();
        all.extend(self.step_up.iter().cloned());
        all
    }

    /// The requested scopes this server does not grant.
    pub fn unknown<'a>(&self, requested: &'a [String]) -> Vec<&'a str> {
        beyond(requested, &self.grantable())
    }
}

/// The most scope tokens one request may carry.
const MAX_SCOPES: usize = 64;

/// Splits and validates a scope string; duplicates are dropped, order kept.
///
/// # Errors
///
/// `invalid_scope` for a character outside `%x21 / %x23-5B / %x5D-7E` or too many tokens.
pub fn parse_scope(text: &str) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for token in text.split(' ').filter(|t| !t.is_empty()) {
        let valid = token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "a scope contains a character outside the allowed set",
            ));
        }
        if !scopes.iter().any(|s| s == token) {
            scopes.push(token.to_owned());
        }
    }
    if scopes.len() > MAX_SCOPES {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "too many scopes"));
    }
    Ok(scopes)
}

/// The scopes of `requested` outside `allowed`.
pub fn beyond<'a>(requested: &'a [String], allowed: &[String]) -> Vec<&'a str> {
    requested
        .iter()
        .filter(|s| !allowed.contains(s))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_tokens_of_the_allowed_characters() {
        assert_eq!(
            parse_scope("openid  email openid").expect("valid"),
            ["openid", "email"]
        );
        assert!(parse_scope("a\"b").is_err());
        assert!(parse_scope("a\\b").is_err());
        assert!(parse_scope("caf\u{e9}").is_err());
        let granted = vec![String::from("a"), String::from("b")];
        assert_eq!(
            beyond(&[String::from("a"), String::from("c")], &granted),
            ["c"]
        );
    }
}
