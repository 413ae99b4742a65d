//! Recovery links for guests. A guest's diagrams live with its browser's cookie; a recovery
//! link (a secret URL, shown once, one per guest, revocable) brings them into another browser:
//! opening it there moves them to that browser's guest identity (or into the account signed in
//! there), and the link follows them. Only the link's SHA-256 is stored.

use crate::db::diagrams::{self, Owner};
use crate::db::{DbError, UnixTime, guest_links as db};
use crate::secret;
use crate::state::AppState;

/// The secret part of a new recovery link (64 hex digits), shown once.
pub struct NewLink(pub String);

/// Makes a recovery link for `guest` (the SHA-256 of its cookie), replacing any it had.
///
/// # Errors
/// [`DbError`] only.
pub async fn issue(state: &AppState, guest: [u8; 32]) -> Result<NewLink, DbError> {
    let value = secret::new_cookie_secret();
    let raw = secret::parse_cookie_secret(&value)
        .ok_or_else(|| DbError::Task("a new link secret did not parse".into()))?;
    let (hash, now) = (secret::sha256(&raw), state.clock.now());
    state
        .db
        .run(move |conn| db::replace(conn, &guest, &hash, now))
        .await?;
    Ok(NewLink(value))
}

/// When `guest`'s recovery link was made, if it has one.
///
/// # Errors
/// [`DbError`] only.
pub async fn made_at(state: &AppState, guest: [u8; 32]) -> Result<Option<UnixTime>, DbError> {
    state.db.run(move |conn| db::made_at(conn, &guest)).await
}

/// Revokes `guest`'s recovery link: opening it answers "not found" from now on.
///
/// # Errors
/// [`DbError`] only.
pub async fn revoke(state: &AppState, guest: [u8; 32]) -> Result<bool, DbError> {
    state.db.run(move |conn| db::revoke(conn, &guest)).await
}

/// What opening a recovery link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// This many diagrams moved in; the link now stands for this browser (a guest) or is
    /// used up (an account).
    Moved(usize),
    /// The link is this browser's own: nothing to move.
    AlreadyHere,
    /// No such link (mistyped, revoked, or replaced by a newer one).
    Unknown,
}

/// The guest a live recovery link stands for (to ask before [`recover`]); None for a link
/// that does not work.
///
/// # Errors
/// [`DbError`] only.
pub async fn guest_of(state: &AppState, secret: &str) -> Result<Option<[u8; 32]>, DbError> {
    let Some(hash) = link_hash(secret) else {
        return Ok(None);
    };
    state.db.run(move |conn| db::guest_of(conn, &hash)).await
}

fn link_hash(secret: &str) -> Option<[u8; 32]> {
    secret::parse_cookie_secret(secret).map(|raw| secret::sha256(&raw))
}

/// Moves the diagrams of the guest the link stands for to `into`, in one transaction: to a
/// guest, the link then stands for that guest; to an account, the link is used up.
///
/// # Errors
/// [`DbError`] only.
pub async fn recover(state: &AppState, secret: &str, into: &Owner) -> Result<Recovered, DbError> {
    let Some(hash) = link_hash(secret) else {
        return Ok(Recovered::Unknown);
    };
    let into = into.clone();
    state
        .db
        .write(move |tx| {
            let Some(from) = db::guest_of(tx, &hash)? else {
                return Ok(Recovered::Unknown);
            };
            let moved = match &into {
                Owner::Guest(to) if *to == from => return Ok(Recovered::AlreadyHere),
                Owner::Guest(to) => {
                    let n = diagrams::move_guest(tx, &from, to)?;
                    db::repoint(tx, &hash, Some(to))?;
                    n
                }
                Owner::User(user) => {
                    let n = diagrams::claim_guest(tx, &from, *user)?;
                    db::repoint(tx, &hash, None)?;
                    n
                }
            };
            Ok(Recovered::Moved(moved))
        })
        .await
}
