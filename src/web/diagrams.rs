//! The diagram list, the editor, revisions, the trash and the live preview.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Page, ago, date};
use crate::auth::Visitor;
use crate::auth::secret;
use crate::auth::visitor::CsrfForm;
use crate::db::diagrams::{self as db, Cursor, Diagram, Saved};
use crate::error::{AppError, AppResult};
use crate::etag::ContentTag;
use crate::render::RenderError;
use crate::state::AppState;

const PAGE_SIZE: usize = 24;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;

/// What a new diagram starts from: small, valid, and showing the syntax.
pub const EXAMPLE: &str = "flowchart LR\n    idea([Idea]) --> sketch[Sketch it in Reef]\n    sketch --> review{Looks right?}\n    review -->|yes| share[Share the link]\n    review -->|no| sketch\n";

/// Trims and checks a title and source from a form or the API; the message is user-facing.
pub fn validate(title: &str, source: &str) -> Result<(String, String), String> {
    let title = title.trim();
    if title.is_empty() {
        return Err("Give the diagram a title.".into());
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "Keep the title to {MAX_TITLE_CHARS} characters or fewer."
        ));
    }
    // Browsers submit textareas with CRLF; store the text the way it was typed, without the
    // byte-order mark some editors put first.
    let source = crate::render::strip_bom(source).replace("\r\n", "\n");
    if source.trim().is_empty() {
        return Err("The Mermaid source is empty.".into());
    }
    if source.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "The Mermaid source is {} KiB; the limit is {} KiB.",
            source.len() / 1024,
            MAX_SOURCE_BYTES / 1024
        ));
    }
    Ok((title.to_owned(), source))
}

