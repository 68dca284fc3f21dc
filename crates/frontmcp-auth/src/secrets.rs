//! Random tokens, their stored digests, constant-time comparison, and the sealed replay of a
//! refresh response.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest as sha256};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// A new random token: 256 bits, base64url (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new random identifier: 128 bits, base64url (22 characters).
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn fill(bytes: &mut [u8]) {
    // The system RNG failing means the OS cannot provide entropy; nothing secure can go on.
    SystemRandom::new()
        .fill(bytes)
        .expect("the system random number generator failed");
}

/// The digest under which a token, code or secret is stored: SHA-256, base64url.
///
/// The values hashed are 256-bit random strings (or operator-chosen secrets compared, never
/// stored), so a fast unsalted hash is the right tool: there is nothing to brute-force.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(sha256(&SHA256, secret.as_bytes()).as_ref())
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (digest(a), digest(b));
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn derived_key(purpose: &str, secret: &str) -> Option<LessSafeKey> {
    let key = sha256(
        &SHA256,
        format!("frontmcp-auth {purpose}\0{secret}").as_bytes(),
    );
    UnboundKey::new(&AES_256_GCM, key.as_ref())
        .ok()
        .map(LessSafeKey::new)
}

/// Encrypts `plaintext` under a key derived from `token`: only a caller presenting the same
/// token can read it back.
pub fn seal(token: &str, plaintext: &[u8]) -> Option<Vec<u8>> {
    seal_for("refresh replay", token, b"", plaintext)
}

/// Decrypts what [`seal`] produced with the same `token`.
pub fn open(token: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    open_for("refresh replay", token, b"", sealed)
}

/// Encrypts `plaintext` with AES-256-GCM under a key derived from `purpose` and `secret`, bound
/// to `context` (authenticated, not stored): the output is the nonce followed by the ciphertext.
pub fn seal_for(purpose: &str, secret: &str, context: &[u8], plaintext: &[u8]) -> Option<Vec<u8>> {
    let key = derived_key(purpose, secret)?;
    let mut nonce = [0u8; NONCE_LEN];
    fill(&mut nonce);
    let mut data = plaintext.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(context),
        &mut data,
    )
    .ok()?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&data);
    Some(out)
}

/// Decrypts what [`seal_for`] produced with the same `purpose`, `secret` and `context`.
pub fn open_for(purpose: &str, secret: &str, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    let key = derived_key(purpose, secret)?;
    let (nonce, data) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut data = data.to_vec();
    let plain = key
        .open_in_place(nonce, Aad::from(context), &mut data)
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }

    #[test]
    fn a_sealed_replay_opens_only_with_its_token() {
        let sealed = seal("token-one", b"{\"access_token\":\"x\"}").expect("seal");
        assert_eq!(
            open("token-one", &sealed).as_deref(),
            Some(&b"{\"access_token\":\"x\"}"[..])
        );
        assert_eq!(open("token-two", &sealed), None);
        assert_eq!(open("token-one", &sealed[..5]), None);
    }
}
