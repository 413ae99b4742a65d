//! The diagram list, the editor, revisions, the trash and the live preview.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Empty, Page, ago, date};
use crate::auth::{CsrfForm, CsrfHeader, Visitor};
use crate::diagrams::{
    self, Cursor, Diagram, DiagramError, DiagramId, EXAMPLE, Preview, Requester,
};
use crate::error::{AppError, AppResult, envelope, refusal_status, render_status};
use crate::etag::ContentTag;
use crate::http::{BaseUrl, export_response};
use crate::limits::RetryAfter;
use crate::render::{ExportFormat, RenderError};
use crate::state::AppState;

const PAGE_SIZE: usize = 24;

/// One diagram on the list page.
pub struct Card {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub updated: String,
    pub shared: bool,
}

/// `index.html`: the visitor's diagrams, 24 a page.
#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct IndexPage {
    page: Page,
    cards: Vec<Card>,
    next: Option<String>,
    first_page: bool,
    deleted: bool,
    /// "30 days": how long after their last change a guest's diagrams are deleted, when
    /// they are.
    purge_after: Option<String>,
    /// "3 of 50 diagrams, 12 KiB of 5.0 MiB", when a limit applies.
    usage: Option<String>,
}

/// The list page's query: `?cursor=` and `?deleted` (after a delete, to say so).
#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    deleted: Option<String>,
}

