//! Hosting under a sub-path: with `--public-url https://host/reef/`, every URL Reef emits
//! (links and forms in pages, assets, redirects, the page script's requests, share links)
//! starts with `/reef`, and requests are answered whether the reverse proxy passes the prefix
//! on (`/reef/d/…`) or strips it (`/d/…`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;
use crate::error;

/// The request's path with the public path taken off, or `None` when it does not start with
/// it (a proxy that strips the prefix). `/reef` alone is the root.
fn strip<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path.strip_prefix(prefix)?;
    match rest {
        "" => Some("/"),
        _ if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// Middleware around the whole router (before routing): takes the public path off the
/// request's path when present, answers with error pages linking under it, and puts the
/// public path in front of a root-relative `Location` (every redirect Reef makes is one).
pub async fn under_public_path(
    State(config): State<Arc<Config>>,
    mut request: Request,
    next: Next,
) -> Response {
    if config.public_path().is_empty() {
        return next.run(request).await;
    }
    let prefix: Arc<str> = Arc::from(config.public_path());
    if let Some(rest) = strip(request.uri().path(), &prefix) {
        let path_and_query = match request.uri().query() {
            Some(query) => format!("{rest}?{query}"),
            None => rest.to_owned(),
        };
        let mut parts = request.uri().clone().into_parts();
        if let Ok(rewritten) = path_and_query.parse() {
            parts.path_and_query = Some(rewritten);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
    }
    let mut response = error::links_under(Arc::clone(&prefix), next.run(request)).await;
    let location = response.headers().get(header::LOCATION);
    if let Some(to) = location.and_then(|l| l.to_str().ok())
        && to.starts_with('/')
        && !to.starts_with("//")
        && let Ok(prefixed) = HeaderValue::from_str(&format!("{prefix}{to}"))
    {
        response.headers_mut().insert(header::LOCATION, prefixed);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::strip;

    #[test]
    fn the_prefix_comes_off_only_at_a_segment_boundary() {
        assert_eq!(strip("/reef", "/reef"), Some("/"));
        assert_eq!(strip("/reef/", "/reef"), Some("/"));
        assert_eq!(strip("/reef/d/abc", "/reef"), Some("/d/abc"));
        assert_eq!(strip("/reefs/d", "/reef"), None);
        assert_eq!(strip("/d/abc", "/reef"), None);
    }
}
