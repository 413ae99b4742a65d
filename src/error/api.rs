//! The API's one error type. Every failure becomes `{"error": code, "message": sentence}` with
//! a stable snake_case code; internals are logged, never returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::db::DbError;
use crate::render::RenderError;

/// Why an API request failed. Each variant's status and code are in [`CODES`]; both come from
/// one `match`, so they cannot disagree.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401. Every authentication failure looks the same, whatever its cause.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: a read token asked for a write.
    #[error("this token's scope does not allow writes")]
    InsufficientScope,
    /// 403: a browser session's write lacked a valid `X-CSRF-Token`.
    #[error("the request's CSRF token is missing or wrong")]
    Csrf,
    /// 403: the account keeps as much as its quota allows; the sentence says what is full.
    #[error("{0}")]
    QuotaExceeded(String),
    /// 404, also for other accounts' diagrams.
    #[error("There is no such diagram or API route.")]
    NotFound,
    /// 405.
    #[error("This API route does not accept that method.")]
    MethodNotAllowed,
    /// 400: the request itself is malformed.
    #[error("The request could not be read: its address, query or headers are malformed.")]
    BadRequest,
    /// 408: the body did not arrive within the read timeout.
    #[error("The request did not arrive in time; send it again, faster.")]
    Timeout,
    /// 412: `If-Match` named an older version; `current` is the diagram's version now.
    #[error("the diagram changed since the version in If-Match")]
    PreconditionFailed { current: i64 },
    /// 422 with its own `code` (one of the 422 codes in [`CODES`]) and a sentence shown as is.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// 413: the body is over [`MAX_BODY_BYTES`](crate::config::MAX_BODY_BYTES).
    #[error("the request body is larger than the limit")]
    TooLarge,
    /// 415, with a sentence naming what the route accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429; `retry_after` is whole seconds, sent as `Retry-After`.
    #[error("rate limit reached")]
    RateLimited { retry_after: u64 },
    /// The renderer's refusal with its own code: 413 too large, 503 timeout or unavailable,
    /// 422 otherwise.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// 500; the detail is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Every stable code the API itself answers with, and when. The OpenAPI document lists these;
/// renderer failures add the renderer's own codes (`RenderError::code`).
pub const CODES: &[(&str, &str)] = &[
    (
        "unauthorized",
        "401: the bearer token is missing, malformed, unknown, expired or revoked. Always this bare body.",
    ),
    ("insufficient_scope", "403: a read token attempted a write."),
    (
        "quota_exceeded",
        "403: the account keeps as many diagrams, or as much storage, as this server allows; nothing was written.",
    ),
    (
        "csrf_failed",
        "403: a browser session's write lacked a valid X-CSRF-Token header.",
    ),
    (
        "not_found",
        "404: no such diagram, revision or route (other accounts' diagrams included).",
    ),
    (
        "method_not_allowed",
        "405: the path exists but does not accept this method.",
    ),
    (
        "bad_request",
        "400: the request itself is malformed (a path or query that is not UTF-8, both Content-Length and Transfer-Encoding; on /mcp, an unsupported MCP-Protocol-Version, named in the message).",
    ),
    (
        "not_acceptable",
        "406: /mcp only: the Accept header must allow both application/json and text/event-stream.",
    ),
    (
        "request_timeout",
        "408: the body did not arrive within the server's read timeout; the connection is closed.",
    ),
    (
        "precondition_failed",
        "412: If-Match names an older version; `current_version` is the current one.",
    ),
    ("payload_too_large", "413: the request body is over 1 MiB."),
    (
        "source_too_large",
        "413: the Mermaid text is over the renderer's 256 KiB limit.",
    ),
    (
        "unsupported_media_type",
        "415: the body's Content-Type is not one this route accepts.",
    ),
    ("invalid_json", "422: the body is not valid JSON."),
    (
        "invalid_body",
        "422: the JSON does not fit (unknown or missing field, wrong type), or the body could not be read.",
    ),
    ("invalid_utf8", "422: a text body is not UTF-8."),
    (
        "invalid_input",
        "422: a value is out of range: empty or too long title or source, bad limit, format or scale.",
    ),
    (
        "invalid_cursor",
        "422: cursor is not a next_cursor from an earlier page.",
    ),
    (
        "parse_error",
        "422: the Mermaid text does not parse; `line` and `column` say where when known.",
    ),
    (
        "diagram_too_complex",
        "422: the diagram passes one of the renderer's resource limits (far beyond mermaid.js's own 500 edges and 50,000 characters).",
    ),
    (
        "format_unavailable",
        "422: this kind of diagram has no drawing in the format asked for (a text drawing of a pie chart).",
    ),
    (
        "rate_limited",
        "429: this account's read or write bucket is empty; Retry-After says when to try again.",
    ),
    (
        "internal_error",
        "500: Reef failed; the details are in its log.",
    ),
    (
        "render_timeout",
        "503: the render ran out of time (usually the server is busy); try again.",
    ),
    (
        "render_failed",
        "503: the renderer could not finish (a worker stopped, or the server is busy); the message says which.",
    ),
];

