//! The JSON API under `/api`, for scripts, CI jobs and agents. Bearer tokens (or the
//! browser's own session) authenticate; token and account management are not here on purpose.

pub mod auth;
pub mod body;
pub mod diagrams;
pub mod error;
pub mod limits;
pub mod openapi;

use axum::Router;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use self::auth::{ApiCaller, Via};
use self::error::{ApiError, ApiResult};
use self::openapi::{
    BadRequest, Forbidden, Invalid, Png, RateLimited, RenderFailed, TooLarge, Unauthorized,
    UnsupportedMediaType,
};
use crate::etag::ContentTag;
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

/// The routes behind authentication, relative to `/api`. The router and the OpenAPI document
/// are both built from this one table (`routes!` reads each handler's `#[utoipa::path]`), so a
/// route cannot be served without being documented, nor documented without being served.
fn authenticated_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(diagrams::list, diagrams::create))
        .routes(routes!(
            diagrams::get,
            diagrams::replace,
            diagrams::patch,
            diagrams::delete
        ))
        // `{id}.svg`, `.png`, `.pdf`, `.txt` and `.mmd` are served by `diagrams::get` on the
        // route above.
        .merge(OpenApiRouter::with_openapi(
            <diagrams::Exports as utoipa::OpenApi>::openapi(),
        ))
        .routes(routes!(diagrams::restore))
        .routes(routes!(diagrams::share))
        .routes(routes!(diagrams::revisions))
        .routes(routes!(diagrams::revision))
        .routes(routes!(render))
}

/// Routes anyone may call, relative to `/api`.
fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi::document))
}

/// The API routes, relative to the `/api` prefix they are nested under.
pub fn router(state: &AppState) -> Router<AppState> {
    let authenticated: Router<AppState> = authenticated_routes()
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .into();
    authenticated
        .merge(Router::from(public_routes()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(exports_are_read_only))
}

/// `{id}.svg`, `.png`, `.pdf`, `.txt` and `.mmd` are served by the `{id}` route (a path parameter cannot
/// carry a suffix), which also takes PUT, PATCH and DELETE. Exports are read-only: any other
/// method gets 405 with `Allow: GET, HEAD`, as their documentation says, before authentication
/// like every other 405.
async fn exports_are_read_only(request: Request, next: middleware::Next) -> Response {
    let is_export = request
        .uri()
        .path()
        .strip_prefix("/diagrams/")
        .is_some_and(|rest| {
            !rest.contains('/')
                && [".svg", ".png", ".pdf", ".txt", ".mmd"]
                    .iter()
                    .any(|e| rest.ends_with(e))
        });
    if is_export && !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = ApiError::MethodNotAllowed.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
        return response;
    }
    next.run(request).await
}

/// The OpenAPI document of every route in [`router`], with full `/api/...` paths.
pub fn openapi() -> utoipa::openapi::OpenApi {
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/api", authenticated_routes().merge(public_routes()))
        .into_openapi()
}

/// Unknown paths under /api answer in the envelope, never as an HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Who is calling.
#[derive(Serialize, ToSchema)]
pub struct MeJson {
    id: i64,
    email: String,
    /// `read` or `read-write` for a token; `session` for the browser's own session.
    #[schema(examples("read", "read-write", "session"))]
    scope: &'static str,
    /// The token used (absent for a browser session).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<TokenJson>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    name: String,
    /// RFC 3339, UTC: six calendar months after the token was made.
    expires_at: String,
}

/// Who is calling
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = "account",
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The account and the token in use.", body = MeJson),
        (status = 401, response = Unauthorized),
        (status = 429, response = RateLimited),
    )
)]
async fn me(caller: ApiCaller) -> Response {
    let (scope, token) = match caller.via {
        Via::Token {
            name,
            scope,
            expires_at,
        } => (
            scope.as_str(),
            Some(TokenJson {
                name,
                expires_at: rfc3339(expires_at),
            }),
        ),
        Via::Session => ("session", None),
    };
    axum::Json(MeJson {
        id: caller.user_id,
        email: caller.email,
        scope,
        token,
    })
    .into_response()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RenderQuery {
    /// `svg` (default), `png`, `pdf` or `txt` (a Unicode text drawing, for the kinds that have
    /// one). Without it, `Accept: image/png`, `application/pdf` or `text/plain` chooses.
    #[param(value_type = Option<String>, pattern = "^(svg|png|pdf|txt)$")]
    format: Option<String>,
    /// PNG pixel density, 1 to 4 (default 2).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 4)]
    scale: Option<String>,
    /// SVG only: `true` for text-only SVG without HTML labels, for viewers such as Inkscape.
    #[param(value_type = Option<bool>)]
    portable: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RenderBody {
    /// Mermaid text.
    source: String,
}

/// Render Mermaid text without storing it
///
/// Send `{"source": ...}` as JSON or the raw Mermaid text. A read token may call this.
#[utoipa::path(
    post,
    path = "/render",
    operation_id = "render",
    tag = "rendering",
    params(RenderQuery),
    request_body(content(
        (RenderBody = "application/json"),
        (openapi::MermaidText = "text/plain"),
    )),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The rendered image, or a text drawing.", content(
            (String = "image/svg+xml"),
            (Png = "image/png"),
            (openapi::Pdf = "application/pdf"),
            (String = "text/plain"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 413, response = TooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Invalid),
        (status = 429, response = RateLimited),
        (status = 503, response = RenderFailed),
    )
)]
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
    check_render_source(&source)?;
    let ext = match query.format.as_deref() {
        Some(format @ ("svg" | "png" | "pdf" | "txt")) => format,
        Some(_) => return Err(ApiError::invalid("format must be svg, png, pdf or txt.")),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("image/png") {
                "png"
            } else if accept.contains("application/pdf") {
                "pdf"
            } else if accept.contains("text/plain") {
                "txt"
            } else {
                "svg"
            }
        }
    };
    let options = ExportOptions::parse(query.scale.as_deref(), query.portable.as_deref())?;
    export(&state, &source, "diagram", ext, options, None).await
}

