//! API tokens: at most [`MAX_LIVE`] live (unrevoked, unexpired) per account, looked up by the
//! SHA-256 of their secret. Every state change writes to the security log in the same
//! transaction.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::DbResult;
use super::UnixTime;
use super::security_log::{self, EventKind, Source};

/// Live tokens one account may hold at once.
pub const MAX_LIVE: i64 = 10;
/// Seconds between writes of `last_used_at` per token (unless the address changes), so reads
/// stay cheap.
pub const TOUCH_EVERY_SECS: i64 = 60;
/// Seconds (30 days) an expired token stays listed (greyed), then drops off the settings page.
pub const SHOW_EXPIRED_SECS: i64 = 30 * 24 * 3600;

/// A token as the settings page lists it; never its secret or hash.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: i64,
    /// The label its owner gave it.
    pub name: String,
    /// `read` or `read-write`, as stored.
    pub scope: String,
    /// The secret's last 4 characters, to tell tokens apart.
    pub last4: String,
    pub created_at: UnixTime,
    /// The first second it no longer authenticates.
    pub expires_at: UnixTime,
    /// Accurate to [`TOUCH_EVERY_SECS`]; `None` until first used.
    pub last_used_at: Option<UnixTime>,
    /// The client address of the last use, as text.
    pub last_used_ip: Option<String>,
}

const COLUMNS: &str = "id, name, scope, last4, created_at, expires_at, last_used_at, last_used_ip";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Token> {
    Ok(Token {
        id: r.get(0)?,
        name: r.get(1)?,
        scope: r.get(2)?,
        last4: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        last_used_at: r.get(6)?,
        last_used_ip: r.get(7)?,
    })
}

/// A freshly issued secret's stored parts; the secret itself never reaches this module.
pub struct Issued<'a> {
    /// SHA-256 of the whole secret.
    pub hash: [u8; 32],
    /// The secret's last 4 characters, shown in listings.
    pub last4: &'a str,
    /// Also the `now` of the write that stores it.
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// The outcome of [`create`].
#[derive(Debug)]
pub enum Created {
    /// Stored; the new token.
    Ok(Token),
    /// The account already has [`MAX_LIVE`] live tokens; nothing was written.
    CapReached,
    /// A live token of the account already has this name (letter case ignored); nothing was
    /// written.
    NameTaken,
}

/// How many tokens the account ever made (revoked and expired ones included).
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn count_ever(conn: &Connection, user_id: i64) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM api_tokens WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

/// Whether a live token of the account is called `name`, letter case ignored (SQLite's
/// `NOCASE`, ASCII letters only).
fn name_taken(conn: &Connection, user_id: i64, name: &str, now: UnixTime) -> DbResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE user_id = ?1 AND revoked_at IS NULL
            AND expires_at > ?2 AND name = ?3 COLLATE NOCASE)",
        params![user_id, now, name],
        |r| r.get(0),
    )?)
}

fn live_count(conn: &Connection, user_id: i64, now: UnixTime) -> DbResult<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM api_tokens WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2",
        params![user_id, now],
        |r| r.get(0),
    )?)
}

fn insert(
    conn: &Connection,
    user_id: i64,
    name: &str,
    scope: &str,
    new: &Issued<'_>,
) -> DbResult<Token> {
    conn.execute(
        "INSERT INTO api_tokens (user_id, name, scope, secret_hash, last4, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            user_id,
            name,
            scope,
            &new.hash[..],
            new.last4,
            new.created_at,
            new.expires_at
        ],
    )?;
    Ok(Token {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        scope: scope.to_owned(),
        last4: new.last4.to_owned(),
        created_at: new.created_at,
        expires_at: new.expires_at,
        last_used_at: None,
        last_used_ip: None,
    })
}

