//! Diagram use cases: the rules every surface (pages, REST, MCP) shares. Inputs arrive parsed
//! into [`DiagramId`], [`Title`] and [`Source`]; each function runs its whole invariant in one
//! transaction and answers with a [`DiagramError`] the surfaces map to a status.
//!
//! Ownership is part of every lookup: another owner's diagram is [`DiagramError::NotFound`],
//! exactly like one that does not exist (no existence leak).

use crate::db::diagrams::{self as db, Saved};
use crate::db::{DbError, UnixTime};
use crate::limits::RetryAfter;
pub use crate::render::Requester;
use crate::render::{ExportFormat, ExportOptions, LinkMap, RenderError, Rendered};
use crate::secret;
use crate::state::AppState;

pub use crate::config::Quota;
pub use crate::db::diagrams::{
    Cursor, Diagram, Owner, REVISIONS_KEPT, Revision, TRASH_SECS, Usage,
};

/// Titles are 1 to this many characters (after trimming).
pub const MAX_TITLE_CHARS: usize = 200;
/// Sources are at most this many bytes of UTF-8 (after normalising line ends).
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;
/// The title of a diagram created without one.
pub const UNTITLED: &str = "Untitled diagram";
/// What a new diagram starts from: small, valid, and showing the syntax.
pub const EXAMPLE: &str = "flowchart LR\n    idea([Idea]) --> sketch[Sketch it in Reef]\n    sketch --> review{Looks right?}\n    review -->|yes| share[Share the link]\n    review -->|no| sketch\n";

/// Why a diagram use case refused. Messages are sentences for the person.
#[derive(Debug, thiserror::Error)]
pub enum DiagramError {
    /// No such diagram for this owner (absent, trashed, someone else's), or no such revision.
    #[error("There is no such diagram.")]
    NotFound,
    /// A title or source breaks a rule; the message says which and how.
    #[error("{0}")]
    Invalid(String),
    /// A list cursor that no earlier page gave out.
    #[error("cursor must be a next_cursor value from an earlier page.")]
    InvalidCursor,
    /// The diagram is no longer at the version the caller edited; nothing was written. Holds
    /// the diagram as it is now.
    #[error("The diagram changed since that version (it is now at version {}).", .0.version)]
    Stale(Box<Diagram>),
    /// The owner keeps as much as its quota allows; the sentence says what is full and how
    /// to make room. Nothing was written.
    #[error("{0}")]
    QuotaExceeded(String),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Store(#[from] DbError),
}

/// What a diagram use case answers.
pub type DiagramResult<T> = Result<T, DiagramError>;

/// A diagram id as it appears in URLs: 1 to 32 ASCII letters and digits. Anything else cannot
/// name a diagram, so it is [`DiagramError::NotFound`] before any lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagramId(String);

impl DiagramId {
    /// # Errors
    /// [`DiagramError::NotFound`] for anything that is not a possible id.
    pub fn parse(raw: &str) -> DiagramResult<Self> {
        let valid =
            !raw.is_empty() && raw.len() <= 32 && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        valid
            .then(|| Self(raw.to_owned()))
            .ok_or(DiagramError::NotFound)
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn new_random() -> Self {
        Self(secret::short_id(12))
    }
}

impl std::fmt::Display for DiagramId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A title: trimmed, 1 to [`MAX_TITLE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// # Errors
    /// [`DiagramError::Invalid`] when empty or too long.
    pub fn parse(raw: &str) -> DiagramResult<Self> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(DiagramError::Invalid("Give the diagram a title.".into()));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(DiagramError::Invalid(format!(
                "Keep the title to {MAX_TITLE_CHARS} characters or fewer."
            )));
        }
        // A title is one line of text: line breaks, NUL and other control characters only
        // reach it through a crafted request, and would break lists, file names and logs.
        if title.chars().any(char::is_control) {
            return Err(DiagramError::Invalid(
                "A title is one line of text: remove line breaks and control characters.".into(),
            ));
        }
        Ok(Self(title.to_owned()))
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Mermaid text as stored: without a leading byte-order mark, with `\n` line ends, not blank,
/// at most [`MAX_SOURCE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source(String);

impl Source {
    /// # Errors
    /// [`DiagramError::Invalid`] when blank or too large.
    pub fn parse(raw: &str) -> DiagramResult<Self> {
        // Browsers submit textareas with CRLF; store the text the way it was typed, without
        // the byte-order mark some editors put first.
        let source = crate::render::strip_bom(raw).replace("\r\n", "\n");
        if source.trim().is_empty() {
            return Err(DiagramError::Invalid("The Mermaid source is empty.".into()));
        }
        if source.len() > MAX_SOURCE_BYTES {
            return Err(DiagramError::Invalid(format!(
                "The Mermaid source is {} KiB; the limit is {} KiB.",
                // Rounded up, so one byte over never reads as "256 KiB; the limit is 256 KiB".
                source.len().div_ceil(1024),
                MAX_SOURCE_BYTES / 1024
            )));
        }
        Ok(Self(source))
    }

    /// The value as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a title and a source, the title first (its message wins when both are wrong).
///
/// # Errors
/// [`DiagramError::Invalid`] from [`Title::parse`] or [`Source::parse`].
pub fn validate(title: &str, source: &str) -> DiagramResult<(Title, Source)> {
    Ok((Title::parse(title)?, Source::parse(source)?))
}

/// One page of an owner's live diagrams, newest first.
pub struct Page {
    pub items: Vec<Diagram>,
    /// Where the next page starts; None on the last page.
    pub next: Option<Cursor>,
}

/// Page size of the API's list when none is asked for.
pub const DEFAULT_PAGE: usize = 50;
/// The largest page the API's list gives.
pub const MAX_PAGE: usize = 200;

/// The list as the API and MCP ask for it: `limit` 1 to [`MAX_PAGE`] (default
/// [`DEFAULT_PAGE`]), `cursor` the `next_cursor` of an earlier page (empty means the first).
///
/// # Errors
/// [`DiagramError::Invalid`] for a limit out of range; [`DiagramError::InvalidCursor`].
pub async fn list_page(
    state: &AppState,
    owner: &Owner,
    limit: Option<usize>,
    cursor: Option<&str>,
) -> DiagramResult<Page> {
    let limit = match limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(DiagramError::Invalid(limit_rule())),
    };
    let cursor = match cursor {
        None | Some("") => None,
        Some(raw) => Some(Cursor::decode(raw).ok_or(DiagramError::InvalidCursor)?),
    };
    list(state, owner, cursor, limit).await
}

/// The sentence for a page size out of range.
pub fn limit_rule() -> String {
    format!("limit must be a number from 1 to {MAX_PAGE}.")
}

/// Up to `limit` of the owner's live diagrams after `cursor`, newest first.
///
/// # Errors
/// [`DiagramError::Store`] only.
pub async fn list(
    state: &AppState,
    owner: &Owner,
    cursor: Option<Cursor>,
    limit: usize,
) -> DiagramResult<Page> {
    let owner = owner.clone();
    let (items, next) = state
        .db
        .run(move |conn| db::list(conn, &owner, cursor.as_ref(), limit))
        .await?;
    Ok(Page { items, next })
}

/// A file name for a diagram called `title`, kept as written (Unicode included) but for the
/// characters no common file system takes (`/ \ : * ? " < > |` and controls), which become
/// `-`, and invisible direction and zero-width marks (which can make `exe.txt` read as
/// `txt.exe`), which are dropped; without leading or trailing spaces, dashes and dots; at most
/// 80 characters and 120 bytes (file systems count bytes, usually at most 255 with the
/// extension); Windows' reserved device names (`CON`, `NUL`, `COM1`…, also before a dot:
/// `nul.txt`) get a `_` (`nul_.txt`); "diagram"
/// when nothing is left. Downloads and "Export all" name files with it.
pub fn file_name(title: &str) -> String {
    const INVISIBLE: &[char] = &[
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{061C}', '\u{FEFF}',
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
        '\u{2068}', '\u{2069}',
    ];
    let kept: String = title
        .chars()
        .filter(|c| !INVISIBLE.contains(c))
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let edge = |c: char| c.is_whitespace() || c == '-' || c == '.';
    let mut short = String::new();
    for c in kept.trim_matches(edge).chars().take(80) {
        if short.len() + c.len_utf8() > 120 {
            break;
        }
        short.push(c);
    }
    let short = short.trim_end_matches(edge);
    if short.is_empty() {
        return "diagram".to_owned();
    }
    let stem = short
        .split('.')
        .next()
        .unwrap_or(short)
        .trim()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        // Windows reads the part before the first dot, so the mark goes there: `nul_.txt`.
        let first = short.find('.').unwrap_or(short.len());
        let end = short[..first].trim_end().len();
        format!("{}_{}", &short[..end], &short[end..])
    } else {
        short.to_owned()
    }
}

#[cfg(test)]
mod file_name_tests {
    use super::file_name;

