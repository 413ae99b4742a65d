//! Account use cases: sign up, sign in and out, change email or password, delete, and the
//! checks behind them (email shape, password rules, the current password, sign-in limits).
//! Sessions are stored by the SHA-256 of their cookie; the cookie itself is set by the page
//! that asked.

pub mod password;

use std::net::IpAddr;

use crate::db::security_log::{self, EventKind, Source};
use crate::db::{DbError, UnixTime, diagrams, sessions, users};
use crate::limits::Busy;
use crate::secret;
use crate::state::AppState;

pub use crate::db::sessions::Seen;
pub use crate::db::users::User;

/// How long a session cookie lives in the browser, in days (the store also ends sessions
/// idle for 30 days).
pub const SESSION_DAYS: i64 = 30;

/// Why an account use case refused. Messages are sentences for the person.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Enter a valid email address, like you@example.net.")]
    InvalidEmail,
    /// The new password breaks a rule; the message says which.
    #[error("{0}")]
    WeakPassword(String),
    /// The account's current password (asked again before a sensitive change) was wrong.
    #[error("Your current password was not right; nothing was changed.")]
    WrongPassword,
    /// Sign-in failed: no such account, or the wrong password (never said which).
    #[error("That email and password do not match an account.")]
    BadCredentials,
    #[error("An account with this email already exists. Sign in instead.")]
    DuplicateEmail,
    #[error("Sign-ups are closed on this server. Ask its administrator for an account.")]
    SignupsClosed,
    /// The first account needs the setup code from the server's log, and it was missing or
    /// wrong.
    #[error(
        "Enter the setup code Reef printed in its log when it started (it looks like K7QM-2XHD-9FRW)."
    )]
    SetupCode,
    /// Too many password attempts for this account from this address, or from this address.
    #[error("Too many sign-in attempts. Wait a minute and try again.")]
    TooManyAttempts,
    /// Too many password checks are already running; try again after this many seconds.
    #[error("Reef is busy checking other passwords. Try again in a few seconds.")]
    Busy { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

impl From<Busy> for AccountError {
    fn from(Busy(wait): Busy) -> Self {
        AccountError::Busy {
            retry_after: wait.0,
        }
    }
}

/// An email address as accounts store it: trimmed, at most 254 bytes, one `@` with text on
/// both sides, no spaces or control characters. Compared without case by the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// # Errors
    /// [`AccountError::InvalidEmail`].
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        let email = raw.trim();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            });
        valid
            .then(|| Self(email.to_owned()))
            .ok_or(AccountError::InvalidEmail)
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The browser a sign-in happens in: its current session (destroyed, so a planted session id
/// cannot be kept), its guest identity (whose diagrams move into the account) and address.
pub struct Browser {
    pub session: Option<[u8; 32]>,
    pub guest: [u8; 32],
    pub client: Client,
}

/// Where an account event comes from, for the security log and the sign-in limits: the
/// client address and the browser as a person recognises it ("Firefox on Linux").
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub agent: Option<String>,
}

impl Client {
    /// Logs `kind` for the account as coming from this client.
    fn log(
        &self,
        conn: &rusqlite::Connection,
        user_id: i64,
        kind: EventKind,
        now: UnixTime,
    ) -> Result<(), DbError> {
        let ip = self.ip.to_string();
        let from = Source {
            ip: Some(&ip),
            agent: self.agent.as_deref(),
        };
        security_log::record(conn, user_id, kind, None, from, now)
    }
}

/// A new session: the cookie value to set (64 hex digits), shown to nobody else.
pub struct NewSession {
    pub cookie: String,
}

/// Whether the server has no account yet (the first sign-up is always allowed and becomes
/// the admin).
///
/// # Errors
/// [`DbError`] only.
pub async fn no_accounts_yet(state: &AppState) -> Result<bool, DbError> {
    Ok(state.db.run(|conn| users::count(conn)).await? == 0)
}

/// The account signed in with the session whose cookie hashes to `session`, if the session
/// exists and has not idled out (30 days); seeing it refreshes its last use at most daily,
/// and then [`Seen::renewed`] says the cookie's lifetime should start again too.
///
/// # Errors
/// [`DbError`] only.
pub async fn session_user(state: &AppState, session: [u8; 32]) -> Result<Option<Seen>, DbError> {
    let now = state.clock.now();
    state
        .db
        .run(move |conn| sessions::user(conn, &session, now))
        .await
}

