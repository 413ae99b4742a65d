//! `/api/diagrams`: the owner's diagrams as JSON, with ETag/If-Match lost-update safety,
//! revisions, sharing and exports. Every rule lives in [`crate::diagrams`]; these handlers
//! parse the request, call it, and shape the answer.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::openapi::{
    CreateErrors, DeleteErrors, DrawingErrors, ListErrors, ReadOneErrors, RestoreErrors,
    ShareErrors, TextErrors, WriteErrors,
};
use super::{ExportQuery, export_stored};
use crate::auth::ApiCaller;
use crate::diagrams::{self, Diagram, DiagramId};
use crate::error::{ApiError, ApiResult};
use crate::http::body::{ApiJson, JsonOrText};
use crate::http::{BaseUrl, DiagramPath, IfMatch, version_tag};
use crate::state::AppState;
use crate::wire::{DiagramJson, ListJson, RevisionJson, RevisionsJson, ShareJson};

/// A diagram response with its ETag.
fn diagram_response(base: &BaseUrl, status: StatusCode, d: Diagram) -> Response {
    let tag = version_tag(d.version);
    let mut response = (status, axum::Json(DiagramJson::new(base, d, true))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// The list's query: `?limit=&cursor=` (nothing else is accepted).
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

/// Your diagrams, newest first
///
/// Keyset pagination: follow `next_cursor` until it is null.
#[utoipa::path(
    get,
    path = "/diagrams",
    operation_id = "list_diagrams",
    tag = "diagrams",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of diagrams (without their source).", body = ListJson),
        ListErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) =
        query.map_err(|_| ApiError::invalid("Unknown query parameter: use limit and cursor."))?;
    let limit = match query.limit.as_deref() {
        None => None,
        Some(raw) => Some(
            raw.parse::<usize>()
                .map_err(|_| ApiError::invalid(diagrams::limit_rule()))?,
        ),
    };
    let page = diagrams::list_page(&state, &caller.owner(), limit, query.cursor.as_deref()).await?;
    Ok(axum::Json(ListJson::new(&base, page)).into_response())
}

/// The JSON body of `POST /api/diagrams`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// 1 to 200 characters on one line (no control characters); "Untitled diagram" when left
    /// out.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    title: Option<String>,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: String,
}

/// Create a diagram
///
/// Stores a new diagram at version 1 from JSON `{"title"?, "source"}` and answers 201 with it,
/// its `Location` and `ETag`. Refused with 403 `quota_exceeded` when the account keeps as
/// many diagrams, or as much storage, as the server allows.
#[utoipa::path(
    post,
    path = "/diagrams",
    operation_id = "create_diagram",
    tag = "diagrams",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = DiagramJson, headers(
            ("Location" = String, description = "`/api/diagrams/{id}`"),
            ("ETag" = String, description = "The version in quotes, `\"1\"`."),
        )),
        CreateErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    ApiJson(body): ApiJson<CreateBody>,
) -> ApiResult<Response> {
    let d = diagrams::create(&state, &caller.owner(), body.title.as_deref(), &body.source).await?;
    let location = HeaderValue::from_str(&format!("/api/diagrams/{}", d.id))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut response = diagram_response(&base, StatusCode::CREATED, d);
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
    responses(
        (status = 200, description = "The diagram.", body = DiagramJson, headers(
            ("ETag" = String, description = "The version in quotes; send it back in If-Match."),
        )),
        ReadOneErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    headers: HeaderMap,
    path: DiagramPath,
    Query(export): Query<ExportQuery>,
) -> ApiResult<Response> {
    let d = diagrams::get(&state, &caller.owner(), &path.exported_id()?).await?;
    let format = path.export();
    if matches!(format, Ok(None)) {
        return Ok(diagram_response(&base, StatusCode::OK, d));
    }
    // The query is checked before the suffix, as it always has been.
    let options = export.options()?;
    let format = format?.ok_or(ApiError::NotFound)?;
    export_stored(&state, caller.requester(), &headers, &d, format, options).await
}

/// Documents one export of the `{id}` route as a path of its own (it is served by [`get`]).
macro_rules! export_doc {
    ($name:ident, $ext:literal, $summary:literal, $media:literal, $body:ty, $description:literal, $errors:ident $(, $query:ident)?) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $description]
        #[doc = "A matching `If-None-Match` gets 304 without rendering."]
        #[utoipa::path(
            get,
            path = concat!("/diagrams/{id}.", $ext),
            operation_id = concat!("export_", $ext),
            tag = "diagrams",
            params(("id" = String, Path, description = ID) $(, $query)?),
            responses(
                (status = 200, description = $description, content(($body = $media)),
                    headers(("ETag" = String, description = "A strong validator of exactly this output; send it back in If-None-Match."))),
                $errors,
            )
        )]
        #[allow(dead_code)]
        fn $name() {}
    };
}