/// The envelope every API failure uses. It documents the JSON built in `into_response`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// A stable snake_case code to switch on (listed in this schema's description).
    #[schema(examples("not_found", "precondition_failed", "insufficient_scope"))]
    error: String,
    /// A sentence for people; absent only on `unauthorized`.
    #[schema(nullable = false)]
    message: Option<String>,
    /// On `precondition_failed`: the diagram's current version.
    #[schema(nullable = false)]
    current_version: Option<i64>,
    /// On `parse_error`: where the Mermaid text stops parsing, when known.
    line: Option<u32>,
    column: Option<u32>,
}

impl ApiError {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// The HTTP status that goes with [`ApiError::code`].
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The sentence for people that goes with the code (internals never leak into it).
    pub fn message(&self) -> String {
        match self {
            ApiError::Internal(_) => "Reef could not complete this request.".into(),
            ApiError::PreconditionFailed { current } => {
                format!("The diagram is at version {current}; fetch it again and retry.")
            }
            _ => self.to_string(),
        }
    }

    /// A 422 `invalid_input` whose `message` is shown as is.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::Invalid {
            code: "invalid_input",
            message: message.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InsufficientScope => (StatusCode::FORBIDDEN, "insufficient_scope"),
            ApiError::QuotaExceeded(_) => (StatusCode::FORBIDDEN, "quota_exceeded"),
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::BadRequest => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Timeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            ApiError::PreconditionFailed { .. } => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            ApiError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Render(e) => (render_status(e), e.code()),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

/// The status a renderer refusal answers with, wherever it is answered: 413 for a source
/// over the limit, 503 for the time limit or an unavailable worker (try again later), 422
/// for the rest (the diagram itself).
pub fn render_status(e: &RenderError) -> StatusCode {
    match e {
        RenderError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        RenderError::Timeout | RenderError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The envelope as a JSON value: `{"error": code, "message": message, ...extra}`, the message
/// left out when `None`. The one place the envelope's shape is written down; the REST API, MCP
/// tool results and the editor's preview all build theirs here.
pub fn envelope_value(code: &str, message: Option<&str>, extra: &[(&str, Value)]) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("error".into(), Value::from(code));
    if let Some(message) = message {
        body.insert("message".into(), Value::from(message));
    }
    for (key, value) in extra {
        body.insert((*key).into(), value.clone());
    }
    Value::Object(body)
}

/// An envelope response with `status` (see [`envelope_value`]).
pub fn envelope(
    status: StatusCode,
    code: &str,
    message: Option<&str>,
    extra: &[(&str, Value)],
) -> Response {
    (status, axum::Json(envelope_value(code, message, extra))).into_response()
}

impl ApiError {
    /// What goes beside `error` and `message`: the current version on `precondition_failed`,
    /// the position on `parse_error`.
    fn extra(&self) -> Vec<(&'static str, Value)> {
        match self {
            ApiError::PreconditionFailed { current } => vec![("current_version", json!(current))],
            ApiError::Render(RenderError::Parse { line, column, .. }) => {
                vec![("line", json!(line)), ("column", json!(column))]
            }
            _ => Vec::new(),
        }
    }

    /// The envelope of this error as a JSON value (MCP tool results carry it as structured
    /// content). Internal details are logged here, never returned.
    pub fn to_value(&self) -> Value {
        if let ApiError::Internal(detail) = self {
            tracing::error!(%detail, "api request failed");
        }
        // Deliberately bare when unauthorized: no hint of which check failed.
        let message = (!matches!(self, ApiError::Unauthorized)).then(|| self.message());
        envelope_value(self.code(), message.as_deref(), &self.extra())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response = (status, axum::Json(self.to_value())).into_response();
        let headers = response.headers_mut();
        match &self {
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::InsufficientScope => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
                );
            }
            ApiError::RateLimited { retry_after } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            }
            _ => {}
        }
        response
    }
}

/// The result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