pub struct Card {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub updated: String,
    pub shared: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct IndexPage {
    page: Page,
    cards: Vec<Card>,
    next: Option<String>,
    first_page: bool,
    deleted: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    deleted: Option<String>,
}

pub async fn index(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> AppResult<IndexPage> {
    let owner = visitor.owner();
    let cursor = query.cursor.as_deref().and_then(Cursor::decode);
    let first_page = cursor.is_none();
    let (items, next) = state
        .db
        .run(move |conn| db::list(conn, &owner, cursor.as_ref(), PAGE_SIZE))
        .await?;
    let now = state.clock.now();
    Ok(IndexPage {
        page: Page::new(&visitor, &state),
        cards: items
            .into_iter()
            .map(|d| Card {
                updated: ago(now, d.updated_at),
                shared: d.share_id.is_some(),
                id: d.id,
                title: d.title,
                version: d.version,
            })
            .collect(),
        next: next.map(|c| c.encode()),
        first_page,
        deleted: query.deleted.is_some(),
    })
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let owner = visitor.owner();
    let id = secret::short_id(12);
    let now = state.clock.now();
    let created = state
        .db
        .run(move |conn| db::create(conn, &owner, &id, "Untitled diagram", EXAMPLE, now))
        .await?;
    Ok(Redirect::to(&format!("/d/{}", created.id)))
}

pub struct RenderProblem {
    pub message: String,
    pub location: Option<String>,
}

impl From<&RenderError> for RenderProblem {
    fn from(e: &RenderError) -> Self {
        let location = match e {
            RenderError::Parse {
                line: Some(line),
                column,
                ..
            } => Some(match column {
                Some(col) => format!("line {line}, column {col}"),
                None => format!("line {line}"),
            }),
            _ => None,
        };
        // The position is shown once, beside the sentence, not inside it as well.
        let message = if location.is_some() {
            e.detail()
        } else {
            e.to_string()
        };
        Self { message, location }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "editor.html")]
pub struct EditorPage {
    page: Page,
    id: String,
    title: String,
    source: String,
    version: i64,
    updated: String,
    share_url: Option<String>,
    problem: Option<RenderProblem>,
    /// What the renderer says about a diagram it drew (e.g. a layout Reef lacks).
    render_notices: Vec<String>,
    notice: Option<String>,
    error: Option<String>,
}

/// Looks up the caller's live diagram; anything else (someone else's, trashed, unknown) is 404.
async fn live_diagram(state: &AppState, visitor: &Visitor, id: String) -> AppResult<Diagram> {
    if id.len() > 32 {
        return Err(AppError::NotFound);
    }
    let owner = visitor.owner();
    state
        .db
        .run(move |conn| db::get(conn, &owner, &id))
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(AppError::NotFound)
}

/// The absolute share URL: the configured public URL, else the request's own host.
pub fn share_url(state: &AppState, headers: &HeaderMap, share_id: &str) -> String {
    let base = match &state.config.public_url {
        Some(url) => url.clone(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
                .unwrap_or("localhost");
            let scheme = if state.config.secure_cookies {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
    };
    format!("{base}/s/{share_id}")
}

async fn editor_page(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    d: &Diagram,
    notice: Option<String>,
) -> EditorPage {
    let (problem, render_notices) = match state.renderer.svg_with_notices(&d.source).await {
        Ok(rendered) => (None, rendered.notices.to_vec()),
        Err(e) => (Some(RenderProblem::from(&e)), Vec::new()),
    };
    EditorPage {
        page: Page::new(visitor, state),
        id: d.id.clone(),
        title: d.title.clone(),
        source: d.source.clone(),
        version: d.version,
        updated: ago(state.clock.now(), d.updated_at),
        share_url: d.share_id.as_deref().map(|s| share_url(state, headers, s)),
        problem,
        render_notices,
        notice,
        error: None,
    }
}

#[derive(Deserialize)]
pub struct EditorQuery {
    saved: Option<String>,
}

pub async fn editor(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> AppResult<EditorPage> {
    let d = live_diagram(&state, &visitor, id).await?;
    let notice = query.saved.map(|_| "Saved.".to_owned());
    Ok(editor_page(&state, &visitor, &headers, &d, notice).await)
}

#[derive(Deserialize)]
pub struct SaveForm {
    title: String,
    source: String,
    version: Option<i64>,
}

pub async fn save(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SaveForm>,
) -> AppResult<Response> {
    let current = live_diagram(&state, &visitor, id.clone()).await?;
    let (title, source) = match validate(&form.title, &form.source) {
        Ok(valid) => valid,
        Err(message) => {
            // Nothing is lost: the page comes back with exactly what was typed.
            let mut page = editor_page(&state, &visitor, &headers, &current, None).await;
            page.title = form.title;
            page.source = form.source;
            page.version = form.version.unwrap_or(current.version);
            page.error = Some(message);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let owner = visitor.owner();
    let now = state.clock.now();
    let (t, s) = (title.clone(), source.clone());
    let saved = state
        .db
        .run(move |conn| db::update(conn, &owner, &id, &t, &s, form.version, now))
        .await?;
    match saved {
        Saved::Ok(d) => Ok(Redirect::to(&format!("/d/{}?saved=1", d.id)).into_response()),
        Saved::NotFound => Err(AppError::NotFound),
        Saved::Stale(latest) => {
            let mut page = editor_page(&state, &visitor, &headers, &latest, None).await;
            page.error = Some(format!(
                "This diagram was changed somewhere else while you edited it (it is now at version {}). Your text is kept below: save again to replace the other change, or open the revisions to compare.",
                latest.version
            ));
            page.title = title;
            page.source = source;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

/// An SVG response that can never run script, even if opened directly.
pub fn svg_response(status: StatusCode, svg: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CONTENT_SECURITY_POLICY, crate::render::SVG_CSP),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        svg,
    )
        .into_response()
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small placeholder image standing in for a diagram that does not render.
/// The picture shown in place of a diagram that cannot be drawn: the reason, wrapped at word
/// boundaries into lines of at most 70 characters (at most 4 lines; longer reasons end with
/// "…").
fn error_svg(message: &str) -> String {
    const WIDTH: usize = 70;
    const MAX_LINES: usize = 4;
    let mut lines: Vec<String> = Vec::new();
    for word in message.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= WIDTH => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.chars().take(WIDTH).collect()),
        }
    }
    if lines.len() > MAX_LINES {
        lines.truncate(MAX_LINES);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    let height = 28 + 18 * lines.len().max(1);
    let text: String = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            format!(
                r##"<text x="16" y="{}" font-family="sans-serif" font-size="13" fill="#a3261a">{}</text>"##,
                28 + 18 * i,
                escape_xml(line)
            )
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="560" height="{height}" viewBox="0 0 560 {height}"><rect width="560" height="{height}" rx="8" fill="#fff4f2" stroke="#f4b8ae"/>{text}</svg>"##
    )
}

/// The rendered image, or 304 when the browser already holds it (thumbnails are asked for on
/// every visit to the list).
pub async fn render_image(state: &AppState, headers: &HeaderMap, source: &str) -> Response {
    let tag = ContentTag::of(&[b"image.svg", source.as_bytes()]);
    if tag.is_fresh(headers) {
        return tag.svg_not_modified();
    }
    match state.renderer.svg(source).await {
        Ok(svg) => {
            let mut response = svg_response(StatusCode::OK, svg.to_string());
            tag.stamp(&mut response);
            response
        }
        Err(e) => svg_response(StatusCode::UNPROCESSABLE_ENTITY, error_svg(&e.to_string())),
    }
}

pub async fn image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = live_diagram(&state, &visitor, id).await?;
    Ok(render_image(&state, &headers, &d.source).await)
}

pub async fn delete(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let owner = visitor.owner();
    let now = state.clock.now();
    let done = state
        .db
        .run(move |conn| db::trash_one(conn, &owner, &id, now))
        .await?;
    if done {
        Ok(Redirect::to("/?deleted=1"))
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn restore(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let owner = visitor.owner();
    let target = format!("/d/{id}");
    let done = state
        .db
        .run(move |conn| db::restore(conn, &owner, &id))
        .await?;
    if done {
        Ok(Redirect::to(&target))
    } else {
        Err(AppError::NotFound)
    }
}

#[derive(Deserialize)]
pub struct ShareForm {
    enabled: String,
}

pub async fn share(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ShareForm>,
) -> AppResult<Redirect> {
    let owner = visitor.owner();
    let new_share = match form.enabled.as_str() {
        "on" | "true" => Some(secret::short_id(16)),
        "off" | "false" => None,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to share: on or off.".into(),
            ));
        }
    };
    let target = format!("/d/{id}");
    state
        .db
        .run(move |conn| db::set_share(conn, &owner, &id, new_share.as_deref()))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&target))
}

pub struct RevisionRow {
    pub version: i64,
    pub title: String,
    pub when: String,
    pub lines: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "revisions.html")]
pub struct RevisionsPage {
    page: Page,
    id: String,
    title: String,
    current: i64,
    rows: Vec<RevisionRow>,
    selected: Option<SelectedRevision>,
}

pub struct SelectedRevision {
    pub version: i64,
    pub title: String,
    pub source: String,
    pub when: String,
}

async fn revisions_page(
    state: &AppState,
    visitor: &Visitor,
    id: String,
    selected: Option<i64>,
) -> AppResult<RevisionsPage> {
    let d = live_diagram(state, visitor, id).await?;
    let diagram_id = d.id.clone();
    let revs = state
        .db
        .run(move |conn| db::revisions(conn, &diagram_id))
        .await?;
    let selected = match selected {
        Some(v) => {
            let r = revs
                .iter()
                .find(|r| r.version == v)
                .ok_or(AppError::NotFound)?;
            Some(SelectedRevision {
                version: r.version,
                title: r.title.clone(),
                source: r.source.clone(),
                when: date(r.created_at),
            })
        }
        None => None,
    };
    Ok(RevisionsPage {
        page: Page::new(visitor, state),
        rows: revs
            .iter()
            .map(|r| RevisionRow {
                version: r.version,
                title: r.title.clone(),
                when: date(r.created_at),
                lines: r.source.lines().count(),
            })
            .collect(),
        id: d.id,
        title: d.title,
        current: d.version,
        selected,
    })
}

pub async fn revisions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> AppResult<RevisionsPage> {
    revisions_page(&state, &visitor, id, None).await
}

pub async fn revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<RevisionsPage> {
    let version = version.parse().map_err(|_| AppError::NotFound)?;
    revisions_page(&state, &visitor, id, Some(version)).await
}

async fn find_revision(
    state: &AppState,
    visitor: &Visitor,
    id: String,
    version: &str,
) -> AppResult<db::Revision> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    let d = live_diagram(state, visitor, id).await?;
    state
        .db
        .run(move |conn| db::revision(conn, &d.id, version))
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn revision_image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<Response> {
    let rev = find_revision(&state, &visitor, id, &version).await?;
    Ok(render_image(&state, &headers, &rev.source).await)
}

/// Restoring writes the old text as a new version, so the restore itself can be undone.
pub async fn restore_revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let rev = find_revision(&state, &visitor, id.clone(), &version).await?;
    let owner = visitor.owner();
    let now = state.clock.now();
    let saved = state
        .db
        .run(move |conn| db::update(conn, &owner, &id, &rev.title, &rev.source, None, now))
        .await?;
    match saved {
        Saved::Ok(d) => Ok(Redirect::to(&format!("/d/{}?saved=1", d.id))),
        _ => Err(AppError::NotFound),
    }
}