    #[test]
    fn file_names_are_safe_on_every_common_file_system() {
        assert_eq!(file_name("Plan / v2: ünï"), "Plan - v2- ünï");
        assert_eq!(file_name("\u{202E}evil\u{202C}txt.exe"), "eviltxt.exe");
        assert_eq!(file_name("CON"), "CON_");
        assert_eq!(file_name("nul.txt"), "nul_.txt");
        assert_eq!(file_name("aux .tar.gz"), "aux_ .tar.gz");
        for title in ["nul.txt", "CON", "Plan / v2", "😀 x", "COM1.b"] {
            let once = file_name(title);
            assert_eq!(
                file_name(&once),
                once,
                "names stay the same when named again"
            );
        }
        assert_eq!(file_name("COM1"), "COM1_");
        assert_eq!(file_name("Console"), "Console");
        let emoji = "😀".repeat(200);
        let name = file_name(&emoji);
        assert!(
            name.len() <= 120 && name.chars().all(|c| c == '😀'),
            "{}",
            name.len()
        );
        assert_eq!(file_name("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_name(" . "), "diagram");
    }
}

/// `source` as a fenced `mermaid` code block for Markdown (GitHub, GitLab, MkDocs and most
/// wikis draw it): the fence is three backticks, or one more than the longest run of
/// backticks in the text, so the block cannot end early.
pub fn markdown_block(source: &str) -> String {
    let longest = source.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    format!(
        "{fence}mermaid\n{}\n{fence}\n",
        source.trim_end_matches('\n')
    )
}

/// A link a diagram's `click` statement puts on a node (`click id "https://…"`,
/// `click id href "https://…"`), for pages that show the diagram as an image, where the
/// node itself cannot be clicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeLink {
    pub node: String,
    /// The node's label where the text gives one (`docs[Read the docs]`), else empty.
    pub label: String,
    pub url: String,
    /// The statement asks for a new window (`_blank` after the address).
    pub new_window: bool,
}

/// The `click` links of a diagram's text, in order, at most 50: only `http`, `https` and
/// `mailto` addresses (a `javascript:` or callback `click` never becomes a link).
pub fn node_links(source: &str) -> Vec<NodeLink> {
    let mut links = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim().strip_prefix("click ") else {
            continue;
        };
        let mut words = rest.trim_start().splitn(2, char::is_whitespace);
        let (Some(node), Some(tail)) = (words.next(), words.next()) else {
            continue;
        };
        let tail = tail.trim_start();
        let tail = tail.strip_prefix("href").map_or(tail, str::trim_start);
        let Some(quoted) = tail.strip_prefix('"') else {
            continue;
        };
        let Some(url) = quoted.split('"').next() else {
            continue;
        };
        let lower = url.to_ascii_lowercase();
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|scheme| lower.starts_with(scheme))
            && !url.chars().any(char::is_whitespace)
        {
            links.push(NodeLink {
                node: node.to_owned(),
                label: node_label(source, node).unwrap_or_default(),
                url: url.to_owned(),
                new_window: quoted[url.len()..]
                    .split_whitespace()
                    .any(|word| word == "_blank"),
            });
        }
        if links.len() == 50 {
            break;
        }
    }
    links
}

/// The label a flowchart gives node `id` where it first writes a shape after it
/// (`id[Label]`, `id(Label)`, `id{Label}`, `id((Label))`, `id>Label]`, `id[/Label/]`…),
/// quotes and slashes trimmed, at most 80 characters; None when it never does.
fn node_label(source: &str, id: &str) -> Option<String> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    for line in source.lines() {
        let mut from = 0;
        while let Some(found) = line.get(from..).and_then(|rest| rest.find(id)) {
            let at = from + found;
            from = at + id.len();
            let before_ok = line[..at].chars().next_back().is_none_or(|c| !is_word(c));
            let after = &line[at + id.len()..];
            if !before_ok || !after.starts_with(['[', '(', '{', '>']) {
                continue;
            }
            let inner = after.trim_start_matches(['[', '(', '{', '>', '/', '\\']);
            let end = inner.find([']', ')', '}']).unwrap_or(inner.len());
            let label = inner[..end]
                .trim_end_matches(['/', '\\'])
                .trim()
                .trim_matches(['"', '`'])
                .trim();
            if !label.is_empty() {
                return Some(label.chars().take(80).collect());
            }
        }
    }
    None
}

