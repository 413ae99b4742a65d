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
use crate::compare::{self, DiffLine};
use crate::diagrams::{
    self, Cursor, Diagram, DiagramError, DiagramId, EXAMPLE, Preview, Requester,
};
use crate::error::{AppError, AppResult, envelope, refusal_status, render_status};
use crate::etag::ContentTag;
use crate::http::{BaseUrl, IfMatch, WantsJson, export_response, version_tag};
use crate::imports;
use crate::limits::RetryAfter;
use crate::render::{ExportFormat, RenderError};
use crate::samples;
use crate::state::AppState;
use crate::styles;

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
    /// What opening a recovery link did.
    recovered: Option<String>,
}

/// The list page's query: `?cursor=` and `?deleted` (after a delete, to say so).
#[derive(Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    deleted: Option<String>,
    /// After a recovery link was opened: how many diagrams came in, or `here`.
    recovered: Option<String>,
    /// After an import: how many diagrams came in.
    imported: Option<u32>,
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
        recovered: query
            .imported
            .map(|n| match n {
                1 => "1 diagram was imported.".to_owned(),
                n => format!("{n} diagrams were imported."),
            })
            .or(query.recovered.map(|n| {
                let into = if visitor.user.is_some() {
                    "your account"
                } else {
                    "this browser"
                };
                match n.as_str() {
                    "here" => {
                        "That recovery link is this browser's own: its diagrams are already here."
                            .to_owned()
                    }
                    "1" => format!("1 diagram was brought into {into}."),
                    n => format!(
                        "{} diagrams were brought into {into}.",
                        n.parse::<usize>().unwrap_or(0)
                    ),
                }
            })),
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

/// A new diagram's form: the title and text typed into an unsaved editor (`/new/{sample}`);
/// without them (an older page's button), the flowchart example.
#[derive(Deserialize)]
pub struct NewForm {
    title: Option<String>,
    source: Option<String>,
    /// The sample the editor started from, to come back to it on a refusal.
    sample: Option<String>,
}

/// `POST /d`: stores a new diagram (the first save of an unsaved editor), then its editor
/// (303). A broken rule or a quota comes back as the unsaved editor with the typed text kept
/// (422, 403).
pub async fn create(
    State(state): State<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<NewForm>,
) -> AppResult<Response> {
    guest_write(&state, &visitor)?;
    let source = form.source.as_deref().unwrap_or(EXAMPLE);
    let created = diagrams::create(&state, &visitor.owner(), form.title.as_deref(), source).await;
    let refused = match created {
        // From an unsaved editor it was a save, and the editor says so.
        Ok(d) if form.source.is_some() => {
            return Ok(Redirect::to(&format!("/d/{}?saved=1", d.id)).into_response());
        }
        Ok(d) => return Ok(Redirect::to(&format!("/d/{}", d.id)).into_response()),
        Err(e) => e,
    };
    let Some(status) = refusal_status(&refused) else {
        return Err(refused.into());
    };
    match refused {
        DiagramError::Invalid(message) | DiagramError::QuotaExceeded(message) => {
            let sample = form
                .sample
                .as_deref()
                .and_then(samples::by_slug)
                .unwrap_or(&samples::SAMPLES[0]);
            let mut page = unsaved_editor(&state, &visitor, sample).await;
            page.title = form.title.unwrap_or_default();
            page.source = source.to_owned();
            page.error = Some(message);
            Ok((status, page).into_response())
        }
        other => Err(other.into()),
    }
}

/// One sample on the "New diagram" page.
pub struct SampleCard {
    pub slug: &'static str,
    pub name: &'static str,
}

/// `new.html`: the samples to start from.
#[derive(Template, WebTemplate)]
#[template(path = "new.html")]
pub struct NewPage {
    page: Page,
    samples: Vec<SampleCard>,
    max_import: usize,
}

/// `GET /new`: "New diagram" offers a sample of every kind; nothing is stored yet.
pub async fn new_page(State(state): State<AppState>, visitor: Visitor) -> NewPage {
    NewPage {
        page: Page::new(&visitor, &state),
        samples: samples::SAMPLES
            .iter()
            .map(|s| SampleCard {
                slug: s.slug,
                name: s.name,
            })
            .collect(),
        max_import: imports::MAX_PIECES,
    }
}

