//! Per-account API rate limits: independent read and write buckets (governor's GCRA).

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::ApiError;

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
    pub fn new(reads_per_minute: u32, writes_per_minute: u32) -> Self {
        Self {
            reads: limiter(reads_per_minute),
            writes: limiter(writes_per_minute),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request against the account's bucket, or says how long to wait.
    pub fn check(&self, user_id: i64, read: bool) -> Result<(), ApiError> {
        let bucket = if read { &self.reads } else { &self.writes };
        let Some(bucket) = bucket else {
            return Ok(());
        };
        bucket.check_key(&user_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }
}
