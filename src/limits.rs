//! In-memory throttles and replay guards: per-account API buckets, sign-in attempts, and
//! create-form nonces already used. Nothing here is stored; a restart resets them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::render::Requester;

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

/// How long until `not_until` from `clock`'s now, as a `Retry-After`.
fn retry_after(
    not_until: &governor::NotUntil<governor::clock::QuantaInstant>,
    clock: &DefaultClock,
) -> RetryAfter {
    let wait = not_until.wait_time_from(clock.now());
    RetryAfter((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

/// A rate per render [`Requester`]: a burst, then a steady rate per minute. Zero per minute
/// means unlimited.
pub struct RequesterRate {
    rate: Option<DefaultKeyedRateLimiter<Requester>>,
    clock: DefaultClock,
}

impl RequesterRate {
    /// `per_minute` a minute after a burst of `burst` (both at least 1); 0 per minute means
    /// unlimited.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        Self {
            rate: NonZeroU32::new(per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n).allow_burst(burst))),
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request of `requester`.
    ///
    /// # Errors
    /// [`RetryAfter`] when the requester is over the rate.
    pub fn check(&self, requester: Requester) -> Result<(), RetryAfter> {
        let Some(rate) = &self.rate else {
            return Ok(());
        };
        rate.check_key(&requester)
            .map_err(|not_until| retry_after(&not_until, &self.clock))
    }
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
        limiter
            .check_key(&user_id)
            .map_err(|not_until| retry_after(&not_until, &self.clock))
    }
}

/// Password attempts: sign-ins, sign-ups and the current password asked again in settings.
///
/// Limits are per (account, address) and per address, never per account alone, so a stranger
/// cannot lock the owner out: the owner's right password from their own address still works
/// while someone else's address is refused. Wrong passwords for one account also answer more
/// slowly as they pile up (from any address), which slows a guesser spread over many
/// addresses without refusing anyone.
pub struct LoginLimits {
    per_account_address: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    sign_ups: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Wrong passwords for an account are forgotten after this long without another.
const FAILURES_FORGOTTEN_AFTER: Duration = Duration::from_secs(15 * 60);

impl Default for LoginLimits {
    fn default() -> Self {
        let n = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            // A burst of 5 tries for one account from one address, then one every 12 seconds.
            per_account_address: RateLimiter::keyed(Quota::per_minute(n(5)).allow_burst(n(5))),
            // A burst of 20 per address (a household behind one NAT), then 20 a minute.
            per_address: RateLimiter::keyed(Quota::per_minute(n(20)).allow_burst(n(20))),
            // Accounts are made rarely: 5 sign-up attempts per address, then one every 12
            // minutes.
            sign_ups: RateLimiter::keyed(Quota::per_hour(n(5)).allow_burst(n(5))),
            failures: Mutex::default(),
        }
    }
}

impl LoginLimits {
    /// True when a password attempt for `account` (an email, compared without case, or a
    /// user id) from `ip` is allowed; every attempt counts, against the pair and the address.
    pub fn allow(&self, account: &str, ip: IpAddr) -> bool {
        let address_ok = self.per_address.check_key(&ip).is_ok();
        let pair_ok = self
            .per_account_address
            .check_key(&(account.to_lowercase(), ip))
            .is_ok();
        address_ok && pair_ok
    }

    /// True when a sign-up attempt from `ip` is allowed (it also counts as a password attempt
    /// of the address).
    pub fn allow_sign_up(&self, ip: IpAddr) -> bool {
        let address_ok = self.per_address.check_key(&ip).is_ok();
        self.sign_ups.check_key(&ip).is_ok() && address_ok
    }

    /// Records a wrong password for `account` and says how long to wait before answering:
    /// 250 ms for the first five in a row, then doubling up to 8 s.
    pub fn failed(&self, account: &str) -> Duration {
        let Ok(mut failures) = self.failures.lock() else {
            return Duration::from_millis(250);
        };
        failures.retain(|_, (_, at)| at.elapsed() < FAILURES_FORGOTTEN_AFTER);
        let entry = failures
            .entry(account.to_lowercase())
            .or_insert((0, Instant::now()));
        *entry = (entry.0.saturating_add(1), Instant::now());
        let extra = entry.0.saturating_sub(5).min(5);
        Duration::from_millis(250 << extra)
    }

    /// Forgets the wrong passwords of `account` (after a right one).
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&account.to_lowercase());
        }
    }
}

