//! Sign-up, sign-in, sign-out and the account settings page. Only routed with accounts on.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Page;
use crate::auth::visitor::{CsrfForm, SESSION_COOKIE, make_cookie, removal_cookie};
use crate::auth::{ClientIp, Visitor, password, secret};
use crate::db::security_log::{self, EventKind};
use crate::db::{diagrams, sessions, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const SESSION_DAYS: i64 = 30;

/// Normalises an email address, or says what is wrong with it.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(email.to_owned())
    } else {
        Err("Enter a valid email address, like you@example.net.".into())
    }
}

/// Signs the visitor in as `user_id`: a fresh session id (the old one, if any, is destroyed)
/// and the guest's diagrams move into the account.
async fn start_session(
    state: &AppState,
    visitor: &Visitor,
    user_id: i64,
    ip: std::net::IpAddr,
) -> AppResult<()> {
    let raw = secret::os_random::<32>();
    let hash = secret::sha256(&raw);
    let old = visitor.session;
    let guest = visitor.guest;
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            if let Some(old) = old {
                sessions::delete(conn, &old)?;
            }
            sessions::create(conn, &hash, user_id, now)?;
            diagrams::claim_guest(conn, &guest, user_id)?;
            security_log::record(
                conn,
                user_id,
                EventKind::SignIn,
                None,
                Some(&ip.to_string()),
                now,
            )
        })
        .await?;
    visitor.cookies.add(make_cookie(
        SESSION_COOKIE,
        hex::encode(raw),
        state.config.secure_cookies,
        SESSION_DAYS,
    ));
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    email: String,
    error: Option<String>,
    no_accounts_yet: bool,
}

async fn no_accounts_yet(state: &AppState) -> AppResult<bool> {
    Ok(state.db.run(|conn| users::count(conn)).await? == 0)
}

pub async fn login_page(State(state): State<AppState>, visitor: Visitor) -> AppResult<Response> {
    if visitor.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(LoginPage {
        page: Page::new(&visitor, &state),
        email: String::new(),
        error: None,
        no_accounts_yet: no_accounts_yet(&state).await?,
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    let email = form.email.trim().to_owned();
    let fail = |status: StatusCode, message: &str| {
        (
            status,
            LoginPage {
                page: Page::new(&visitor, &state),
                email: email.clone(),
                error: Some(message.to_owned()),
                no_accounts_yet: false,
            },
        )
            .into_response()
    };
    if !state.login_limits.allow(&email, ip) {
        return Ok(fail(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-in attempts. Wait a minute and try again.",
        ));
    }
    let lookup = email.clone();
    let found = if form.password.len() > password::MAX_BYTES {
        None
    } else {
        state
            .db
            .run(move |conn| users::by_email(conn, &lookup))
            .await?
    };
    let (user, stored) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = password::verify_blocking(form.password, stored).await;
    match user.filter(|_| ok) {
        Some(user) => {
            start_session(&state, &visitor, user.id, ip).await?;
            Ok(Redirect::to("/").into_response())
        }
        None => {
            // A failed attempt costs the caller a little time, whichever part was wrong.
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            Ok(fail(
                StatusCode::UNAUTHORIZED,
                "That email and password do not match an account.",
            ))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "signup.html")]
pub struct SignupPage {
    page: Page,
    email: String,
    error: Option<String>,
    first: bool,
    closed: bool,
}

pub async fn signup_page(State(state): State<AppState>, visitor: Visitor) -> AppResult<Response> {
    if visitor.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let first = no_accounts_yet(&state).await?;
    let closed = !first && !state.config.open_signups;
    let status = if closed {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        SignupPage {
            page: Page::new(&visitor, &state),
            email: String::new(),
            error: None,
            first,
            closed,
        },
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct SignupForm {
    email: String,
    password: String,
}

pub async fn signup(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> AppResult<Response> {
    let first = no_accounts_yet(&state).await?;
    let page = |status: StatusCode, error: String, closed: bool| {
        (
            status,
            SignupPage {
                page: Page::new(&visitor, &state),
                email: form.email.trim().to_owned(),
                error: Some(error),
                first,
                closed,
            },
        )
            .into_response()
    };
    let email = match parse_email(&form.email) {
        Ok(e) => e,
        Err(msg) => return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, msg, false)),
    };
    if let Err(msg) = password::check_rules(&form.password) {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, msg, false));
    }
    let hash = password::hash_blocking(form.password.clone())
        .await
        .map_err(AppError::Internal)?;
    let only_if_first = !state.config.open_signups;
    let now = state.clock.now();
    let e = email.clone();
    let created = state
        .db
        .run(move |conn| users::create(conn, &e, &hash, only_if_first, false, now))
        .await?;
    match created {
        users::Created::Ok(user) => {
            tracing::info!(user_id = user.id, admin = user.is_admin, "account created");
            start_session(&state, &visitor, user.id, ip).await?;
            Ok(Redirect::to("/").into_response())
        }
        users::Created::DuplicateEmail => Ok(page(
            StatusCode::CONFLICT,
            "An account with this email already exists. Sign in instead.".into(),
            false,
        )),
        users::Created::Closed => Ok(page(
            StatusCode::FORBIDDEN,
            "Sign-ups are closed on this server. Ask its administrator for an account.".into(),
            true,
        )),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(crate::web::diagrams::Empty {}): CsrfForm<crate::web::diagrams::Empty>,
) -> AppResult<Redirect> {
    if let Some(hash) = visitor.session {
        state
            .db
            .run(move |conn| sessions::delete(conn, &hash))
            .await?;
    }
    visitor.cookies.remove(removal_cookie(SESSION_COOKIE));
    Ok(Redirect::to("/"))
}