/// `GET /`: the visitor's diagrams, newest first.
pub async fn index(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> AppResult<IndexPage> {
    let cursor = query.cursor.as_deref().and_then(Cursor::decode);
    let first_page = cursor.is_none();
    let owner = visitor.owner();
    let page = diagrams::list(&state, &owner, cursor, PAGE_SIZE).await?;
    let (used, quota) = diagrams::usage(&state, &owner).await?;
    let now = state.clock.now();
    Ok(IndexPage {
        page: Page::new(&visitor, &state),
        cards: page
            .items
            .into_iter()
            .map(|d| Card {
                updated: ago(now, d.updated_at),
                shared: d.share_id.is_some(),
                id: d.id,
                title: d.title,
                version: d.version,
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
        first_page,
        deleted: query.deleted.is_some(),
        purge_after: state
            .config
            .guest_purge_after
            .filter(|_| visitor.user.is_none())
            .map(|after| match after.as_secs() / 86_400 {
                1 => "1 day".to_owned(),
                days => format!("{days} days"),
            }),
        usage: usage_line(used, quota),
    })
}

/// What the owner keeps against each limit that applies, as a sentence: "Using 3 of 50
/// diagrams · 12 KiB of 5.0 MiB storage.", or a warning when over a limit (diagrams moved in
/// at sign-in can do that); None without limits.
fn usage_line(used: diagrams::Usage, quota: diagrams::Quota) -> Option<String> {
    let mut parts = Vec::new();
    if quota.diagrams > 0 {
        parts.push(format!("{} of {} diagrams", used.diagrams, quota.diagrams));
    }
    if quota.bytes > 0 {
        parts.push(format!(
            "{} of {} storage",
            diagrams::human_bytes(used.bytes),
            diagrams::human_bytes(quota.bytes)
        ));
    }
    if parts.is_empty() {
        return None;
    }
    let too_many = quota.diagrams > 0 && used.diagrams > quota.diagrams;
    let too_big = quota.bytes > 0 && used.bytes > quota.bytes;
    let refused = match (too_many, too_big) {
        (false, false) => return Some(format!("Using {}.", parts.join(" · "))),
        (true, false) => "New diagrams are",
        (false, true) => "Saves that add storage are",
        (true, true) => "New diagrams, and saves that add storage, are",
    };
    Some(format!(
        "Over this server's limit: using {}. {refused} refused until you make room.",
        parts.join(" · ")
    ))
}

/// Counts a guest's write against its address's rate (a stranger making a new guest for
/// every request still writes from one address); accounts are not counted here.
///
/// # Errors
/// [`AppError::TooManyRequests`] over the rate.
fn guest_write(state: &AppState, visitor: &Visitor) -> AppResult<()> {
    if visitor.user.is_some() {
        return Ok(());
    }
    state
        .limits
        .guest_writes
        .check(visitor.requester())
        .map_err(|_| AppError::TooManyRequests)
}

/// `POST /d`: a new diagram from the example, then its editor.
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    guest_write(&state, &visitor)?;
    let created = diagrams::create(&state, &visitor.owner(), None, EXAMPLE).await?;
    Ok(Redirect::to(&format!("/d/{}", created.id)))
}

/// Why the editor's diagram did not draw, and where (line and column) when known.
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

/// `editor.html`: the editor with the diagram, its rendering problem or notices, and the
/// outcome of the last save.
#[derive(Template, WebTemplate)]
#[template(path = "editor.html")]
pub struct EditorPage {
    page: Page,
    id: String,
    /// The title as stored, for the browser tab (the form may hold a refused one).
    saved_title: String,
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

/// The visitor's live diagram; anything else (someone else's, trashed, unknown) is 404.
async fn live_diagram(state: &AppState, visitor: &Visitor, id: &str) -> AppResult<Diagram> {
    let id = DiagramId::parse(id)?;
    Ok(diagrams::get(state, &visitor.owner(), &id).await?)
}

async fn editor_page(
    state: &AppState,
    visitor: &Visitor,
    base: &BaseUrl,
    d: &Diagram,
    notice: Option<String>,
) -> EditorPage {
    let (problem, render_notices) =
        match diagrams::draw(state, visitor.requester(), &d.source).await {
            Ok(rendered) => (None, rendered.notices.to_vec()),
            Err(e) => (Some(RenderProblem::from(&e)), Vec::new()),
        };
    EditorPage {
        page: Page::new(visitor, state),
        id: d.id.clone(),
        saved_title: d.title.clone(),
        title: d.title.clone(),
        source: d.source.clone(),
        version: d.version,
        updated: ago(state.clock.now(), d.updated_at),
        share_url: d.share_id.as_deref().map(|s| base.share_url(s)),
        problem,
        render_notices,
        notice,
        error: None,
    }
}

/// The editor's query: `?saved` after a save.
#[derive(Deserialize)]
pub struct EditorQuery {
    saved: Option<String>,
}

/// `GET /d/{id}`: the editor; 404 unless the diagram is the visitor's and live.
pub async fn editor(
    State(state): State<AppState>,
    visitor: Visitor,
    base: BaseUrl,
    Path(id): Path<String>,
    Query(query): Query<EditorQuery>,
) -> AppResult<EditorPage> {
    let d = live_diagram(&state, &visitor, &id).await?;
    let notice = query.saved.map(|_| "Saved.".to_owned());
    Ok(editor_page(&state, &visitor, &base, &d, notice).await)
}

/// The editor's form; `version` is the version the text was edited from.
#[derive(Deserialize)]
pub struct SaveForm {
    title: String,
    source: String,
    version: Option<i64>,
}

/// `POST /d/{id}`: saves and comes back to the editor (303); 422 with the typed text kept
/// when a rule is broken; 409 with the typed text kept when the diagram changed elsewhere.
pub async fn save(
    State(state): State<AppState>,
    visitor: Visitor,
    base: BaseUrl,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SaveForm>,
) -> AppResult<Response> {
    let id = DiagramId::parse(&id)?;
    guest_write(&state, &visitor)?;
    let (title, source) = (form.title.clone(), form.source.clone());
    let saved = diagrams::update(&state, &visitor.owner(), &id, form.version, move |_| {
        (title, source)
    })
    .await;
    let refused = match saved {
        Ok(d) => return Ok(Redirect::to(&format!("/d/{}?saved=1", d.id)).into_response()),
        Err(e) => e,
    };
    let Some(status) = refusal_status(&refused) else {
        return Err(refused.into());
    };
    match refused {
        DiagramError::Invalid(message) | DiagramError::QuotaExceeded(message) => {
            // Nothing is lost: the page comes back with exactly what was typed.
            let current = diagrams::get(&state, &visitor.owner(), &id).await?;
            let mut page = editor_page(&state, &visitor, &base, &current, None).await;
            page.version = form.version.unwrap_or(current.version);
            page.title = form.title;
            page.source = form.source;
            page.error = Some(message);
            Ok((status, page).into_response())
        }
        DiagramError::Stale(latest) => {
            let mut page = editor_page(&state, &visitor, &base, &latest, None).await;
            page.error = Some(format!(
                "This diagram was changed somewhere else while you edited it (it is now at version {}). Your text is kept below: save again to replace the other change, or open the revisions to compare.",
                latest.version
            ));
            // The text as it will be saved on the next try (trimmed, with \n line ends).
            let (title, source) = diagrams::validate(&form.title, &form.source)?;
            page.title = title.as_str().to_owned();
            page.source = source.as_str().to_owned();
            Ok((status, page).into_response())
        }
        other => Err(other.into()),
    }
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
pub async fn render_image(
    state: &AppState,
    by: Requester,
    headers: &HeaderMap,
    source: &str,
) -> Response {
    let tag = ContentTag::of(&[b"image.svg", source.as_bytes()]);
    if tag.is_fresh(headers) {
        return tag.svg_not_modified();
    }
    let svg = ExportFormat::Svg;
    match diagrams::draw(state, by, source).await {
        Ok(image) => {
            let mut response =
                export_response(StatusCode::OK, svg, image.text.as_bytes().to_vec(), None);
            tag.stamp(&mut response);
            response
        }
        Err(e) => {
            let picture = error_svg(&e.to_string()).into_bytes();
            let mut response =
                export_response(StatusCode::UNPROCESSABLE_ENTITY, svg, picture, None);
            response.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("private, no-cache"),
            );
            response
        }
    }
}

/// A download's query: `?scale=` 1 to 4 for PNG (default 2).
#[derive(Deserialize)]
pub struct DownloadQuery {
    scale: Option<String>,
}

impl DownloadQuery {
    /// The `?scale=` as given.
    pub fn scale(&self) -> Option<&str> {
        self.scale.as_deref()
    }
}

/// A file name for `title`, safe in a `Content-Disposition` header and on every file system:
/// letters, digits, spaces, `-`, `_` and `.` are kept (ASCII only), anything else becomes `-`;
/// "diagram" when nothing is left.
fn file_name(title: &str) -> String {
    let kept: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = kept.trim_matches(|c: char| c == ' ' || c == '-' || c == '.');
    if trimmed.is_empty() {
        "diagram".to_owned()
    } else {
        trimmed.chars().take(80).collect()
    }
}

/// `source` drawn as the file `ext` names (`svg`, `png`, `pdf`, `txt`, `mmd`), offered as a
/// download named after `title`.
///
/// # Errors
/// 404 for another extension or a bad scale; the renderer's refusal as a page (422, or 503
/// when it is busy).
pub async fn download(
    state: &AppState,
    by: diagrams::Requester,
    title: &str,
    source: &str,
    ext: &str,
    scale: Option<&str>,
) -> AppResult<Response> {
    let format = ExportFormat::from_ext(ext).ok_or(AppError::NotFound)?;
    let scale = scale
        .map(str::parse::<u8>)
        .transpose()
        .map_err(|_| AppError::NotFound)?;
    let options =
        crate::render::ExportOptions::new(scale, false).map_err(|_| AppError::NotFound)?;
    match diagrams::export(state, by, source, format, options).await {
        Ok(body) => Ok(export_response(
            StatusCode::OK,
            format,
            body,
            Some((&file_name(title), crate::http::Disposition::Attachment)),
        )),
        Err(DiagramError::Render(e)) => Err(AppError::Refused(render_status(&e), e.to_string())),
        Err(e) => Err(e.into()),
    }
}

/// `GET /d/{id}/download/{ext}`: the visitor's diagram as a file (`?scale=` for PNG).
pub async fn download_own(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, ext)): Path<(String, String)>,
    Query(query): Query<DownloadQuery>,
) -> AppResult<Response> {
    let d = live_diagram(&state, &visitor, &id).await?;
    download(
        &state,
        visitor.requester(),
        &d.title,
        &d.source,
        &ext,
        query.scale(),
    )
    .await
}

/// `GET /d/{id}/image.svg`: the diagram drawn (see [`render_image`]).
pub async fn image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let d = live_diagram(&state, &visitor, &id).await?;
    Ok(render_image(&state, visitor.requester(), &headers, &d.source).await)
}

