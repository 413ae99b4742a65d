//! The settings page: account (email, password, deletion), API tokens and the security log.
//! Everything here is session-only: no token can reach it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Page, ago, date};
use crate::auth::token::{self, Scope, TokenSecret};
use crate::auth::visitor::{CsrfForm, SESSION_COOKIE, removal_cookie};
use crate::auth::{ClientIp, SignedIn, password, secret};
use crate::db::api_tokens::{self, MAX_LIVE};
use crate::db::{security_log, sessions, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::account::parse_email;
use crate::web::diagrams::Empty;

const EXPIRY_WARNING_DAYS: i64 = 14;
const NAME_MAX_CHARS: usize = 64;

/// Create-form nonces already used, so reloading the page that shows a new secret (which
/// re-posts the form) cannot mint a second token. Kept in memory for an hour.
#[derive(Default)]
pub struct UsedNonces(Mutex<HashMap<String, Instant>>);

impl UsedNonces {
    /// True the first time a nonce is seen.
    fn first_use(&self, nonce: &str) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        seen.retain(|_, at| at.elapsed() < Duration::from_secs(3600));
        seen.insert(nonce.to_owned(), Instant::now()).is_none()
    }
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: &'static str,
    pub masked: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub expires_in: String,
    pub expiring_soon: bool,
    pub expired: bool,
}

pub struct EventRow {
    pub when: String,
    pub what: String,
    pub ip: String,
}

/// A secret to show once, on the response to the request that made it.
pub struct Revealed {
    pub name: String,
    pub secret: String,
    pub regenerated: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    page: Page,
    email: String,
    is_admin: bool,
    notice: Option<String>,
    error: Option<String>,
    tokens: Vec<TokenRow>,
    live: i64,
    max_live: i64,
    cap_reached: bool,
    revealed: Option<Revealed>,
    nonce: String,
    events: Vec<EventRow>,
}

fn describe(kind: &str, token: Option<&str>) -> String {
    let name = token.unwrap_or("?");
    match kind {
        "sign_in" => "Signed in".to_owned(),
        "token_created" => format!("Token “{name}” created"),
        "token_regenerated" => format!("Token “{name}” regenerated"),
        "token_revoked" => format!("Token “{name}” revoked"),
        "token_expired" => format!("Token “{name}” expired"),
        "token_new_ip" => format!("Token “{name}” used from a new address"),
        other => other.to_owned(),
    }
}

