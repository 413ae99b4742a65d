//! `/api/diagrams`: the owner's diagrams as JSON, with ETag/If-Match lost-update safety,
//! revisions, sharing and SVG/PNG/.mmd exports.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ExportOptions;
use super::auth::ApiCaller;
use super::body::{ApiJson, JsonOrText};
use super::error::{ApiError, ApiResult};
use super::openapi::{
    BadRequest, Forbidden, Invalid, NotFound, PreconditionFailed, RateLimited, RenderFailed,
    TooLarge, Unauthorized, UnsupportedMediaType,
};
use super::rfc3339;
use crate::auth::secret;
use crate::db::diagrams::{self as db, Cursor, Diagram, Saved};
use crate::state::AppState;
use crate::web::diagrams::{share_url, validate};

const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// A diagram as the API shows it; lists leave `source` out.
#[derive(Serialize, ToSchema)]
pub struct DiagramJson {
    #[schema(example = "k3J9xQ2mZp7A")]
    id: String,
    title: String,
    /// The Mermaid text (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// Bumped on every write; the ETag is this number in quotes.
    version: i64,
    /// RFC 3339, UTC.
    created_at: String,
    updated_at: String,
    shared: bool,
    /// The public read-only link while sharing is on.
    share_url: Option<String>,
}

/// The API's view of a diagram. `headers` give the host for share links when no public URL is
/// configured.
pub fn to_json(
    state: &AppState,
    headers: &HeaderMap,
    d: Diagram,
    with_source: bool,
) -> DiagramJson {
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

/// The caller's diagram unless it is absent, trashed or someone else's.
pub async fn live(state: &AppState, caller: &ApiCaller, id: String) -> ApiResult<Diagram> {
    check_id(&id)?;
    let owner = caller.owner();
    state
        .db
        .run(move |conn| db::get(conn, &owner, &id))
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^([0-9]{1,18}\.[0-9A-Za-z]{1,32})?$")]
    cursor: Option<String>,
}

/// One page of diagrams, newest first.
#[derive(Serialize, ToSchema)]
pub struct ListJson {
    items: Vec<DiagramJson>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// One page of the caller's live diagrams, newest first: the REST list and the MCP tool.
pub async fn page(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> ApiResult<ListJson> {
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return Err(limit_error()),
    };
    let cursor = match cursor {
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
    Ok(ListJson {
        items: items
            .into_iter()
            .map(|d| to_json(state, headers, d, false))
            .collect(),
        next_cursor: next.map(|c| c.encode()),
    })
}

fn limit_error() -> ApiError {
    ApiError::invalid(format!("limit must be a number from 1 to {MAX_LIMIT}."))
}

/// Your diagrams, newest first
///
/// Keyset pagination: follow `next_cursor` until it is null.
#[utoipa::path(
    get,
    path = "/diagrams",
    operation_id = "list_diagrams",
    tag = "diagrams",
    params(ListQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "A page of diagrams (without their source).", body = ListJson),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) =
        query.map_err(|_| ApiError::invalid("Unknown query parameter: use limit and cursor."))?;
    let limit = match query.limit.as_deref() {
        None => None,
        Some(raw) => Some(raw.parse::<usize>().map_err(|_| limit_error())?),
    };
    let page = page(&state, &caller, &headers, limit, query.cursor.as_deref()).await?;
    Ok(axum::Json(page).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// 1 to 200 characters; "Untitled diagram" when left out.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: Option<String>,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: String,
}

/// Validates and stores a new diagram for the caller: the REST create and the MCP tool.
pub async fn create_diagram(
    state: &AppState,
    caller: &ApiCaller,
    title: Option<String>,
    source: &str,
) -> ApiResult<Diagram> {
    let title = title.unwrap_or_else(|| "Untitled diagram".into());
    let (title, source) = validate(&title, source).map_err(ApiError::invalid)?;
    let owner = caller.owner();
    let id = secret::short_id(12);
    let now = state.clock.now();
    Ok(state
        .db
        .run(move |conn| db::create(conn, &owner, &id, &title, &source, now))
        .await?)
}

/// Create a diagram
#[utoipa::path(
    post,
    path = "/diagrams",
    operation_id = "create_diagram",
    tag = "diagrams",
    request_body = CreateBody,
    security(("bearer" = ["read-write"])),
    responses(
        (status = 201, description = "Created.", body = DiagramJson, headers(
            ("Location" = String, description = "`/api/diagrams/{id}`"),
            ("ETag" = String, description = "The version in quotes, `\"1\"`."),
        )),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let d = create_diagram(&state, &caller, body.title, &body.source).await?;
    let location = HeaderValue::from_str(&format!("/api/diagrams/{}", d.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = diagram_response(&state, &headers, StatusCode::CREATED, d);
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// The `{id}` path parameter of every diagram route.
const ID: &str = "The diagram's id.";

/// One diagram with its source
///
/// The same route serves the exports `{id}.svg`, `{id}.png`, `{id}.pdf`, `{id}.txt` and
/// `{id}.mmd`.
#[utoipa::path(
    get,
    path = "/diagrams/{id}",
    operation_id = "get_diagram",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The diagram.", body = DiagramJson, headers(
            ("ETag" = String, description = "The version in quotes; send it back in If-Match."),
        )),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = RateLimited),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(export): Query<ExportQuery>,
) -> ApiResult<Response> {
    // Paths cannot carry a static suffix after a parameter in axum, so `{id}.svg` arrives here.
    let (id, ext) = match id.rsplit_once('.') {
        Some((id, ext)) => (id.to_owned(), Some(ext.to_owned())),
        None => (id, None),
    };
    let d = live(&state, &caller, id).await?;
    let Some(ext) = ext else {
        return Ok(diagram_response(&state, &headers, StatusCode::OK, d));
    };
    let options = ExportOptions::parse(export.scale.as_deref(), export.portable.as_deref())?;
    match ext.as_str() {
        "svg" => export_svg(&state, &headers, &d, options).await,
        "png" => export_png(&state, &headers, &d, options).await,
        "pdf" => export_pdf(&state, &headers, &d, options).await,
        "txt" => export_txt(&state, &headers, &d, options).await,
        "mmd" => export_mmd(&state, &headers, &d, options).await,
        _ => Err(ApiError::NotFound),
    }
}

/// The exports: served by the `/diagrams/{id}` route, documented as paths of their own.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export_svg, export_png, export_pdf, export_txt, export_mmd))]
pub struct Exports;

/// The diagram as SVG
#[utoipa::path(
    get,
    path = "/diagrams/{id}.svg",
    operation_id = "export_svg",
    tag = "diagrams",
    params(("id" = String, Path, description = ID), SvgExportQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The rendered SVG in mermaid.js's own look, labels as HTML in foreignObject (served with a sandboxing Content-Security-Policy); with portable=true, text-only SVG.",
            content((String = "image/svg+xml")), headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
        (status = 304, description = "Not modified: If-None-Match named the current ETag."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = RenderFailed),
    )
)]
async fn export_svg(
    state: &AppState,
    headers: &HeaderMap,
    d: &Diagram,
    options: ExportOptions,
) -> ApiResult<Response> {
    super::export(state, &d.source, &d.id, "svg", options, Some(headers)).await
}

