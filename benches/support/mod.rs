//! Shared by the side-by-side benchmarks: a real server with unlimited rate limits, a signed-in
//! browser and a bearer-token client, and the statistics they print.
#![allow(dead_code)]

use std::time::Duration;

use crate::common::{self, Api, Browser, TestServer};

/// A server with rate limits off, its owner's browser session and a read-write token client.
pub async fn server() -> (TestServer, Browser, Api) {
    let server = TestServer::start_with(|config| {
        config.rate_read_per_min = 0;
        config.rate_write_per_min = 0;
    })
    .await;
    let browser = common::signed_in(&server, "bench@example.net").await;
    let secret = browser.create_token("bench", "read-write").await;
    let api = Api::new(&server, &secret);
    (server, browser, api)
}

/// An environment variable as a number, or `default`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `q` quantile (0.0 to 1.0, nearest rank) of `samples`, which it sorts.
pub fn quantile(samples: &mut [Duration], q: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let rank = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

pub fn median(samples: &mut [Duration]) -> Duration {
    quantile(samples, 0.5)
}

/// The median of plain numbers (ratios), which it sorts.
pub fn median_f64(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "met" or "MISSED", for the verdict lines.
pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}
