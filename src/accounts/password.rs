//! Password rules and argon2id hashing. Hashing is slow on purpose, so callers run it on
//! the blocking pool (see [`hash_blocking`] and [`verify_blocking`]).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// Longest password accepted, in bytes of UTF-8.
pub const MAX_BYTES: usize = 1024;

/// Checks length rules; the message is shown to the user as is.
///
/// # Errors
/// The sentence to show when the password is under [`MIN_LEN`] characters or over
/// [`MAX_BYTES`] bytes.
pub fn check_rules(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LEN {
        return Err(format!("Use a password of at least {MIN_LEN} characters."));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("Use a password of at most {MAX_BYTES} bytes."));
    }
    Ok(())
}

fn hash(password: &str) -> Result<String, String> {
    let salt =
        SaltString::encode_b64(&crate::secret::os_random::<16>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashes with argon2id (the crate's default parameters, a 16-byte OS-random salt) on the
/// blocking pool. Returns the PHC string that is stored.
///
/// # Errors
/// The hasher's or the blocking task's error, as text; not for showing to people.
pub async fn hash_blocking(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Verifies against `stored`, or against a fixed dummy hash when there is no account, so a
/// wrong email costs the same time as a wrong password. False also when `stored` is not a
/// PHC string or the blocking task fails.
pub async fn verify_blocking(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(hash) => verify(&password, &hash),
        None => {
            verify(&password, &DUMMY);
            false
        }
    })
    .await
    .unwrap_or(false)
}

static DUMMY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash("reef-dummy-password").unwrap_or_default());

/// Synchronous hashing for the command line, as [`hash_blocking`] but on this thread.
///
/// # Errors
/// The hasher's error, as text.
pub fn hash_now(password: &str) -> Result<String, String> {
    hash(password)
}
