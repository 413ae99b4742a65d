//! `/api/diagrams`: the owner's diagrams as JSON, with ETag/If-Match lost-update safety,
//! revisions, sharing and SVG/PNG/.mmd exports.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::auth::ApiCaller;
use super::body::{ApiJson, JsonOrText};
use super::error::{ApiError, ApiResult};
use super::rfc3339;
use crate::auth::secret;
use crate::db::diagrams::{self as db, Cursor, Diagram, Saved};
use crate::state::AppState;
use crate::web::diagrams::{share_url, validate};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 200;

#[derive(Serialize)]
pub struct DiagramJson {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
    shared: bool,
    share_url: Option<String>,
}

fn to_json(state: &AppState, headers: &HeaderMap, d: Diagram, with_source: bool) -> DiagramJson {
    DiagramJson {
        share_url: d.share_id.as_deref().map(|s| share_url(state, headers, s)),
        shared: d.share_id.is_some(),
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
        source: with_source.then_some(d.source),
        id: d.id,
        title: d.title,
        version: d.version,
    }
}

fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A diagram response with its ETag.
fn diagram_response(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    d: Diagram,
) -> Response {
    let tag = etag(d.version);
    let mut response = (status, axum::Json(to_json(state, headers, d, true))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The version an `If-Match` header demands: None when absent or `*`. A tag that is not one
/// of our versions can never match, so it maps to an impossible version.
fn if_match(headers: &HeaderMap) -> Option<i64> {
    let raw = headers
        .get(header::IF_MATCH)?
        .to_str()
        .unwrap_or("\"-1\"")
        .trim();
    if raw == "*" {
        return None;
    }
    let tag = raw.split(',').next().unwrap_or("").trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    Some(tag.trim_matches('"').parse().unwrap_or(-1))
}

fn check_id(id: &str) -> ApiResult<()> {
    if id.is_empty() || id.len() > 32 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::NotFound);
    }
    Ok(())
}

async fn live(state: &AppState, caller: &ApiCaller, id: String) -> ApiResult<Diagram> {
    check_id(&id)?;
    let owner = caller.owner();
    state
        .db
        .run(move |conn| db::get(conn, &owner, &id))
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct ListJson {
    items: Vec<DiagramJson>,
    next_cursor: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) =
        query.map_err(|_| ApiError::invalid("Unknown query parameter: use limit and cursor."))?;
    let limit = match query.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!("limit must be a number from 1 to {MAX_LIMIT}."))
            })?,
    };
    let cursor = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| ApiError::Invalid {
            code: "invalid_cursor",
            message: "cursor must be a next_cursor value from an earlier page.".into(),
        })?),
    };
    let owner = caller.owner();
    let (items, next) = state
        .db
        .run(move |conn| db::list(conn, &owner, cursor.as_ref(), limit))
        .await?;
    Ok(axum::Json(ListJson {
        items: items
            .into_iter()
            .map(|d| to_json(&state, &headers, d, false))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    })
    .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    title: Option<String>,
    source: String,
}

pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let title = body.title.unwrap_or_else(|| "Untitled diagram".into());
    let (title, source) = validate(&title, &body.source).map_err(ApiError::invalid)?;
    let owner = caller.owner();
    let id = secret::short_id(12);
    let now = state.clock.now();
    let d = state
        .db
        .run(move |conn| db::create(conn, &owner, &id, &title, &source, now))
        .await?;
    let location = HeaderValue::from_str(&format!("/api/diagrams/{}", d.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = diagram_response(&state, &headers, StatusCode::CREATED, d);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// `GET /api/diagrams/{id}` and its exports `{id}.svg`, `{id}.png`, `{id}.mmd`.
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(export): Query<ExportQuery>,
) -> ApiResult<Response> {
    let (id, ext) = match id.rsplit_once('.') {
        Some((id, ext)) => (id.to_owned(), Some(ext.to_owned())),
        None => (id, None),
    };
    let d = live(&state, &caller, id).await?;
    match ext.as_deref() {
        None => Ok(diagram_response(&state, &headers, StatusCode::OK, d)),
        Some(ext) => super::export(&state, &d.source, &d.id, ext, export.scale.as_deref()).await,
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    scale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    title: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    title: Option<String>,
    source: Option<String>,
}

/// Writes new title/source with lost-update safety: the caller's If-Match, or else the
/// version this request read (so a concurrent change in between is never overwritten).
async fn write(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    id: String,
    change: impl Fn(&Diagram) -> (String, String),
) -> ApiResult<Response> {
    let demanded = if_match(headers);
    for _ in 0..3 {
        let current = live(state, caller, id.clone()).await?;
        if let Some(v) = demanded
            && v != current.version
        {
            return Err(ApiError::PreconditionFailed {
                current: current.version,
            });
        }
        let (title, source) = change(&current);
        let (title, source) = validate(&title, &source).map_err(ApiError::invalid)?;
        let owner = caller.owner();
        let now = state.clock.now();
        let (diagram_id, expected) = (id.clone(), current.version);
        let saved = state
            .db
            .run(move |conn| {
                db::update(
                    conn,
                    &owner,
                    &diagram_id,
                    &title,
                    &source,
                    Some(expected),
                    now,
                )
            })
            .await?;
        match saved {
            Saved::Ok(d) => return Ok(diagram_response(state, headers, StatusCode::OK, d)),
            Saved::NotFound => return Err(ApiError::NotFound),
            Saved::Stale(latest) if demanded.is_some() => {
                return Err(ApiError::PreconditionFailed {
                    current: latest.version,
                });
            }
            // Without If-Match, a race with another writer just means reading again.
            Saved::Stale(_) => continue,
        }
    }
    Err(ApiError::Internal(
        "diagram kept changing during the update".into(),
    ))
}

pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: JsonOrText<ReplaceBody>,
) -> ApiResult<Response> {
    match body {
        JsonOrText::Json(b) => {
            write(&state, &caller, &headers, id, |_| {
                (b.title.clone(), b.source.clone())
            })
            .await
        }
        // Raw text replaces the source and keeps the title: `curl -T diagram.mmd`.
        JsonOrText::Text(source) => {
            write(&state, &caller, &headers, id, |d| {
                (d.title.clone(), source.clone())
            })
            .await
        }
    }
}

pub async fn patch(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> ApiResult<Response> {
    write(&state, &caller, &headers, id, |d| {
        (
            body.title.clone().unwrap_or_else(|| d.title.clone()),
            body.source.clone().unwrap_or_else(|| d.source.clone()),
        )
    })
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let owner = caller.owner();
    let expected = if_match(&headers);
    let now = state.clock.now();
    let result = state
        .db
        .run(move |conn| db::trash_checked(conn, &owner, &id, expected, now))
        .await?;
    match result {
        Saved::Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Saved::NotFound => Err(ApiError::NotFound),
        Saved::Stale(d) => Err(ApiError::PreconditionFailed { current: d.version }),
    }
}

pub async fn restore(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let owner = caller.owner();
    let restored = state
        .db
        .run(move |conn| {
            Ok(if db::restore(conn, &owner, &id)? {
                db::get(conn, &owner, &id)?
            } else {
                None
            })
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(diagram_response(&state, &headers, StatusCode::OK, restored))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    enabled: bool,
}

pub async fn share(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShareBody>,
) -> ApiResult<Response> {
    check_id(&id)?;
    let owner = caller.owner();
    let new_share = body.enabled.then(|| secret::short_id(16));
    let d = state
        .db
        .run(move |conn| db::set_share(conn, &owner, &id, new_share.as_deref()))
        .await?
        .ok_or(ApiError::NotFound)?;
    let url = d
        .share_id
        .as_deref()
        .map(|s| share_url(&state, &headers, s));
    Ok(axum::Json(serde_json::json!({ "enabled": url.is_some(), "url": url })).into_response())
}

#[derive(Serialize)]
struct RevisionJson {
    version: i64,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    created_at: String,
}

pub async fn revisions(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = live(&state, &caller, id).await?;
    let revs = state.db.run(move |conn| db::revisions(conn, &d.id)).await?;
    let items: Vec<RevisionJson> = revs
        .into_iter()
        .map(|r| RevisionJson {
            version: r.version,
            title: r.title,
            source: None,
            created_at: rfc3339(r.created_at),
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "items": items })).into_response())
}

pub async fn revision(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let version: i64 = version.parse().map_err(|_| ApiError::NotFound)?;
    let d = live(&state, &caller, id).await?;
    let r = state
        .db
        .run(move |conn| db::revision(conn, &d.id, version))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(axum::Json(RevisionJson {
        version: r.version,
        title: r.title,
        source: Some(r.source),
        created_at: rfc3339(r.created_at),
    })
    .into_response())
}