/// How an export is drawn: PNG density and whether an SVG is the portable, text-only kind.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    scale: u8,
    portable: bool,
}

impl ExportOptions {
    /// Reads `?scale=` and `?portable=`. Both are checked even where they do not apply, so a
    /// typo is not silently ignored.
    ///
    /// # Errors
    /// `422 invalid` for a scale other than 1 to 4, or a `portable` other than true/false.
    pub fn parse(scale: Option<&str>, portable: Option<&str>) -> ApiResult<Self> {
        let scale = match scale {
            None => png_scale(None)?,
            Some(raw) => png_scale(Some(raw.parse::<u8>().map_err(|_| scale_error())?))?,
        };
        let portable = match portable {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(ApiError::invalid("portable must be true or false.")),
        };
        Ok(Self { scale, portable })
    }
}

/// Refuses empty Mermaid text before it reaches the renderer (REST and MCP).
pub fn check_render_source(source: &str) -> ApiResult<()> {
    if source.trim().is_empty() {
        return Err(ApiError::invalid("The Mermaid source is empty."));
    }
    Ok(())
}

/// PNG pixel density: 2 unless asked, and only 1 to 4 (REST and MCP).
pub fn png_scale(scale: Option<u8>) -> ApiResult<u8> {
    match scale {
        None => Ok(2),
        Some(s) if (1..=4).contains(&s) => Ok(s),
        Some(_) => Err(scale_error()),
    }
}

fn scale_error() -> ApiError {
    ApiError::invalid("scale must be 1, 2, 3 or 4.")
}

/// Renders `source` as `.svg`, `.png`, `.pdf` or `.txt`, or returns it as `.mmd`. With the
/// request's headers (a stored diagram's export, fetched by GET) the response carries a strong
/// ETag of what it shows and a matching `If-None-Match` gets 304 without rendering.
pub async fn export(
    state: &AppState,
    source: &str,
    name: &str,
    ext: &str,
    options: ExportOptions,
    conditional: Option<&HeaderMap>,
) -> ApiResult<Response> {
    let scale = if ext == "png" { options.scale } else { 1 };
    let portable = ext == "svg" && options.portable;
    let Some(request) = conditional else {
        return export_body(state, source, name, ext, scale, portable).await;
    };
    let tag = ContentTag::of(&[
        b"export",
        ext.as_bytes(),
        &[scale, u8::from(portable)],
        name.as_bytes(),
        source.as_bytes(),
    ]);
    if tag.is_fresh(request) {
        return Ok(if ext == "svg" {
            tag.svg_not_modified()
        } else {
            tag.not_modified()
        });
    }
    let mut response = export_body(state, source, name, ext, scale, portable).await?;
    tag.stamp(&mut response);
    Ok(response)
}

async fn export_body(
    state: &AppState,
    source: &str,
    name: &str,
    ext: &str,
    scale: u8,
    portable: bool,
) -> ApiResult<Response> {
    let (content_type, body): (&str, Vec<u8>) = match ext {
        "svg" if portable => (
            "image/svg+xml",
            state
                .renderer
                .portable_svg(source)
                .await?
                .as_bytes()
                .to_vec(),
        ),
        "svg" => (
            "image/svg+xml",
            state.renderer.svg(source).await?.as_bytes().to_vec(),
        ),
        "png" => ("image/png", state.renderer.png(source, scale).await?),
        "pdf" => ("application/pdf", state.renderer.pdf(source).await?),
        "txt" => (
            "text/plain; charset=utf-8",
            state.renderer.txt(source).await?.as_bytes().to_vec(),
        ),
        "mmd" => return Ok(mmd_download(source, name)),
        _ => return Err(ApiError::NotFound),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response();
    if ext == "svg" {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::render::SVG_CSP),
        );
    }
    Ok(response)
}

/// The Mermaid text itself, as a download.
fn mmd_download(source: &str, name: &str) -> Response {
    (
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
        .into_response()
}
