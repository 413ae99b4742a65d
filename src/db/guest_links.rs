//! Guests' recovery links: the SHA-256 of each link's secret and the guest identity it
//! stands for. The secret itself is never stored.

use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, UnixTime};

/// Stores a new link for `guest`, replacing the one it had.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn replace(
    conn: &Connection,
    guest: &[u8; 32],
    link_hash: &[u8; 32],
    now: UnixTime,
) -> DbResult<()> {
    conn.execute("DELETE FROM guest_links WHERE guest = ?1", [&guest[..]])?;
    conn.execute(
        "INSERT INTO guest_links (link_hash, guest, created_at) VALUES (?1, ?2, ?3)",
        params![&link_hash[..], &guest[..], now],
    )?;
    Ok(())
}

/// The guest a link stands for.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn guest_of(conn: &Connection, link_hash: &[u8; 32]) -> DbResult<Option<[u8; 32]>> {
    let found: Option<Vec<u8>> = conn
        .query_row(
            "SELECT guest FROM guest_links WHERE link_hash = ?1",
            [&link_hash[..]],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.and_then(|g| g.try_into().ok()))
}

/// When the guest's link was made, if it has one.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn made_at(conn: &Connection, guest: &[u8; 32]) -> DbResult<Option<UnixTime>> {
    Ok(conn
        .query_row(
            "SELECT created_at FROM guest_links WHERE guest = ?1",
            [&guest[..]],
            |r| r.get(0),
        )
        .optional()?)
}

/// Points the link at another guest (the diagrams moved there), or removes it with `None`.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn repoint(conn: &Connection, link_hash: &[u8; 32], to: Option<&[u8; 32]>) -> DbResult<()> {
    match to {
        Some(guest) => {
            // The receiving guest's own older link gives way to this one.
            conn.execute(
                "DELETE FROM guest_links WHERE guest = ?1 AND link_hash <> ?2",
                params![&guest[..], &link_hash[..]],
            )?;
            conn.execute(
                "UPDATE guest_links SET guest = ?1 WHERE link_hash = ?2",
                params![&guest[..], &link_hash[..]],
            )?
        }
        None => conn.execute(
            "DELETE FROM guest_links WHERE link_hash = ?1",
            [&link_hash[..]],
        )?,
    };
    Ok(())
}

/// Removes the guest's link; returns whether it had one.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn revoke(conn: &Connection, guest: &[u8; 32]) -> DbResult<bool> {
    Ok(conn.execute("DELETE FROM guest_links WHERE guest = ?1", [&guest[..]])? > 0)
}