/// Work too heavy to run on the shared blocking pool without a bound: argon2 password hashes
/// (about 19 MiB of memory each). A fixed set of threads does it, at most one job per thread
/// at a time; callers queue for a slot for at most `wait`, then are told the server is busy.
/// Memory stays at about `threads` × one job's worth, however many requests arrive, and each
/// thread's allocator keeps reusing its own memory.
pub struct HeavyWork {
    slots: tokio::sync::Semaphore,
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
    wait: Duration,
}

/// No slot freed up in time: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy(pub RetryAfter);

impl HeavyWork {
    /// `threads` worker threads (at least 1), named `reef-heavy`; a caller waits at most
    /// `wait` for one. The threads end when this is dropped.
    pub fn new(threads: usize, wait: Duration) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        let threads = threads.max(1);
        for _ in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name("reef-heavy".into())
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a worker thread for password hashing");
            }
        }
        Self {
            slots: tokio::sync::Semaphore::new(threads),
            jobs,
            wait,
        }
    }

    /// Runs `job` on one of the threads and returns its result.
    ///
    /// # Errors
    /// [`Busy`] when no thread came free within the wait (or the threads are gone).
    pub async fn run<T, F>(&self, job: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let busy = Busy(RetryAfter(self.wait.as_secs().max(1)));
        let _slot = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .map_err(|_| busy)?
            .map_err(|_| busy)?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(job());
            }))
            .map_err(|_| busy)?;
        result.await.map_err(|_| busy)
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

/// Live previews: a rate per requester, and only the newest preview of each editor counts.
pub struct PreviewLimits {
    rate: RequesterRate,
    newest: Mutex<HashMap<Vec<u8>, tokio::sync::watch::Sender<u64>>>,
}

impl Default for PreviewLimits {
    fn default() -> Self {
        Self {
            // The editor asks at most once per 300 ms pause in typing: a burst of 30, then
            // two a second, is far more than a person makes.
            rate: RequesterRate::new(120, 30),
            newest: Mutex::default(),
        }
    }
}

/// A preview's place in its editor's line: [`PreviewTicket::superseded`] completes once a
/// newer preview of the same editor has begun.
pub struct PreviewTicket {
    newest: Option<tokio::sync::watch::Receiver<u64>>,
    mine: u64,
}

impl PreviewTicket {
    /// Completes when a newer preview of the same editor begins; never otherwise.
    pub async fn superseded(self) {
        if let Some(mut newest) = self.newest {
            let mine = self.mine;
            if newest.wait_for(|latest| *latest != mine).await.is_ok() {
                return;
            }
        }
        std::future::pending::<()>().await;
    }
}

impl PreviewLimits {
    /// Counts one preview of `requester`.
    ///
    /// # Errors
    /// [`RetryAfter`] when the requester is over the rate.
    pub fn check(&self, requester: Requester) -> Result<(), RetryAfter> {
        self.rate.check(requester)
    }

    /// Begins a preview of the editor `editor` (any bytes naming it, e.g. its owner), which
    /// supersedes every earlier one of that editor still running.
    pub fn begin(&self, editor: Vec<u8>) -> PreviewTicket {
        let Ok(mut newest) = self.newest.lock() else {
            return PreviewTicket {
                newest: None,
                mine: 0,
            };
        };
        if newest.len() > 1024 {
            newest.retain(|_, sender| sender.receiver_count() > 0);
        }
        let sender = newest
            .entry(editor)
            .or_insert_with(|| tokio::sync::watch::channel(0).0);
        let mut mine = 0;
        sender.send_modify(|latest| {
            *latest = latest.wrapping_add(1);
            mine = *latest;
        });
        PreviewTicket {
            newest: Some(sender.subscribe()),
            mine,
        }
    }
}

/// The storage all guests keep, as last counted: summing it reads every guest's rows, so it
/// is counted at most every so often rather than on every write.
#[derive(Default)]
pub struct GuestRoom(Mutex<Option<(u64, Instant)>>);

impl GuestRoom {
    /// The last count, if made less than `max_age` ago.
    pub fn fresh(&self, max_age: Duration) -> Option<u64> {
        let known = self.0.lock().ok()?;
        known
            .filter(|(_, at)| at.elapsed() < max_age)
            .map(|(bytes, _)| bytes)
    }

    /// Adds a write's growth to the last count.
    pub fn add(&self, bytes: u64) {
        if let Ok(mut known) = self.0.lock()
            && let Some((total, _)) = known.as_mut()
        {
            *total = total.saturating_add(bytes);
        }
    }

    /// Records a count just made.
    pub fn set(&self, bytes: u64) {
        if let Ok(mut known) = self.0.lock() {
            *known = Some((bytes, Instant::now()));
        }
    }
}
