//! Password rules and argon2id hashing. Hashing is slow and takes about 19 MiB on purpose, so
//! the server runs it on its bounded [`HeavyWork`](crate::limits::HeavyWork) threads (see
//! [`crate::accounts`]); these functions are the synchronous work itself.

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

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

thread_local! {
    /// This thread's argon2 working memory (19 MiB with the default parameters), kept for
    /// the next hash. argon2's own `hash_password_into` allocates it anew each time, 64-byte
    /// aligned, and glibc does not reuse such blocks: every hash then added 19 MiB to the
    /// process until it held hundreds. Hashing runs on a few long-lived threads, so memory
    /// stays at one buffer per thread.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` with `salt` into `out`, in this thread's reused memory.
fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// Hashes with argon2id (the crate's default parameters: 19 MiB, 2 passes, 32-byte output;
/// a 16-byte OS-random salt). Returns the PHC string that is stored, exactly as
/// `argon2::PasswordHasher` writes it.
///
/// # Errors
/// The hasher's error, as text; not for showing to people.
pub fn hash(password: &str) -> Result<String, String> {
    let salt =
        SaltString::encode_b64(&crate::secret::os_random::<16>()).map_err(|e| e.to_string())?;
    let mut salt_bytes = [0u8; 16];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    let params = Params::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password.as_bytes(),
        salt_bytes,
        &mut out,
    )
    .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (any argon2 variant, version and
/// parameters it names); the comparison is constant-time.
fn matches(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    argon2_into(algorithm, version, params, password.as_bytes(), salt, &mut out).is_ok()
        // `Output` compares in constant time.
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Verifies against `stored`, or against a fixed dummy hash when there is no account, so a
/// wrong email costs the same time as a wrong password. False also when `stored` is not a
/// PHC string.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(stored) => matches(password, stored),
        None => {
            matches(password, &DUMMY);
            false
        }
    }
}

static DUMMY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash("reef-dummy-password").unwrap_or_default());

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_are_the_standard_phc_strings_both_ways() {
        let ours = hash("correct horse battery").unwrap_or_default();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).ok();
        let upstream = Argon2::default();
        assert!(parsed.is_some_and(|p| {
            upstream
                .verify_password(b"correct horse battery", &p)
                .is_ok()
        }));
        let salt = SaltString::encode_b64(b"0123456789abcdef").ok();
        let theirs = salt
            .and_then(|s| {
                upstream
                    .hash_password(b"pw for upstream", &s)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default();
        assert!(verify("pw for upstream", Some(&theirs)));
        assert!(!verify("pw for upstreaM", Some(&theirs)));
        assert!(!verify("anything", Some("not a phc string")));
        assert!(!verify("anything", None));
    }
}
