//! Shared application state handed to every handler, and its parts. Handlers that need only
//! one part take it directly (`State<Db>`, `State<Renderer>`): each part is a `FromRef`
//! sub-state.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::extract::FromRef;

use crate::config::Config;
use crate::db::{Db, UnixTime};
use crate::limits::{
    ApiLimits, GuestRoom, HeavyWork, LoginLimits, PreviewLimits, RequesterRate, UsedNonces,
};
use crate::render::Renderer;

/// Everything a handler may need; cheap to clone (every part is shared).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub renderer: Renderer,
    pub clock: Clock,
    pub limits: Arc<Limits>,
    pub keys: Arc<Keys>,
}

/// Server keys, loaded from the database at start (made on first start).
pub struct Keys {
    /// Keys the CSRF tokens of forms and page scripts (HMAC-SHA-256).
    pub csrf: [u8; 32],
}

impl Keys {
    /// The database's keys. Should the database not answer, a key for this run only: forms
    /// then expire at the next restart, and the failure is logged.
    fn load(db: &Db) -> Self {
        let fresh = crate::secret::os_random::<32>();
        let stored = db
            .conn()
            .and_then(|conn| crate::db::keys::get_or_create(&conn, "csrf", &fresh));
        match stored {
            Ok(csrf) => Self { csrf },
            Err(e) => {
                tracing::error!(error = %e, "could not load the CSRF key; using one for this run");
                Self { csrf: fresh }
            }
        }
    }
}

/// The in-memory throttles (see [`crate::limits`]).
pub struct Limits {
    pub api: ApiLimits,
    pub login: LoginLimits,
    pub nonces: UsedNonces,
    /// Live previews: a rate per requester, the newest of each editor.
    pub previews: PreviewLimits,
    /// Kroki- and mermaid.ink-style render URLs, per address (`REEF_PUBLIC_RENDER_PER_MIN`).
    pub public_renders: RequesterRate,
    /// Guests' writes per address: a stranger making a new guest per request still writes
    /// from one address.
    pub guest_writes: RequesterRate,
    /// The storage all guests keep, as last counted.
    pub guest_room: GuestRoom,
    /// Password hashing: two at a time, a caller waits at most 5 s for a turn.
    pub hashing: HeavyWork,
}

impl AppState {
    /// The state for `config`, with the rate limits it sets and a real clock.
    pub fn new(config: Config, db: Db, renderer: Renderer) -> Self {
        let limits = Limits {
            api: ApiLimits::new(config.rate_read_per_min, config.rate_write_per_min),
            login: LoginLimits::default(),
            nonces: UsedNonces::default(),
            previews: PreviewLimits::default(),
            public_renders: RequesterRate::new(
                config.public_render_per_min,
                config.public_render_per_min.max(1),
            ),
            // A person edits a few times a minute; 60 saves at once, then one a second.
            guest_writes: RequesterRate::new(60, 60),
            guest_room: GuestRoom::default(),
            hashing: HeavyWork::new(2, std::time::Duration::from_secs(5)),
        };
        Self {
            keys: Arc::new(Keys::load(&db)),
            limits: Arc::new(limits),
            db,
            config: Arc::new(config),
            renderer,
            clock: Clock::default(),
        }
    }
}

/// Each part of the state is a sub-state a handler can take on its own.
macro_rules! sub_states {
    ($($field:ident: $type:ty),* $(,)?) => {
        $(
            impl FromRef<AppState> for $type {
                fn from_ref(state: &AppState) -> Self {
                    state.$field.clone()
                }
            }
        )*
    };
}

sub_states! {
    db: Db,
    renderer: Renderer,
    config: Arc<Config>,
    clock: Clock,
    limits: Arc<Limits>,
    keys: Arc<Keys>,
}

/// Wall-clock time in seconds since the Unix epoch (UTC), with an offset tests can move
/// forward instead of sleeping.
#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Now, in seconds since the Unix epoch.
    pub fn now(&self) -> UnixTime {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        UnixTime(system) + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) `secs` seconds forward.
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}

/// RFC 3339 UTC time for a Unix time, e.g. `2027-05-23T07:38:45Z`; empty if out of range.
pub fn rfc3339(t: UnixTime) -> String {
    time::OffsetDateTime::from_unix_timestamp(t.seconds())
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