export_doc!(
    export_svg,
    "svg",
    "The diagram as SVG",
    "image/svg+xml",
    super::openapi::Svg,
    "The rendered SVG in mermaid.js's own look, labels as HTML in foreignObject (served with a sandboxing Content-Security-Policy); with portable=true, text-only SVG.",
    DrawingErrors,
    SvgExportQuery
);
export_doc!(
    export_png,
    "png",
    "The diagram as PNG",
    "image/png",
    super::openapi::Png,
    "The rendered PNG.",
    DrawingErrors,
    ExportQuery
);
export_doc!(
    export_pdf,
    "pdf",
    "The diagram as PDF",
    "application/pdf",
    super::openapi::Pdf,
    "A one-page PDF with vector text.",
    DrawingErrors
);
export_doc!(
    export_txt,
    "txt",
    "The diagram as a Unicode text drawing",
    "text/plain",
    String,
    "A drawing in Unicode box characters, for terminals and agents.",
    DrawingErrors
);
export_doc!(
    export_mmd,
    "mmd",
    "The diagram's Mermaid text",
    "text/vnd.mermaid",
    super::openapi::MermaidFile,
    "The Mermaid source as a download.",
    TextErrors
);

/// The exports: served by the `/diagrams/{id}` route, documented as paths of their own.
#[derive(utoipa::OpenApi)]
#[openapi(paths(export_svg, export_png, export_pdf, export_txt, export_mmd))]
pub struct Exports;

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
    /// 1 to 200 characters on one line (no control characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    title: String,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: String,
}

/// The JSON body of `PATCH /api/diagrams/{id}`: what is left out is kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    /// 1 to 200 characters on one line (no control characters).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    title: Option<String>,
    /// Mermaid text, at most 256 KiB.
    #[schema(min_length = 1, pattern = r"\S")]
    source: Option<String>,
}

/// PUT and PATCH: the new title and source from the current diagram, under If-Match.
async fn write(
    state: &AppState,
    caller: &ApiCaller,
    base: &BaseUrl,
    path: DiagramPath,
    IfMatch(expected): IfMatch,
    change: impl FnOnce(&Diagram) -> (String, String) + Send + 'static,
) -> ApiResult<Response> {
    let id = path.id()?;
    let d = diagrams::update(state, &caller.owner(), &id, expected, change).await?;
    Ok(diagram_response(base, StatusCode::OK, d))
}

/// Replace a diagram
///
/// Send `{title, source}` as JSON, or the raw Mermaid text (`curl -T file.mmd`, any `text/*`
/// type, `application/octet-stream`, HTTPie's `application/vnd.chipnuts.karaoke-mmd` for
/// `.mmd` files, or no Content-Type), which replaces the source and keeps the title.
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
    responses(
        (status = 200, description = "The diagram as saved.", body = DiagramJson, headers(("ETag" = String))),
        WriteErrors,
    )
)]
pub async fn replace(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    path: DiagramPath,
    if_match: IfMatch,
    body: JsonOrText<ReplaceBody>,
) -> ApiResult<Response> {
    match body {
        JsonOrText::Json(b) => {
            write(&state, &caller, &base, path, if_match, |_| {
                (b.title, b.source)
            })
            .await
        }
        // Raw text replaces the source and keeps the title: `curl -T diagram.mmd`.
        JsonOrText::Text(source) => {
            write(&state, &caller, &base, path, if_match, |d| {
                (d.title.clone(), source)
            })
            .await
        }
    }
}

