//! The settings page: account (email, password, deletion), API tokens and the security log.
//! Everything here is session-only: no token can reach it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Empty, Page, ago, date};
use crate::accounts::{self, AccountError};
use crate::auth::{ClientIp, CsrfForm, SignedIn};
use crate::error::{AppError, AppResult};
use crate::secret;
use crate::state::AppState;
use crate::tokens::{self, MAX_LIVE, NewToken, Scope, TokenError, TokenName};

const EXPIRY_WARNING_DAYS: i64 = 14;

/// One token as the settings page lists it: masked, with its dates in words.
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

/// One security event.
pub struct EventRow {
    pub when: String,
    pub what: String,
    pub ip: String,
    /// "Firefox on Linux", or "" when not from a page or not recognised.
    pub browser: String,
}

/// A secret to show once, on the response to the request that made it.
pub struct Revealed {
    pub name: String,
    pub secret: String,
    pub regenerated: bool,
}

/// `settings.html`: account, API tokens (a new secret shown once) and the security log.
#[derive(Template, WebTemplate)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    page: Page,
    email: String,
    is_admin: bool,
    notice: Option<String>,
    error: Option<String>,
    tokens: Vec<TokenRow>,
    /// Tokens the account ever had (so an empty list can say "none active" rather than
    /// "none yet").
    ever: i64,
    live: i64,
    max_live: i64,
    cap_reached: bool,
    revealed: Option<Revealed>,
    nonce: String,
    events: Vec<EventRow>,
    /// The security log's next (older) page, as `?before=`.
    older: Option<i64>,
    /// Showing an older page of the log (so it links back to the newest).
    log_paged: bool,
}

fn describe(kind: &str, token: Option<&str>) -> String {
    let name = token.unwrap_or("?");
    match kind {
        "sign_in" => "Signed in".to_owned(),
        "sign_in_failed" => "Failed sign-in (wrong password)".to_owned(),
        "sign_out" => "Signed out".to_owned(),
        "email_changed" => "Email address changed".to_owned(),
        "password_changed" => "Password changed (other browsers signed out)".to_owned(),
        "token_created" => format!("Token “{name}” created"),
        "token_regenerated" => format!("Token “{name}” regenerated"),
        "token_revoked" => format!("Token “{name}” revoked"),
        "token_expired" => format!("Token “{name}” expired"),
        "token_new_ip" => format!("Token “{name}” used from a new address"),
        other => other.to_owned(),
    }
}

/// Whole calendar days (UTC) from `now`'s date to `then`'s: the same count the shown dates
/// give, whatever the time of day.
fn days_between(now: crate::db::UnixTime, then: crate::db::UnixTime) -> i64 {
    let day = |t: crate::db::UnixTime| {
        time::OffsetDateTime::from_unix_timestamp(t.seconds())
            .map(|d| d.date())
            .unwrap_or(time::Date::MIN)
    };
    (day(then) - day(now)).whole_days()
}

/// What a settings page shows besides the account: a message and the log's page.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    error: Option<String>,
    revealed: Option<Revealed>,
    log_before: Option<i64>,
}