/// The diagram as PNG
#[utoipa::path(
    get,
    path = "/diagrams/{id}.png",
    operation_id = "export_png",
    tag = "diagrams",
    params(("id" = String, Path, description = ID), ExportQuery),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The rendered PNG.", content((super::openapi::Png = "image/png")),
            headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
        (status = 304, description = "Not modified: If-None-Match named the current ETag."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = RenderFailed),
    )
)]
async fn export_png(
    state: &AppState,
    headers: &HeaderMap,
    d: &Diagram,
    options: ExportOptions,
) -> ApiResult<Response> {
    super::export(state, &d.source, &d.id, "png", options, Some(headers)).await
}

/// The diagram as PDF
#[utoipa::path(
    get,
    path = "/diagrams/{id}.pdf",
    operation_id = "export_pdf",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "A one-page PDF with vector text.", content((super::openapi::Pdf = "application/pdf")),
            headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
        (status = 304, description = "Not modified: If-None-Match named the current ETag."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = RenderFailed),
    )
)]
async fn export_pdf(
    state: &AppState,
    headers: &HeaderMap,
    d: &Diagram,
    options: ExportOptions,
) -> ApiResult<Response> {
    super::export(state, &d.source, &d.id, "pdf", options, Some(headers)).await
}

/// The diagram as a Unicode text drawing
#[utoipa::path(
    get,
    path = "/diagrams/{id}.txt",
    operation_id = "export_txt",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "A drawing in Unicode box characters, for terminals and agents.", content((String = "text/plain")),
            headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
        (status = 304, description = "Not modified: If-None-Match named the current ETag."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = RenderFailed),
    )
)]
async fn export_txt(
    state: &AppState,
    headers: &HeaderMap,
    d: &Diagram,
    options: ExportOptions,
) -> ApiResult<Response> {
    super::export(state, &d.source, &d.id, "txt", options, Some(headers)).await
}