/// The editor for a diagram not stored yet, filled with `sample`.
async fn unsaved_editor(
    state: &AppState,
    visitor: &Visitor,
    sample: &'static samples::Sample,
) -> EditorPage {
    let (problem, render_notices, size) = first_picture(state, visitor, sample.source).await;
    EditorPage {
        page: Page::new(visitor, state),
        id: String::new(),
        sample: sample.slug,
        saved_title: format!("New {}", sample.name.to_lowercase()),
        title: sample.name.to_owned(),
        source: sample.source.to_owned(),
        version: 0,
        updated: String::new(),
        share_url: None,
        problem,
        render_notices,
        size,
        notice: Some("Not saved yet: nothing is stored until you save.".to_owned()),
        error: None,
        conflict: None,
        markdown: diagrams::markdown_block(sample.source),
        share_notice: None,
        embed: None,
        themes: diagrams::THEMES,
        looks: styles::LOOKS,
        chosen_theme: "",
        chosen_look: "",
        picture: None,
    }
}

/// `GET /new/{sample}`: an editor filled with the sample, stored on the first save.
pub async fn new_editor(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
) -> AppResult<EditorPage> {
    let sample = samples::by_slug(&slug).ok_or_else(|| no_such_sample(&slug))?;
    Ok(unsaved_editor(&state, &visitor, sample).await)
}

fn no_such_sample(slug: &str) -> AppError {
    let known: Vec<&str> = samples::SAMPLES.iter().map(|s| s.slug).collect();
    let shown: String = slug.chars().take(40).collect();
    AppError::NoSuch(format!(
        "Reef has no sample called “{shown}”. New diagram lists every kind it draws: {}.",
        known.join(", ")
    ))
}

/// `GET /new/{sample}/image.svg`: the sample drawn (the picker's thumbnails).
pub async fn sample_image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let sample = samples::by_slug(&slug).ok_or_else(|| no_such_sample(&slug))?;
    Ok(render_image(&state, visitor.requester(), &headers, sample.source).await)
}

/// Why the editor's diagram did not draw, and where (line and column) when known.
pub struct RenderProblem {
    pub message: String,
    pub location: Option<String>,
    /// The 1-based line, which the source editor marks.
    pub line: Option<u32>,
}

impl From<&RenderError> for RenderProblem {
    fn from(e: &RenderError) -> Self {
        let line = match e {
            RenderError::Parse { line, .. } => *line,
            _ => None,
        };
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
        Self {
            message,
            location,
            line,
        }
    }
}

/// `editor.html`: the editor with the diagram, its rendering problem or notices, and the
/// outcome of the last save.
#[derive(Template, WebTemplate)]
#[template(path = "editor.html")]
pub struct EditorPage {
    page: Page,
    /// Empty for a diagram not stored yet.
    id: String,
    /// The sample an unsaved editor started from (its URL's `{sample}`); "" once stored.
    sample: &'static str,
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
    /// The drawing's own width and height in CSS pixels (its `viewBox`), for the viewer's
    /// "100%": the SVG itself scales to its box.
    size: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    /// After a refused save: the version saved elsewhere.
    conflict: Option<Conflict>,
    /// The saved text as a fenced block for Markdown.
    markdown: String,
    /// What the last change to the share link did.
    share_notice: Option<&'static str>,
    /// Ready snippets that embed the shared image (`/s/<id>.svg`): Markdown and HTML.
    embed: Option<Embed>,
    /// The style picker's choices: mermaid's themes and looks, and the ones just applied.
    themes: &'static [&'static str],
    looks: &'static [&'static str],
    chosen_theme: &'static str,
    chosen_look: &'static str,
    /// The picture of text that is not stored (a style applied without JavaScript), as a
    /// `data:` URL; None shows the stored diagram (or the sample).
    picture: Option<String>,
}

/// How to show a shared diagram's picture elsewhere, as text to paste.
pub struct Embed {
    /// `![title](https://…/s/<id>.svg)`, with `[`, `]` and `\` in the title escaped.
    pub markdown: String,
    /// `<img src="https://…/s/<id>.svg" alt="title">`, with the title escaped for HTML.
    pub html: String,
}