async fn view(state: &AppState, signed: &SignedIn, shown: Shown) -> AppResult<SettingsPage> {
    let now = state.clock.now();
    let tokens::Overview {
        tokens,
        live,
        ever,
        events,
        older,
    } = tokens::overview(state, signed.user.id, shown.log_before).await?;
    let tokens = tokens
        .into_iter()
        .map(|t| {
            let days = days_between(now, t.expires_at);
            let expired = t.expires_at <= now;
            TokenRow {
                id: t.id,
                scope: Scope::parse(&t.scope).unwrap_or(Scope::Read).as_str(),
                masked: format!("{}…{}", tokens::PREFIX, t.last4),
                created: date(t.created_at),
                last_used: t
                    .last_used_at
                    .map(|at| ago(now, at))
                    .unwrap_or_else(|| "never".to_owned()),
                expires: date(t.expires_at),
                expires_in: match days {
                    _ if expired => "expired".to_owned(),
                    0 => "today".to_owned(),
                    1 => "tomorrow".to_owned(),
                    n => format!("in {n} days"),
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
        notice: shown.notice,
        error: shown.error,
        tokens,
        ever,
        live,
        max_live: MAX_LIVE,
        cap_reached: live >= MAX_LIVE,
        revealed: shown.revealed,
        nonce: hex::encode(secret::os_random::<16>()),
        events: events
            .into_iter()
            .map(|e| EventRow {
                when: date(e.at),
                what: describe(&e.kind, e.token_name.as_deref()),
                ip: e.ip.unwrap_or_default(),
                browser: e.agent.unwrap_or_default(),
            })
            .collect(),
        older,
        log_paged: shown.log_before.is_some(),
    })
}

/// `?done=` after a change, to say what happened; `?before=` for an older page of the
/// security log.
#[derive(Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
    before: Option<String>,
}

/// `GET /settings`.
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
    let shown = Shown {
        notice: notice.map(str::to_owned),
        log_before: query.before.as_deref().and_then(|b| b.parse().ok()),
        ..Shown::default()
    };
    view(&state, &signed, shown).await
}

/// Re-shows settings with an error and the given status.
async fn refuse(
    state: &AppState,
    signed: &SignedIn,
    status: StatusCode,
    message: String,
) -> AppResult<Response> {
    let shown = Shown {
        error: Some(message),
        ..Shown::default()
    };
    Ok((status, view(state, signed, shown).await?).into_response())
}

/// The settings page after a form was sent a second time (a reload of the page that showed a
/// secret): nothing new was made, which is said calmly, not as an error.
async fn resent(state: &AppState, signed: &SignedIn) -> AppResult<Response> {
    let shown = Shown {
        notice: Some(
            "This page was reloaded, so nothing new was made and the secret is not shown again. If you did not copy it, regenerate that token (or revoke it and create another).".into(),
        ),
        ..Shown::default()
    };
    Ok(view(state, signed, shown).await?.into_response())
}

/// The settings page again, with what went wrong: the page's own status for a refused
/// account change (a wrong current password is 401, a taken email 409).
async fn refused(state: &AppState, signed: &SignedIn, e: AccountError) -> AppResult<Response> {
    // Here the taken email is someone else's, not a reason to sign in.
    let taken = matches!(e, AccountError::DuplicateEmail);
    let (status, message) = AppError::from(e).refusal()?;
    let message = if taken {
        "Another account already uses that email.".to_owned()
    } else {
        message
    };
    refuse(state, signed, status, message).await
}

/// The email form; the current password is asked again.
#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
    current_password: String,
}

