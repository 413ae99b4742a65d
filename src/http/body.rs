//! Request bodies for the API: JSON with our error envelope for every way it can be wrong
//! (never axum's plain-text rejections), and raw Mermaid text where that is handier for curl.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The media type of a request, lowercased, without parameters; None when there is no
/// `Content-Type`. Refuses what a parser must not guess about: two `Content-Type` headers (a
/// proxy may have read the other one), one that is not text, or a charset other than UTF-8
/// (Reef decodes every body as UTF-8).
pub fn media_type(req: &Request) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().get_all(header::CONTENT_TYPE).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::UnsupportedMediaType(
            "Send exactly one Content-Type header.".into(),
        ));
    }
    let unreadable = || ApiError::UnsupportedMediaType("The Content-Type is not readable.".into());
    let text = value.to_str().map_err(|_| unreadable())?;
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    for parameter in parts {
        let Some((name, raw)) = parameter.split_once('=') else {
            continue;
        };
        let charset = raw.trim().trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset")
            && !charset.eq_ignore_ascii_case("utf-8")
            && !charset.eq_ignore_ascii_case("utf8")
        {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Send UTF-8 text (got charset={charset})."
            )));
        }
    }
    Ok(Some(media))
}

/// The whole body.
///
/// # Errors
/// `413 payload_too_large` over the body limit; `422 invalid_body` when it cannot be read.
pub async fn bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::Invalid {
                code: "invalid_body",
                message: "The request body could not be read.".into(),
            }
        }
    })
}

/// Every JSON body of the API is an object. serde would also fill a struct from an array
/// (`["title", "source"]` by position), which no client means to send, so that is refused.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() == Some(&b'[') {
        return Err(ApiError::Invalid {
            code: "invalid_body",
            message: "The JSON body must be an object.".into(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::Invalid {
                code: "invalid_body",
                message: format!("The JSON body does not fit: {e}."),
            },
            Category::Syntax | Category::Eof | Category::Io => ApiError::Invalid {
                code: "invalid_json",
                message: format!("The body is not valid JSON: {e}."),
            },
        }
    })
}

/// A JSON body (`Content-Type: application/json` required).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match media_type(&req)?.as_deref() {
            Some("application/json") => {}
            Some(other) => {
                return Err(ApiError::UnsupportedMediaType(format!(
                    "Send JSON with Content-Type: application/json (got {other})."
                )));
            }
            None => {
                return Err(ApiError::UnsupportedMediaType(
                    "Send JSON with Content-Type: application/json.".into(),
                ));
            }
        }
        let bytes = bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A body that is either JSON (`T`) or raw Mermaid text (`text/plain`, or curl's `-T`
/// default of no/`application/octet-stream` type).
pub enum JsonOrText<T> {
    Json(T),
    Text(String),
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonOrText<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media = media_type(&req)?;
        let bytes = bytes(req, state).await?;
        match media.as_deref() {
            Some("application/json") => parse_json(&bytes).map(JsonOrText::Json),
            Some("text/plain")
            | Some("text/vnd.mermaid")
            | Some("application/octet-stream")
            | None => String::from_utf8(bytes.to_vec())
                .map(JsonOrText::Text)
                .map_err(|_| ApiError::Invalid {
                    code: "invalid_utf8",
                    message: "The body is not valid UTF-8 text.".into(),
                }),
            Some(other) => Err(ApiError::UnsupportedMediaType(format!(
                "Send application/json or text/plain (got {other})."
            ))),
        }
    }
}