impl Embed {
    fn new(image_url: &str, title: &str) -> Self {
        let alt_md: String = title
            .chars()
            .flat_map(|c| match c {
                '[' | ']' | '\\' => vec!['\\', c],
                c if c.is_control() => vec![' '],
                c => vec![c],
            })
            .collect();
        Self {
            markdown: format!("![{alt_md}]({image_url})"),
            html: format!(
                "<img src=\"{}\" alt=\"{}\">",
                escape_xml(image_url),
                escape_xml(title)
            ),
        }
    }
}

/// The editor's first picture of `source`: why it does not draw (with the position), or the
/// renderer's notices and the drawing's size.
async fn first_picture(
    state: &AppState,
    visitor: &Visitor,
    source: &str,
) -> (Option<RenderProblem>, Vec<String>, Option<(String, String)>) {
    match diagrams::draw(state, visitor.requester(), source).await {
        Ok(rendered) => (
            None,
            rendered.notices.to_vec(),
            view_box_size(&rendered.text),
        ),
        Err(e) => (Some(RenderProblem::from(&e)), Vec::new(), None),
    }
}

/// The width and height of an SVG's `viewBox` (`"0 0 640 480"` gives 640 and 480), as
/// written.
fn view_box_size(svg: &str) -> Option<(String, String)> {
    let start = svg.find("viewBox=\"")? + "viewBox=\"".len();
    let value = svg[start..].split('"').next()?;
    let numbers: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|n| !n.is_empty())
        .collect();
    match numbers.as_slice() {
        [_, _, w, h] if w.parse::<f64>().is_ok() && h.parse::<f64>().is_ok() => {
            Some(((*w).to_owned(), (*h).to_owned()))
        }
        _ => None,
    }
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
    let (problem, render_notices, size) = first_picture(state, visitor, &d.source).await;
    EditorPage {
        page: Page::new(visitor, state),
        id: d.id.clone(),
        sample: "",
        saved_title: d.title.clone(),
        title: d.title.clone(),
        source: d.source.clone(),
        version: d.version,
        updated: ago(state.clock.now(), d.updated_at),
        share_url: d.share_id.as_deref().map(|s| base.share_url(s)),
        embed: d
            .share_id
            .as_deref()
            .map(|s| Embed::new(&format!("{}.svg", base.share_url(s)), &d.title)),
        themes: diagrams::THEMES,
        looks: styles::LOOKS,
        chosen_theme: "",
        chosen_look: "",
        picture: None,
        share_notice: None,
        problem,
        render_notices,
        size,
        notice,
        error: None,
        conflict: None,
        markdown: diagrams::markdown_block(&d.source),
    }
}

/// The editor's query: `?saved` after a save, `?share=` after a change to the share link.
#[derive(Deserialize)]
pub struct EditorQuery {
    saved: Option<String>,
    share: Option<String>,
    /// After an import that made this one diagram.
    imported: Option<String>,
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
    let notice = match (&query.saved, &query.imported) {
        (_, Some(_)) => Some("Imported: this is a new diagram, already saved.".to_owned()),
        (Some(_), None) => Some("Saved.".to_owned()),
        (None, None) => None,
    };
    let mut page = editor_page(&state, &visitor, &base, &d, notice).await;
    page.share_notice = match query.share.as_deref() {
        Some("same") => Some("Sharing is on again, with the same link as before."),
        Some("on") => Some("Sharing is on: anyone with the link can view the diagram."),
        Some("new") => Some("This is a new link: the old one no longer works."),
        Some("off") => Some(
            "Sharing is off: the link no longer works. Turning it on again brings back the same link.",
        ),
        _ => None,
    };
    Ok(page)
}

/// The editor's form; `version` is the version the text was edited from.
#[derive(Deserialize)]
pub struct SaveForm {
    title: String,
    source: String,
    version: Option<i64>,
}

