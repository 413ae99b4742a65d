//! HTTP vocabulary the surfaces share, parsed at the edge: the public base URL (for share
//! links), `If-Match` (RFC 9110 §13.1.1), the diagram path `{id}` / `{id}.{ext}`, and the one
//! responder for images and exports (one Content-Security-Policy for every SVG).

pub mod body;
pub mod forwarded;
pub mod public_path;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::diagrams::DiagramId;
use crate::error::ApiError;
use crate::etag::ContentTag;
use crate::render::{ExportFormat, SVG_CSP};

/// Marks a client-error response whose plain-text body is the answer itself (render URLs
/// answer errors as Kroki does), so the request guard leaves it as it is.
#[derive(Debug, Clone, Copy)]
pub struct PlainTextError;

/// Where this server is reached: the configured public URL, else the request's own `Host`
/// (with `https` when cookies are marked Secure or a trusted proxy says the client used
/// HTTPS), e.g. `https://reef.example.net`, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// The base URL for a request (its parts) under `config`.
    pub fn of(config: &Config, parts: &Parts) -> Self {
        match &config.public_url {
            Some(url) => Self(url.clone()),
            None => Self::from_host(config, parts),
        }
    }

    /// The base URL the request's own `Host` and scheme make, whatever is configured.
    fn from_host(config: &Config, parts: &Parts) -> Self {
        let headers = &parts.headers;
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
            .unwrap_or("localhost");
        let scheme = if forwarded::Forwarded::https(config, parts) {
            "https"
        } else {
            "http"
        };
        Self(format!("{scheme}://{host}"))
    }

    /// The absolute public read-only link of a diagram shared under `share_id`.
    pub fn share_url(&self, share_id: &str) -> String {
        format!("{}/s/{share_id}", self.0)
    }

    /// The URL of a guest's recovery link with this secret.
    pub fn recovery_url(&self, secret: &str) -> String {
        format!("{}/g/{secret}", self.0)
    }
}

/// This server's own origins (RFC 6454 `scheme://host[:port]`) for a request: the one its
/// `Host` and scheme make, and the public URL's when one is configured. Pages are served from
/// these; an unsafe request from any other origin is someone else's.
pub fn own_origins(config: &Config, parts: &Parts) -> Vec<String> {
    let origin = |url: &str| -> String {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let end = url[after_scheme..]
            .find('/')
            .map_or(url.len(), |i| after_scheme + i);
        url[..end].to_owned()
    };
    let mut origins = vec![origin(&BaseUrl::from_host(config, parts).0)];
    if let Some(public) = &config.public_url {
        origins.push(origin(public));
    }
    origins
}

/// Implements an infallible extractor that is a function of the request's parts and the
/// server's [`Config`] (the `Arc<Config>` sub-state).
macro_rules! extract_with_config {
    ($type:ty, $build:expr) => {
        impl<S> axum::extract::FromRequestParts<S> for $type
        where
            S: Send + Sync,
            std::sync::Arc<$crate::config::Config>: axum::extract::FromRef<S>,
        {
            type Rejection = std::convert::Infallible;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                use axum::extract::FromRef;
                let build: fn(&$crate::config::Config, &axum::http::request::Parts) -> $type =
                    $build;
                Ok(build(
                    &std::sync::Arc::<$crate::config::Config>::from_ref(state),
                    parts,
                ))
            }
        }
    };
}
pub(crate) use extract_with_config;

extract_with_config!(BaseUrl, BaseUrl::of);

/// The version an `If-Match` header demands: None when absent or `*`. A tag that is not one
/// of our versions (`"<n>"`, weak or strong) can never match, so it demands an impossible
/// version (-1) and the write gets 412.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IfMatch(pub Option<i64>);