/// A fresh session for `browser`, to be opened with [`open_session`].
struct Opening {
    hash: [u8; 32],
    old: Option<[u8; 32]>,
    guest: [u8; 32],
    client: Client,
    now: crate::db::UnixTime,
    cookie: NewSession,
}

impl Opening {
    fn new(state: &AppState, browser: &Browser) -> Self {
        let raw = secret::os_random::<32>();
        Self {
            hash: secret::sha256(&raw),
            old: browser.session,
            guest: browser.guest,
            client: browser.client.clone(),
            now: state.clock.now(),
            cookie: NewSession {
                cookie: hex::encode(raw),
            },
        }
    }
}

/// Signs a browser in as `user_id`, inside the caller's transaction: its old session is
/// destroyed (a planted session id cannot be kept), a fresh one is made, the guest's diagrams
/// move into the account, and the sign-in is logged.
fn open_session(tx: &rusqlite::Connection, user_id: i64, o: &Opening) -> Result<(), DbError> {
    if let Some(old) = &o.old {
        sessions::delete(tx, old)?;
    }
    sessions::create(tx, &o.hash, user_id, o.now)?;
    diagrams::claim_guest(tx, &o.guest, user_id)?;
    o.client.log(tx, user_id, EventKind::SignIn, o.now)
}

/// Signs `browser` in as `user_id`, in one transaction (see [`open_session`]).
async fn start_session(
    state: &AppState,
    browser: &Browser,
    user_id: i64,
) -> Result<NewSession, AccountError> {
    let opening = Opening::new(state, browser);
    Ok(state
        .db
        .write(move |tx| {
            open_session(tx, user_id, &opening)?;
            Ok(opening.cookie)
        })
        .await?)
}

/// Hashes `password` on the bounded hashing threads.
async fn hash(state: &AppState, password: String) -> Result<String, AccountError> {
    state
        .limits
        .hashing
        .run(move || password::hash(&password))
        .await?
        .map_err(AccountError::Internal)
}

/// Checks `password` against `stored` (or a dummy, so a missing account costs the same) on
/// the bounded hashing threads.
async fn verify(
    state: &AppState,
    password: String,
    stored: Option<String>,
) -> Result<bool, AccountError> {
    if password.len() > password::MAX_BYTES {
        return Ok(false);
    }
    Ok(state
        .limits
        .hashing
        .run(move || password::verify(&password, stored.as_deref()))
        .await?)
}

/// A wrong password for `account`: wait as long as the limits say, then refuse with `error`.
async fn refuse_password(state: &AppState, account: &str, error: AccountError) -> AccountError {
    tokio::time::sleep(state.limits.login.failed(account)).await;
    error
}