/// Every live diagram of the owner as a zip archive of Mermaid files, newest first, each
/// named after its title (see [`file_name`]; a name taken already gets " (2)", " (3)"…, case
/// ignored), dated with its last change, deflated. Built off the async threads.
///
/// # Errors
/// [`DiagramError::Store`] when reading fails or the archive cannot be written.
pub async fn archive(state: &AppState, owner: &Owner) -> DiagramResult<Vec<u8>> {
    let owner = owner.clone();
    let (items, _) = state
        .db
        .run(move |conn| db::list(conn, &owner, None, ARCHIVE_MAX))
        .await?;
    // Writing a zip into memory fails only on a bug; it is reported as an internal error.
    let internal = |e: String| DiagramError::Store(DbError::Task(e));
    tokio::task::spawn_blocking(move || zip_of(&items))
        .await
        .map_err(|e| internal(e.to_string()))?
        .map_err(|e| internal(format!("zip: {e}")))
}

/// The most diagrams one archive holds (far above any quota).
const ARCHIVE_MAX: usize = 100_000;

fn zip_of(items: &[Diagram]) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut taken = std::collections::HashSet::new();
    for d in items {
        let base = file_name(&d.title);
        let mut name = format!("{base}.mmd");
        let mut n = 1;
        while !taken.insert(name.to_lowercase()) {
            n += 1;
            name = format!("{base} ({n}).mmd");
        }
        let mut options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(0o644);
        if let Some(when) = time::OffsetDateTime::from_unix_timestamp(d.updated_at.seconds())
            .ok()
            .and_then(|t| {
                zip::DateTime::try_from(time::PrimitiveDateTime::new(t.date(), t.time())).ok()
            })
        {
            options = options.last_modified_time(when);
        }
        zip.start_file(name, options)?;
        zip.write_all(d.source.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The owner's diagrams in the trash, most recently deleted first (at most 500).
///
/// # Errors
/// [`DiagramError::Store`] only.
pub async fn trashed(state: &AppState, owner: &Owner) -> DiagramResult<Vec<Diagram>> {
    let owner = owner.clone();
    Ok(state.db.run(move |conn| db::trash(conn, &owner)).await?)
}

/// The owner's diagram unless it is absent or in the trash.
fn live(
    conn: &rusqlite::Connection,
    owner: &Owner,
    id: &DiagramId,
) -> Result<Option<Diagram>, DbError> {
    Ok(db::get(conn, owner, id.as_str())?.filter(|d| d.deleted_at.is_none()))
}

/// Runs `f` on the blocking pool with the owner and the id; its `None` is
/// [`DiagramError::NotFound`].
async fn on_diagram<T, F>(state: &AppState, owner: &Owner, id: &DiagramId, f: F) -> DiagramResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut rusqlite::Connection, &Owner, &DiagramId) -> Result<Option<T>, DbError>
        + Send
        + 'static,
{
    let (owner, id) = (owner.clone(), id.clone());
    state
        .db
        .run(move |conn| f(conn, &owner, &id))
        .await?
        .ok_or(DiagramError::NotFound)
}

/// The owner's live diagram.
///
/// # Errors
/// [`DiagramError::NotFound`] when absent, trashed or another owner's.
pub async fn get(state: &AppState, owner: &Owner, id: &DiagramId) -> DiagramResult<Diagram> {
    on_diagram(state, owner, id, |conn, owner, id| live(conn, owner, id)).await
}

/// A shared diagram by its share id, for the public read-only page.
///
/// # Errors
/// [`DiagramError::NotFound`] when no live diagram is shared under that id (sharing turned
/// off, trashed, or never shared).
pub async fn shared(state: &AppState, share_id: &str) -> DiagramResult<Diagram> {
    if share_id.is_empty() || share_id.len() > 32 {
        return Err(DiagramError::NotFound);
    }
    let share_id = share_id.to_owned();
    state
        .db
        .run(move |conn| db::by_share_id(conn, &share_id))
        .await?
        .ok_or(DiagramError::NotFound)
}

/// Stores a new diagram (version 1, with its first revision). A missing title is
/// [`UNTITLED`].
///
/// # Errors
/// [`DiagramError::Invalid`] for a bad title or source; [`DiagramError::QuotaExceeded`] when
/// the owner already keeps as many diagrams as its quota allows, or the new one would take
/// its storage over.
pub async fn create(
    state: &AppState,
    owner: &Owner,
    title: Option<&str>,
    source: &str,
) -> DiagramResult<Diagram> {
    let (title, source) = validate(title.unwrap_or(UNTITLED), source)?;
    let (owner, id, now) = (owner.clone(), DiagramId::new_random(), state.clock.now());
    let room = Allowance::of(state, &owner).await?;
    state
        .db
        .write_or_refuse(move |tx| {
            let before = if room.quota.diagrams > 0 {
                db::usage(tx, &owner)?
            } else {
                storage_before(tx, &owner, &room)?
            };
            if room.quota.diagrams > 0 && before.diagrams >= room.quota.diagrams {
                return Ok(Err(room.too_many(before.diagrams)));
            }
            let created = db::create(
                tx,
                &owner,
                id.as_str(),
                title.as_str(),
                source.as_str(),
                now,
            )?;
            Ok(within_storage(tx, &owner, &room, before)?.map(|()| created))
        })
        .await?
}

/// The quota `owner` keeps under: a guest's or an account's, from the configuration.
pub fn quota_of(state: &AppState, owner: &Owner) -> Quota {
    match owner {
        Owner::User(_) => state.config.user_quota,
        Owner::Guest(_) => state.config.guest_quota,
    }
}

/// What `owner` keeps now, and the quota it keeps under.
///
/// # Errors
/// [`DiagramError::Store`] only.
pub async fn usage(state: &AppState, owner: &Owner) -> DiagramResult<(Usage, Quota)> {
    let quota = quota_of(state, owner);
    let owner = owner.clone();
    let usage = state.db.run(move |conn| db::usage(conn, &owner)).await?;
    Ok((usage, quota))
}

/// Bytes as people read them: `812 KiB`, `4.9 MiB`.
pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    // From 1000 KiB on, MiB reads better ("1.0 MiB", not "1001 KiB").
    if bytes < 1000 * 1024 {
        format!("{} KiB", bytes.div_ceil(1024))
    } else {
        let tenths = (bytes * 10).div_ceil(MIB);
        format!("{}.{} MiB", tenths / 10, tenths % 10)
    }
}

