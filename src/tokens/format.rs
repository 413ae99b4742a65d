//! API token secrets: `reef_` + 32 OS-random bytes in base62 + a 6-character base62 CRC32 of
//! that random part. The checksum lets us (and secret scanners) reject typos and junk without
//! touching the database; only the SHA-256 of the whole secret is ever stored.

use std::fmt;

use crate::db::UnixTime;
use crate::secret;

/// What every secret starts with, so people and secret scanners can tell a Reef token.
pub const PREFIX: &str = "reef_";
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// 62^43 > 2^256, so 43 digits hold any 32 bytes.
const RANDOM_LEN: usize = 43;
/// 62^6 > 2^32.
const CHECKSUM_LEN: usize = 6;
/// Length of a whole secret in bytes, all ASCII: 5 + 43 + 6 = 54.
pub const SECRET_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;

/// Big-endian base62 of `bytes`, left-padded with '0' to `width` digits.
fn base62(bytes: &[u8], width: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        let mut rem = 0u32;
        for byte in number.iter_mut() {
            let acc = (rem << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            rem = acc % 62;
        }
        digits.push(BASE62[rem as usize]);
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    digits.into_iter().map(char::from).collect()
}

fn checksum(random_part: &str) -> String {
    base62(
        &crc32fast::hash(random_part.as_bytes()).to_be_bytes(),
        CHECKSUM_LEN,
    )
}

/// A token secret. Its `Debug` shows only the masked form, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

/// The SHA-256 of a secret: what the database stores and looks up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenHash(pub [u8; 32]);

impl TokenSecret {
    /// A new secret from 32 bytes of OS randomness.
    pub fn generate() -> Self {
        let random = base62(&secret::os_random::<32>(), RANDOM_LEN);
        let check = checksum(&random);
        Self(format!("{PREFIX}{random}{check}"))
    }

    /// Accepts only well-formed secrets whose checksum matches: exactly [`SECRET_LEN`] bytes,
    /// [`PREFIX`] then base62. Surrounding whitespace is not trimmed; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let body = raw.strip_prefix(PREFIX)?;
        if raw.len() != SECRET_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (random, check) = body.split_at(RANDOM_LEN);
        secret::ct_eq(checksum(random).as_bytes(), check.as_bytes()).then(|| Self(raw.to_owned()))
    }

    /// The whole secret, to show once when issued and to send as a bearer token.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its SHA-256, as the database stores it.
    pub fn hash(&self) -> TokenHash {
        TokenHash(secret::sha256(self.0.as_bytes()))
    }

    /// Its last 4 characters (part of the checksum), shown to tell tokens apart.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenSecret({PREFIX}…{})", self.last4())
    }
}

/// What a token may do: read only, or read and change diagrams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Read,
    ReadWrite,
}

impl Scope {
    /// The stored and displayed form: `read` or `read-write`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::ReadWrite => "read-write",
        }
    }

    /// The inverse of [`Scope::as_str`]; `None` for any other text.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "read" => Some(Scope::Read),
            "read-write" => Some(Scope::ReadWrite),
            _ => None,
        }
    }
}

/// Six calendar months after `created` (Unix seconds, UTC), clamped to the end of a shorter
/// month: Aug 31 → Feb 28 (or 29), keeping the time of day. Returns Unix seconds, UTC; a time
/// outside the calendar's range gets 183 days instead.
pub fn expiry(created: UnixTime) -> UnixTime {
    let Ok(start) = time::OffsetDateTime::from_unix_timestamp(created.seconds()) else {
        return created + 183 * 86_400;
    };
    let month0 = start.month() as i32 - 1 + 6;
    let year = start.year() + month0 / 12;
    let Ok(month) = time::Month::try_from((month0 % 12 + 1) as u8) else {
        return created + 183 * 86_400;
    };
    let day = start.day().min(time::util::days_in_month(month, year));
    time::Date::from_calendar_date(year, month, day)
        .map(|date| UnixTime(date.with_time(start.time()).assume_utc().unix_timestamp()))
        .unwrap_or(created + 183 * 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i32, m: u8, d: u8) -> UnixTime {
        let month = time::Month::try_from(m).unwrap_or(time::Month::January);
        time::Date::from_calendar_date(y, month, d)
            .map(|d| UnixTime(d.midnight().assume_utc().unix_timestamp()))
            .unwrap_or_default()
    }

    #[test]
    fn generated_secrets_parse_and_have_the_documented_shape() {
        let s = TokenSecret::generate();
        assert_eq!(s.expose().len(), SECRET_LEN);
        assert!(s.expose().starts_with("reef_"));
        assert_eq!(TokenSecret::parse(s.expose()), Some(s.clone()));
        assert_ne!(TokenSecret::generate(), s);
    }

    #[test]
    fn a_single_typo_fails_the_checksum() {
        let s = TokenSecret::generate();
        let mut chars: Vec<char> = s.expose().chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert_eq!(TokenSecret::parse(&typo), None);
        assert_eq!(TokenSecret::parse(&s.expose()[..SECRET_LEN - 1]), None);
        assert_eq!(
            TokenSecret::parse(&s.expose().replacen("reef_", "reff_", 1)),
            None
        );
        assert_eq!(TokenSecret::parse(""), None);
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let s = TokenSecret::generate();
        let shown = format!("{s:?}");
        assert!(!shown.contains(&s.expose()[5..20]));
        assert!(shown.ends_with(&format!("{})", s.last4())));
    }

    #[test]
    fn tokens_expire_six_calendar_months_later_clamped_to_month_end() {
        assert_eq!(expiry(ts(2026, 1, 15)), ts(2026, 7, 15));
        assert_eq!(expiry(ts(2025, 8, 31)), ts(2026, 2, 28));
        assert_eq!(expiry(ts(2027, 8, 31)), ts(2028, 2, 29));
        assert_eq!(expiry(ts(2026, 12, 31)), ts(2027, 6, 30));
        assert_eq!(expiry(ts(2026, 7, 1) + 3600), ts(2027, 1, 1) + 3600);
    }
}
