//! The error model, rendered two ways: [`ApiError`] answers in the JSON envelope
//! `{"error": code, "message": sentence}` (REST, MCP, the editor's preview) and [`AppError`]
//! as a friendly HTML page. Each use case's own error maps onto both here, in one `match` per
//! pair, so a rule's failure means the same thing on every surface.

mod api;
mod page;

pub use api::{ApiError, ApiResult, CODES, ErrorBody, envelope, envelope_value, render_status};
pub use page::{AppError, AppResult, links_under};

use axum::http::StatusCode;

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
            DiagramError::QuotaExceeded(message) => ApiError::QuotaExceeded(message),
            DiagramError::Render(e) => ApiError::Render(e),
            DiagramError::Store(e) => ApiError::Internal(e.to_string()),
        }
    }
}

/// On pages, a broken rule is 422 and an edit made from an older version is 409 (a form
/// field, not a precondition header, carried the version).
impl From<DiagramError> for AppError {
    fn from(e: DiagramError) -> Self {
        match (&e, refusal_status(&e)) {
            (DiagramError::NotFound, _) => AppError::NotFound,
            (_, Some(status)) => AppError::Refused(status, e.to_string()),
            (_, None) => AppError::Internal(e.to_string()),
        }
    }
}

/// The status a page answers a diagram refusal with; None for what is not the person's to
/// fix (not found, the renderer, the store).
pub fn refusal_status(e: &DiagramError) -> Option<StatusCode> {
    match e {
        DiagramError::Invalid(_) | DiagramError::InvalidCursor => {
            Some(StatusCode::UNPROCESSABLE_ENTITY)
        }
        DiagramError::Stale(_) => Some(StatusCode::CONFLICT),
        DiagramError::QuotaExceeded(_) => Some(StatusCode::FORBIDDEN),
        DiagramError::NotFound | DiagramError::Render(_) | DiagramError::Store(_) => None,
    }
}

/// The token cap is a conflict with what the account already has (DESIGN: a 409-class
/// error).
impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        let status = match e {
            TokenError::NotFound => return AppError::NotFound,
            TokenError::Store(e) => return AppError::Internal(e.to_string()),
            TokenError::InvalidName(_) => StatusCode::UNPROCESSABLE_ENTITY,
            TokenError::CapReached | TokenError::NameTaken(_) => StatusCode::CONFLICT,
        };
        AppError::Refused(status, e.to_string())
    }
}

/// A wrong password is 401 whether it was the sign-in's or the current one asked again.
impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        let status = match e {
            AccountError::Store(e) => return AppError::Internal(e.to_string()),
            AccountError::Internal(detail) => return AppError::Internal(detail),
            AccountError::Busy { retry_after } => return AppError::Busy { retry_after },
            AccountError::InvalidEmail | AccountError::WeakPassword(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AccountError::WrongPassword | AccountError::BadCredentials => StatusCode::UNAUTHORIZED,
            AccountError::DuplicateEmail => StatusCode::CONFLICT,
            AccountError::SignupsClosed | AccountError::SetupCode => StatusCode::FORBIDDEN,
            AccountError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        };
        AppError::Refused(status, e.to_string())
    }
}