/// The diagram's Mermaid text
#[utoipa::path(
    get,
    path = "/diagrams/{id}.mmd",
    operation_id = "export_mmd",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The Mermaid source as a download.",
            content((String = "text/vnd.mermaid")), headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
        (status = 304, description = "Not modified: If-None-Match named the current ETag."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = RateLimited),
    )
)]
async fn export_mmd(
    state: &AppState,
    headers: &HeaderMap,
    d: &Diagram,
    options: ExportOptions,
) -> ApiResult<Response> {
    super::export(state, &d.source, &d.id, "mmd", options, Some(headers)).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// PNG pixel density, 1 to 4 (default 2).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 4)]
    scale: Option<String>,
    /// SVG only: `true` for text-only SVG without HTML labels.
    #[param(value_type = Option<bool>)]
    portable: Option<String>,
}

/// The query of the `.svg` export (documentation only; `ExportQuery` reads it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct SvgExportQuery {
    /// `true` for text-only SVG (no `foreignObject`), for viewers without HTML support such as
    /// Inkscape or resvg; the default is mermaid.js's own look.
    #[param(value_type = Option<bool>)]
    portable: Option<String>,
}

/// A full replacement: title and source.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: String,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    title: Option<String>,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: Option<String>,
}

/// Writes new title/source with lost-update safety: the caller's expected version (If-Match),
/// or else the version this request read, so a concurrent change in between is never
/// overwritten. Shared by PUT, PATCH and the MCP `update_diagram` tool.
pub async fn update_diagram(
    state: &AppState,
    caller: &ApiCaller,
    id: String,
    demanded: Option<i64>,
    change: impl Fn(&Diagram) -> (String, String),
) -> ApiResult<Diagram> {
    for _ in 0..3 {
        let current = live(state, caller, id.clone()).await?;
        // A request that could never succeed says why before any version talk: retrying
        // with a fresh If-Match would not help it.
        let (title, source) = change(&current);
        let (title, source) = validate(&title, &source).map_err(ApiError::invalid)?;
        if let Some(v) = demanded
            && v != current.version
        {
            return Err(ApiError::PreconditionFailed {
                current: current.version,
            });
        }
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
            Saved::Ok(d) => return Ok(d),
            Saved::NotFound => return Err(ApiError::NotFound),
            Saved::Stale(latest) if demanded.is_some() => {
                return Err(ApiError::PreconditionFailed {
                    current: latest.version,
                });
            }
            // Without an expected version, a race with another writer just means reading again.
            Saved::Stale(_) => continue,
        }
    }
    Err(ApiError::Internal(
        "diagram kept changing during the update".into(),
    ))
}

async fn write(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    id: String,
    change: impl Fn(&Diagram) -> (String, String),
) -> ApiResult<Response> {
    let d = update_diagram(state, caller, id, if_match(headers), change).await?;
    Ok(diagram_response(state, headers, StatusCode::OK, d))
}

/// Replace a diagram
///
/// Send `{title, source}` as JSON, or the raw Mermaid text (`curl -T file.mmd`, any of
/// `text/plain`, `text/vnd.mermaid`, `application/octet-stream` or no Content-Type), which
/// replaces the source and keeps the title.
#[utoipa::path(
    put,
    path = "/diagrams/{id}",
    operation_id = "replace_diagram",
    tag = "diagrams",
    params(
        ("id" = String, Path, description = ID),
        ("If-Match" = Option<String>, Header, nullable = false, description = "`\"<version>\"`: refuse with 412 if the diagram has changed since."),
    ),
    request_body(content(
        (ReplaceBody = "application/json"),
        (super::openapi::MermaidText = "text/plain"),
    )),
    security(("bearer" = ["read-write"])),
    responses(
        (status = 200, description = "The diagram as saved.", body = DiagramJson, headers(("ETag" = String))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
    )
)]
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

