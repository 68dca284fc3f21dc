//! PKCE (RFC 7636) with `S256` only, as OAuth 2.1 requires.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// Why a PKCE parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// No `code_challenge` in the authorization request.
    #[error("code_challenge is required (PKCE with S256)")]
    MissingChallenge,
    /// A method other than `S256` (including `plain` and a missing method).
    #[error("code_challenge_method must be S256")]
    MethodNotS256,
    /// A challenge that is not 43 base64url characters (a SHA-256 digest).
    #[error("code_challenge must be 43 base64url characters")]
    MalformedChallenge,
    /// A verifier outside 43-128 unreserved characters.
    #[error("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")]
    MalformedVerifier,
    /// The verifier does not hash to the challenge.
    #[error("code_verifier does not match the code_challenge")]
    Mismatch,
}

/// A validated `S256` code challenge, as stored with an authorization code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// Validates the authorization request's `code_challenge` and `code_challenge_method`.
    ///
    /// # Errors
    ///
    /// A missing challenge, a method other than `S256` (a missing method means `plain` in
    /// RFC 7636, so it is refused too), or a challenge that is not a base64url SHA-256 digest.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, PkceError> {
        let challenge = challenge
            .filter(|c| !c.is_empty())
            .ok_or(PkceError::MissingChallenge)?;
        if method != Some("S256") {
            return Err(PkceError::MethodNotS256);
        }
        let well_formed = challenge.len() == 43
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(PkceError::MalformedChallenge);
        }
        Ok(Self(challenge.to_owned()))
    }

    /// A challenge as stored with a code (validated when it was received).
    pub fn from_stored(challenge: &str) -> Self {
        Self(challenge.to_owned())
    }

    /// The challenge as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the token request's `code_verifier` against this challenge, comparing the digests
    /// in constant time.
    ///
    /// # Errors
    ///
    /// A malformed verifier, or one that does not match.
    pub fn verify(&self, verifier: &str) -> Result<(), PkceError> {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !well_formed {
            return Err(PkceError::MalformedVerifier);
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        let computed = URL_SAFE_NO_PAD.encode(digest.as_ref());
        if bool::from(computed.as_bytes().ct_eq(self.0.as_bytes())) {
            Ok(())
        } else {
            Err(PkceError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636, appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_example_verifies() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).expect("valid");
        assert_eq!(challenge.verify(VERIFIER), Ok(()));
    }

    #[test]
    fn pkce_plain_is_rejected() {
        assert_eq!(
            CodeChallenge::parse(Some(CHALLENGE), Some("plain")),
            Err(PkceError::MethodNotS256)
        );
        assert_eq!(
            CodeChallenge::parse(Some(CHALLENGE), None),
            Err(PkceError::MethodNotS256)
        );
        assert_eq!(
            CodeChallenge::parse(None, Some("S256")),
            Err(PkceError::MissingChallenge)
        );
        assert_eq!(
            CodeChallenge::parse(Some(""), Some("S256")),
            Err(PkceError::MissingChallenge)
        );
    }

    #[test]
    fn pkce_wrong_verifier_is_rejected() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).expect("valid");
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert_eq!(challenge.verify(other), Err(PkceError::Mismatch));
        assert_eq!(challenge.verify("short"), Err(PkceError::MalformedVerifier));
        assert_eq!(
            challenge.verify(&"a".repeat(129)),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            challenge.verify(&format!("{}!", &VERIFIER[..42])),
            Err(PkceError::MalformedVerifier)
        );
        assert_eq!(
            challenge.verify(CHALLENGE),
            Err(PkceError::Mismatch),
            "the challenge is not its own verifier"
        );
    }

    #[test]
    fn malformed_challenges_are_rejected() {
        for bad in [
            "abc",
            &"A".repeat(44),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=",
        ] {
            assert_eq!(
                CodeChallenge::parse(Some(bad), Some("S256")),
                Err(PkceError::MalformedChallenge),
                "{bad}"
            );
        }
    }
}
