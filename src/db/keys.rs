//! Server keys: random secrets made once per database and kept (see
//! `migrations/0003_server_keys.sql`).

use rusqlite::{Connection, params};

use super::DbResult;

/// The key named `name`, storing `fresh` first if there is none yet (so concurrent starts
/// agree on one key).
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails or the stored key is not
/// 32 bytes.
pub fn get_or_create(conn: &Connection, name: &str, fresh: &[u8; 32]) -> DbResult<[u8; 32]> {
    conn.execute(
        "INSERT OR IGNORE INTO server_keys (name, key) VALUES (?1, ?2)",
        params![name, &fresh[..]],
    )?;
    let key: [u8; 32] =
        conn.query_row("SELECT key FROM server_keys WHERE name = ?1", [name], |r| {
            r.get(0)
        })?;
    Ok(key)
}
