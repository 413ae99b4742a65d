//! The per-account security log: token events and sign-ins, kept for 90 days.

use rusqlite::{Connection, params};

use super::{DbResult, UnixTime};

/// Seconds (90 days) an event is kept and shown.
pub const KEEP_SECS: i64 = 90 * 24 * 3600;

/// What happened; stored as [`EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    SignIn,
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
    pub at: UnixTime,
    /// An [`EventKind::as_str`] name.
    pub kind: String,
    /// The token's label at the time; `None` for sign-ins.
    pub token_name: Option<String>,
    /// The client address as text; `None` when no request caused it (an expiry).
    pub ip: Option<String>,
}

/// Logs one event for the account at `now`. `token_name` is the token's label (`None` for
/// sign-ins); `ip` the client address as text, when a request caused it.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the insert fails.
pub fn record(
    conn: &Connection,
    user_id: i64,
    kind: EventKind,
    token_name: Option<&str>,
    ip: Option<&str>,
    now: UnixTime,
) -> DbResult<()> {
    conn.execute(
        "INSERT INTO security_events (user_id, at, kind, token_name, ip) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user_id, now, kind.as_str(), token_name, ip],
    )?;
    Ok(())
}

/// The account's events of the last [`KEEP_SECS`] before `now`, newest first; at most
/// `limit`.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn recent(
    conn: &Connection,
    user_id: i64,
    now: UnixTime,
    limit: usize,
) -> DbResult<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, token_name, ip FROM security_events
          WHERE user_id = ?1 AND at >= ?2 ORDER BY at DESC, id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![user_id, now - KEEP_SECS, limit as i64], |r| {
            Ok(Event {
                at: r.get(0)?,
                kind: r.get(1)?,
                token_name: r.get(2)?,
                ip: r.get(3)?,
            })
        })?
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