/// Change the title, the source or both
#[utoipa::path(
    patch,
    path = "/diagrams/{id}",
    operation_id = "patch_diagram",
    tag = "diagrams",
    params(
        ("id" = String, Path, description = ID),
        ("If-Match" = Option<String>, Header, nullable = false, description = "`\"<version>\"`: refuse with 412 if the diagram has changed since."),
    ),
    request_body = PatchBody,
    security(("bearer" = ["read-write"])),
    responses(
        (status = 200, description = "The diagram as saved.", body = DiagramJson, headers(("ETag" = String))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
    )
)]
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

/// Moves the caller's diagram to the trash if it is still at `expected` (when given): the REST
/// delete and the MCP tool.
pub async fn trash_diagram(
    state: &AppState,
    caller: &ApiCaller,
    id: String,
    expected: Option<i64>,
) -> ApiResult<()> {
    check_id(&id)?;
    let owner = caller.owner();
    let now = state.clock.now();
    let result = state
        .db
        .run(move |conn| db::trash_checked(conn, &owner, &id, expected, now))
        .await?;
    match result {
        Saved::Ok(_) => Ok(()),
        Saved::NotFound => Err(ApiError::NotFound),
        Saved::Stale(d) => Err(ApiError::PreconditionFailed { current: d.version }),
    }
}

/// Move a diagram to the trash
///
/// It can be restored for 30 days, then it is purged.
#[utoipa::path(
    delete,
    path = "/diagrams/{id}",
    operation_id = "delete_diagram",
    tag = "diagrams",
    params(
        ("id" = String, Path, description = ID),
        ("If-Match" = Option<String>, Header, nullable = false, description = "`\"<version>\"`: refuse with 412 if the diagram has changed since."),
    ),
    security(("bearer" = ["read-write"])),
    responses(
        (status = 204, description = "In the trash."),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 429, response = RateLimited),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    trash_diagram(&state, &caller, id, if_match(&headers)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Bring a diagram back from the trash
#[utoipa::path(
    post,
    path = "/diagrams/{id}/restore",
    operation_id = "restore_diagram",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read-write"])),
    responses(
        (status = 200, description = "The restored diagram.", body = DiagramJson, headers(("ETag" = String))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 429, response = RateLimited),
    )
)]
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ShareJson {
    enabled: bool,
    /// The public read-only link; null once sharing is off (the old link then answers 404).
    url: Option<String>,
}

/// Turns the caller's share link on (keeping an existing one) or off: the REST route and the
/// MCP tool.
pub async fn set_sharing(
    state: &AppState,
    caller: &ApiCaller,
    headers: &HeaderMap,
    id: String,
    enabled: bool,
) -> ApiResult<ShareJson> {
    check_id(&id)?;
    let owner = caller.owner();
    let new_share = enabled.then(|| secret::short_id(16));
    let d = state
        .db
        .run(move |conn| db::set_share(conn, &owner, &id, new_share.as_deref()))
        .await?
        .ok_or(ApiError::NotFound)?;
    let url = d.share_id.as_deref().map(|s| share_url(state, headers, s));
    Ok(ShareJson {
        enabled: url.is_some(),
        url,
    })
}

/// Turn the public read-only link on or off
#[utoipa::path(
    post,
    path = "/diagrams/{id}/share",
    operation_id = "share_diagram",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    request_body = ShareBody,
    security(("bearer" = ["read-write"])),
    responses(
        (status = 200, description = "The share state now.", body = ShareJson),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
    )
)]
pub async fn share(
    State(state): State<AppState>,
    caller: ApiCaller,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ShareBody>,
) -> ApiResult<Response> {
    let shared = set_sharing(&state, &caller, &headers, id, body.enabled).await?;
    Ok(axum::Json(shared).into_response())
}

/// A saved version (the last 100 are kept).
#[derive(Serialize, ToSchema)]
pub struct RevisionJson {
    version: i64,
    title: String,
    /// Present when one revision is fetched, absent in the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RevisionsJson {
    items: Vec<RevisionJson>,
}

/// The saved versions of a diagram, newest first
#[utoipa::path(
    get,
    path = "/diagrams/{id}/revisions",
    operation_id = "list_revisions",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The revisions, without their source.", body = RevisionsJson),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = RateLimited),
    )
)]
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
    Ok(axum::Json(RevisionsJson { items }).into_response())
}

/// One saved version, with its source
#[utoipa::path(
    get,
    path = "/diagrams/{id}/revisions/{version}",
    operation_id = "get_revision",
    tag = "diagrams",
    params(
        ("id" = String, Path, description = ID),
        ("version" = i64, Path, description = "The version number."),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The revision.", body = RevisionJson),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 429, response = RateLimited),
    )
)]
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
