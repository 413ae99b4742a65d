//! API token use cases: issue, regenerate, revoke, authenticate (with the last-used touch),
//! and what the settings page lists. The secret's format lives in [`format`](mod@format); only its SHA-256
//! reaches the store, and the secret itself is returned exactly once, to the request that
//! made it.

pub mod format;

use std::net::IpAddr;

use crate::accounts::Client;
use crate::db::api_tokens::{self as db, Created, Issued};
use crate::db::security_log::{self, Event, Source};
use crate::db::{DbError, UnixTime};
use crate::state::AppState;

pub use crate::db::api_tokens::{MAX_LIVE, Token};
pub use format::{PREFIX, Scope, TokenHash, TokenSecret, expiry};

/// Token names are 1 to this many characters (after trimming).
pub const NAME_MAX_CHARS: usize = 64;

/// Why a token use case refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No such live token on this account.
    #[error("There is no such token.")]
    NotFound,
    #[error("{0}")]
    InvalidName(String),
    /// The account already has [`MAX_LIVE`] live tokens.
    #[error(
        "You already have {MAX_LIVE} active tokens, the most an account can have. Revoke one you no longer use, then create the new one."
    )]
    CapReached,
    /// Another live token of the account has this name (so the list and the security log
    /// can tell them apart).
    #[error(
        "You already have an active token called “{0}”. Give this one another name, or revoke or regenerate that one."
    )]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] DbError),
}

/// A token's name: trimmed, 1 to [`NAME_MAX_CHARS`] characters.
pub struct TokenName(String);

impl TokenName {
    /// # Errors
    /// [`TokenError::InvalidName`].
    pub fn parse(raw: &str) -> Result<Self, TokenError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
            return Err(TokenError::InvalidName(format!(
                "Give the token a name of 1 to {NAME_MAX_CHARS} characters."
            )));
        }
        Ok(Self(name.to_owned()))
    }
}

/// A token just made, with its secret: show it once, then drop it.
pub struct NewToken {
    pub token: Token,
    pub secret: TokenSecret,
}

/// What the store keeps of a fresh secret: its SHA-256, its last 4 characters and its
/// lifetime (six calendar months from `now`).
struct Kept {
    hash: [u8; 32],
    last4: String,
    created_at: UnixTime,
}

impl Kept {
    fn issued(&self) -> Issued<'_> {
        Issued {
            hash: self.hash,
            last4: &self.last4,
            created_at: self.created_at,
            expires_at: expiry(self.created_at),
        }
    }
}

/// A fresh secret, made now, and what the store keeps of it.
fn mint(now: UnixTime) -> (TokenSecret, Kept) {
    let secret = TokenSecret::generate();
    let kept = Kept {
        hash: secret.hash().0,
        last4: secret.last4().to_owned(),
        created_at: now,
    };
    (secret, kept)
}

/// Mints a secret now and runs `store` with what the store keeps of it and the caller's
/// address, on the blocking pool.
async fn store_new<T, F>(
    state: &AppState,
    client: &Client,
    store: F,
) -> Result<(TokenSecret, T), TokenError>
where
    T: Send + 'static,
    F: FnOnce(&mut rusqlite::Connection, &Issued<'_>, Source<'_>) -> Result<T, DbError>
        + Send
        + 'static,
{
    let (secret, kept) = mint(state.clock.now());
    let (ip, agent) = (client.ip.to_string(), client.agent.clone());
    let stored = state
        .db
        .run(move |conn| store(conn, &kept.issued(), source(&ip, agent.as_deref())))
        .await?;
    Ok((secret, stored))
}

/// Where an event comes from, as the security log keeps it.
fn source<'a>(ip: &'a str, agent: Option<&'a str>) -> Source<'a> {
    Source {
        ip: Some(ip),
        agent,
    }
}

/// Issues a token for the account, unless it already has [`MAX_LIVE`] live ones or a live one
/// of the same name, letter case ignored (checked and inserted in one transaction, so
/// concurrent requests cannot overshoot). Logged as `token_created` from the client.
///
/// # Errors
/// [`TokenError::CapReached`], [`TokenError::NameTaken`].
pub async fn issue(
    state: &AppState,
    user_id: i64,
    name: TokenName,
    scope: Scope,
    client: &Client,
) -> Result<NewToken, TokenError> {
    let wanted = name.0.clone();
    let (secret, created) = store_new(state, client, move |conn, issued, from| {
        db::create(conn, user_id, &name.0, scope.as_str(), issued, from)
    })
    .await?;
    match created {
        Created::Ok(token) => Ok(NewToken { token, secret }),
        Created::CapReached => Err(TokenError::CapReached),
        Created::NameTaken => Err(TokenError::NameTaken(wanted)),
    }
}