/// Creates an account from the browser and signs it in, in one transaction. With sign-ups
/// closed only the first account can be made (it becomes the admin). Whether the account
/// can be made is decided before the password is hashed, so refused sign-ups cost no
/// hashing; each address may try 5 times, then once every 12 minutes.
///
/// # Errors
/// [`AccountError::InvalidEmail`], [`AccountError::WeakPassword`] (checked in that order),
/// [`AccountError::TooManyAttempts`], [`AccountError::SignupsClosed`],
/// [`AccountError::SetupCode`] (the first account, when the server has a setup code),
/// [`AccountError::DuplicateEmail`], [`AccountError::Busy`].
pub async fn sign_up(
    state: &AppState,
    email: &str,
    password: String,
    setup_code: &str,
    browser: &Browser,
) -> Result<(User, NewSession), AccountError> {
    let email = Email::parse(email)?;
    password::check_rules(&password).map_err(AccountError::WeakPassword)?;
    if !state.limits.login.allow_sign_up(browser.client.ip) {
        return Err(AccountError::TooManyAttempts);
    }
    let only_if_first = !state.config.open_signups;
    let probe = email.clone();
    let (accounts, taken) = state
        .db
        .run(move |conn| {
            let taken = users::by_email(conn, probe.as_str())?.is_some();
            Ok((users::count(conn)?, taken))
        })
        .await?;
    if only_if_first && accounts > 0 {
        return Err(AccountError::SignupsClosed);
    }
    if accounts == 0
        && let Some(expected) = &state.config.setup_code
        && !secret::ct_eq(
            expected.as_bytes(),
            setup_code.trim().to_ascii_uppercase().as_bytes(),
        )
    {
        return Err(AccountError::SetupCode);
    }
    if taken {
        return Err(AccountError::DuplicateEmail);
    }
    // Both are checked again in the transaction: another sign-up may have come between.
    let hash = hash(state, password).await?;
    let opening = Opening::new(state, browser);
    let now = opening.now;
    let created = state
        .db
        .write(move |tx| {
            let created = users::create(tx, email.as_str(), &hash, only_if_first, false, now)?;
            if let users::Created::Ok(user) = &created {
                open_session(tx, user.id, &opening)?;
            }
            Ok((created, opening.cookie))
        })
        .await?;
    let (user, session) = match created {
        (users::Created::Ok(user), session) => (user, session),
        (users::Created::DuplicateEmail, _) => return Err(AccountError::DuplicateEmail),
        (users::Created::Closed, _) => return Err(AccountError::SignupsClosed),
    };
    tracing::info!(user_id = user.id, admin = user.is_admin, "account created");
    Ok((user, session))
}

/// Creates an account from the shell (`reef user add`): no sign-up policy, optionally admin.
///
/// # Errors
/// [`AccountError::InvalidEmail`], [`AccountError::WeakPassword`],
/// [`AccountError::DuplicateEmail`].
pub fn add_from_shell(
    conn: &mut rusqlite::Connection,
    email: &str,
    password: &str,
    admin: bool,
    now: crate::db::UnixTime,
) -> Result<User, AccountError> {
    let email = Email::parse(email)?;
    password::check_rules(password).map_err(AccountError::WeakPassword)?;
    let hash = password::hash(password).map_err(AccountError::Internal)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(DbError::from)?;
    let created = users::create(&tx, email.as_str(), &hash, false, admin, now)?;
    tx.commit().map_err(DbError::from)?;
    match created {
        users::Created::Ok(user) => Ok(user),
        users::Created::DuplicateEmail => Err(AccountError::DuplicateEmail),
        users::Created::Closed => Err(AccountError::SignupsClosed),
    }
}

/// Signs in with email and password. Every attempt counts against the (email, address) pair
/// (5, then one per 12 s) and the address (20 a minute), never the email alone, so nobody
/// can lock an owner out from elsewhere. A wrong email costs the same time as a wrong
/// password; wrong passwords for one account answer ever more slowly (250 ms, doubling after
/// five in a row up to 8 s).
///
/// # Errors
/// [`AccountError::TooManyAttempts`], [`AccountError::BadCredentials`],
/// [`AccountError::Busy`].
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    browser: &Browser,
) -> Result<(User, NewSession), AccountError> {
    let email = email.trim().to_owned();
    if !state.limits.login.allow(&email, browser.client.ip) {
        return Err(AccountError::TooManyAttempts);
    }
    let lookup = email.clone();
    let found = state
        .db
        .run(move |conn| users::by_email(conn, &lookup))
        .await?;
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = verify(state, password, stored).await?;
    match user {
        Some(user) if ok => {
            state.limits.login.succeeded(&email);
            let session = start_session(state, browser, user.id).await?;
            Ok((user, session))
        }
        Some(user) => {
            // The account's owner sees that someone tried (limited above, so a flood of
            // guesses cannot flood the log).
            let (client, now) = (browser.client.clone(), state.clock.now());
            state
                .db
                .run(move |conn| client.log(conn, user.id, EventKind::SignInFailed, now))
                .await?;
            Err(refuse_password(state, &email, AccountError::BadCredentials).await)
        }
        None => Err(refuse_password(state, &email, AccountError::BadCredentials).await),
    }
}

