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
use crate::render::{ExportFormat, ExportOptions, RenderError, Rendered};
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

/// Turns the public read-only link on (keeping an existing one) or off (the old link answers
/// 404 at once). Returns the diagram as it now is; its `share_id` is the link's id.
///
/// # Errors
/// [`DiagramError::NotFound`].
pub async fn set_sharing(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    enabled: bool,
) -> DiagramResult<Diagram> {
    let new_share = enabled.then(|| secret::short_id(16));
    on_diagram(state, owner, id, move |conn, owner, id| {
        db::set_share(conn, owner, id.as_str(), new_share.as_deref())
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

/// Writes an old revision's title and source as a new version, in one transaction, so the
/// restore itself can be undone.
///
/// # Errors
/// [`DiagramError::NotFound`] for the diagram or the version.
pub async fn restore_revision(
    state: &AppState,
    owner: &Owner,
    id: &DiagramId,
    version: i64,
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
            let saved = db::save(tx, current, &old.title, &old.source, now)?;
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

/// What became of a live preview.
#[derive(Debug)]
pub enum Preview {
    /// The SVG with its notices.
    Drawn(Rendered),
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
    tokio::select! {
        drawn = draw(state, by, source) => match drawn {
            Ok(rendered) => Preview::Drawn(rendered),
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
