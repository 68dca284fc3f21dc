//! Password hashing: argon2id at OWASP's first recommended setting (19 MiB, 2 passes, one
//! lane), run on the blocking pool, at most a few at once so a flood of logins cannot take all
//! the memory. Verification of an unknown user runs against a dummy hash of the same cost, so
//! both answers take the same time.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory cost in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;
/// The shortest password `frontmcp-auth users add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The longest password accepted anywhere (longer input is refused unhashed).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes at most this many passwords at once (each holds [`MEMORY_KIB`] while it runs).
const CONCURRENT_HASHES: usize = 4;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(CONCURRENT_HASHES))
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) of `password` with a fresh salt.
///
/// # Errors
///
/// When the password is longer than [`MAX_PASSWORD_BYTES`] or hashing fails.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(format!("passwords are at most {MAX_PASSWORD_BYTES} bytes"));
    }
    argon2()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("cannot hash the password: {e}"))
}

/// A hash of the same cost that no password matches, verified in place of an unknown user's.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = crate::secrets::random_token();
        hash_password(&random).unwrap_or_default()
    })
}

/// Whether `password` matches `hash` (a PHC string); `None` for `hash` verifies against the
/// dummy hash and is always `false`, taking the same time.
pub fn verify_blocking(hash: Option<&str>, password: &str) -> bool {
    let matches = |phc: &str| {
        PasswordHash::new(phc).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    };
    if password.len() > MAX_PASSWORD_BYTES {
        // Still pay the cost, so a long password tells nothing.
        let _ = matches(dummy_hash());
        return false;
    }
    match hash {
        Some(phc) => matches(phc),
        None => {
            let _ = matches(dummy_hash());
            false
        }
    }
}

/// [`verify_blocking`] on the blocking pool, at most four at once.
pub async fn verify(hash: Option<String>, password: String) -> bool {
    let Ok(_permit) = permits().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_blocking(hash.as_deref(), &password))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_the_chosen_cost_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_blocking(Some(&hash), "correct horse battery"));
        assert!(!verify_blocking(Some(&hash), "correct horse battery "));
        assert!(!verify_blocking(None, "correct horse battery"));
        assert!(!verify_blocking(Some("not a hash"), "x"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").expect("salted")
        );
    }
}
