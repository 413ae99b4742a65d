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
    /// The same links as areas laid over the picture (an SVG image map); empty when none.
    map: crate::render::LinkMap,
    /// The picture has a dark version for a page in dark mode (the diagram does not choose
    /// its own theme).
    dark: bool,
    /// The picture's URL.
    image: String,
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
    let css = format!("{root}{}", assets::url("style.css"));
    let viewer_js = format!("{root}{}", assets::url("preview.js"));
    let viewer_css = format!("{root}{}", assets::url("preview.css"));
    let updated = super::date(d.updated_at);
    // The link map is a function of the text too, so the tag is known before it is drawn.
    let tag = ContentTag::of(&[
        b"share",
        css.as_bytes(),
        viewer_js.as_bytes(),
        viewer_css.as_bytes(),
        share_id.as_bytes(),
        d.title.as_bytes(),
        d.source.as_bytes(),
        updated.as_bytes(),
    ]);
    if tag.is_fresh(&headers) {
        return Ok(tag.not_modified());
    }
    let page = SharePage {
        map: diagrams::link_map(&state, diagrams::Requester::address(ip), &d.source).await,
        dark: diagrams::with_theme(&d.source, "dark").is_some(),
        image: format!("{root}/s/{share_id}/image.svg"),
        links: diagrams::node_links(&d.source),
        css,
        viewer_js,
        viewer_css,
        root,
        share_id,
        title: d.title,
        source: d.source,
        updated,
    };
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

/// `?theme=` of the share page's picture.
#[derive(serde::Deserialize)]
pub struct ImageQuery {
    theme: Option<String>,
}

/// `GET /s/{share_id}/image.svg`: the shared diagram drawn; `?theme=dark` draws it in
/// mermaid's dark theme (for a page in dark mode) unless the diagram chooses its own theme.
pub async fn image(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Path(share_id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ImageQuery>,
) -> AppResult<Response> {
    let d = diagrams::shared(&state, &share_id).await?;
    let by = diagrams::Requester::address(ip);
    let themed = query
        .theme
        .as_deref()
        .and_then(|theme| diagrams::with_theme(&d.source, theme));
    let source = themed.map_or(d.source, |(text, _)| text);
    Ok(super::diagrams::render_image(&state, by, &headers, &source).await)
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