/// What an owner may keep, and how it can make room: its quota, the room all guests share,
/// and whether signing in is a way out.
#[derive(Clone)]
struct Allowance {
    quota: Quota,
    /// Bytes all guests together may keep, for a guest owner; 0 means no such limit.
    all_guests: u64,
    /// What all guests together keep (counted at most 30 s ago, plus the writes since).
    guests_known: u64,
    /// Where that count lives, to add this write's growth to.
    limits: std::sync::Arc<crate::state::Limits>,
    guest: bool,
    /// Accounts exist on this server, so a guest can sign in to keep more.
    can_sign_in: bool,
}

impl Allowance {
    /// The allowance of `owner`. For a guest under a shared cap, the guests' total comes from
    /// a count at most 30 s old, made outside any write (summing every guest's storage takes
    /// a while, and must not hold the write lock).
    async fn of(state: &AppState, owner: &Owner) -> Result<Self, DbError> {
        let guest = matches!(owner, Owner::Guest(_));
        let all_guests = if guest {
            state.config.guests_total_bytes
        } else {
            0
        };
        let guests_known = if all_guests > 0 {
            guests_total(state).await?
        } else {
            0
        };
        Ok(Self {
            quota: quota_of(state, owner),
            all_guests,
            guests_known,
            limits: std::sync::Arc::clone(&state.limits),
            guest,
            can_sign_in: state.config.accounts,
        })
    }

    fn limits_storage(&self) -> bool {
        self.quota.bytes > 0 || self.all_guests > 0
    }