/// Creates a token unless the account already has [`MAX_LIVE`] live ones. The count and the
/// insert share one IMMEDIATE transaction, so concurrent creates cannot overshoot the cap.
/// `scope` is `read` or `read-write`; `ip` is the client address as text, for the security
/// log.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, including a `scope` other than
/// the two, a hash already stored, or another writer holding the database for over 5 seconds.
pub fn create(
    conn: &mut Connection,
    user_id: i64,
    name: &str,
    scope: &str,
    new: &Issued<'_>,
    from: Source<'_>,
) -> DbResult<Created> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if live_count(&tx, user_id, new.created_at)? >= MAX_LIVE {
        return Ok(Created::CapReached);
    }
    if name_taken(&tx, user_id, name, new.created_at)? {
        return Ok(Created::NameTaken);
    }
    let token = insert(&tx, user_id, name, scope, new)?;
    security_log::record(
        &tx,
        user_id,
        EventKind::TokenCreated,
        Some(name),
        from,
        new.created_at,
    )?;
    tx.commit()?;
    Ok(Created::Ok(token))
}

/// Live tokens and ones expired within [`SHOW_EXPIRED_SECS`] (for display), newest first.
/// Revoked ones are gone.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn list(conn: &Connection, user_id: i64, now: UnixTime) -> DbResult<Vec<Token>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens
          WHERE user_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
          ORDER BY created_at DESC, id DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![user_id, now - SHOW_EXPIRED_SECS], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// How many unrevoked tokens the account has that are still valid at `now`.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn count_live(conn: &Connection, user_id: i64, now: UnixTime) -> DbResult<i64> {
    live_count(conn, user_id, now)
}

/// Revokes one of the account's tokens at `now` and logs it from `ip`. Returns its name, or
/// `None` if it is not the account's or was already revoked. An expired token can still be
/// revoked (it then drops off the list at once).
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn revoke(
    conn: &mut Connection,
    user_id: i64,
    token_id: i64,
    from: Source<'_>,
    now: UnixTime,
) -> DbResult<Option<String>> {
    let tx = conn.transaction()?;
    let name: Option<String> = tx
        .query_row(
            "UPDATE api_tokens SET revoked_at = ?1
              WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL
              RETURNING name",
            params![now, token_id, user_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(name) = &name {
        log_revoked(&tx, user_id, name, from, now)?;
    }
    tx.commit()?;
    Ok(name)
}

fn log_revoked(
    conn: &Connection,
    user_id: i64,
    name: &str,
    from: Source<'_>,
    now: UnixTime,
) -> DbResult<()> {
    let kind = EventKind::TokenRevoked;
    security_log::record(conn, user_id, kind, Some(name), from, now)
}

/// Revokes every live token of the account at `now`, logging each from `ip`; returns how many.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn revoke_all(
    conn: &mut Connection,
    user_id: i64,
    from: Source<'_>,
    now: UnixTime,
) -> DbResult<usize> {
    let tx = conn.transaction()?;
    let names = {
        let mut stmt = tx.prepare(
            "UPDATE api_tokens SET revoked_at = ?1
              WHERE user_id = ?2 AND revoked_at IS NULL AND expires_at > ?1
              RETURNING name",
        )?;
        stmt.query_map(params![now, user_id], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
    for name in &names {
        log_revoked(&tx, user_id, name, from, now)?;
    }
    tx.commit()?;
    Ok(names.len())
}

/// Issues a new secret for a live token (same name and scope, a fresh lifetime) and revokes
/// the old secret in the same transaction. None if the token is not the account's or not live.
/// The returned token has a new id; `new.created_at` is the time of the change.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, or another writer holds the
/// database for over 5 seconds.
pub fn regenerate(
    conn: &mut Connection,
    user_id: i64,
    token_id: i64,
    new: &Issued<'_>,
    from: Source<'_>,
) -> DbResult<Option<Token>> {
    let now = new.created_at;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let old = tx
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM api_tokens
                  WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL AND expires_at > ?3"
            ),
            params![token_id, user_id, now],
            from_row,
        )
        .optional()?;
    let Some(old) = old else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2",
        params![now, old.id],
    )?;
    let token = insert(&tx, user_id, &old.name, &old.scope, new)?;
    security_log::record(
        &tx,
        user_id,
        EventKind::TokenRegenerated,
        Some(&old.name),
        from,
        now,
    )?;
    tx.commit()?;
    Ok(Some(token))
}

