//! Scope strings (RFC 6749 §3.3): space-separated tokens of `NQCHAR`.

use super::error::{ErrorCode, OAuthError};

/// Scopes this server documents in its metadata.
pub const STANDARD_SCOPES: &[&str] = &["profile", "email", "offline_access"];

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