/// Ends the session whose cookie hashes to `session` (if any), logged as `sign_out` for its
/// account from `client`.
///
/// # Errors
/// [`DbError`] only.
pub async fn sign_out(
    state: &AppState,
    session: Option<[u8; 32]>,
    client: &Client,
) -> Result<(), DbError> {
    let Some(hash) = session else {
        return Ok(());
    };
    let (client, now) = (client.clone(), state.clock.now());
    state
        .db
        .write(move |tx| {
            if let Some(seen) = sessions::user(tx, &hash, now)? {
                client.log(tx, seen.user.id, EventKind::SignOut, now)?;
            }
            sessions::delete(tx, &hash)
        })
        .await
}

/// Checks the account's current password, asked again before a sensitive change, under the
/// same limits as a sign-in (per account and address, per address, slower as failures pile
/// up).
///
/// # Errors
/// [`AccountError::TooManyAttempts`], [`AccountError::WrongPassword`],
/// [`AccountError::Busy`].
async fn check_current_password(
    state: &AppState,
    user_id: i64,
    ip: IpAddr,
    given: String,
) -> Result<(), AccountError> {
    let account = format!("user:{user_id}");
    if !state.limits.login.allow(&account, ip) {
        return Err(AccountError::TooManyAttempts);
    }
    let stored = state
        .db
        .run(move |conn| users::password_hash(conn, user_id))
        .await?;
    if verify(state, given, stored).await? {
        state.limits.login.succeeded(&account);
        return Ok(());
    }
    Err(refuse_password(state, &account, AccountError::WrongPassword).await)
}

/// Changes the account's email after checking the current password (asked from `ip`).
///
/// # Errors
/// [`AccountError::InvalidEmail`], then those of the password check
/// ([`AccountError::TooManyAttempts`], [`AccountError::WrongPassword`],
/// [`AccountError::Busy`]), then [`AccountError::DuplicateEmail`].
pub async fn change_email(
    state: &AppState,
    user_id: i64,
    client: &Client,
    email: &str,
    current_password: String,
) -> Result<(), AccountError> {
    let email = Email::parse(email)?;
    check_current_password(state, user_id, client.ip, current_password).await?;
    let (client, now) = (client.clone(), state.clock.now());
    let changed = state
        .db
        .write(move |tx| {
            let changed = users::set_email(tx, user_id, email.as_str())?;
            if changed {
                client.log(tx, user_id, EventKind::EmailChanged, now)?;
            }
            Ok(changed)
        })
        .await?;
    if changed {
        Ok(())
    } else {
        Err(AccountError::DuplicateEmail)
    }
}

/// Changes the password after checking the current one, and signs every other browser out,
/// in one transaction (API tokens keep working).
///
/// # Errors
/// [`AccountError::WeakPassword`], then [`AccountError::WrongPassword`].
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    client: &Client,
    keep_session: [u8; 32],
    current_password: String,
    new_password: String,
) -> Result<(), AccountError> {
    password::check_rules(&new_password).map_err(AccountError::WeakPassword)?;
    check_current_password(state, user_id, client.ip, current_password).await?;
    let hash = hash(state, new_password).await?;
    let (client, now) = (client.clone(), state.clock.now());
    state
        .db
        .write(move |tx| {
            users::set_password_hash(tx, user_id, &hash)?;
            sessions::delete_others(tx, user_id, &keep_session)?;
            client.log(tx, user_id, EventKind::PasswordChanged, now)
        })
        .await?;
    Ok(())
}

/// Deletes the account after checking the current password; its sessions, tokens and
/// diagrams (with revisions) go with it.
///
/// # Errors
/// [`AccountError::WrongPassword`].
pub async fn delete(
    state: &AppState,
    user_id: i64,
    ip: IpAddr,
    current_password: String,
) -> Result<(), AccountError> {
    check_current_password(state, user_id, ip, current_password).await?;
    state
        .db
        .run(move |conn| users::delete(conn, user_id))
        .await?;
    tracing::info!(user_id, "account deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_one_at_with_text_on_both_sides() {
        assert_eq!(
            Email::parse(" you@example.net ")
                .map(|e| e.0)
                .ok()
                .as_deref(),
            Some("you@example.net")
        );
        for bad in [
            "",
            "you",
            "@example.net",
            "you@",
            "a@b@c",
            "y ou@example.net",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
