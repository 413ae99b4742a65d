//! The API's one error type. Every failure becomes `{"error": code, "message": sentence}` with
//! a stable snake_case code; internals are logged, never returned.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::db::DbError;
use crate::render::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Every authentication failure looks the same, whatever its cause.
    #[error("unauthorized")]
    Unauthorized,
    #[error("this token's scope does not allow writes")]
    InsufficientScope,
    #[error("the request's CSRF token is missing or wrong")]
    Csrf,
    #[error("There is no such diagram or API route.")]
    NotFound,
    #[error("This API route does not accept that method.")]
    MethodNotAllowed,
    #[error("the diagram changed since the version in If-Match")]
    PreconditionFailed { current: i64 },
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("the request body is larger than the limit")]
    TooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("rate limit reached")]
    RateLimited { retry_after: u64 },
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
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
            ApiError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::PreconditionFailed { .. } => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            ApiError::Invalid { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Render(e) => (
                match e {
                    RenderError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    RenderError::Timeout | RenderError::Unavailable(_) => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                e.code(),
            ),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = match &self {
            // Deliberately bare: no hint of which check failed.
            ApiError::Unauthorized => json!({ "error": code }),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "api request failed");
                json!({ "error": code, "message": "Reef could not complete this request." })
            }
            ApiError::PreconditionFailed { current } => json!({
                "error": code,
                "message": format!("The diagram is at version {current}; fetch it again and retry."),
                "current_version": current,
            }),
            ApiError::Render(RenderError::Parse { line, column, .. }) => json!({
                "error": code,
                "message": self.to_string(),
                "line": line,
                "column": column,
            }),
            _ => json!({ "error": code, "message": self.to_string() }),
        };
        let mut response = (status, axum::Json(body)).into_response();
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

pub type ApiResult<T> = Result<T, ApiError>;