/// A new secret for a live token (same name and scope, a fresh six months); the old secret
/// is revoked in the same transaction. Logged as `token_regenerated`.
///
/// # Errors
/// [`TokenError::NotFound`] when the token is not the account's or not live.
pub async fn regenerate(
    state: &AppState,
    user_id: i64,
    token_id: i64,
    client: &Client,
) -> Result<NewToken, TokenError> {
    let (secret, token) = store_new(state, client, move |conn, issued, from| {
        db::regenerate(conn, user_id, token_id, issued, from)
    })
    .await?;
    let token = token.ok_or(TokenError::NotFound)?;
    Ok(NewToken { token, secret })
}

/// Revokes one of the account's tokens: the next request with it is 401. Logged as
/// `token_revoked`.
///
/// # Errors
/// [`TokenError::NotFound`] when it is not the account's or already revoked.
pub async fn revoke(
    state: &AppState,
    user_id: i64,
    token_id: i64,
    client: &Client,
) -> Result<(), TokenError> {
    let (now, ip, agent) = (
        state.clock.now(),
        client.ip.to_string(),
        client.agent.clone(),
    );
    state
        .db
        .run(move |conn| db::revoke(conn, user_id, token_id, source(&ip, agent.as_deref()), now))
        .await?
        .map(|_| ())
        .ok_or(TokenError::NotFound)
}

/// Revokes every live token of the account; returns how many.
///
/// # Errors
/// [`TokenError::Store`] only.
pub async fn revoke_all(
    state: &AppState,
    user_id: i64,
    client: &Client,
) -> Result<usize, TokenError> {
    let (now, ip, agent) = (
        state.clock.now(),
        client.ip.to_string(),
        client.agent.clone(),
    );
    Ok(state
        .db
        .run(move |conn| db::revoke_all(conn, user_id, source(&ip, agent.as_deref()), now))
        .await?)
}

/// What a valid bearer token stands for.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub user_id: i64,
    pub email: String,
    /// The token's name.
    pub name: String,
    pub scope: Scope,
    pub expires_at: UnixTime,
}

/// The live token a raw `Authorization: Bearer` value names, recording the use (last-used
/// time at most once a minute, and a `token_new_ip` event the first time an address is seen)
/// in the same step. Junk and typos (a bad checksum) are turned away before any database work.
///
/// # Errors
/// [`DbError`] only; an unknown, revoked or expired token is `Ok(None)`.
pub async fn authenticate(
    state: &AppState,
    raw: &str,
    ip: IpAddr,
) -> Result<Option<Bearer>, DbError> {
    let Some(secret) = TokenSecret::parse(raw) else {
        return Ok(None);
    };
    let hash = secret.hash().0;
    let (now, ip) = (state.clock.now(), ip.to_string());
    let found = state
        .db
        .run(move |conn| {
            let found = db::authenticate(conn, &hash, now)?;
            if let Some(token) = &found
                && db::needs_touch(token, &ip, now)
            {
                db::touch(conn, token, &ip, now)?;
            }
            Ok(found)
        })
        .await?;
    Ok(found.map(|t| Bearer {
        // A scope the store does not know grants the least.
        scope: Scope::parse(&t.scope).unwrap_or(Scope::Read),
        user_id: t.user_id,
        email: t.email,
        name: t.name,
        expires_at: t.expires_at,
    }))
}

/// Security events shown per page of the settings' log.
pub const EVENTS_PER_PAGE: usize = 50;

/// What the settings page shows: the account's tokens (live, and expired in the last 30
/// days), how many are live, how many it ever had, and a page of [`EVENTS_PER_PAGE`] security
/// events of 90 days. Tokens that expired since the last look are logged as `token_expired`
/// first.
pub struct Overview {
    pub tokens: Vec<Token>,
    pub live: i64,
    /// Every token the account ever made, revoked and long expired ones included.
    pub ever: i64,
    pub events: Vec<Event>,
    /// The id to pass as `before` for the next (older) page, when there is one.
    pub older: Option<i64>,
}

/// See [`Overview`]; `before` is a page's `older` to show the page after it.
///
/// # Errors
/// [`DbError`] only.
pub async fn overview(
    state: &AppState,
    user_id: i64,
    before: Option<i64>,
) -> Result<Overview, DbError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            db::log_expired(conn, now)?;
            let mut events = security_log::recent(conn, user_id, now, before, EVENTS_PER_PAGE + 1)?;
            let older = if events.len() > EVENTS_PER_PAGE {
                events.truncate(EVENTS_PER_PAGE);
                events.last().map(|e| e.id)
            } else {
                None
            };
            Ok(Overview {
                tokens: db::list(conn, user_id, now)?,
                live: db::count_live(conn, user_id, now)?,
                ever: db::count_ever(conn, user_id)?,
                events,
                older,
            })
        })
        .await
}
