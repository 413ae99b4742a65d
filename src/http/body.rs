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
        parse_labelled_json(&bytes, false).map(ApiJson)
    }
}

/// Whether `bytes` look like Mermaid text rather than JSON: they begin (after blank space) with
/// front matter (`---`), a comment or directive (`%%`), or one of Mermaid's diagram keywords.
fn looks_like_mermaid(bytes: &[u8]) -> bool {
    const KEYWORDS: &[&str] = &[
        "flowchart",
        "graph",
        "sequenceDiagram",
        "classDiagram",
        "stateDiagram",
        "erDiagram",
        "journey",
        "gantt",
        "pie",
        "quadrantChart",
        "requirementDiagram",
        "gitGraph",
        "C4Context",
        "C4Container",
        "C4Component",
        "C4Dynamic",
        "C4Deployment",
        "mindmap",
        "timeline",
        "zenuml",
        "sankey",
        "xychart",
        "block",
        "packet",
        "kanban",
        "architecture",
        "radar",
        "treemap",
    ];
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
    let text = text.trim_start_matches('\u{FEFF}').trim_start();
    text.starts_with("---")
        || text.starts_with("%%")
        || KEYWORDS.iter().any(|k| {
            text.strip_prefix(k)
                .is_some_and(|rest| rest.is_empty() || !rest.starts_with(char::is_alphabetic))
        })
}

/// [`parse_json`], with a hint when the body labelled JSON is Mermaid text instead.
fn parse_labelled_json<T: DeserializeOwned>(
    bytes: &[u8],
    text_allowed: bool,
) -> Result<T, ApiError> {
    parse_json(bytes).map_err(|e| match e {
        ApiError::Invalid {
            code: "invalid_json", ..
        } if looks_like_mermaid(bytes) => ApiError::Invalid {
            code: "invalid_json",
            message: if text_allowed {
                "The body is labelled application/json but is Mermaid text: send the same body with Content-Type: text/plain.".into()
            } else {
                "The body is labelled application/json but is Mermaid text: put the text in the JSON body's \"source\" field, or send it as text/plain to PUT /api/diagrams/{id} (which takes raw text).".into()
            },
        },
        other => other,
    })
}

/// Media types taken as Mermaid text: any `text/*` (`text/plain`, `text/vnd.mermaid`,
/// `text/x-mermaid`), curl `-T`'s `application/octet-stream`, and the type Debian's MIME table
/// (and so HTTPie) gives `.mmd` files, `application/vnd.chipnuts.karaoke-mmd`.
fn is_mermaid_text(media: &str) -> bool {
    media.starts_with("text/")
        || media == "application/octet-stream"
        || media == "application/vnd.chipnuts.karaoke-mmd"
}

/// A body that is either JSON (`T`) or raw Mermaid text (see [`is_mermaid_text`]; no
/// `Content-Type` at all counts as text too).
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
            Some("application/json") => parse_labelled_json(&bytes, true).map(JsonOrText::Json),
            Some(text) if is_mermaid_text(text) => text_body(&bytes),
            None => text_body(&bytes),
            Some(other) => Err(ApiError::UnsupportedMediaType(format!(
                "Send application/json or text/plain (got {other}){}.",
                if looks_like_mermaid(&bytes) {
                    "; the body looks like Mermaid text: send it with Content-Type: text/plain"
                } else {
                    ""
                }
            ))),
        }
    }
}

fn text_body<T>(bytes: &[u8]) -> Result<JsonOrText<T>, ApiError> {
    String::from_utf8(bytes.to_vec())
        .map(JsonOrText::Text)
        .map_err(|_| ApiError::Invalid {
            code: "invalid_utf8",
            message: "The body is not valid UTF-8 text.".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::{is_mermaid_text, looks_like_mermaid};

    #[test]
    fn mermaid_text_is_told_from_json() {
        for text in [
            "flowchart LR\n a --> b",
            "  graph TD;",
            "\u{FEFF}sequenceDiagram\n",
            "---\ntitle: x\n---\nflowchart LR",
            "%%{init: {}}%%\ngraph LR",
            "xychart-beta\n",
            "pie",
        ] {
            assert!(looks_like_mermaid(text.as_bytes()), "{text:?}");
        }
        for json in [
            "{\"source\": \"graph\"}",
            "[1]",
            "graphite",
            "\"flowchart\"",
        ] {
            assert!(!looks_like_mermaid(json.as_bytes()), "{json:?}");
        }
        for media in [
            "text/plain",
            "text/x-mermaid",
            "application/vnd.chipnuts.karaoke-mmd",
        ] {
            assert!(is_mermaid_text(media));
        }
        assert!(!is_mermaid_text("application/xml"));
    }
}
