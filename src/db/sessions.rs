//! Browser sessions, stored by the SHA-256 of their cookie value.

use rusqlite::{Connection, OptionalExtension, params};

use super::users::User;
use super::{DbResult, UnixTime};

/// Sessions idle for longer than this are gone.
pub const IDLE_SECS: i64 = 30 * 24 * 3600;
/// `last_seen_at` is refreshed at most this often, so reads stay reads.
const TOUCH_EVERY_SECS: i64 = 3600;

pub fn create(conn: &Connection, id_hash: &[u8; 32], user_id: i64, now: UnixTime) -> DbResult<()> {
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
        params![&id_hash[..], user_id, now],
    )?;
    Ok(())
}

/// The signed-in user for a session, if it exists and has not idled out.
pub fn user(conn: &Connection, id_hash: &[u8; 32], now: UnixTime) -> DbResult<Option<User>> {
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
                    r.get::<_, i64>(3)?,
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
    if now - last_seen > TOUCH_EVERY_SECS {
        conn.execute(
            "UPDATE sessions SET last_seen_at = ?1 WHERE id_hash = ?2",
            params![now, &id_hash[..]],
        )?;
    }
    Ok(Some(user))
}

pub fn delete(conn: &Connection, id_hash: &[u8; 32]) -> DbResult<()> {
    conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [&id_hash[..]])?;
    Ok(())
}

/// Signs the account out everywhere except the given session (after a password change).
pub fn delete_others(conn: &Connection, user_id: i64, keep: &[u8; 32]) -> DbResult<()> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND id_hash <> ?2",
        params![user_id, &keep[..]],
    )?;
    Ok(())
}

pub fn purge_idle(conn: &Connection, now: UnixTime) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE last_seen_at < ?1",
        [now - IDLE_SECS],
    )?)
}