/// The other side of an edit conflict, as the editor shows it: the version saved elsewhere
/// and how the typed text differs from it.
pub struct Conflict {
    /// The version saved elsewhere (the form now carries it, so saving again keeps the typed
    /// text on top).
    pub version: i64,
    pub title: String,
    pub source: String,
    /// From the saved version to the typed text.
    pub diff: Vec<DiffLine>,
    /// "2 lines differ from yours" and the like.
    pub summary: String,
}

impl Conflict {
    fn new(latest: &Diagram, typed: &str) -> Self {
        let diff = compare::lines(&latest.source, typed);
        let (removed, added) = compare::counts(&diff);
        let summary = match (removed, added) {
            (0, 0) => "The Mermaid text is the same as yours; the titles differ.".to_owned(),
            (r, a) => format!(
                "{} of theirs not in yours, {} of yours not in theirs.",
                plural(r, "line"),
                plural(a, "line")
            ),
        };
        Self {
            version: latest.version,
            title: latest.title.clone(),
            source: latest.source.clone(),
            diff,
            summary,
        }
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The answer to a save that stands: JSON with the `ETag` for the editor's script, else back
/// to the editor saying so.
fn saved_answer(state: &AppState, d: &Diagram, json: bool) -> Response {
    if !json {
        return Redirect::to(&format!("/d/{}?saved=1", d.id)).into_response();
    }
    let mut response = axum::Json(json!({
        "version": d.version,
        "title": d.title,
        "updated": ago(state.clock.now(), d.updated_at),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(axum::http::header::ETAG, version_tag(d.version));
    response
}

/// `POST /d/{id}`: saves. A form post comes back to the editor (303); the editor's script
/// (`Accept: application/json`, the version in `If-Match` or the form) gets
/// `{"version", "title", "updated"}` with the `ETag`, and stays on the page. Refusals keep
/// the typed text: 422 (a rule), 403 (a quota), 409 when the diagram changed elsewhere, with
/// the other version and a line diff (in JSON: `current` `{version, title, source}` and `diff`,
/// see [`DiffLine`]).
pub async fn save(
    State(state): State<AppState>,
    visitor: Visitor,
    base: BaseUrl,
    IfMatch(if_match): IfMatch,
    WantsJson(json): WantsJson,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<SaveForm>,
) -> AppResult<Response> {
    let id = DiagramId::parse(&id)?;
    guest_write(&state, &visitor)?;
    let expected = if_match.or(form.version);
    let (title, source) = (form.title.clone(), form.source.clone());
    let saved = diagrams::update(&state, &visitor.owner(), &id, expected, move |_| {
        (title, source)
    })
    .await;
    let refused = match saved {
        Ok(d) => return Ok(saved_answer(&state, &d, json)),
        Err(e) => e,
    };
    let Some(status) = refusal_status(&refused) else {
        return Err(refused.into());
    };
    match refused {
        DiagramError::Invalid(message) | DiagramError::QuotaExceeded(message) if json => {
            let code = if status == StatusCode::FORBIDDEN {
                "quota_exceeded"
            } else {
                "invalid"
            };
            Ok(envelope(status, code, Some(&message), &[]))
        }
        DiagramError::Invalid(message) | DiagramError::QuotaExceeded(message) => {
            // Nothing is lost: the page comes back with exactly what was typed.
            let current = diagrams::get(&state, &visitor.owner(), &id).await?;
            let mut page = editor_page(&state, &visitor, &base, &current, None).await;
            page.version = expected.unwrap_or(current.version);
            page.title = form.title;
            page.source = form.source;
            page.error = Some(message);
            Ok((status, page).into_response())
        }
        DiagramError::Stale(latest) => {
            // The text as it will be saved on the next try (trimmed, with \n line ends).
            let (title, source) = diagrams::validate(&form.title, &form.source)?;
            if latest.title == title.as_str() && latest.source == source.as_str() {
                // The other save wrote exactly this: nothing to choose between.
                return Ok(saved_answer(&state, &latest, json));
            }
            let conflict = Conflict::new(&latest, source.as_str());
            let message = format!(
                "This diagram was saved somewhere else while you edited it (it is now at version {}). Keep yours (saved on top; theirs stays in the revisions) or take theirs.",
                latest.version
            );
            if json {
                return Ok(envelope(
                    status,
                    "edit_conflict",
                    Some(&message),
                    &[
                        (
                            "current",
                            json!({
                                "version": latest.version,
                                "title": latest.title,
                                "source": latest.source,
                            }),
                        ),
                        ("diff", json!(conflict.diff)),
                        ("summary", json!(conflict.summary)),
                    ],
                ));
            }
            // The status says the typed text is not stored; the preview shows theirs.
            let unsaved =
                Some("Not saved: your text is below; the preview shows theirs".to_owned());
            let mut page = editor_page(&state, &visitor, &base, &latest, unsaved).await;
            page.error = Some(message);
            page.title = title.as_str().to_owned();
            page.source = source.as_str().to_owned();
            page.conflict = Some(conflict);
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

/// `source` drawn as the file `ext` names (`svg`, `png`, `pdf`, `txt`, `mmd`), offered as a
/// download named after `title` (a PNG asked for at a scale says so: `Plan@4x.png`).
///
/// # Errors
/// 404 for another extension; 400 for a scale other than 1 to 4; the renderer's refusal as
/// a page (422, or 503 when it is busy).
pub async fn download(
    state: &AppState,
    by: diagrams::Requester,
    title: &str,
    source: &str,
    ext: &str,
    scale: Option<&str>,
) -> AppResult<Response> {
    let format = ExportFormat::from_ext(ext).ok_or(AppError::NotFound)?;
    exported(state, by, source, format, scale, Some(title)).await
}

/// `source` drawn as `format` at `scale` (`?scale=` as given, PNG only), offered as a
/// download named after `title` when given (a PNG at a scale says so: `Plan@4x.png`), else
/// shown inline. Downloads and the share page's embeds both answer with it.
///
/// # Errors
/// 400 for a scale other than 1 to 4; the renderer's refusal as a page (422, or 503 when it
/// is busy).
pub async fn exported(
    state: &AppState,
    by: diagrams::Requester,
    source: &str,
    format: ExportFormat,
    scale: Option<&str>,
    title: Option<&str>,
) -> AppResult<Response> {
    let bad_scale = || AppError::BadRequest("The scale is a whole number from 1 to 4.".into());
    let scale = scale
        .map(str::parse::<u8>)
        .transpose()
        .map_err(|_| bad_scale())?;
    let options = crate::render::ExportOptions::new(scale, false).map_err(|_| bad_scale())?;
    let name = title.map(|title| match scale {
        Some(n) if format == ExportFormat::Png => format!("{title}@{n}x"),
        _ => title.to_owned(),
    });
    match diagrams::export(state, by, source, format, options).await {
        Ok(body) => Ok(export_response(
            StatusCode::OK,
            format,
            body,
            name.as_deref()
                .map(|n| (n, crate::http::Disposition::Attachment)),
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

/// `GET /export.zip`: every live diagram of the visitor as Mermaid files in one zip
/// (`reef-diagrams-YYYY-MM-DD.zip`; see [`diagrams::archive`]), for guests too.
pub async fn export_all(State(state): State<AppState>, visitor: Visitor) -> AppResult<Response> {
    let body = diagrams::archive(&state, &visitor.owner()).await?;
    let day = date(state.clock.now());
    let name = format!("reef-diagrams-{}", day.get(..10).unwrap_or("export"));
    let disposition = crate::http::content_disposition("attachment", &name, "zip");
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_owned(),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_owned(),
            ),
        ],
        body,
    )
        .into_response())
}

/// The style fields of the editor's form (see [`styles`]): "" keeps what the text says.
#[derive(Deserialize)]
pub struct StyleForm {
    title: String,
    source: String,
    /// The version the page was loaded at (a stored diagram's form), kept for the next save.
    version: Option<i64>,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    look: String,
}

impl StyleForm {
    fn styled(&self) -> Result<String, styles::StyleError> {
        let chosen = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
        let (theme, look) = (chosen(&self.theme), chosen(&self.look));
        styles::with_style(&self.source, theme.as_deref(), look.as_deref())
    }
}

/// `POST /d/{id}/style`: the editor's "Apply style" without JavaScript: the same editor with
/// the typed text restyled (nothing is saved; the form keeps the version it was loaded at, so
/// the next save still detects another tab's change).
pub async fn style_saved(
    State(state): State<AppState>,
    visitor: Visitor,
    base: BaseUrl,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<StyleForm>,
) -> AppResult<Response> {
    let d = live_diagram(&state, &visitor, &id).await?;
    let mut page = editor_page(&state, &visitor, &base, &d, None).await;
    page.version = form.version.unwrap_or(d.version);
    Ok(restyled(&state, &visitor, page, &form).await)
}

/// `POST /new/{sample}/style`: as [`style_saved`], for an editor not stored yet.
pub async fn style_unsaved(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(slug): Path<String>,
    CsrfForm(form): CsrfForm<StyleForm>,
) -> AppResult<Response> {
    let sample = samples::by_slug(&slug).ok_or_else(|| no_such_sample(&slug))?;
    let page = unsaved_editor(&state, &visitor, sample).await;
    Ok(restyled(&state, &visitor, page, &form).await)
}

/// The editor page holding the form's text restyled and drawn, or as typed with why not
/// (422).
async fn restyled(
    state: &AppState,
    visitor: &Visitor,
    mut page: EditorPage,
    form: &StyleForm,
) -> Response {
    use base64::Engine;
    page.title.clone_from(&form.title);
    let known = |list: &'static [&'static str], v: &str| list.iter().find(|x| **x == v).copied();
    page.chosen_theme = known(diagrams::THEMES, &form.theme).unwrap_or("");
    page.chosen_look = known(styles::LOOKS, &form.look).unwrap_or("");
    match form.styled() {
        Ok(text) => {
            // The preview shows the restyled text, which is not stored yet.
            match diagrams::draw(state, visitor.requester(), &text).await {
                Ok(rendered) => {
                    let svg = base64::engine::general_purpose::STANDARD.encode(&*rendered.text);
                    page.picture = Some(format!("data:image/svg+xml;base64,{svg}"));
                    page.size = view_box_size(&rendered.text);
                    page.problem = None;
                }
                Err(e) => page.problem = Some(RenderProblem::from(&e)),
            }
            page.source = text;
            page.notice = Some("Style applied to the text: not saved yet".to_owned());
            page.into_response()
        }
        Err(e) => {
            page.source.clone_from(&form.source);
            page.error = Some(e.to_string());
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}

/// A style change asked for by the editor's script: `{"source", "theme"?, "look"?}` →
/// `{"source"}` restyled; 422 `invalid_style` with the reason; 403 without the CSRF header.
#[derive(Deserialize)]
pub struct StyleRequest {
    source: String,
    #[serde(default)]
    theme: String,
    #[serde(default)]
    look: String,
}

/// The JSON body of a request from the editor's script, after its CSRF header: 403
/// `csrf_failed`, or 400 `invalid_json` saying the expected `shape`.
fn script_request<T: serde::de::DeserializeOwned>(
    visitor: &Visitor,
    token: &str,
    body: &[u8],
    shape: &str,
) -> Result<T, Box<Response>> {
    if visitor.check_csrf(token).is_err() {
        let message = Some("Reload the page and try again.");
        return Err(Box::new(envelope(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            message,
            &[],
        )));
    }
    serde_json::from_slice(body).map_err(|_| {
        Box::new(envelope(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            Some(shape),
            &[],
        ))
    })
}

/// `POST /style` (JSON): see [`StyleRequest`]. Stores nothing.
pub async fn style(visitor: Visitor, CsrfHeader(token): CsrfHeader, body: Bytes) -> Response {
    let shape = "Send {\"source\": \"…\", \"theme\": \"…\", \"look\": \"…\"}.";
    let request = match script_request::<StyleRequest>(&visitor, &token, &body, shape) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let form = StyleForm {
        title: String::new(),
        source: request.source,
        version: None,
        theme: request.theme,
        look: request.look,
    };
    match form.styled() {
        Ok(source) => axum::Json(json!({ "source": source })).into_response(),
        Err(e) => envelope(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_style",
            Some(&e.to_string()),
            &[],
        ),
    }
}

/// `POST /import` (`multipart/form-data`): files (`file`, several allowed: Mermaid, Markdown
/// or zip) and a Mermaid Live Editor link (`link`) become new diagrams of the visitor's
/// ([`imports`]); then the one diagram's editor, or the list saying how many came in. The
/// body is capped like every form (1 MiB). A file or link that holds nothing, or a diagram
/// the rules refuse, answers a page saying which (diagrams made before it stay).
pub async fn import(
    State(state): State<AppState>,
    visitor: Visitor,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> AppResult<Response> {
    // Anything but the page's form (another content type, no boundary) is a clear 400.
    let mut form = form.map_err(|_| {
        AppError::BadRequest(
            "Send the import form from the New diagram page (a multipart/form-data upload).".into(),
        )
    })?;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest("The upload could not be read; try again.".into())
        }
    };
    let (mut csrf, mut files, mut link) = (String::new(), Vec::new(), String::new());
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(unreadable)?,
            Some("link") => link = field.text().await.map_err(unreadable)?,
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(unreadable)?;
                // A file input left empty still sends a part, with no name and no bytes.
                if !(name.is_empty() && bytes.is_empty()) {
                    files.push((name, bytes));
                }
            }
            _ => {}
        }
    }
    visitor.check_csrf(&csrf)?;
    guest_write(&state, &visitor)?;
    let refused = |e: imports::ImportError| {
        AppError::Refused(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    };
    let pieces = imports::pieces(&files, &link).map_err(refused)?;
    match imports::import(&state, &visitor.owner(), pieces).await {
        Ok(created) if created.len() == 1 => {
            Ok(Redirect::to(&format!("/d/{}?imported=1", created[0].id)).into_response())
        }
        Ok(created) => Ok(Redirect::to(&format!("/?imported={}", created.len())).into_response()),
        Err(imports::ImportError::Refused {
            title,
            error,
            created,
        }) => {
            let Some(status) = refusal_status(&error) else {
                return Err(error.into());
            };
            let before = match created {
                0 => String::new(),
                1 => " The diagram before it was imported.".to_owned(),
                n => format!(" The {n} diagrams before it were imported."),
            };
            Err(AppError::Refused(
                status,
                format!("“{title}” was not imported: {error}{before}"),
            ))
        }
        Err(e) => Err(refused(e)),
    }
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

/// The share form: `enabled` is `on`/`true`, `off`/`false`, or `new` for a fresh link.
#[derive(Deserialize)]
pub struct ShareForm {
    enabled: String,
}

/// `POST /d/{id}/share`: the link on (the same one as before, if it had one), off, or renewed
/// (`new`: the old link stops working), then the editor saying which; 400 for another value.
pub async fn share(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<ShareForm>,
) -> AppResult<Redirect> {
    let id = DiagramId::parse(&id)?;
    let owner = visitor.owner();
    let said = match form.enabled.as_str() {
        "on" | "true" => {
            let before = diagrams::get(&state, &owner, &id).await?;
            let now = diagrams::set_sharing(&state, &owner, &id, true).await?;
            if before.share_id.is_none() && now.share_id == before.old_share_id {
                "same"
            } else {
                "on"
            }
        }
        "off" | "false" => {
            diagrams::set_sharing(&state, &owner, &id, false).await?;
            "off"
        }
        "new" => {
            diagrams::renew_share_link(&state, &owner, &id).await?;
            "new"
        }
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to share: on, off or new.".into(),
            ));
        }
    };
    Ok(Redirect::to(&format!("/d/{id}?share={said}#share")))
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

/// The revision shown in full, with a line diff against another version.
pub struct SelectedRevision {
    pub version: i64,
    pub title: String,
    pub source: String,
    pub when: String,
    /// Compared with the current version (`?against=current`) rather than the one before.
    pub against_current: bool,
    /// "Changes from version 3 to version 4", "Changes from version 4 to the current
    /// version (7)".
    pub compared: String,
    pub diff: Vec<DiffLine>,
    /// The current title, when the revision's differs (restoring keeps the current one unless
    /// asked).
    pub current_title: Option<String>,
}

/// A revision page's query: `?against=previous` (the default) or `?against=current`.
#[derive(Deserialize)]
pub struct RevisionQuery {
    against: Option<String>,
}

async fn revisions_page(
    state: &AppState,
    visitor: &Visitor,
    id: &str,
    selected: Option<(i64, bool)>,
) -> AppResult<RevisionsPage> {
    let id = DiagramId::parse(id)?;
    let (d, revs) = diagrams::revisions(state, &visitor.owner(), &id).await?;
    let selected = match selected {
        Some((v, against_current)) => {
            let at = revs
                .iter()
                .position(|r| r.version == v)
                .ok_or(AppError::NotFound)?;
            let r = &revs[at];
            // Newest first: the one before is the next in the list.
            let previous = revs.get(at + 1);
            let (compared, diff) = if against_current {
                (
                    format!(
                        "Changes from version {} to the current version ({})",
                        r.version, d.version
                    ),
                    compare::lines(&r.source, &d.source),
                )
            } else if let Some(p) = previous {
                (
                    format!(
                        "Changes from version {} to version {}",
                        p.version, r.version
                    ),
                    compare::lines(&p.source, &r.source),
                )
            } else {
                (
                    format!("Version {} is the oldest kept: all of it", r.version),
                    compare::lines("", &r.source),
                )
            };
            Some(SelectedRevision {
                version: r.version,
                title: r.title.clone(),
                source: r.source.clone(),
                when: date(r.created_at),
                against_current,
                compared,
                diff,
                current_title: (r.title != d.title).then(|| d.title.clone()),
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

/// `GET /d/{id}/revisions/{version}`: the list with one revision shown and compared with the
/// version before it, or with the current one (`?against=current`).
pub async fn revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
    Query(query): Query<RevisionQuery>,
) -> AppResult<RevisionsPage> {
    let version = version.parse().map_err(|_| AppError::NotFound)?;
    let against_current = query.against.as_deref() == Some("current");
    revisions_page(&state, &visitor, &id, Some((version, against_current))).await
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

/// The restore form: `title=on` brings the revision's title back as well.
#[derive(Deserialize)]
pub struct RestoreForm {
    title: Option<String>,
}

/// `POST /d/{id}/revisions/{version}/restore`: the old text written as a new version (so the
/// restore itself can be undone), keeping the current title unless `title=on`.
pub async fn restore_revision(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((id, version)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> AppResult<Redirect> {
    let (id, version) = revision_path(&id, &version)?;
    let with_title = form.title.as_deref() == Some("on");
    let d = diagrams::restore_revision(&state, &visitor.owner(), &id, version, with_title).await?;
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
    /// The editor page asking (its diagram and a per-page random part): a newer preview of
    /// one editor replaces its older one, while two tabs of one diagram do not cancel each
    /// other's. Older pages sent the diagram id alone, as `diagram`.
    #[serde(default, alias = "diagram")]
    editor: String,
    /// `"dark"` when the page is dark: drawn in mermaid's dark theme unless the text picks
    /// its own.
    #[serde(default)]
    theme: String,
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
    let shape = "Send {\"source\": \"…\"}.";
    let request = match script_request::<PreviewRequest>(&visitor, &token, &body, shape) {
        Ok(request) => request,
        Err(refused) => return *refused,
    };
    let failed = match diagrams::preview(
        &state,
        &visitor.owner(),
        &request.editor,
        visitor.requester(),
        &request.source,
        request.theme == "dark",
    )
    .await
    {
        Preview::Drawn(rendered, dark) => {
            return axum::Json(json!({
                "svg": &*rendered.text,
                "notices": &*rendered.notices,
                "theme": if dark { "dark" } else { "default" },
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

    #[test]
    fn the_view_box_gives_the_drawing_size() {
        use super::view_box_size;
        let size = |w: &str, h: &str| Some((w.to_owned(), h.to_owned()));
        assert_eq!(
            view_box_size(r#"<svg viewBox="0 0 640 480.5">"#),
            size("640", "480.5")
        );
        assert_eq!(
            view_box_size(r#"<svg viewBox="-8,-8,100,50">"#),
            size("100", "50")
        );
        assert_eq!(view_box_size(r#"<svg viewBox="0 0 a b">"#), None);
        assert_eq!(view_box_size("<svg>"), None);
    }
}
