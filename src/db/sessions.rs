//! Browser sessions, stored by the SHA-256 of their cookie value.

use rusqlite::{Connection, OptionalExtension, params};

use super::users::User;
use super::{DbResult, UnixTime};

/// Seconds (30 days) a session may go unused; after that it is gone.
pub const IDLE_SECS: i64 = 30 * 24 * 3600;
/// `last_seen_at` is refreshed at most this often (a day), so reads stay reads; the browser's
/// cookie is renewed at the same moments.
pub const TOUCH_EVERY_SECS: i64 = 24 * 3600;

/// Stores a new session for the account, seen at `now`. `id_hash` is the SHA-256 of the
/// cookie value.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the insert fails, including when `id_hash` is
/// already stored.
pub fn create(conn: &Connection, id_hash: &[u8; 32], user_id: i64, now: UnixTime) -> DbResult<()> {
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
        params![&id_hash[..], user_id, now],
    )?;
    Ok(())
}

/// A live session's account, and whether its last-seen time was just moved forward (then
/// the browser's cookie should be renewed too).
#[derive(Debug, Clone)]
pub struct Seen {
    pub user: User,
    pub renewed: bool,
}

/// The signed-in user for a session (`id_hash`: the SHA-256 of the cookie value), if it exists
/// and has not idled out. An idle session is deleted here; a live one has its last-seen time
/// moved to `now` at most once a day ([`TOUCH_EVERY_SECS`]).
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn user(conn: &Connection, id_hash: &[u8; 32], now: UnixTime) -> DbResult<Option<Seen>> {
    let found = conn
        .query_row(
            "SELECT u.id, u.email, u.is_admin, s.last_seen_at
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.id_hash = ?1",
            [&id_hash[..]],
            |r| {
                Ok((
                    User {
                        id: r.get(0)?,
                        email: r.get(1)?,
                        is_admin: r.get(2)?,
                    },
                    r.get::<_, UnixTime>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((user, last_seen)) = found else {
        return Ok(None);
    };
    if now - last_seen > IDLE_SECS {
        delete(conn, id_hash)?;
        return Ok(None);
    }
    let renewed = now - last_seen > TOUCH_EVERY_SECS;
    if renewed {
        conn.execute(
            "UPDATE sessions SET last_seen_at = ?1 WHERE id_hash = ?2",
            params![now, &id_hash[..]],
        )?;
    }
    Ok(Some(Seen { user, renewed }))
}

/// Ends one session (sign-out); nothing happens if it does not exist.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn delete(conn: &Connection, id_hash: &[u8; 32]) -> DbResult<()> {
    conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash[..]])?;
    Ok(())
}

/// Signs the account out everywhere except the given session (after a password change).
/// `keep` is that session's cookie hash.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn delete_others(conn: &Connection, user_id: i64, keep: &[u8; 32]) -> DbResult<()> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id_hash <> ?2",
        params![user_id, &keep[..]],
    )?;
    Ok(())
}

/// Removes sessions idle for longer than [`IDLE_SECS`] at `now`; returns how many.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn purge_idle(conn: &Connection, now: UnixTime) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE last_seen_at < ?1",
        [now - IDLE_SECS],
    )?)
}
