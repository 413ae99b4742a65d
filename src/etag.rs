//! Strong validators for responses that are a pure function of what they show (rendered
//! images, exports, share pages): the same inputs always hash to the same ETag, so a client
//! that already holds the response gets a 304 before any rendering or templating work.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::secret;

/// Revalidate on every use: a changed diagram or a share link turned off shows at once.
const REVALIDATE: &str = "private, no-cache";

/// A strong ETag for one response, made from the inputs it is a pure function of.
pub struct ContentTag(HeaderValue);

impl ContentTag {
    /// The tag of a response built from `parts` by this build of Reef (and so of its
    /// renderer and templates). Each part is length-prefixed so parts cannot run together.
    /// The tag is 32 hex digits in quotes.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut input = concat!("reef-", env!("CARGO_PKG_VERSION"))
            .as_bytes()
            .to_vec();
        for part in parts {
            input.extend_from_slice(&(part.len() as u64).to_be_bytes());
            input.extend_from_slice(part);
        }
        let hash = hex::encode(&secret::sha256(&input)[..16]);
        // 32 hex digits in quotes: always a valid header value.
        Self(
            HeaderValue::from_str(&format!("\"{hash}\""))
                .unwrap_or(HeaderValue::from_static("\"\"")),
        )
    }

    /// Whether `If-None-Match` names this tag (weak comparison, as RFC 9110 asks for GET).
    pub fn is_fresh(&self, request: &HeaderMap) -> bool {
        let ours = self.0.as_bytes();
        request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t).as_bytes() == ours)
    }

    /// A bodiless 304 carrying the tag and the revalidation policy.
    pub fn not_modified(&self) -> Response {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        self.stamp(&mut response);
        response
    }

    /// A 304 for an SVG. A browser merges a 304's headers into the copy it keeps (RFC 9111
    /// §4.3.4), so the answer must carry the SVG's own Content-Security-Policy, or the pages'
    /// policy would replace it and block the image's inline styles on the next load.
    pub fn svg_not_modified(&self) -> Response {
        let mut response = self.not_modified();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::render::SVG_CSP),
        );
        response
    }

    /// Adds the tag and the revalidation policy to a response built from the tagged inputs.
    pub fn stamp(&self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert(header::ETAG, self.0.clone());
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn asking(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn tag_depends_on_every_part_and_on_their_boundaries() {
        let a = ContentTag::of(&[b"svg", b"graph TD"]);
        assert_eq!(a.0, ContentTag::of(&[b"svg", b"graph TD"]).0);
        assert_ne!(a.0, ContentTag::of(&[b"png", b"graph TD"]).0);
        assert_ne!(a.0, ContentTag::of(&[b"svgg", b"raph TD"]).0);
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let tag = ContentTag::of(&[b"x"]);
        let ours = tag.0.to_str().unwrap().to_owned();
        assert!(tag.is_fresh(&asking(&ours)));
        assert!(tag.is_fresh(&asking(&format!("W/{ours}"))));
        assert!(tag.is_fresh(&asking(&format!("\"other\", {ours}"))));
        assert!(tag.is_fresh(&asking("*")));
        assert!(!tag.is_fresh(&asking("\"other\"")));
        assert!(!tag.is_fresh(&HeaderMap::new()));
    }
}
