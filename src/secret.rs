//! Random identifiers and secrets, and the hashes we store instead of them.

use rand::rngs::OsRng;
use rand::{Rng, RngCore, TryRngCore};
use sha2::{Digest, Sha256};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `N` bytes from the operating system's RNG, for anything that authenticates.
///
/// # Panics
/// If the operating system cannot supply randomness.
pub fn os_random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS RNG failing leaves no safe way to continue serving; this cannot fail on Linux.
    OsRng.unwrap_err().fill_bytes(&mut buf);
    buf
}

/// A short random URL-safe id (diagram ids, share ids): `len` base62 characters from the
/// thread RNG. Not a secret: ids name things, ownership checks protect them.
pub fn short_id(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| BASE62[rng.random_range(0..BASE62.len())] as char)
        .collect()
}

/// The SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A 32-byte cookie secret as lowercase hex (64 characters).
pub fn new_cookie_secret() -> String {
    hex::encode(os_random::<32>())
}

/// Parses a cookie secret minted by [`new_cookie_secret`]; anything else is treated as absent.
pub fn parse_cookie_secret(raw: &str) -> Option<[u8; 32]> {
    if raw.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(raw, &mut out).ok()?;
    Some(out)
}

/// HMAC-SHA-256 (RFC 2104) of `parts`, concatenated, under `key`.
pub fn hmac_sha256(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    use hmac::Mac;
    // A 32-byte key is always accepted.
    let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(key) else {
        return [0; 32];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality for secrets and CSRF tokens. Inputs of different lengths are
/// unequal at once: lengths are not secret.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
