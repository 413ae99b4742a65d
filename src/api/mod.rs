//! The JSON API under `/api`, for scripts, CI jobs and agents. Bearer tokens (or the
//! browser's own session) authenticate; token and account management are not here on purpose.

pub mod diagrams;
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

use self::openapi::{Png, ReadErrors, RenderErrors};
use crate::auth::{ApiCaller, Via, bearer};
use crate::diagrams::{self as usecase, Diagram, Requester};
use crate::error::{ApiError, ApiResult};
use crate::etag::ContentTag;
use crate::http::body;
use crate::http::{Disposition, export_response, not_modified};
use crate::render::{ExportFormat, ExportOptions};
use crate::state::{AppState, rfc3339};

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
            (state.clone(), bearer::Door::Rest),
            bearer::authenticate,
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
                && rest
                    .rsplit_once('.')
                    .is_some_and(|(_, ext)| ExportFormat::from_ext(ext).is_some())
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
    let mut document = OpenApiRouter::with_openapi(openapi::base())
        .nest("/api", authenticated_routes().merge(public_routes()))
        .into_openapi();
    openapi::scopes_from_policy(&mut document, "/api");
    document
}

/// Unknown paths under /api answer in the envelope, never as an HTML page.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A known path asked with a method it does not take: 405 in the envelope.
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

/// The token behind a bearer request.
#[derive(Serialize, ToSchema)]
pub struct TokenJson {
    name: String,
    /// RFC 3339, UTC: six calendar months after the token was made.
    expires_at: String,
}

/// Who is calling
///
/// The account the token belongs to, the token's name and scope, and when it expires (also
/// in every response's `Reef-Token-Expires`).
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = "account",
    responses(
        (status = 200, description = "The account and the token in use.", body = MeJson),
        ReadErrors,
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

impl RenderQuery {
    /// `?format=`, else what `Accept` asks for, else SVG. The Mermaid text itself is not a
    /// rendering, so `mmd` is refused.
    fn format(&self, headers: &HeaderMap) -> ApiResult<ExportFormat> {
        if let Some(raw) = self.format.as_deref() {
            return ExportFormat::from_ext(raw)
                .filter(|f| f.is_drawing())
                .ok_or_else(|| ApiError::invalid("format must be svg, png, pdf or txt."));
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(if accept.contains("image/png") {
            ExportFormat::Png
        } else if accept.contains("application/pdf") {
            ExportFormat::Pdf
        } else if accept.contains("text/plain") {
            ExportFormat::Txt
        } else {
            ExportFormat::Svg
        })
    }
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
    responses(
        (status = 200, description = "The rendered image, or a text drawing.", content(
            (openapi::Svg = "image/svg+xml"),
            (Png = "image/png"),
            (openapi::Pdf = "application/pdf"),
            (String = "text/plain"),
        )),
        RenderErrors,
    )
)]
async fn render(
    State(state): State<AppState>,
    caller: ApiCaller,
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
    let format = query.format(&headers)?;
    let options = export_options(query.scale.as_deref(), query.portable.as_deref())?;
    let body = usecase::export(&state, caller.requester(), &source, format, options).await?;
    Ok(export_response(
        StatusCode::OK,
        format,
        body,
        Some(("diagram", Disposition::Inline)),
    ))
}

/// The query of an export: `?scale=` and `?portable=`.
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

impl ExportQuery {
    /// The options these parameters ask for.
    ///
    /// # Errors
    /// `422 invalid_input` for a scale other than 1 to 4, or a `portable` other than
    /// true/false.
    pub fn options(&self) -> ApiResult<ExportOptions> {
        export_options(self.scale.as_deref(), self.portable.as_deref())
    }
}

/// Reads `?scale=` and `?portable=`. Both are checked even where they do not apply, so a
/// typo is not silently ignored.
///
/// # Errors
/// `422 invalid_input` for a scale other than 1 to 4, or a `portable` other than true/false.
fn export_options(scale: Option<&str>, portable: Option<&str>) -> ApiResult<ExportOptions> {
    let scale = scale
        .map(|raw| raw.parse::<u8>())
        .transpose()
        .map_err(|_| ApiError::invalid(ExportOptions::SCALE_RULE))?;
    let portable = match portable {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("portable must be true or false.")),
    };
    ExportOptions::new(scale, portable).map_err(ApiError::invalid)
}

/// A stored diagram's export, with a strong ETag of exactly what it shows: a matching
/// `If-None-Match` gets 304 without rendering. The file is named after the diagram's id;
/// the Mermaid text is offered as a download, drawings inline.
pub async fn export_stored(
    state: &AppState,
    by: Requester,
    request: &HeaderMap,
    d: &Diagram,
    format: ExportFormat,
    options: ExportOptions,
) -> ApiResult<Response> {
    let options = options.for_format(format);
    let tag = ContentTag::of(&[
        b"export",
        format.ext().as_bytes(),
        &[options.scale(), u8::from(options.portable())],
        d.id.as_bytes(),
        d.source.as_bytes(),
    ]);
    if let Some(fresh) = not_modified(&tag, format, request) {
        return Ok(fresh);
    }
    let body = usecase::export(state, by, &d.source, format, options).await?;
    let disposition = if format.is_drawing() {
        Disposition::Inline
    } else {
        Disposition::Attachment
    };
    let mut response = export_response(StatusCode::OK, format, body, Some((&d.id, disposition)));
    tag.stamp(&mut response);
    Ok(response)
}