/// What a valid bearer token stands for.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub token_id: i64,
    /// The account the token belongs to.
    pub user_id: i64,
    /// That account's email.
    pub email: String,
    /// The token's label.
    pub name: String,
    /// `read` or `read-write`, as stored.
    pub scope: String,
    pub expires_at: UnixTime,
    /// As stored before this use; see [`needs_touch`].
    pub last_used_at: Option<UnixTime>,
    /// As stored before this use, as text.
    pub last_used_ip: Option<String>,
}

/// Looks a secret up by its SHA-256 through the unique index; revoked tokens, and tokens
/// whose `expires_at` is not after `now`, are absent. Writes nothing.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn authenticate(
    conn: &Connection,
    hash: &[u8; 32],
    now: UnixTime,
) -> DbResult<Option<Authenticated>> {
    Ok(conn
        .prepare_cached(
            "SELECT t.id, t.user_id, u.email, t.name, t.scope, t.expires_at, t.last_used_at, t.last_used_ip
               FROM api_tokens t JOIN users u ON u.id = t.user_id
              WHERE t.secret_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2",
        )?
        .query_row(params![&hash[..], now], |r| {
            Ok(Authenticated {
                token_id: r.get(0)?,
                user_id: r.get(1)?,
                email: r.get(2)?,
                name: r.get(3)?,
                scope: r.get(4)?,
                expires_at: r.get(5)?,
                last_used_at: r.get(6)?,
                last_used_ip: r.get(7)?,
            })
        })
        .optional()?)
}

/// Whether a use of `token` from `ip` (as text) at `now` needs a write: [`TOUCH_EVERY_SECS`]
/// have passed since the last recorded use, or the address differs from the last one.
pub fn needs_touch(token: &Authenticated, ip: &str, now: UnixTime) -> bool {
    token
        .last_used_at
        .is_none_or(|at| now - at >= TOUCH_EVERY_SECS)
        || token.last_used_ip.as_deref() != Some(ip)
}

/// Records a use: last-used time and address, and a security event the first time the token
/// is seen from an address. `ip` is the client address as text.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn touch(
    conn: &mut Connection,
    token: &Authenticated,
    ip: &str,
    now: UnixTime,
) -> DbResult<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE api_tokens SET last_used_at = ?1, last_used_ip = ?2 WHERE id = ?3",
        params![now, ip, token.token_id],
    )?;
    let new_ip = tx.execute(
        "INSERT OR IGNORE INTO api_token_ips (token_id, ip) VALUES (?1, ?2)",
        params![token.token_id, ip],
    )? == 1;
    if new_ip {
        security_log::record(
            &tx,
            token.user_id,
            EventKind::TokenNewIp,
            Some(&token.name),
            Source::ip(Some(ip)),
            now,
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Writes one "expired" event, dated at its expiry, per unrevoked token whose lifetime has
/// ended by `now`, and marks the token so it is logged once. Returns how many.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn log_expired(conn: &mut Connection, now: UnixTime) -> DbResult<usize> {
    let tx = conn.transaction()?;
    let expired = {
        let mut stmt = tx.prepare(
            "UPDATE api_tokens SET expiry_logged = 1
              WHERE expiry_logged = 0 AND revoked_at IS NULL AND expires_at <= ?1
              RETURNING user_id, name, expires_at",
        )?;
        stmt.query_map([now], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, UnixTime>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    for (user_id, name, at) in &expired {
        security_log::record(
            &tx,
            *user_id,
            EventKind::TokenExpired,
            Some(name),
            Source::default(),
            *at,
        )?;
    }
    tx.commit()?;
    Ok(expired.len())
}
