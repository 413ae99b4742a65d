//! Hostile-input guards in front of every route: bodies declared over the limit, bodies that
//! trickle in slower than the read timeout, and error answers from below Reef's own handlers
//! (axum's path, query and method rejections, hyper-level bodies) that would otherwise go out
//! as plain text instead of the API's envelope or a friendly page.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::config::Config;
use crate::error::{ApiError, AppError};
use crate::http::PlainTextError;

/// True for the routes that answer in the JSON envelope rather than with pages (the editor's
/// `/preview` is JSON in and out, for the page's script).
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/mcp" || path == "/preview"
}

/// The middleware: refuse oversized declarations up front, put a deadline on the body, and give
/// every client error a body in the right format. (Framing is hyper's: a request with both
/// `Content-Length` and `Transfer-Encoding` is read by the latter and its connection closed, so
/// nothing can be smuggled behind it.)
pub async fn requests(State(config): State<Arc<Config>>, request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let mcp = request.uri().path() == "/mcp";
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > crate::config::MAX_BODY_BYTES as u64) {
        // Said up front: answer at once rather than wait for a megabyte that will be refused.
        return close(refuse(api, StatusCode::PAYLOAD_TOO_LARGE));
    }
    let timed_out = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + config.read_timeout;
    let flag = timed_out.clone();
    let request = request.map(|body| Body::new(DeadlineBody::new(body, deadline, flag)));
    let response = next.run(request).await;
    if timed_out.load(Ordering::Relaxed) {
        // Whatever the handler made of the failed read, the truth is that the client was slow.
        return close(refuse(api, StatusCode::REQUEST_TIMEOUT));
    }
    if mcp {
        return explained(response).await;
    }
    with_body(api, response)
}

/// The envelope's code for a client error status the MCP transport answers with.
fn transport_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        _ => "bad_request",
    }
}

/// A plain-text client error from the MCP transport (a missing or wrong `Accept`, an
/// unsupported `MCP-Protocol-Version`) in the envelope, with the transport's own sentence as
/// the message and a code that matches the status. Anything else as [`with_body`] makes it.
async fn explained(response: Response) -> Response {
    let status = response.status();
    // rmcp's refusals are bare text, without a Content-Type.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !status.is_client_error() || !plain || status == StatusCode::PAYLOAD_TOO_LARGE {
        return with_body(true, response);
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let Some(text) = text else {
        return refuse(true, status);
    };
    let sentence = if text.ends_with('.') {
        text
    } else {
        format!("{text}.")
    };
    let mut answer = crate::error::envelope(status, transport_code(status), Some(&sentence), &[]);
    if let Some(allow) = allow {
        answer.headers_mut().insert(header::ALLOW, allow);
    }
    answer
}

/// The error answer for `status`: the envelope under `/api` and `/mcp`, a page elsewhere.
fn refuse(api: bool, status: StatusCode) -> Response {
    let mut response = if api {
        match status {
            StatusCode::NOT_FOUND => ApiError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => ApiError::Timeout,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                ApiError::UnsupportedMediaType("This route does not accept that body.".into())
            }
            _ => ApiError::BadRequest,
        }
        .into_response()
    } else {
        match status {
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => AppError::Timeout,
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            _ => AppError::BadRequest(
                "Reef could not read this request. Check the address and try again.".into(),
            ),
        }
        .into_response()
    };
    // The status stays what it was (a 415 or 422 from below is still one).
    *response.status_mut() = status;
    response
}

/// Tells the client this connection is done (its body may be unread).
fn close(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A client error without a JSON or HTML body (an extractor's plain-text rejection, an empty
/// 405) gets the envelope or a page; its `Allow` header is kept.
fn with_body(api: bool, response: Response) -> Response {
    let status = response.status();
    if !status.is_client_error() || response.extensions().get::<PlainTextError>().is_some() {
        return response;
    }
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return response;
    }
    let mut fresh = refuse(api, status);
    if let Some(allow) = response.headers().get(header::ALLOW) {
        fresh.headers_mut().insert(header::ALLOW, allow.clone());
    }
    fresh
}

/// The client did not finish sending the body in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the read timeout")]
pub struct BodyTimeout;

/// A request body that fails once its deadline passes, however steadily it trickles.
struct DeadlineBody {
    inner: Body,
    sleep: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl DeadlineBody {
    fn new(inner: Body, deadline: Instant, timed_out: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
            timed_out,
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
