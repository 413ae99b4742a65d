//! The JSON API under `/api`, for scripts, CI jobs and agents. Bearer tokens (or the
//! browser's own session) authenticate; token and account management are not here on purpose.

pub mod auth;
pub mod body;
pub mod diagrams;
pub mod error;
pub mod limits;

use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use self::auth::{ApiCaller, Via};
use self::error::{ApiError, ApiResult};
use crate::state::AppState;

/// RFC 3339 UTC time for a Unix timestamp, e.g. `2027-05-23T07:38:45Z`.
pub fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The API routes, relative to the `/api` prefix they are nested under.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/diagrams", get(diagrams::list).post(diagrams::create))
        .route(
            "/diagrams/{id}",
            get(diagrams::get)
                .put(diagrams::replace)
                .patch(diagrams::patch)
                .delete(diagrams::delete),
        )
        .route("/diagrams/{id}/restore", post(diagrams::restore))
        .route("/diagrams/{id}/share", post(diagrams::share))
        .route("/diagrams/{id}/revisions", get(diagrams::revisions))
        .route(
            "/diagrams/{id}/revisions/{version}",
            get(diagrams::revision),
        )
        .route("/render", post(render))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// Unknown paths under /api answer in the envelope, never as an HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn me(caller: ApiCaller) -> Response {
    let body = match &caller.via {
        Via::Token {
            name,
            scope,
            expires_at,
        } => serde_json::json!({
            "id": caller.user_id,
            "email": caller.email,
            "scope": scope.as_str(),
            "token": { "name": name, "expires_at": rfc3339(*expires_at) },
        }),
        Via::Session => serde_json::json!({
            "id": caller.user_id,
            "email": caller.email,
            "scope": "session",
        }),
    };
    axum::Json(body).into_response()
}

#[derive(Deserialize)]
struct RenderQuery {
    format: Option<String>,
    scale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderBody {
    source: String,
}

/// Mermaid text in (JSON `{"source"}` or raw text), SVG or PNG out; nothing is stored.
async fn render(
    State(state): State<AppState>,
    _caller: ApiCaller,
    headers: HeaderMap,
    Query(query): Query<RenderQuery>,
    request: Request,
) -> ApiResult<Response> {
    let source = match body::JsonOrText::<RenderBody>::from_request(request, &state).await? {
        body::JsonOrText::Json(b) => b.source,
        body::JsonOrText::Text(text) => text,
    };
    if source.trim().is_empty() {
        return Err(ApiError::invalid("The Mermaid source is empty."));
    }
    let wants_png = match query.format.as_deref() {
        Some("png") => true,
        Some("svg") => false,
        Some(_) => return Err(ApiError::invalid("format must be svg or png.")),
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("image/png")),
    };
    let ext = if wants_png { "png" } else { "svg" };
    export(&state, &source, "diagram", ext, query.scale.as_deref()).await
}

/// Renders `source` as `.svg`, `.png` or returns it as `.mmd`.
pub async fn export(
    state: &AppState,
    source: &str,
    name: &str,
    ext: &str,
    scale: Option<&str>,
) -> ApiResult<Response> {
    let disposition = format!("inline; filename=\"{name}.{ext}\"");
    match ext {
        "svg" => {
            let svg = state.renderer.svg(source).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
                    (
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_owned(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                svg.to_string(),
            )
                .into_response())
        }
        "png" => {
            let scale = match scale {
                None => 2,
                Some(raw) => raw
                    .parse::<u8>()
                    .ok()
                    .filter(|s| (1..=4).contains(s))
                    .ok_or_else(|| ApiError::invalid("scale must be 1, 2, 3 or 4."))?,
            };
            let png = state.renderer.png(source, scale).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "image/png".to_owned()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                png,
            )
                .into_response())
        }
        "mmd" => Ok((
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    "text/vnd.mermaid; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.mmd\""),
                ),
            ],
            source.to_owned(),
        )
            .into_response()),
        _ => Err(ApiError::NotFound),
    }
}