/// Change the title, the source or both
///
/// JSON `{"title"?, "source"?}`: what is left out is kept. Under `If-Match` a stale version
/// gets 412 and nothing is written; the same text again keeps the version.
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
    responses(
        (status = 200, description = "The diagram as saved.", body = DiagramJson, headers(("ETag" = String))),
        WriteErrors,
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    path: DiagramPath,
    if_match: IfMatch,
    ApiJson(body): ApiJson<PatchBody>,
) -> ApiResult<Response> {
    write(&state, &caller, &base, path, if_match, |d| {
        (
            body.title.unwrap_or_else(|| d.title.clone()),
            body.source.unwrap_or_else(|| d.source.clone()),
        )
    })
    .await
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
    responses(
        (status = 204, description = "In the trash."),
        DeleteErrors,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    caller: ApiCaller,
    path: DiagramPath,
    IfMatch(expected): IfMatch,
) -> ApiResult<Response> {
    diagrams::trash(&state, &caller.owner(), &path.id()?, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Bring a diagram back from the trash
///
/// A diagram moved to the trash (DELETE) can be restored for 30 days; answers the diagram as
/// it now is. 404 when it is not in the trash.
#[utoipa::path(
    post,
    path = "/diagrams/{id}/restore",
    operation_id = "restore_diagram",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    responses(
        (status = 200, description = "The restored diagram.", body = DiagramJson, headers(("ETag" = String))),
        RestoreErrors,
    )
)]
pub async fn restore(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    path: DiagramPath,
) -> ApiResult<Response> {
    let restored = diagrams::restore(&state, &caller.owner(), &path.id()?).await?;
    Ok(diagram_response(&base, StatusCode::OK, restored))
}

/// The JSON body of `POST /api/diagrams/{id}/share`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareBody {
    enabled: bool,
}

/// Turn the public read-only link on or off
///
/// JSON `{"enabled": true|false}`. The answer's `share_url` is the link while sharing is on;
/// turning it off makes the old link answer 404 at once.
#[utoipa::path(
    post,
    path = "/diagrams/{id}/share",
    operation_id = "share_diagram",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    request_body = ShareBody,
    responses(
        (status = 200, description = "The share state now.", body = ShareJson),
        ShareErrors,
    )
)]
pub async fn share(
    State(state): State<AppState>,
    caller: ApiCaller,
    base: BaseUrl,
    path: DiagramPath,
    ApiJson(body): ApiJson<ShareBody>,
) -> ApiResult<Response> {
    let d = diagrams::set_sharing(&state, &caller.owner(), &path.id()?, body.enabled).await?;
    Ok(axum::Json(ShareJson::new(&base, &d)).into_response())
}

/// The saved versions of a diagram, newest first
///
/// Every save keeps a revision (the newest 100); each entry has its version, title and time.
#[utoipa::path(
    get,
    path = "/diagrams/{id}/revisions",
    operation_id = "list_revisions",
    tag = "diagrams",
    params(("id" = String, Path, description = ID)),
    responses(
        (status = 200, description = "The revisions, without their source.", body = RevisionsJson),
        ReadOneErrors,
    )
)]
pub async fn revisions(
    State(state): State<AppState>,
    caller: ApiCaller,
    path: DiagramPath,
) -> ApiResult<Response> {
    let (_, revisions) = diagrams::revisions(&state, &caller.owner(), &path.id()?).await?;
    let items = revisions
        .into_iter()
        .map(|r| RevisionJson::new(r, false))
        .collect();
    Ok(axum::Json(RevisionsJson { items }).into_response())
}

/// One saved version, with its source
///
/// 404 when the version was never saved or has been pruned.
#[utoipa::path(
    get,
    path = "/diagrams/{id}/revisions/{version}",
    operation_id = "get_revision",
    tag = "diagrams",
    params(
        ("id" = String, Path, description = ID),
        ("version" = i64, Path, description = "The version number."),
    ),
    responses(
        (status = 200, description = "The revision.", body = RevisionJson),
        ReadOneErrors,
    )
)]
pub async fn revision(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let version: i64 = version.parse().map_err(|_| ApiError::NotFound)?;
    let id = DiagramId::parse(&id)?;
    let r = diagrams::revision(&state, &caller.owner(), &id, version).await?;
    Ok(axum::Json(RevisionJson::new(r, true)).into_response())
}
