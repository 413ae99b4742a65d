//! The error model, rendered two ways: [`ApiError`] answers in the JSON envelope
//! `{"error": code, "message": sentence}` (REST, MCP, the editor's preview) and [`AppError`]
//! as a friendly HTML page. Each use case's own error maps onto both here, in one `match` per
//! pair, so a rule's failure means the same thing on every surface.

mod api;
mod page;

pub use api::{ApiError, ApiResult, CODES, ErrorBody, envelope, envelope_value};
pub use page::{AppError, AppResult};

use crate::accounts::AccountError;
use crate::diagrams::DiagramError;
use crate::tokens::TokenError;

impl From<DiagramError> for ApiError {
    fn from(e: DiagramError) -> Self {
        match e {
            DiagramError::NotFound => ApiError::NotFound,
            DiagramError::Invalid(message) => ApiError::invalid(message),
            e @ DiagramError::InvalidCursor => ApiError::Invalid {
                code: "invalid_cursor",
                message: e.to_string(),
            },
            DiagramError::Stale(current) => ApiError::PreconditionFailed {
                current: current.version,
            },
            DiagramError::Render(e) => ApiError::Render(e),
            DiagramError::Store(e) => ApiError::Internal(e.to_string()),
        }
    }
}

/// Pages handle the refusals they can explain (a bad title, a stale version) themselves;
/// whatever reaches here is a plain page.
impl From<DiagramError> for AppError {
    fn from(e: DiagramError) -> Self {
        match e {
            DiagramError::NotFound => AppError::NotFound,
            DiagramError::Render(_) | DiagramError::Store(_) => AppError::Internal(e.to_string()),
            _ => AppError::BadRequest(e.to_string()),
        }
    }
}

impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::NotFound => AppError::NotFound,
            TokenError::InvalidName(message) => AppError::BadRequest(message),
            TokenError::CapReached => AppError::BadRequest(TokenError::CapReached.to_string()),
            TokenError::Store(e) => AppError::Internal(e.to_string()),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::TooManyAttempts => AppError::TooManyRequests,
            AccountError::Store(e) => AppError::Internal(e.to_string()),
            AccountError::Internal(detail) => AppError::Internal(detail),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}
