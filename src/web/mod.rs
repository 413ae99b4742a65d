//! Server-rendered pages. Every page works as plain HTML forms; `static/app.js` only enhances.

pub mod account;
pub mod diagrams;
pub mod guest;
pub mod render_urls;
pub mod settings;
pub mod share;

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::assets;
use crate::auth::visitor::SignInRequired;
use crate::auth::{SignedIn, Visitor};
use crate::db::UnixTime;
use crate::error::AppError;
use crate::state::AppState;

/// What every page's layout needs: who is signed in, the CSRF token, asset URLs.
pub struct Page {
    pub email: Option<String>,
    pub accounts: bool,
    pub can_sign_up: bool,
    pub csrf: String,
    /// The public URL's path (`""`, or `"/reef"` under a sub-path): every link starts with it.
    pub root: String,
    /// The stylesheet's and script's URLs, under `root`.
    pub css: String,
    pub js: String,
}

impl Page {
    /// The content-hashed URL of an asset only some pages load (`editor.js`, the source
    /// editor built from `assets/editor`; `preview.js` and `preview.css`, the diagram viewer),
    /// under `root`.
    pub fn asset(&self, name: &str) -> String {
        format!("{}{}", self.root, assets::url(name))
    }
}

impl Page {
    /// The layout's part of a page for `visitor`.
    pub fn new(visitor: &Visitor, state: &AppState) -> Self {
        Self {
            email: visitor.user.as_ref().map(|u| u.email.clone()),
            accounts: state.config.accounts,
            can_sign_up: state.config.accounts && state.config.open_signups,
            csrf: visitor.csrf.clone(),
            root: state.config.public_path().to_owned(),
            css: format!("{}{}", state.config.public_path(), assets::url("style.css")),
            js: format!("{}{}", state.config.public_path(), assets::url("app.js")),
        }
    }
}

/// A handler that sends a GET to `path`: the address of a form's answer (a one-time secret,
/// an import) opened again from the address bar, a new tab or a restored session goes to the
/// page the form is on rather than to a "not allowed" page.
fn to(path: &'static str) -> impl Fn() -> std::future::Ready<axum::response::Redirect> + Clone {
    move || std::future::ready(axum::response::Redirect::to(path))
}

/// The page routes; sign-in, sign-up and settings exist only with accounts on (else 404).
pub fn router(state: &AppState) -> Router<AppState> {
    let mut editing = Router::new()
        .route("/", get(diagrams::index))
        .route("/d", post(diagrams::create))
        .route("/new", get(diagrams::new_page))
        .route("/new/{sample}", get(diagrams::new_editor))
        .route("/new/{sample}/image.svg", get(diagrams::sample_image))
        .route("/new/{sample}/style", post(diagrams::style_unsaved))
        .route("/style", post(diagrams::style))
        .route("/export.zip", get(diagrams::export_all))
        .route("/import", get(to("/new#import")).post(diagrams::import))
        .route("/guest", get(guest::page))
        .route("/guest/link", get(to("/guest")).post(guest::issue))
        .route("/guest/link/revoke", post(guest::revoke))
        .route("/g/{secret}", get(guest::ask).post(guest::recover))
        .route("/d/{id}", get(diagrams::editor).post(diagrams::save))
        .route("/d/{id}/style", post(diagrams::style_saved))
        .route("/d/{id}/image.svg", get(diagrams::image))
        .route("/d/{id}/download/{ext}", get(diagrams::download_own))
        .route("/d/{id}/delete", post(diagrams::delete))
        .route("/d/{id}/restore", post(diagrams::restore))
        .route("/d/{id}/share", post(diagrams::share))
        .route("/d/{id}/revisions", get(diagrams::revisions))
        .route("/d/{id}/revisions/{version}", get(diagrams::revision))
        .route(
            "/d/{id}/revisions/{version}/image.svg",
            get(diagrams::revision_image),
        )
        .route(
            "/d/{id}/revisions/{version}/restore",
            post(diagrams::restore_revision),
        )
        .route("/trash", get(diagrams::trash))
        .route("/d/{id}/purge", post(diagrams::purge))
        .route("/preview", post(diagrams::preview));
    // Guests are off only with accounts on (the command line refuses the other way).
    if !state.config.guests {
        editing = editing.route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            signed_in_only,
        ));
    }
    let mut router = editing
        .route("/s/{share_id}", get(share::page))
        .route("/s/{share_id}/image.svg", get(share::image))
        .route("/s/{share_id}/download/{ext}", get(share::download))
        .route("/static/{file}", get(static_file));
    if state.config.public_render {
        router = router
            .route("/", post(render_urls::kroki_root))
            .route("/mermaid", post(render_urls::kroki_post_accept))
            .route("/mermaid/{format}", post(render_urls::kroki_post))
            .route("/mermaid/{format}/{encoded}", get(render_urls::kroki_get))
            .route("/svg/{encoded}", get(render_urls::ink_svg))
            .route("/img/{encoded}", get(render_urls::ink_img));
    }
    if state.config.accounts {
        router = router
            .route("/login", get(account::login_page).post(account::login))
            .route("/signup", get(account::signup_page).post(account::signup))
            .route("/logout", post(account::logout))
            .route("/settings", get(settings::settings))
            .route("/settings/email", post(settings::change_email))
            .route("/settings/password", post(settings::change_password))
            .route("/settings/delete", post(settings::delete_account))
            .route(
                "/settings/tokens",
                get(to("/settings")).post(settings::create_token),
            )
            .route("/settings/tokens/revoke-all", post(settings::revoke_all))
            .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
            .route(
                "/settings/tokens/{id}/regenerate",
                get(to("/settings")).post(settings::regenerate_token),
            );
    }
    router
}

/// With guests off, the editor is for accounts: anyone else is sent to sign in.
async fn signed_in_only(
    signed_in: Result<SignedIn, SignInRequired>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match signed_in {
        Ok(_) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// An embedded asset by its content-hashed name, cached for a year (the name changes with
/// the content).
async fn static_file(Path(file): Path<String>) -> Result<Response, AppError> {
    let asset = assets::by_hashed_name(&file).ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        asset.body,
    )
        .into_response())
}

/// A form with no fields but its CSRF token (buttons such as delete, restore, sign out).
#[derive(Deserialize)]
pub struct Empty {}

/// "5 minutes ago"-style text for a past time; older than 30 days, its [`date`].
pub fn ago(now: UnixTime, then: UnixTime) -> String {
    let secs = (now - then).max(0);
    let (n, unit) = match secs {
        0..=59 => return "just now".to_owned(),
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        86_400..=2_591_999 => (secs / 86_400, "day"),
        _ => return date(then),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// A UTC date and time such as `2026-11-23 07:38 UTC`.
pub fn date(t: UnixTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(t.seconds())
        .ok()
        .and_then(|d| d.format(&format).ok())
        .unwrap_or_default()
}
