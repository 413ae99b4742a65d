//! A guest's recovery link: made and revoked on `/guest`, opened in another browser at
//! `/g/<secret>` (which asks first: a link preview in a chat must not move anything).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use super::{Empty, Page, date};
use crate::auth::{CsrfForm, Visitor};
use crate::error::{AppError, AppResult};
use crate::guest_links::{self, Recovered};
use crate::http::BaseUrl;
use crate::state::AppState;

/// `guest.html`: what a recovery link is, whether this guest has one, and a new one shown
/// once.
#[derive(Template, WebTemplate)]
#[template(path = "guest.html")]
pub struct GuestPage {
    page: Page,
    signed_in: bool,
    /// When the current link was made ("2026-12-01 10:00 UTC").
    made: Option<String>,
    /// A new link, shown on the response that made it only.
    revealed: Option<String>,
    notice: Option<&'static str>,
    /// Makes a re-post (a reload of the page showing a new link) harmless.
    nonce: String,
}

async fn guest_page(
    state: &AppState,
    visitor: &Visitor,
    revealed: Option<String>,
    notice: Option<&'static str>,
) -> AppResult<GuestPage> {
    let made = guest_links::made_at(state, visitor.guest).await?;
    Ok(GuestPage {
        page: Page::new(visitor, state),
        signed_in: visitor.user.is_some(),
        made: made.map(date),
        revealed,
        notice,
        nonce: hex::encode(crate::secret::os_random::<16>()),
    })
}

/// The make-a-link form: the page's `nonce`.
#[derive(serde::Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    nonce: String,
}

/// `GET /guest`.
pub async fn page(State(state): State<AppState>, visitor: Visitor) -> AppResult<GuestPage> {
    guest_page(&state, &visitor, None, None).await
}

/// `POST /guest/link`: a new recovery link, shown once (the old one stops working).
pub async fn issue(
    State(state): State<AppState>,
    visitor: Visitor,
    base: BaseUrl,
    CsrfForm(form): CsrfForm<IssueForm>,
) -> AppResult<Response> {
    if visitor.user.is_some() {
        return Ok(Redirect::to("/guest").into_response());
    }
    if form.nonce.len() != 32 || !state.limits.nonces.first_use(&form.nonce) {
        let notice = "This page was reloaded, so no new link was made and the link is not shown again. If you did not copy it, make a new one (the old one then stops working).";
        return Ok(guest_page(&state, &visitor, None, Some(notice))
            .await?
            .into_response());
    }
    let link = guest_links::issue(&state, visitor.guest).await?;
    let url = base.recovery_url(&link.0);
    Ok(guest_page(&state, &visitor, Some(url), None)
        .await?
        .into_response())
}

/// `POST /guest/link/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<GuestPage> {
    let had = guest_links::revoke(&state, visitor.guest).await?;
    let notice = if had {
        "The recovery link was revoked: it no longer opens anything."
    } else {
        "There was no recovery link to revoke."
    };
    guest_page(&state, &visitor, None, Some(notice)).await
}

/// `recover.html`: asks before moving a guest's diagrams into this browser.
#[derive(Template, WebTemplate)]
#[template(path = "recover.html")]
pub struct RecoverPage {
    page: Page,
    secret: String,
    signed_in: bool,
    /// The link is this browser's own (nothing would move).
    own: bool,
}

/// `GET /g/{secret}`: the question; 404 for a link that does not work.
pub async fn ask(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(secret): Path<String>,
) -> AppResult<RecoverPage> {
    let Some(guest) = guest_links::guest_of(&state, &secret).await? else {
        return Err(AppError::NotFound);
    };
    Ok(RecoverPage {
        page: Page::new(&visitor, &state),
        signed_in: visitor.user.is_some(),
        own: visitor.user.is_none() && guest == visitor.guest,
        secret,
    })
}

/// `POST /g/{secret}`: the diagrams move into this browser (or the account signed in here),
/// then the list says how many; 404 for a link that does not work.
pub async fn recover(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(secret): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    match guest_links::recover(&state, &secret, &visitor.owner()).await? {
        Recovered::Moved(n) => Ok(Redirect::to(&format!("/?recovered={n}"))),
        Recovered::AlreadyHere => Ok(Redirect::to("/?recovered=here")),
        Recovered::Unknown => Err(AppError::NotFound),
    }
}
