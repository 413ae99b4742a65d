//! The per-account security log: sign-ins (and failed ones), sign-outs, email and password
//! changes and token events, kept for 90 days.

use rusqlite::{Connection, params};

use super::{DbResult, UnixTime};

/// Seconds (90 days) an event is kept and shown.
pub const KEEP_SECS: i64 = 90 * 24 * 3600;

/// What happened; stored as [`EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    SignIn,
    /// A wrong password for this account's email.
    SignInFailed,
    SignOut,
    EmailChanged,
    PasswordChanged,
    TokenCreated,
    TokenRegenerated,
    TokenRevoked,
    TokenExpired,
    /// A token was used from an address it had not been used from before.
    TokenNewIp,
}

impl EventKind {
    /// The stored snake_case name, e.g. `token_new_ip`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignIn => "sign_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignOut => "sign_out",
            EventKind::EmailChanged => "email_changed",
            EventKind::PasswordChanged => "password_changed",
            EventKind::TokenCreated => "token_created",
            EventKind::TokenRegenerated => "token_regenerated",
            EventKind::TokenRevoked => "token_revoked",
            EventKind::TokenExpired => "token_expired",
            EventKind::TokenNewIp => "token_new_ip",
        }
    }
}

/// One logged event, as stored.
#[derive(Debug, Clone)]
pub struct Event {
    /// Increasing with time; the log's pages are cut at an id.
    pub id: i64,
    pub at: UnixTime,
    /// An [`EventKind::as_str`] name.
    pub kind: String,
    /// The token's label at the time; `None` for sign-ins.
    pub token_name: Option<String>,
    /// The client address as text; `None` when no request caused it (an expiry).
    pub ip: Option<String>,
    /// The browser, as "Firefox on Linux", for events made from a page; `None` otherwise.
    pub agent: Option<String>,
}

/// Where an event came from: the client address as text and, from a page, the browser.
#[derive(Debug, Clone, Copy, Default)]
pub struct Source<'a> {
    pub ip: Option<&'a str>,
    pub agent: Option<&'a str>,
}

impl<'a> Source<'a> {
    /// An event caused by a request from `ip` (no browser known, e.g. a token's).
    pub fn ip(ip: Option<&'a str>) -> Self {
        Self { ip, agent: None }
    }
}

/// Logs one event for the account at `now`. `token_name` is the token's label (`None` for
/// account events); `from` the client address and browser, when a request caused it.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the insert fails.
pub fn record(
    conn: &Connection,
    user_id: i64,
    kind: EventKind,
    token_name: Option<&str>,
    from: Source<'_>,
    now: UnixTime,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO security_events (user_id, at, kind, token_name, ip, agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, now, kind.as_str(), token_name, from.ip, from.agent],
    )?;
    Ok(())
}

/// The account's events of the last [`KEEP_SECS`] before `now`, newest first, older than
/// the event `before` when given; at most `limit`.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn recent(
    conn: &Connection,
    user_id: i64,
    now: UnixTime,
    before: Option<i64>,
    limit: usize,
) -> DbResult<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, token_name, ip, agent FROM security_events
          WHERE user_id = ?1 AND at >= ?2 AND id < ?3 ORDER BY id DESC LIMIT ?4",
    )?;
    let before = before.unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(
            params![user_id, now - KEEP_SECS, before, limit as i64],
            |r| {
                Ok(Event {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    token_name: r.get(3)?,
                    ip: r.get(4)?,
                    agent: r.get(5)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Removes events older than [`KEEP_SECS`] at `now`; returns how many.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn purge_old(conn: &Connection, now: UnixTime) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM security_events WHERE at < ?1",
        [now - KEEP_SECS],
    )?)
}