pub struct TrashRow {
    pub id: String,
    pub title: String,
    pub deleted: String,
    pub purge: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "trash.html")]
pub struct TrashPage {
    page: Page,
    rows: Vec<TrashRow>,
}

pub async fn trash(State(state): State<AppState>, visitor: Visitor) -> AppResult<TrashPage> {
    let owner = visitor.owner();
    let items = state.db.run(move |conn| db::trash(conn, &owner)).await?;
    let now = state.clock.now();
    Ok(TrashPage {
        page: Page::new(&visitor, &state),
        rows: items
            .into_iter()
            .map(|d| {
                let deleted_at = d.deleted_at.unwrap_or(now);
                // Rounded up: a diagram deleted a moment ago has the full 30 days left.
                let days_left = ((deleted_at + db::TRASH_SECS - now + 86_399) / 86_400).max(0);
                TrashRow {
                    id: d.id,
                    title: d.title,
                    deleted: ago(now, deleted_at),
                    purge: format!("deleted for good in {days_left} days"),
                }
            })
            .collect(),
    })
}

#[derive(Deserialize)]
struct PreviewRequest {
    source: String,
}

/// The editor's live preview: JSON in, JSON out. Stores nothing, but still requires the CSRF
/// header so other sites cannot spend our render capacity through a visitor's browser.
pub async fn preview(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if visitor.check_csrf(token).is_err() {
        return json_error(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "Reload the page and try again.",
        );
    }
    let Ok(request) = serde_json::from_slice::<PreviewRequest>(&body) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "Send {\"source\": \"…\"}.",
        );
    };
    match state.renderer.svg_with_notices(&request.source).await {
        Ok(rendered) => axum::Json(serde_json::json!({
            "svg": &*rendered.text,
            "notices": &*rendered.notices,
        }))
        .into_response(),
        Err(e) => {
            let (line, column) = match &e {
                RenderError::Parse { line, column, .. } => (*line, *column),
                _ => (None, None),
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(serde_json::json!({
                    "error": e.code(),
                    // The page shows the position beside the sentence.
                    "message": e.detail(),
                    "line": line,
                    "column": column,
                })),
            )
                .into_response()
        }
    }
}

pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": code, "message": message })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::error_svg;

    #[test]
    fn the_error_picture_shows_the_whole_reason_on_several_lines() {
        let reason = "The diagram is too large to export as PNG or PDF (svg fallback selector index: 16790256, at most 16777216); the SVG export draws it, or split it into smaller diagrams.";
        let svg = error_svg(reason);
        assert_eq!(svg.matches("<text ").count(), 3, "{svg}");
        for word in reason.split_whitespace() {
            assert!(svg.contains(word), "{word} missing: {svg}");
        }
        let long = "word ".repeat(200);
        let svg = error_svg(&long);
        assert_eq!(svg.matches("<text ").count(), 4);
        assert!(svg.contains('…'));
        assert!(error_svg("a < b & c").contains("a &lt; b &amp; c"));
    }
}