    /// The way out after the sentence saying what is full.
    fn way_out(&self, first: &str) -> String {
        if self.guest && self.can_sign_in {
            format!("{first}, or sign in to keep more.")
        } else if self.guest {
            format!("{first}.")
        } else {
            format!("{first}, or ask whoever runs this server to raise the limit.")
        }
    }

    fn too_many(&self, diagrams: u64) -> DiagramError {
        let who = if self.guest { "a guest" } else { "an account" };
        let most = self.quota.diagrams;
        DiagramError::QuotaExceeded(format!(
            "You have {diagrams} diagram{s}; {who} may keep {most} here. {room}",
            s = if diagrams == 1 { "" } else { "s" },
            room = self.way_out("Move diagrams you no longer need to the trash to make room")
        ))
    }

    /// The refusal of a guest write that would grow storage all guests have used up.
    fn guests_room_full(&self) -> DiagramError {
        DiagramError::QuotaExceeded(format!(
            "Guests together have used all the storage this server gives them ({limit}). {}",
            if self.can_sign_in {
                "Sign in to keep working, or delete diagrams for good from the trash."
            } else {
                "Delete diagrams for good from the trash."
            },
            limit = human_bytes(self.all_guests),
        ))
    }
}

/// Whether a write kept the owner within its storage quota, and guests within the room they
/// share: refused when it grew the storage (from `before`) past a limit. A write that does
/// not grow it is always let through, so an owner over quota can still tidy up.
fn within_storage(
    conn: &rusqlite::Connection,
    owner: &Owner,
    room: &Allowance,
    before: Usage,
) -> Result<DiagramResult<()>, DbError> {
    if !room.limits_storage() {
        return Ok(Ok(()));
    }
    let after = db::usage(conn, owner)?;
    if after.bytes <= before.bytes {
        return Ok(Ok(()));
    }
    let way_out = room.way_out("Delete diagrams for good from the trash (the Trash page)");
    if room.quota.bytes > 0 && after.bytes > room.quota.bytes {
        return Ok(Err(DiagramError::QuotaExceeded(format!(
            "This would use {used} of storage, over the {limit} allowed here (diagrams, their revisions and the trash count). {way_out}",
            used = human_bytes(after.bytes),
            limit = human_bytes(room.quota.bytes),
        ))));
    }
    if room.all_guests > 0 {
        let growth = after.bytes - before.bytes;
        if room.guests_known.saturating_add(growth) > room.all_guests {
            return Ok(Err(room.guests_room_full()));
        }
        // Counted now; a write rolled back later overcounts until the next count.
        room.limits.guest_room.add(growth);
    }
    Ok(Ok(()))
}

/// Bytes all guests keep, counted at most 30 s ago (the count reads every guest's rows, so
/// it is made outside writes and kept for a while).
async fn guests_total(state: &AppState) -> Result<u64, DbError> {
    let room = &state.limits.guest_room;
    if let Some(known) = room.fresh(std::time::Duration::from_secs(30)) {
        return Ok(known);
    }
    let total = state.db.run(|conn| db::guests_usage(conn)).await?;
    room.set(total);
    Ok(total)
}

/// Writes a new title and source computed from the current diagram by `change`, in one
/// transaction: read, validate, compare versions, write (with a revision). `expected` is the
/// version the caller edited (`If-Match`, the editor's hidden field, MCP's
/// `expected_version`); without it the write applies to whatever is current. Writing the same
/// text again changes nothing and keeps the version.
///
/// # Errors
/// [`DiagramError::NotFound`]; [`DiagramError::Invalid`] when the new title or source breaks a
/// rule (checked before the version, since a retry would not help); [`DiagramError::Stale`]
/// when the diagram is no longer at `expected`.
pub async fn update<F>(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    expected: Option<i64>,
    change: F,
) -> DiagramResult<Diagram>
where
    F: FnOnce(&Diagram) -> (String, String) + Send + 'static,
{
    let (owner, id, now) = (owner.clone(), id.clone(), state.clock.now());
    let room = Allowance::of(state, &owner).await?;
    state
        .db
        .write_or_refuse(move |tx| {
            let Some(current) = live(tx, &owner, &id)? else {
                return Ok(Err(DiagramError::NotFound));
            };
            let (title, source) = change(&current);
            let (title, source) = match validate(&title, &source) {
                Ok(valid) => valid,
                Err(e) => return Ok(Err(e)),
            };
            if expected.is_some_and(|v| v != current.version) {
                return Ok(Err(DiagramError::Stale(Box::new(current))));
            }
            let before = storage_before(tx, &owner, &room)?;
            let saved = db::save(tx, current, title.as_str(), source.as_str(), now)?;
            Ok(within_storage(tx, &owner, &room, before)?.map(|()| saved))
        })
        .await?
}

/// The owner's usage before a write that may grow it; not looked up when storage is
/// unlimited.
fn storage_before(
    conn: &rusqlite::Connection,
    owner: &Owner,
    room: &Allowance,
) -> Result<Usage, DbError> {
    if !room.limits_storage() {
        return Ok(Usage::default());
    }
    db::usage(conn, owner)
}

