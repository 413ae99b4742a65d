//! The public, read-only share page: server-rendered, no JavaScript, gone when unshared.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::assets;
use crate::auth::ClientIp;
use crate::diagrams;
use crate::error::AppResult;
use crate::etag::ContentTag;
use crate::state::AppState;

/// `share.html`: the read-only page of a shared diagram.
#[derive(Template, WebTemplate)]
#[template(path = "share.html")]
pub struct SharePage {
    css: String,
    /// The diagram viewer (zoom, pan, full screen), which works without cookies or forms.
    viewer_js: String,
    viewer_css: String,
    /// The public URL's path, for the image's URL.
    root: String,
    share_id: String,
    title: String,
    source: String,
    updated: String,
    /// The diagram's `click` links: the picture is an image, so they are listed under it.
    links: Vec<diagrams::NodeLink>,
}

/// The page is a pure function of the diagram and this build's assets, so it carries a strong
/// ETag; revalidation still reaches the database, so unsharing takes effect at once.
pub async fn page(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(share_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<super::diagrams::DownloadQuery>,
) -> AppResult<Response> {
    // `/s/<id>.svg` and `/s/<id>.png` (`?scale=` 1 to 4): the picture alone, to embed in other
    // sites' pages.
    if let Some((id, ext)) = share_id.rsplit_once('.') {
        return embed(&state, ip, &headers, id, ext, query.scale()).await;
    }
    let d = diagrams::shared(&state, &share_id).await?;
    let root = state.config.public_path().to_owned();
    let page = SharePage {
        css: format!("{root}{}", assets::url("style.css")),
        viewer_js: format!("{root}{}", assets::url("preview.js")),
        viewer_css: format!("{root}{}", assets::url("preview.css")),
        root,
        share_id,
        title: d.title,
        links: diagrams::node_links(&d.source),
        source: d.source,
        updated: super::date(d.updated_at),
    };
    let tag = ContentTag::of(&[
        b"share",
        page.css.as_bytes(),
        page.viewer_js.as_bytes(),
        page.viewer_css.as_bytes(),
        page.share_id.as_bytes(),
        page.title.as_bytes(),
        page.source.as_bytes(),
        page.updated.as_bytes(),
    ]);
    if tag.is_fresh(&headers) {
        return Ok(tag.not_modified());
    }
    let mut response = page.into_response();
    tag.stamp(&mut response);
    Ok(response)
}

/// The shared diagram as an image another site may show (`<img>` or Markdown): SVG with its
/// ETag, or PNG at 2× (or `scale` 1 to 4; 400 otherwise); browsers ask again each time
/// (`no-cache`), so stopping the sharing stops the picture at once. 404 for another
/// extension.
async fn embed(
    state: &AppState,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    share_id: &str,
    ext: &str,
    scale: Option<&str>,
) -> AppResult<Response> {
    let d = diagrams::shared(state, share_id).await?;
    let by = diagrams::Requester::address(ip);
    let mut response = match ext {
        "svg" => super::diagrams::render_image(state, by, headers, &d.source).await,
        "png" => {
            let png = crate::render::ExportFormat::Png;
            super::diagrams::exported(state, by, &d.source, png, scale, None).await?
        }
        _ => return Err(crate::error::AppError::NotFound),
    };
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    Ok(response)
}

/// `GET /s/{share_id}/image.svg`: the shared diagram drawn.
pub async fn image(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(share_id): Path<String>,
) -> AppResult<Response> {
    let d = diagrams::shared(&state, &share_id).await?;
    let by = diagrams::Requester::address(ip);
    Ok(super::diagrams::render_image(&state, by, &headers, &d.source).await)
}

/// `GET /s/{share_id}/download/{ext}`: the shared diagram as a file, for anyone with the link
/// (`?scale=` for PNG).
pub async fn download(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((share_id, ext)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<super::diagrams::DownloadQuery>,
) -> AppResult<Response> {
    let d = diagrams::shared(&state, &share_id).await?;
    super::diagrams::download(
        &state,
        diagrams::Requester::address(ip),
        &d.title,
        &d.source,
        &ext,
        query.scale(),
    )
    .await
}
