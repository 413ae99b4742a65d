//! Accounts: email (case-insensitive, unique), argon2id password hash, admin flag.

use rusqlite::{Connection, OptionalExtension, params};

use super::{DbResult, UnixTime};

/// An account, without its password hash.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    /// As stored; compared without case.
    pub email: String,
    pub is_admin: bool,
}

/// The outcome of [`create`].
#[derive(Debug)]
pub enum Created {
    /// Stored; the new account.
    Ok(User),
    /// Another account has this email (compared without case); nothing was written.
    DuplicateEmail,
    /// Sign-ups are closed and this would not be the first account.
    Closed,
}

/// Creates an account. When `only_if_first` is set (closed sign-ups from the browser), the
/// insert happens only if no account exists yet. Run it inside an IMMEDIATE transaction
/// (`Db::write`), so the count and the insert see the same database and two racing first
/// sign-ups cannot both become admin. The first account is always admin, and
/// `force_admin` makes any other one admin too. `password_hash` is the argon2id PHC string.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, or another writer holds the
/// database for over 5 seconds.
pub fn create(
    conn: &Connection,
    email: &str,
    password_hash: &str,
    only_if_first: bool,
    force_admin: bool,
    now: UnixTime,
) -> DbResult<Created> {
    let count: i64 = conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    if only_if_first && count > 0 {
        return Ok(Created::Closed);
    }
    let taken: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1)",
        [email],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(Created::DuplicateEmail);
    }
    let is_admin = count == 0 || force_admin;
    conn.execute(
        "INSERT INTO users (email, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![email, password_hash, is_admin, now],
    )?;
    let id = conn.last_insert_rowid();
    Ok(Created::Ok(User {
        id,
        email: email.to_owned(),
        is_admin,
    }))
}

/// How many accounts exist.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn count(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// The account and its argon2id password hash (PHC string), for sign-in; the email is
/// compared without case. `None` if there is no such account.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn by_email(conn: &Connection, email: &str) -> DbResult<Option<(User, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, email, is_admin, password_hash FROM users WHERE email = ?1",
            [email],
            |r| {
                Ok((
                    User {
                        id: r.get(0)?,
                        email: r.get(1)?,
                        is_admin: r.get(2)?,
                    },
                    r.get(3)?,
                ))
            },
        )
        .optional()?)
}

/// The account's argon2id password hash (PHC string); `None` if the account is gone.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn password_hash(conn: &Connection, user_id: i64) -> DbResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT password_hash FROM users WHERE id = ?1",
            [user_id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Changes the account's email. Returns false when another account already uses it (compared
/// without case); true otherwise, also when `user_id` does not exist.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails for any other reason.
pub fn set_email(conn: &Connection, user_id: i64, email: &str) -> DbResult<bool> {
    match conn.execute(
        "UPDATE users SET email = ?1 WHERE id = ?2",
        params![email, user_id],
    ) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Replaces the account's password hash (an argon2id PHC string). Sessions are left alone;
/// see `sessions::delete_others`.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn set_password_hash(conn: &Connection, user_id: i64, hash: &str) -> DbResult<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![hash, user_id],
    )?;
    Ok(())
}

/// Deletes the account; sessions and diagrams (with revisions) go with it by cascade, as do
/// its API tokens and security log.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn delete(conn: &Connection, user_id: i64) -> DbResult<()> {
    conn.execute("DELETE FROM users WHERE id = ?1", [user_id])?;
    Ok(())
}