/// Moves the owner's diagram to the trash (its share link goes off), if it is still at
/// `expected` when given. It can be restored for [`TRASH_SECS`], then it is purged.
///
/// # Errors
/// [`DiagramError::NotFound`]; [`DiagramError::Stale`] when not at `expected`.
pub async fn trash(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    expected: Option<i64>,
) -> DiagramResult<()> {
    let (owner, id, now) = (owner.clone(), id.clone(), state.clock.now());
    let result = state
        .db
        .run(move |conn| db::trash_checked(conn, &owner, id.as_str(), expected, now))
        .await?;
    match result {
        Saved::Ok(_) => Ok(()),
        Saved::NotFound => Err(DiagramError::NotFound),
        Saved::Stale(d) => Err(DiagramError::Stale(Box::new(d))),
    }
}

/// Brings the owner's diagram back from the trash.
///
/// # Errors
/// [`DiagramError::NotFound`] when it is not in the owner's trash;
/// [`DiagramError::QuotaExceeded`] when the owner already keeps as many live diagrams as its
/// quota allows.
pub async fn restore(state: &AppState, owner: &Owner, id: &DiagramId) -> DiagramResult<Diagram> {
    let (owner, id) = (owner.clone(), id.clone());
    let room = Allowance::of(state, &owner).await?;
    state
        .db
        .write_or_refuse(move |tx| {
            if room.quota.diagrams > 0
                && db::get(tx, &owner, id.as_str())?.is_some_and(|d| d.deleted_at.is_some())
            {
                let live = db::usage(tx, &owner)?.diagrams;
                if live >= room.quota.diagrams {
                    return Ok(Err(room.too_many(live)));
                }
            }
            if !db::restore(tx, &owner, id.as_str())? {
                return Ok(Err(DiagramError::NotFound));
            }
            Ok(db::get(tx, &owner, id.as_str())?.ok_or(DiagramError::NotFound))
        })
        .await?
}

/// Deletes a diagram in the owner's trash for good, with its revisions (its storage is free
/// at once, rather than after [`TRASH_SECS`]).
///
/// # Errors
/// [`DiagramError::NotFound`] when it is not in the owner's trash.
pub async fn delete_for_good(state: &AppState, owner: &Owner, id: &DiagramId) -> DiagramResult<()> {
    let (owner, id) = (owner.clone(), id.clone());
    let gone = state
        .db
        .run(move |conn| db::purge(conn, &owner, id.as_str()))
        .await?;
    if gone {
        Ok(())
    } else {
        Err(DiagramError::NotFound)
    }
}

/// Turns the public read-only link on or off. On keeps the link the diagram has, or the one
/// it had before sharing was last turned off (so a link given out works again), else makes
/// one; off makes the link answer 404 at once. Returns the diagram as it now is; its
/// `share_id` is the link's id.
///
/// # Errors
/// [`DiagramError::NotFound`].
pub async fn set_sharing(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    enabled: bool,
) -> DiagramResult<Diagram> {
    let new_share = secret::short_id(16);
    on_diagram(state, owner, id, move |conn, owner, id| {
        let sharing = if enabled {
            db::Sharing::On(&new_share)
        } else {
            db::Sharing::Off
        };
        db::set_share(conn, owner, id.as_str(), sharing)
    })
    .await
}

/// Shares the diagram under a new link: the old one answers 404 at once (for a link that
/// went further than meant).
///
/// # Errors
/// [`DiagramError::NotFound`].
pub async fn renew_share_link(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
) -> DiagramResult<Diagram> {
    let new_share = secret::short_id(16);
    on_diagram(state, owner, id, move |conn, owner, id| {
        db::set_share(conn, owner, id.as_str(), db::Sharing::Renew(&new_share))
    })
    .await
}

/// The owner's live diagram and its kept revisions (at most [`REVISIONS_KEPT`]), newest
/// first.
///
/// # Errors
/// [`DiagramError::NotFound`].
pub async fn revisions(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
) -> DiagramResult<(Diagram, Vec<Revision>)> {
    on_diagram(state, owner, id, |conn, owner, id| {
        live(conn, owner, id)?
            .map(|d| Ok((db::revisions(conn, &d.id)?, d)))
            .transpose()
    })
    .await
    .map(|(revisions, d)| (d, revisions))
}

/// One kept revision of the owner's live diagram.
///
/// # Errors
/// [`DiagramError::NotFound`] for the diagram or the version.
pub async fn revision(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    version: i64,
) -> DiagramResult<Revision> {
    on_diagram(state, owner, id, move |conn, owner, id| {
        match live(conn, owner, id)? {
            Some(d) => db::revision(conn, &d.id, version),
            None => Ok(None),
        }
    })
    .await
}

/// Writes an old revision's source as a new version, in one transaction, so the restore
/// itself can be undone. The current title stays unless `with_title` asks for the
/// revision's as well (a title is renamed on purpose more often than it is edited by
/// mistake).
///
/// # Errors
/// [`DiagramError::NotFound`] for the diagram or the version;
/// [`DiagramError::QuotaExceeded`] when the new version would not fit.
pub async fn restore_revision(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    version: i64,
    with_title: bool,
) -> DiagramResult<Diagram> {
    let (owner, id, now) = (owner.clone(), id.clone(), state.clock.now());
    let room = Allowance::of(state, &owner).await?;
    state
        .db
        .write_or_refuse(move |tx| {
            let (Some(current), Some(old)) = (
                live(tx, &owner, &id)?,
                db::revision(tx, id.as_str(), version)?,
            ) else {
                return Ok(Err(DiagramError::NotFound));
            };
            let before = storage_before(tx, &owner, &room)?;
            let title = if with_title {
                old.title
            } else {
                current.title.clone()
            };
            let saved = db::save(tx, current, &title, &old.source, now)?;
            Ok(within_storage(tx, &owner, &room, before)?.map(|()| saved))
        })
        .await?
}