/// `POST /settings/email`: 422 bad email, 401 wrong password, 409 email taken.
pub async fn change_email(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<Response> {
    let user = signed.user.id;
    let client = signed.visitor.client(ip);
    match accounts::change_email(&state, user, &client, &form.email, form.current_password).await {
        Ok(()) => Ok(Redirect::to("/settings?done=email").into_response()),
        Err(e) => refused(&state, &signed, e).await,
    }
}

/// The password form.
#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /settings/password`: other browsers are signed out; 422 weak password, 401 wrong
/// current password.
pub async fn change_password(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<Response> {
    let keep = signed.visitor.session.unwrap_or_default();
    let changed = accounts::change_password(
        &state,
        signed.user.id,
        &signed.visitor.client(ip),
        keep,
        form.current_password,
        form.new_password,
    )
    .await;
    match changed {
        Ok(()) => Ok(Redirect::to("/settings?done=password").into_response()),
        Err(e) => refused(&state, &signed, e).await,
    }
}

/// The delete-account form.
#[derive(Deserialize)]
pub struct DeleteForm {
    current_password: String,
}

/// `POST /settings/delete`: the account and everything in it; 401 wrong password.
pub async fn delete_account(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<Response> {
    match accounts::delete(&state, signed.user.id, ip, form.current_password).await {
        Ok(()) => {
            signed.visitor.end_session();
            Ok(Redirect::to("/").into_response())
        }
        Err(e) => refused(&state, &signed, e).await,
    }
}

/// The new-token form; `nonce` makes a re-post (a reload) harmless.
#[derive(Deserialize)]
pub struct CreateTokenForm {
    name: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    nonce: String,
}

/// The settings page showing a new secret, once.
async fn reveal(
    state: &AppState,
    signed: &SignedIn,
    new: NewToken,
    regenerated: bool,
) -> AppResult<Response> {
    let revealed = Revealed {
        name: new.token.name,
        secret: new.secret.expose().to_owned(),
        regenerated,
    };
    let shown = Shown {
        revealed: Some(revealed),
        ..Shown::default()
    };
    Ok(view(state, signed, shown).await?.into_response())
}

/// `POST /settings/tokens`: the settings page with the secret shown once; 422 bad name,
/// 409 at the cap or for a re-posted form.
pub async fn create_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<CreateTokenForm>,
) -> AppResult<Response> {
    let name = match TokenName::parse(&form.name) {
        Ok(name) => name,
        Err(e) => return refused_token(&state, &signed, e).await,
    };
    let scope = Scope::parse(form.scope.as_deref().unwrap_or("read-write"))
        .ok_or_else(|| AppError::BadRequest("Choose a scope: read or read-write.".into()))?;
    if form.nonce.len() != 32 || !state.limits.nonces.first_use(&form.nonce) {
        return resent(&state, &signed).await;
    }
    match tokens::issue(
        &state,
        signed.user.id,
        name,
        scope,
        &signed.visitor.client(ip),
    )
    .await
    {
        Ok(new) => reveal(&state, &signed, new, false).await,
        Err(e) => refused_token(&state, &signed, e).await,
    }
}

/// The settings page again, with why no token was made (a bad name 422, the cap 409).
async fn refused_token(state: &AppState, signed: &SignedIn, e: TokenError) -> AppResult<Response> {
    let (status, message) = AppError::from(e).refusal()?;
    refuse(state, signed, status, message).await
}

fn token_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// `POST /settings/tokens/{id}/revoke`: 404 unless the account's live token.
pub async fn revoke_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    tokens::revoke(
        &state,
        signed.user.id,
        token_id(&id)?,
        &signed.visitor.client(ip),
    )
    .await?;
    Ok(Redirect::to("/settings?done=revoked#tokens"))
}

/// `POST /settings/tokens/revoke-all`.
pub async fn revoke_all(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    tokens::revoke_all(&state, signed.user.id, &signed.visitor.client(ip)).await?;
    Ok(Redirect::to("/settings?done=revoked-all#tokens"))
}

/// The regenerate form: the page's `nonce`, so reloading the page that showed the new secret
/// does not regenerate again (and kill the secret just shown).
#[derive(Deserialize)]
pub struct RegenerateForm {
    #[serde(default)]
    nonce: Option<String>,
}

/// `POST /settings/tokens/{id}/regenerate`: a new secret, shown once; the old one stops. A
/// form sent again (same `nonce`) changes nothing.
pub async fn regenerate_token(
    State(state): State<AppState>,
    signed: SignedIn,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RegenerateForm>,
) -> AppResult<Response> {
    if let Some(nonce) = &form.nonce
        && (nonce.len() != 32 || !state.limits.nonces.first_use(nonce))
    {
        return resent(&state, &signed).await;
    }
    let new = tokens::regenerate(
        &state,
        signed.user.id,
        token_id(&id)?,
        &signed.visitor.client(ip),
    )
    .await?;
    reveal(&state, &signed, new, true).await
}