/// `POST /d/{id}/delete`: to the trash, then the list.
pub async fn delete(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    diagrams::trash(&state, &visitor.owner(), &DiagramId::parse(&id)?, None).await?;
    Ok(Redirect::to("/?deleted=1"))
}

/// `POST /d/{id}/purge`: deleted for good from the trash (its storage is free at once), then
/// the trash.
pub async fn purge(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    diagrams::delete_for_good(&state, &visitor.owner(), &DiagramId::parse(&id)?).await?;
    Ok(Redirect::to("/trash"))
}

/// `POST /d/{id}/restore`: out of the trash, then its editor.
pub async fn restore(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let d = diagrams::restore(&state, &visitor.owner(), &DiagramId::parse(&id)?).await?;
    Ok(Redirect::to(&format!("/d/{}", d.id)))
}

/// The share form: `enabled` is `on`/`true` or `off`/`false`.
#[derive(Deserialize)]
pub struct ShareForm {
    enabled: String,
}

/// `POST /d/{id}/share`: the link on or off, then the editor; 400 for another value.
pub async fn share(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ShareForm>,
) -> AppResult<Redirect> {
    let enabled = match form.enabled.as_str() {
        "on" | "true" => true,
        "off" | "false" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to share: on or off.".into(),
            ));
        }
    };
    let id = DiagramId::parse(&id)?;
    diagrams::set_sharing(&state, &visitor.owner(), &id, enabled).await?;
    Ok(Redirect::to(&format!("/d/{id}")))
}

/// One revision in the list.
pub struct RevisionRow {
    pub version: i64,
    pub title: String,
    pub when: String,
    pub lines: usize,
}

/// `revisions.html`: the kept revisions, one shown when selected.
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

