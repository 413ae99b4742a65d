//! Sign-up, sign-in, sign-out and the account settings page. Only routed with accounts on.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Empty, Page};
use crate::accounts::{self, AccountError};
use crate::auth::{ClientIp, CsrfForm, Visitor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `login.html`: the sign-in form, with the email kept after a failure.
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    page: Page,
    email: String,
    error: Option<String>,
    no_accounts_yet: bool,
}

async fn no_accounts_yet(state: &AppState) -> AppResult<bool> {
    Ok(accounts::no_accounts_yet(state).await?)
}

/// `GET /login`: the form; a signed-in visitor goes home.
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

/// The sign-in form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// `POST /login`: signs in and goes home; 401 with the form again when the email and
/// password do not match, 429 after too many tries.
pub async fn login(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<Response> {
    let browser = visitor.browser(ip);
    match accounts::sign_in(&state, &form.email, form.password, &browser).await {
        Ok((_, session)) => {
            visitor.start_session(session);
            Ok(Redirect::to("/").into_response())
        }
        Err(e) => {
            let (status, message) = AppError::from(e).refusal()?;
            let page = LoginPage {
                page: Page::new(&visitor, &state),
                email: form.email.trim().to_owned(),
                error: Some(message),
                no_accounts_yet: false,
            };
            Ok((status, page).into_response())
        }
    }
}

/// `signup.html`: the sign-up form, or why sign-ups are closed.
#[derive(Template, WebTemplate)]
#[template(path = "signup.html")]
pub struct SignupPage {
    page: Page,
    email: String,
    error: Option<String>,
    first: bool,
    closed: bool,
    /// The first sign-up must give the setup code from the log.
    needs_setup_code: bool,
}

/// `GET /signup`: the form (403 when sign-ups are closed and an account exists).
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
            needs_setup_code: first && state.config.setup_code.is_some(),
        },
    )
        .into_response())
}

/// The sign-up form.
#[derive(Deserialize)]
pub struct SignupForm {
    email: String,
    password: String,
    #[serde(default)]
    setup_code: String,
}

/// `POST /signup`: creates the account, signs it in and goes home; the form again with
/// 422 (bad email or password), 409 (email taken) or 403 (sign-ups closed).
pub async fn signup(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> AppResult<Response> {
    let first = no_accounts_yet(&state).await?;
    let browser = visitor.browser(ip);
    let refused = match accounts::sign_up(
        &state,
        &form.email,
        form.password,
        &form.setup_code,
        &browser,
    )
    .await
    {
        Ok((_, session)) => {
            visitor.start_session(session);
            return Ok(Redirect::to("/").into_response());
        }
        Err(e) => e,
    };
    let closed = matches!(refused, AccountError::SignupsClosed);
    let (status, error) = AppError::from(refused).refusal()?;
    let page = SignupPage {
        page: Page::new(&visitor, &state),
        email: form.email.trim().to_owned(),
        error: Some(error),
        first,
        closed,
        needs_setup_code: first && state.config.setup_code.is_some(),
    };
    Ok((status, page).into_response())
}

/// `POST /logout`: ends the session and goes home.
pub async fn logout(
    State(state): State<AppState>,
    visitor: Visitor,
    ClientIp(ip): ClientIp,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    accounts::sign_out(&state, visitor.session, &visitor.client(ip)).await?;
    visitor.end_session();
    Ok(Redirect::to("/"))
}
