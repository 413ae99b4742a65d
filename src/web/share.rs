//! The public, read-only share page: server-rendered, no JavaScript, gone when unshared.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Response;

use super::assets;
use crate::db::diagrams as db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "share.html")]
pub struct SharePage {
    css: &'static str,
    share_id: String,
    title: String,
    source: String,
    updated: String,
}

async fn shared(state: &AppState, share_id: String) -> AppResult<db::Diagram> {
    if share_id.len() > 32 {
        return Err(AppError::NotFound);
    }
    state
        .db
        .run(move |conn| db::by_share_id(conn, &share_id))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn page(
    State(state): State<AppState>,
    Path(share_id): Path<String>,
) -> AppResult<SharePage> {
    let d = shared(&state, share_id.clone()).await?;
    Ok(SharePage {
        css: assets::url("style.css"),
        share_id,
        title: d.title,
        source: d.source,
        updated: super::date(d.updated_at),
    })
}

pub async fn image(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(share_id): Path<String>,
) -> AppResult<Response> {
    let d = shared(&state, share_id).await?;
    Ok(super::diagrams::render_image(&state, &headers, &d.source).await)
}