/// Draws Mermaid text as SVG with the renderer's notices (the editor page and thumbnails),
/// queued as `by`'s.
///
/// # Errors
/// [`RenderError`] from the renderer.
pub async fn draw(state: &AppState, by: Requester, source: &str) -> Result<Rendered, RenderError> {
    state
        .renderer
        .on_behalf_of(by)
        .svg_with_notices(source)
        .await
}

/// Where the `click` links of `source` are drawn, for a page that lays clickable areas over
/// the picture; an empty map when the text has no web `click` link (no render then) or when
/// the diagram does not draw (the page shows that error with the picture).
pub async fn link_map(state: &AppState, by: Requester, source: &str) -> LinkMap {
    let links = node_links(source);
    let web = |l: &NodeLink| !l.url.to_ascii_lowercase().starts_with("mailto:");
    if !links.iter().any(web) {
        return LinkMap::default();
    }
    let map = state.renderer.on_behalf_of(by).link_map(source).await;
    let mut map = map.unwrap_or_default();
    // The renderer does not write `target`; the text says which links open a new window.
    for area in &mut map.areas {
        // The renderer writes a bare host with its `/` (`https://example.com/`).
        let same = |l: &NodeLink| l.url.trim_end_matches('/') == area.href.trim_end_matches('/');
        if links.iter().any(|l| l.new_window && same(l)) {
            "_blank".clone_into(&mut area.target);
        }
    }
    map
}

/// The themes mermaid.js ships.
pub const THEMES: &[&str] = &["default", "base", "dark", "forest", "neutral"];

/// `source` drawn in `theme` (one of [`THEMES`]): an `init` directive added on its own line,
/// after the front matter when there is one, unless the text already chooses a theme (a
/// `theme` in its front matter or a directive), in which case its choice stands and None is
/// returned; None also for `default` or an unknown theme. Returns the text and the 1-based
/// line the directive went in (every line from there on moved down by one).
pub fn with_theme(source: &str, theme: &str) -> Option<(String, u32)> {
    if theme == "default" || !THEMES.contains(&theme) {
        return None;
    }
    let directive = format!("%%{{init: {{\"theme\": \"{theme}\"}}}}%%\n");
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    // Front matter: a first line of `---` up to the next `---`.
    let front = (lines.first().map(|l| l.trim()) == Some("---"))
        .then(|| lines.iter().skip(1).position(|l| l.trim() == "---"))
        .flatten()
        .map_or(0, |end| end + 2);
    let configured = |l: &&str| {
        let l = l.trim_start();
        l.contains("theme") && (l.starts_with("%%{") || front > 0)
    };
    if lines[..front].iter().any(configured)
        || lines
            .iter()
            .any(|l| l.trim_start().starts_with("%%{") && l.contains("theme"))
    {
        return None;
    }
    let mut text = String::with_capacity(source.len() + directive.len());
    text.extend(lines[..front].iter().copied());
    text.push_str(&directive);
    text.extend(lines[front..].iter().copied());
    Some((text, u32::try_from(front).unwrap_or(0) + 1))
}

/// What became of a live preview.
#[derive(Debug)]
pub enum Preview {
    /// The SVG with its notices, and whether it was drawn in the dark theme asked for (the
    /// text may set its own).
    Drawn(Rendered, bool),
    /// Why the text does not draw.
    Failed(RenderError),
    /// A newer preview of the same editor began first; this one was dropped, and its worker
    /// with it if it was drawing.
    Superseded,
    /// The requester asks for previews faster than a person types (over 30 at once, then two
    /// a second).
    RateLimited(RetryAfter),
}

/// The editor's live preview of `source` in `owner`'s editor of diagram `editor` (any text
/// naming the editor; the page sends its diagram's id), queued as `by`'s. Only the newest
/// preview of one editor runs: a newer one supersedes any still waiting or drawing, while
/// the same owner's other editors (other tabs, other devices) go on.
pub async fn preview(
    state: &AppState,
    owner: &Owner,
    editor: &str,
    by: Requester,
    source: &str,
    dark: bool,
) -> Preview {
    let previews = &state.limits.previews;
    if let Err(wait) = previews.check(by) {
        return Preview::RateLimited(wait);
    }
    let owner_key = match owner {
        Owner::User(id) => [b"u".as_slice(), &id.to_be_bytes()].concat(),
        Owner::Guest(hash) => [b"g".as_slice(), hash].concat(),
    };
    let editor = editor.bytes().take(64);
    let ticket = previews.begin(owner_key.into_iter().chain([0]).chain(editor).collect());
    let themed = dark.then(|| with_theme(source, "dark")).flatten();
    let added_at = themed.as_ref().map(|(_, line)| *line);
    let text = themed.as_ref().map_or(source, |(text, _)| text.as_str());
    tokio::select! {
        drawn = draw(state, by, text) => match drawn {
            Ok(rendered) => Preview::Drawn(rendered, added_at.is_some()),
            // The added directive moved the lines after it down by one.
            Err(RenderError::Parse { message, line, column }) => Preview::Failed(RenderError::Parse {
                message,
                line: line.map(|l| match added_at {
                    Some(at) if l > at => l - 1,
                    _ => l,
                }),
                column,
            }),
            Err(e) => Preview::Failed(e),
        },
        () = ticket.superseded() => Preview::Superseded,
    }
}