impl IfMatch {
    /// Reads the first entity tag of `If-Match`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::IF_MATCH) else {
            return Self(None);
        };
        let raw = value.to_str().unwrap_or("\"-1\"").trim();
        if raw == "*" {
            return Self(None);
        }
        let tag = raw.split(',').next().unwrap_or("").trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        Self(Some(tag.trim_matches('"').parse().unwrap_or(-1)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// Whether the client asked for JSON: `Accept` names `application/json`. The editor's
/// script saves in the background and asks so; a plain form post (no JavaScript) does not,
/// and gets the page-and-redirect answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WantsJson(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for WantsJson {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let json = parts
            .headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|range| {
                range
                    .split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
            });
        Ok(Self(json))
    }
}

/// The `ETag` of a diagram at `version`: the number in quotes.
pub fn version_tag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `{id}` segment of an API diagram route, which may end in one of [`ExportFormat`]'s
/// extensions (`{id}.svg`): axum paths cannot carry a static suffix after a parameter, so
/// both arrive in one segment. Extracting it never fails on the id's shape (only on a segment
/// that is not UTF-8); the handler asks for the parts once the body and the query have been
/// read, so their errors come first, as they always have.
#[derive(Debug, Clone)]
pub struct DiagramPath(String);

impl DiagramPath {
    /// The id of a route that takes no export suffix (`/diagrams/{id}`, `…/share`).
    ///
    /// # Errors
    /// `404 not_found` for an impossible id (a suffix included).
    pub fn id(&self) -> Result<DiagramId, ApiError> {
        Ok(DiagramId::parse(&self.0)?)
    }

    /// The id of the diagram a `GET` names, with or without an export suffix.
    ///
    /// # Errors
    /// `404 not_found` for an impossible id.
    pub fn exported_id(&self) -> Result<DiagramId, ApiError> {
        let id = self
            .0
            .rsplit_once('.')
            .map_or(self.0.as_str(), |(id, _)| id);
        Ok(DiagramId::parse(id)?)
    }

    /// The export the suffix names; None without a suffix.
    ///
    /// # Errors
    /// `404 not_found` for an unknown extension.
    pub fn export(&self) -> Result<Option<ExportFormat>, ApiError> {
        match self.0.rsplit_once('.') {
            None => Ok(None),
            Some((_, ext)) => ExportFormat::from_ext(ext)
                .map(Some)
                .ok_or(ApiError::NotFound),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DiagramPath {
    /// axum's own rejection for a segment that is not UTF-8 (a 400 the guard puts in the
    /// envelope).
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Only the first segment: `/diagrams/{id}/revisions/{version}` has two.
        let Path(segments) = Path::<Vec<String>>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self(segments.into_iter().next().unwrap_or_default()))
    }
}

/// How an export's file is offered: shown in the browser, or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// The response for an exported or rendered diagram: its media type, a file name
/// (`Content-Disposition`, RFC 6266) when `name` is given, and for SVG the sandboxing
/// [`SVG_CSP`] so it can never run script, even when opened on its own.
pub fn export_response(
    status: StatusCode,
    format: ExportFormat,
    body: Vec<u8>,
    name: Option<(&str, Disposition)>,
) -> Response {
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        )],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Some((name, disposition)) = name {
        let kind = match disposition {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
        };
        if let Ok(value) = HeaderValue::from_str(&content_disposition(kind, name, format.ext())) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    if format == ExportFormat::Svg {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CSP),
        );
    }
    response
}

/// RFC 8187 `attr-char`s, which `filename*` carries as they are; anything else is
/// percent-encoded.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// A `Content-Disposition` value (RFC 6266) offering `name`.`ext`: `filename` with an ASCII
/// stand-in (letters, digits, space, `-`, `_`, `.`, `@`; anything else becomes `-`) for old
/// clients, and, when the name has more than that, `filename*` (RFC 8187, UTF-8) with the name
/// as given but for characters no file system takes (`/ \ : * ? " < > |`, controls), which
/// become `-`. At most 80 characters of the name; "diagram" when nothing is left.
pub fn content_disposition(kind: &str, name: &str, ext: &str) -> String {
    let unicode = crate::diagrams::file_name(name);
    let ascii: String = unicode
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '@') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let ascii = crate::diagrams::file_name(&ascii);
    let mut value = format!("{kind}; filename=\"{ascii}.{ext}\"");
    if ascii != unicode {
        let encoded = percent_encoding::utf8_percent_encode(&unicode, ATTR_CHAR);
        value.push_str(&format!("; filename*=UTF-8''{encoded}.{ext}"));
    }
    value
}

