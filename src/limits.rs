//! In-memory throttles and replay guards: per-account API buckets, sign-in attempts, and
//! create-form nonces already used. Nothing here is stored; a restart resets them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// How long to wait before the next try, in whole seconds (at least 1): the value of a 429's
/// `Retry-After` (RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// Which of an account's two API buckets a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// GET, HEAD, rendering (which stores nothing), and MCP's read tools.
    Read,
    /// Everything that may change something.
    Write,
}

/// Per-account API rate limits: independent read and write buckets (governor's GCRA),
/// shared by REST and MCP.
pub struct ApiLimits {
    reads: Option<DefaultKeyedRateLimiter<i64>>,
    writes: Option<DefaultKeyedRateLimiter<i64>>,
    clock: DefaultClock,
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<i64>> {
    // 0 means unlimited.
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl ApiLimits {
    /// Buckets of `reads_per_minute` and `writes_per_minute` requests per account; 0 means
    /// unlimited.
    pub fn new(reads_per_minute: u32, writes_per_minute: u32) -> Self {
        Self {
            reads: limiter(reads_per_minute),
            writes: limiter(writes_per_minute),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request against the account's bucket.
    ///
    /// # Errors
    /// [`RetryAfter`] when the bucket is empty: how long until the next request fits.
    pub fn check(&self, user_id: i64, bucket: Bucket) -> Result<(), RetryAfter> {
        let limiter = match bucket {
            Bucket::Read => &self.reads,
            Bucket::Write => &self.writes,
        };
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.check_key(&user_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            RetryAfter((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        })
    }
}

/// Sign-in attempts per email and per client address, so passwords cannot be guessed quickly.
pub struct LoginLimits {
    per_email: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self {
            // A burst of 5 tries per email, then one more every 12 seconds.
            per_email: RateLimiter::keyed(Quota::per_minute(five).allow_burst(five)),
            // A burst of 20 per address (a household behind one NAT), then 20 a minute.
            per_ip: RateLimiter::keyed(Quota::per_minute(twenty).allow_burst(twenty)),
        }
    }
}

impl LoginLimits {
    /// True when this attempt is allowed; every attempt counts, against both the address and
    /// the email (compared without case).
    pub fn allow(&self, email: &str, ip: IpAddr) -> bool {
        let ip_ok = self.per_ip.check_key(&ip).is_ok();
        let email_ok = self.per_email.check_key(&email.to_lowercase()).is_ok();
        ip_ok && email_ok
    }
}

/// Create-form nonces already used, so reloading the page that shows a new secret (which
/// re-posts the form) cannot mint a second token. Kept in memory for an hour.
#[derive(Default)]
pub struct UsedNonces(Mutex<HashMap<String, Instant>>);

impl UsedNonces {
    /// True the first time a nonce is seen (within the hour).
    pub fn first_use(&self, nonce: &str) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        seen.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
        seen.insert(nonce.to_owned(), Instant::now()).is_none()
    }
}