/// The revision shown in full.
pub struct SelectedRevision {
    pub version: i64,
    pub title: String,
    pub source: String,
    pub when: String,
}

async fn revisions_page(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    selected: Option<i64>,
) -> AppResult<RevisionsPage> {
    let id = DiagramId::parse(id)?;
    let (d, revs) = diagrams::revisions(state, &visitor.owner(), &id).await?;
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

/// `GET /d/{id}/revisions`.
pub async fn revisions(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> AppResult<RevisionsPage> {
    revisions_page(&state, &visitor, &id, None).await
}

/// `GET /d/{id}/revisions/{version}`: the list with one revision shown.
pub async fn revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<RevisionsPage> {
    let version = version.parse().map_err(|_| AppError::NotFound)?;
    revisions_page(&state, &visitor, &id, Some(version)).await
}

/// The diagram id and revision number of a revision route.
fn revision_path(id: &str, version: &str) -> AppResult<(DiagramId, i64)> {
    let version: i64 = version.parse().map_err(|_| AppError::NotFound)?;
    Ok((DiagramId::parse(id)?, version))
}

/// `GET /d/{id}/revisions/{version}/image.svg`: an old version drawn.
pub async fn revision_image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((id, version)): Path<(String, String)>,
) -> AppResult<Response> {
    let (id, version) = revision_path(&id, &version)?;
    let rev = diagrams::revision(&state, &visitor.owner(), &id, version).await?;
    Ok(render_image(&state, visitor.requester(), &headers, &rev.source).await)
}

/// Restoring writes the old text as a new version, so the restore itself can be undone.
pub async fn restore_revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
    CsrfForm(Empty {}): CsrfForm<Empty>,
) -> AppResult<Redirect> {
    let (id, version) = revision_path(&id, &version)?;
    let d = diagrams::restore_revision(&state, &visitor.owner(), &id, version).await?;
    Ok(Redirect::to(&format!("/d/{}?saved=1", d.id)))
}

/// One diagram in the trash, with the days before it is purged.
pub struct TrashRow {
    pub id: String,
    pub title: String,
    pub deleted: String,
    pub purge: String,
}

/// `trash.html`.
#[derive(Template, WebTemplate)]
#[template(path = "trash.html")]
pub struct TrashPage {
    page: Page,
    rows: Vec<TrashRow>,
}

/// `GET /trash`: the visitor's trashed diagrams.
pub async fn trash(State(state): State<AppState>, visitor: Visitor) -> AppResult<TrashPage> {
    let items = diagrams::trashed(&state, &visitor.owner()).await?;
    let now = state.clock.now();
    Ok(TrashPage {
        page: Page::new(&visitor, &state),
        rows: items
            .into_iter()
            .map(|d| {
                let deleted_at = d.deleted_at.unwrap_or(now);
                let days_left = diagrams::days_until_purge(deleted_at, now);
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
    /// The diagram whose editor asks (previews of one editor replace each other).
    #[serde(default)]
    diagram: String,
}

/// The editor's live preview: JSON in, JSON out (the API's envelope on failure). Stores
/// nothing, but still requires the CSRF header so other sites cannot spend our render
/// capacity through a visitor's browser.
pub async fn preview(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfHeader(token): CsrfHeader,
    body: Bytes,
) -> Response {
    if visitor.check_csrf(&token).is_err() {
        return envelope(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            Some("Reload the page and try again."),
            &[],
        );
    }
    let Ok(request) = serde_json::from_slice::<PreviewRequest>(&body) else {
        return envelope(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            Some("Send {\"source\": \"…\"}."),
            &[],
        );
    };
    let failed = match diagrams::preview(
        &state,
        &visitor.owner(),
        &request.diagram,
        visitor.requester(),
        &request.source,
    )
    .await
    {
        Preview::Drawn(rendered) => {
            return axum::Json(json!({
                "svg": &*rendered.text,
                "notices": &*rendered.notices,
            }))
            .into_response();
        }
        Preview::Failed(e) => e,
        Preview::Superseded => {
            return envelope(
                StatusCode::CONFLICT,
                "superseded",
                Some("A newer preview of this editor replaced this one."),
                &[],
            );
        }
        Preview::RateLimited(RetryAfter(seconds)) => {
            let mut response = envelope(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Some(
                    "Previews are coming faster than anyone types; the preview resumes in a moment.",
                ),
                &[],
            );
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
            return response;
        }
    };
    let (line, column) = match &failed {
        RenderError::Parse { line, column, .. } => (*line, *column),
        _ => (None, None),
    };
    // The page shows the position beside the sentence, not inside it.
    envelope(
        StatusCode::UNPROCESSABLE_ENTITY,
        failed.code(),
        Some(&failed.detail()),
        &[("line", json!(line)), ("column", json!(column))],
    )
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
