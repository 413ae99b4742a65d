//! Shared application state handed to every handler.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::db::Db;
use crate::render::Renderer;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub renderer: Renderer,
    pub clock: Clock,
    pub login_limits: Arc<LoginLimits>,
    pub api_limits: Arc<crate::api::limits::ApiLimits>,
    pub used_nonces: Arc<crate::web::settings::UsedNonces>,
}

impl AppState {
    pub fn new(config: Config, db: Db, renderer: Renderer) -> Self {
        let api_limits =
            crate::api::limits::ApiLimits::new(config.rate_read_per_min, config.rate_write_per_min);
        Self {
            api_limits: Arc::new(api_limits),
            used_nonces: Arc::default(),
            db,
            config: Arc::new(config),
            renderer,
            clock: Clock::default(),
            login_limits: Arc::new(LoginLimits::new()),
        }
    }
}

/// Wall-clock time in Unix seconds, with an offset tests can move forward instead of sleeping.
#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset.load(Ordering::Relaxed)
    }

    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// Sign-in attempts per email and per client address, so passwords cannot be guessed quickly.
pub struct LoginLimits {
    pub per_email: DefaultKeyedRateLimiter<String>,
    pub per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimits {
    fn new() -> Self {
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self {
            // A burst of 5 tries per email, then one more every 12 seconds.
            per_email: RateLimiter::keyed(Quota::per_minute(five).allow_burst(five)),
            // A burst of 20 per address (a household behind one NAT), then 20 a minute.
            per_ip: RateLimiter::keyed(Quota::per_minute(twenty).allow_burst(twenty)),
        }
    }

    /// True when this attempt is allowed; every attempt counts.
    pub fn allow(&self, email: &str, ip: IpAddr) -> bool {
        let ip_ok = self.per_ip.check_key(&ip).is_ok();
        let email_ok = self.per_email.check_key(&email.to_lowercase()).is_ok();
        ip_ok && email_ok
    }
}