async fn view(
    state: &AppState,
    signed: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
    revealed: Option<Revealed>,
) -> AppResult<SettingsPage> {
    let user_id = signed.user.id;
    let now = state.clock.now();
    let (tokens, live, events) = state
        .db
        .run(move |conn| {
            api_tokens::log_expired(conn, now)?;
            Ok((
                api_tokens::list(conn, user_id, now)?,
                api_tokens::count_live(conn, user_id, now)?,
                security_log::recent(conn, user_id, now, 50)?,
            ))
        })
        .await?;
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let days = (t.expires_at - now).div_euclid(86_400);
            let expired = t.expires_at <= now;
            TokenRow {
                id: t.id,
                scope: t.scope.as_str(),
                masked: format!("{}…{}", token::PREFIX, t.last4),
                created: date(t.created_at),
                last_used: t
                    .last_used_at
                    .map(|at| ago(now, at))
                    .unwrap_or_else(|| "never".to_owned()),
                expires: date(t.expires_at),
                expires_in: match days {
                    _ if expired => "expired".to_owned(),
                    0 => "expires today".to_owned(),
                    1 => "expires in 1 day".to_owned(),
                    n => format!("expires in {n} days"),
                },
                expiring_soon: !expired && days < EXPIRY_WARNING_DAYS,
                expired,
                name: t.name,
            }
        })
        .collect();
    Ok(SettingsPage {
        page: Page::new(&signed.visitor, state),
        email: signed.user.email.clone(),
        is_admin: signed.user.is_admin,
        notice,
        error,
        tokens,
        live,
        max_live: MAX_LIVE,
        cap_reached: live >= MAX_LIVE,
        revealed,
        nonce: hex::encode(secret::os_random::<16>()),
        events: events
            .into_iter()
            .map(|e| EventRow {
                when: date(e.at),
                what: describe(&e.kind, e.token_name.as_deref()),
                ip: e.ip.unwrap_or_default(),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(query): Query<SettingsQuery>,
) -> AppResult<SettingsPage> {
    let notice = match query.done.as_deref() {
        Some("email") => Some("Your email address was changed."),
        Some("password") => Some(
            "Your password was changed. Other browsers were signed out; API tokens keep working.",
        ),
        Some("revoked") => Some("The token was revoked. Requests using it now fail."),
        Some("revoked-all") => Some("All API tokens were revoked."),
        _ => None,
    };
    view(&state, &signed, notice.map(str::to_owned), None, None).await
}

/// Re-shows settings with an error and the given status.
async fn refuse(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    message: String,
) -> AppResult<Response> {
    Ok((
        status,
        view(state, signed, None, Some(message), None).await?,
    )
        .into_response())
}

/// Checks the account's current password; None means it matched.
async fn wrong_password(
    state: &AppState,
    signed: &SignedIn,
    given: String,
) -> AppResult<Option<Response>> {
    let user_id = signed.user.id;
    let stored = state
        .db
        .run(move |conn| users::password_hash(conn, user_id))
        .await?;
    if given.len() <= password::MAX_BYTES && password::verify_blocking(given, stored).await {
        return Ok(None);
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    refuse(
        state,
        signed,
        StatusCode::UNAUTHORIZED,
        "Your current password was not right; nothing was changed.".into(),
    )
    .await
    .map(Some)
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    current_password: String,
}

pub async fn change_email(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<Response> {
    let email = match parse_email(&form.email) {
        Ok(e) => e,
        Err(msg) => return refuse(&state, &signed, StatusCode::UNPROCESSABLE_ENTITY, msg).await,
    };
    if let Some(page) = wrong_password(&state, &signed, form.current_password).await? {
        return Ok(page);
    }
    let user_id = signed.user.id;
    let changed = state
        .db
        .run(move |conn| users::set_email(conn, user_id, &email))
        .await?;
    if !changed {
        return refuse(
            &state,
            &signed,
            StatusCode::CONFLICT,
            "Another account already uses that email.".into(),
        )
        .await;
    }
    Ok(Redirect::to("/settings?done=email").into_response())
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<Response> {
    if let Err(msg) = password::check_rules(&form.new_password) {
        return refuse(&state, &signed, StatusCode::UNPROCESSABLE_ENTITY, msg).await;
    }
    if let Some(page) = wrong_password(&state, &signed, form.current_password).await? {
        return Ok(page);
    }
    let hash = password::hash_blocking(form.new_password)
        .await
        .map_err(AppError::Internal)?;
    let user_id = signed.user.id;
    let keep = signed.visitor.session.unwrap_or_default();
    state
        .db
        .run(move |conn| {
            users::set_password_hash(conn, user_id, &hash)?;
            sessions::delete_others(conn, user_id, &keep)
        })
        .await?;
    Ok(Redirect::to("/settings?done=password").into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    current_password: String,
}

pub async fn delete_account(
    State(state): State<AppState>,
    signed: SignedIn,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<Response> {
    if let Some(page) = wrong_password(&state, &signed, form.current_password).await? {
        return Ok(page);
    }
    let user_id = signed.user.id;
    state
        .db
        .run(move |conn| users::delete(conn, user_id))
        .await?;
    tracing::info!(user_id, "account deleted");
    signed
        .visitor
        .cookies
        .remove(removal_cookie(SESSION_COOKIE));
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct CreateTokenForm {
    name: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    nonce: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<CreateTokenForm>,
) -> AppResult<Response> {
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS {
        return refuse(
            &state,
            &signed,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Give the token a name of 1 to {NAME_MAX_CHARS} characters."),
        )
        .await;
    }
    let scope = Scope::parse(form.scope.as_deref().unwrap_or("read-write"))
        .ok_or_else(|| AppError::BadRequest("Choose a scope: read or read-write.".into()))?;
    if form.nonce.len() != 32 || !state.used_nonces.first_use(&form.nonce) {
        return refuse(
            &state,
            &signed,
            StatusCode::CONFLICT,
            "This form was already sent, so no second token was made. A token's secret is shown only once; if you did not copy it, revoke that token and create a new one.".into(),
        )
        .await;
    }
    let secret = TokenSecret::generate();
    let now = state.clock.now();
    let new_hash = secret.hash();
    let last4 = secret.last4().to_owned();
    let user_id = signed.user.id;
    let token_name = name.clone();
    let ip = ip.to_string();
    let created = state
        .db
        .run(move |conn| {
            let issued = api_tokens::Issued {
                hash: new_hash,
                last4: &last4,
                created_at: now,
                expires_at: token::expiry(now),
            };
            api_tokens::create(conn, user_id, &token_name, scope, &issued, Some(&ip))
        })
        .await?;
    match created {
        api_tokens::Created::Ok(_) => Ok(view(
            &state,
            &signed,
            None,
            None,
            Some(Revealed {
                name,
                secret: secret.expose().to_owned(),
                regenerated: false,
            }),
        )
        .await?
        .into_response()),
        api_tokens::Created::CapReached => {
            refuse(
                &state,
                &signed,
                StatusCode::CONFLICT,
                format!("You already have {MAX_LIVE} active tokens, the most an account can have. Revoke one you no longer use, then create the new one."),
            )
            .await
        }
    }
}

fn token_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub async fn revoke_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let token_id = token_id(&id)?;
    let user_id = signed.user.id;
    let now = state.clock.now();
    let ip = ip.to_string();
    state
        .db
        .run(move |conn| api_tokens::revoke(conn, user_id, token_id, Some(&ip), now))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to("/settings?done=revoked#tokens"))
}

pub async fn revoke_all(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let user_id = signed.user.id;
    let now = state.clock.now();
    let ip = ip.to_string();
    state
        .db
        .run(move |conn| api_tokens::revoke_all(conn, user_id, Some(&ip), now))
        .await?;
    Ok(Redirect::to("/settings?done=revoked-all#tokens"))
}

pub async fn regenerate_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Response> {
    let token_id = token_id(&id)?;
    let secret = TokenSecret::generate();
    let new_hash = secret.hash();
    let last4 = secret.last4().to_owned();
    let user_id = signed.user.id;
    let now = state.clock.now();
    let ip = ip.to_string();
    let token = state
        .db
        .run(move |conn| {
            let issued = api_tokens::Issued {
                hash: new_hash,
                last4: &last4,
                created_at: now,
                expires_at: token::expiry(now),
            };
            api_tokens::regenerate(conn, user_id, token_id, &issued, Some(&ip))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(view(
        &state,
        &signed,
        None,
        None,
        Some(Revealed {
            name: token.name,
            secret: secret.expose().to_owned(),
            regenerated: true,
        }),
    )
    .await?
    .into_response())
}
