//! The page error type: every failure a browser can meet becomes a friendly HTML page with the
//! right status. Internal details are logged, never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::db::DbError;

/// Why a page request failed; each variant is one status and one page.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404, also for what belongs to someone else.
    #[error("not found")]
    NotFound,
    /// 404 for an address whose last part names nothing Reef has (a sample kind), with a
    /// sentence saying what there is instead.
    #[error("{0}")]
    NoSuch(String),
    /// 403: the form's CSRF token is missing or wrong.
    #[error("CSRF check failed")]
    Csrf,
    /// 400, with a sentence shown to the person as is.
    #[error("{0}")]
    BadRequest(String),
    /// A use case refused for a reason the person can act on (a rule broken, a conflict, a
    /// wrong password): this status and sentence. Built only by the mappings in
    /// [`crate::error`], so a refusal has one status on every page.
    #[error("{1}")]
    Refused(StatusCode, String),
    /// 413: the body is over [`MAX_BODY_BYTES`](crate::config::MAX_BODY_BYTES).
    #[error("request body too large")]
    TooLarge,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 408: the request did not arrive within the read timeout.
    #[error("request timeout")]
    Timeout,
    /// 429: too many sign-in attempts.
    #[error("too many requests")]
    TooManyRequests,
    /// 503: the server is at its limit for this kind of work (password checks); try again
    /// after `retry_after` seconds (sent as `Retry-After`).
    #[error("busy")]
    Busy { retry_after: u64 },
    /// 500; the detail is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The status and sentence of a refusal, for a page that shows its form again; any
    /// other error as it is.
    ///
    /// # Errors
    /// `self` when it is not [`AppError::Refused`].
    pub fn refusal(self) -> Result<(StatusCode, String), AppError> {
        match self {
            AppError::Refused(status, message) => Ok((status, message)),
            other => Err(other),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        AppError::Internal(e.to_string())
    }
}

tokio::task_local! {
    /// The public URL's path of the request being answered (see [`links_under`]).
    static PUBLIC_PATH: std::sync::Arc<str>;
}

/// Answers a request (`answer`) with error pages whose links and stylesheet start with
/// `public_path` (`"/reef"` when Reef is hosted under a sub-path): an [`AppError`] becomes a
/// page where no configuration is at hand. Outside such a scope the links start at `/`.
pub async fn links_under<F: std::future::Future>(
    public_path: std::sync::Arc<str>,
    answer: F,
) -> F::Output {
    PUBLIC_PATH.scope(public_path, answer).await
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
    css: &'a str,
    /// The public URL's path, for the page's links.
    root: &'a str,
}

impl AppError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. It may have been deleted, or the link is wrong.".into(),
            ),
            AppError::NoSuch(msg) => (StatusCode::NOT_FOUND, "Not found", msg.clone()),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your safety the form could not be accepted (its security token did not match). Go back, reload the page and try again.".into(),
            ),
            AppError::BadRequest(msg) => (StatusCode::BAD_REQUEST, "That did not work", msg.clone()),
            AppError::Refused(status, msg) => (*status, "That did not work", msg.clone()),
            AppError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                "The request was larger than the 1 MiB Reef accepts. Diagram sources can be up to 256 KiB.".into(),
            ),
            AppError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed here",
                "This page does not accept that kind of request. Go back and use the page's own buttons and forms.".into(),
            ),
            AppError::Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "Too slow",
                "The request took too long to arrive, so Reef stopped waiting. Check your connection and try again.".into(),
            ),
            AppError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down",
                "Too many attempts. Wait a minute and try again.".into(),
            ),
            AppError::Busy { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Busy",
                "Reef is busy checking other passwords. Nothing was changed; try again in a few seconds.".into(),
            ),
            AppError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Reef could not complete this request. Nothing was lost; try again in a moment.".into(),
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let (status, heading, message) = self.parts();
        // Error pages are built where no configuration is at hand: the public path comes
        // from the request being answered.
        let root = PUBLIC_PATH
            .try_with(std::sync::Arc::clone)
            .unwrap_or_else(|_| std::sync::Arc::from(""));
        let css = format!("{root}{}", crate::assets::url("style.css"));
        let page = ErrorPage {
            status: status.as_u16(),
            heading,
            message: &message,
            css: &css,
            root: &root,
        };
        let mut response = match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, message).into_response(),
        };
        if let AppError::Busy { retry_after } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        response
    }
}

/// The result of a page handler.
pub type AppResult<T> = Result<T, AppError>;