/// Answers a conditional GET for content tagged `tag`: `Some(304)` when the client already
/// holds it (an SVG's 304 carries the SVG's policy, see [`ContentTag::svg_not_modified`]).
pub fn not_modified(
    tag: &ContentTag,
    format: ExportFormat,
    request: &HeaderMap,
) -> Option<Response> {
    if !tag.is_fresh(request) {
        return None;
    }
    Some(if format == ExportFormat::Svg {
        tag.svg_not_modified()
    } else {
        tag.not_modified()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_unicode_in_filename_star_and_an_ascii_stand_in() {
        assert_eq!(
            content_disposition("attachment", "Plan", "svg"),
            "attachment; filename=\"Plan.svg\""
        );
        assert_eq!(
            content_disposition("attachment", "Schéma / v2", "png"),
            "attachment; filename=\"Sch-ma - v2.png\"; filename*=UTF-8''Sch%C3%A9ma%20-%20v2.png"
        );
        assert_eq!(
            content_disposition("inline", "数据流", "pdf"),
            "inline; filename=\"diagram.pdf\"; filename*=UTF-8''%E6%95%B0%E6%8D%AE%E6%B5%81.pdf"
        );
        // Quotes, path separators and line breaks never reach the header as they are.
        let hostile = content_disposition("attachment", "a\"b\\c\r\nd/../e", "mmd");
        assert_eq!(hostile, "attachment; filename=\"a-b-c--d-..-e.mmd\"");
        assert!(HeaderValue::from_str(&hostile).is_ok());
        // A Windows device name is marked once, in both names alike.
        assert_eq!(
            content_disposition("attachment", "nul.txt", "svg"),
            "attachment; filename=\"nul_.txt.svg\""
        );
        assert_eq!(
            content_disposition("attachment", " ... ", "svg"),
            "attachment; filename=\"diagram.svg\""
        );
        let long = "x".repeat(200);
        assert_eq!(
            content_disposition("attachment", &long, "svg"),
            format!("attachment; filename=\"{}.svg\"", "x".repeat(80))
        );
    }

    fn if_match(value: &str) -> IfMatch {
        let value = HeaderValue::from_str(value).unwrap();
        IfMatch::from_headers(&HeaderMap::from_iter([(header::IF_MATCH, value)]))
    }

    #[test]
    fn if_match_reads_our_versions_and_nothing_else() {
        assert_eq!(IfMatch::from_headers(&HeaderMap::new()), IfMatch(None));
        assert_eq!(if_match("*"), IfMatch(None));
        assert_eq!(if_match("\"3\""), IfMatch(Some(3)));
        assert_eq!(if_match("W/\"3\""), IfMatch(Some(3)));
        assert_eq!(if_match("\"3\", \"4\""), IfMatch(Some(3)));
        assert_eq!(if_match("\"abc\""), IfMatch(Some(-1)));
    }

    #[test]
    fn diagram_paths_split_the_export_off() {
        let path = |s: &str| DiagramPath(s.to_owned());
        assert_eq!(path("abc123").id().unwrap().as_str(), "abc123");
        assert_eq!(path("abc123").export().unwrap(), None);
        assert!(path("abc123.svg").id().is_err());
        assert_eq!(path("abc123.svg").exported_id().unwrap().as_str(), "abc123");
        assert_eq!(
            path("abc123.svg").export().unwrap(),
            Some(ExportFormat::Svg)
        );
        assert!(path("abc123.jpg").export().is_err());
        assert!(path("a.b.svg").exported_id().is_err());
        assert!(path(".svg").exported_id().is_err());
    }
}