/// Draws Mermaid text as `format` (a stored diagram's source, or text sent to be rendered
/// without storing it), queued as `by`'s.
///
/// # Errors
/// [`DiagramError::Invalid`] for blank text; [`DiagramError::Render`] from the renderer.
pub async fn export(
    state: &AppState,
    by: Requester,
    source: &str,
    format: ExportFormat,
    options: ExportOptions,
) -> DiagramResult<Vec<u8>> {
    if source.trim().is_empty() {
        return Err(DiagramError::Invalid("The Mermaid source is empty.".into()));
    }
    Ok(state
        .renderer
        .on_behalf_of(by)
        .export(format, source, options.for_format(format))
        .await?)
}

/// Days left before a diagram trashed at `deleted_at` is purged, rounded up (a diagram
/// deleted a moment ago has the full 30 days left).
pub fn days_until_purge(deleted_at: UnixTime, now: UnixTime) -> i64 {
    ((deleted_at + TRASH_SECS - now + 86_399) / 86_400).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_ascii_alphanumerics() {
        assert!(DiagramId::parse("k3J9xQ2mZp7A").is_ok());
        for bad in ["", "a.b", "a/b", "ä", &"a".repeat(33)] {
            assert!(
                matches!(DiagramId::parse(bad), Err(DiagramError::NotFound)),
                "{bad}"
            );
        }
    }

    #[test]
    fn sources_are_normalised_and_bounded() {
        let s = Source::parse("\u{FEFF}graph TD\r\n  a-->b\r\n").map(|s| s.0);
        assert_eq!(s.ok().as_deref(), Some("graph TD\n  a-->b\n"));
        assert!(matches!(
            Source::parse(" \r\n "),
            Err(DiagramError::Invalid(_))
        ));
        let big = "a".repeat(MAX_SOURCE_BYTES + 1);
        assert!(
            matches!(Source::parse(&big), Err(DiagramError::Invalid(m)) if m.contains("256 KiB"))
        );
    }

    #[test]
    fn the_title_is_checked_first() {
        let e = validate(" ", "").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("Give the diagram a title."));
        assert!(Title::parse(&"t".repeat(MAX_TITLE_CHARS)).is_ok());
        assert!(Title::parse(&"t".repeat(MAX_TITLE_CHARS + 1)).is_err());
    }
}

#[cfg(test)]
mod link_tests {
    use super::node_links;

    #[test]
    fn click_links_are_read_and_only_web_and_mail_addresses_kept() {
        let source = "flowchart LR\n  A --> B\n  click A \"https://example.net/a\" \"Tip\"\n  click B href \"mailto:x@example.net\" _blank\n  click C \"javascript:alert(1)\"\n  click D callback\n  click E href \"ftp://x\"\n";
        let links = node_links(source);
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(
            (links[0].node.as_str(), links[0].url.as_str()),
            ("A", "https://example.net/a")
        );
        assert_eq!(links[1].url, "mailto:x@example.net");
        assert_eq!(links[0].label, "", "A has no label");
        assert!(!links[0].new_window && links[1].new_window);
    }

    #[test]
    fn a_link_names_its_node_by_label() {
        let source = "flowchart LR\n  xdocs[Other] --> docs[\"Read the docs\"]\n  docs --> api((API)) & db[(Store)] & q{{Ask}} & s[/Sloped/]\n  click docs \"https://e.x/d\"\n  click api \"https://e.x/a\"\n  click db \"https://e.x/b\"\n  click q \"https://e.x/q\"\n  click s \"https://e.x/s\"\n  click nolabel \"https://e.x/n\"\n";
        let labels: Vec<String> = node_links(source).into_iter().map(|l| l.label).collect();
        assert_eq!(
            labels,
            ["Read the docs", "API", "Store", "Ask", "Sloped", ""]
        );
    }
}

#[cfg(test)]
mod theme_tests {
    use super::with_theme;

    #[test]
    fn the_theme_goes_after_front_matter_unless_the_text_picks_one() {
        assert_eq!(
            with_theme("flowchart LR\n  a\n", "dark"),
            Some((
                "%%{init: {\"theme\": \"dark\"}}%%\nflowchart LR\n  a\n".to_owned(),
                1
            ))
        );
        let front = "---\ntitle: Hello\n---\nflowchart LR\n  a\n";
        assert_eq!(
            with_theme(front, "dark"),
            Some((
                "---\ntitle: Hello\n---\n%%{init: {\"theme\": \"dark\"}}%%\nflowchart LR\n  a\n"
                    .to_owned(),
                4
            ))
        );
        assert_eq!(
            with_theme("---\nconfig:\n  theme: forest\n---\nflowchart LR\n", "dark"),
            None
        );
        assert_eq!(
            with_theme("%%{init: {\"theme\": \"base\"}}%%\nflowchart LR\n", "dark"),
            None
        );
        assert!(
            with_theme(
                "%%{init: {\"flowchart\": {\"curve\": \"basis\"}}}%%\nflowchart LR\n",
                "dark"
            )
            .is_some()
        );
        assert_eq!(with_theme("flowchart LR\n", "default"), None);
        assert_eq!(with_theme("flowchart LR\n", "neon"), None);
    }
}
