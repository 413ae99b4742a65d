//! Diagrams, their revisions, the trash and share links.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{DbResult, UnixTime};

/// Revisions kept per diagram; older ones are pruned on save.
pub const REVISIONS_KEPT: i64 = 100;
/// Seconds (30 days) a diagram stays in the trash before [`purge_trash`] removes it.
pub const TRASH_SECS: i64 = 30 * 24 * 3600;

/// Who owns a diagram: an account, or a guest identified by the hash of its cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// An account, by `users.id`.
    User(i64),
    /// A guest, by the SHA-256 of its cookie value.
    Guest([u8; 32]),
}

impl Owner {
    /// The owner column and its value; column names are ours, values stay parameters.
    fn column(&self) -> (&'static str, rusqlite::types::Value) {
        match self {
            Owner::User(id) => ("owner_user", (*id).into()),
            Owner::Guest(hash) => ("owner_guest", hash.to_vec().into()),
        }
    }
}

/// A diagram row as stored.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// Short base62 id, unique across all owners.
    pub id: String,
    pub title: String,
    /// Mermaid text, as saved.
    pub source: String,
    /// 1 when created, plus one for every save that changed the title or source.
    pub version: i64,
    /// The public link's id; `None` while sharing is off.
    pub share_id: Option<String>,
    pub created_at: UnixTime,
    /// Last change of title or source; never goes backwards.
    pub updated_at: UnixTime,
    /// When it was moved to the trash; `None` while live.
    pub deleted_at: Option<UnixTime>,
    /// While sharing is off: the id its link had, given back when sharing is turned on.
    pub old_share_id: Option<String>,
}

const COLUMNS: &str =
    "id, title, source, version, share_id, created_at, updated_at, deleted_at, old_share_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Diagram> {
    Ok(Diagram {
        id: r.get(0)?,
        title: r.get(1)?,
        source: r.get(2)?,
        version: r.get(3)?,
        share_id: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
        deleted_at: r.get(7)?,
        old_share_id: r.get(8)?,
    })
}

/// Position in the newest-first listing: the last item's `(updated_at, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: UnixTime,
    pub id: String,
}

impl Cursor {
    /// The cursor as clients carry it: `<updated_at>.<id>`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at, self.id)
    }

    /// Reads [`Cursor::encode`]'s form back; `None` for anything else (the id must be 1 to 32
    /// ASCII letters or digits).
    pub fn decode(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once('.')?;
        let valid_id =
            !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric());
        valid_id.then_some(())?;
        Some(Self {
            updated_at: UnixTime(at.parse().ok()?),
            id: id.to_owned(),
        })
    }
}

/// A page of at most `limit` live diagrams, newest first, starting after `after` (from the
/// top when `None`), and the cursor of the next page if there is one.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn list(
    conn: &Connection,
    owner: &Owner,
    after: Option<&Cursor>,
    limit: usize,
) -> DbResult<(Vec<Diagram>, Option<Cursor>)> {
    let (col, val) = owner.column();
    let (at, id) = match after {
        Some(c) => (c.updated_at, c.id.clone()),
        None => (UnixTime(i64::MAX), String::new()),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM diagrams
          WHERE {col} = ?1 AND deleted_at IS NULL
            AND (updated_at < ?2 OR (updated_at = ?2 AND (?3 = '' OR id < ?3)))
          ORDER BY updated_at DESC, id DESC
          LIMIT ?4"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut items = stmt
        .query_map(params![val, at, id, (limit + 1) as i64], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|d| Cursor {
            updated_at: d.updated_at,
            id: d.id.clone(),
        })
    } else {
        None
    };
    Ok((items, next))
}

/// Diagrams in the owner's trash, most recently deleted first; at most 500.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn trash(conn: &Connection, owner: &Owner) -> DbResult<Vec<Diagram>> {
    let (col, val) = owner.column();
    let sql = format!(
        "SELECT {COLUMNS} FROM diagrams WHERE {col} = ?1 AND deleted_at IS NOT NULL
          ORDER BY deleted_at DESC LIMIT 500"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([val], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The owner's diagram, trashed or not. Someone else's id is simply absent.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn get(conn: &Connection, owner: &Owner, id: &str) -> DbResult<Option<Diagram>> {
    let (col, val) = owner.column();
    let sql = format!("SELECT {COLUMNS} FROM diagrams WHERE id = ?1 AND {col} = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![id, val], from_row)
        .optional()?)
}

/// A live diagram by its share id, for the public read-only page; `None` once sharing is off
/// or the diagram is trashed.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn by_share_id(conn: &Connection, share_id: &str) -> DbResult<Option<Diagram>> {
    let sql = format!("SELECT {COLUMNS} FROM diagrams WHERE share_id = ?1 AND deleted_at IS NULL");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([share_id], from_row)
        .optional()?)
}

fn insert_revision(conn: &Connection, d: &Diagram) -> DbResult<()> {
    conn.execute(
        "INSERT INTO revisions (diagram_id, version, title, source, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![d.id, d.version, d.title, d.source, d.updated_at],
    )?;
    conn.execute(
        "DELETE FROM revisions WHERE diagram_id = ?1 AND version <= ?2",
        params![d.id, d.version - REVISIONS_KEPT],
    )?;
    Ok(())
}

/// Stores a new diagram at version 1, with `now` as its created and updated time, and its
/// first revision. Run it inside a transaction (`Db::write`): the diagram and its revision
/// belong together. `id` is a fresh id the caller made.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, including when `id` is already
/// taken.
pub fn create(
    conn: &Connection,
    owner: &Owner,
    id: &str,
    title: &str,
    source: &str,
    now: UnixTime,
) -> DbResult<Diagram> {
    let (col, val) = owner.column();
    conn.execute(
        &format!(
            "INSERT INTO diagrams (id, {col}, title, source, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)"
        ),
        params![id, val, title, source, now],
    )?;
    let diagram = Diagram {
        id: id.to_owned(),
        title: title.to_owned(),
        source: source.to_owned(),
        version: 1,
        share_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
        old_share_id: None,
    };
    insert_revision(conn, &diagram)?;
    Ok(diagram)
}

/// The outcome of a write checked against the owner and an expected version.
#[derive(Debug)]
pub enum Saved {
    /// Written (or nothing to write); the diagram as it now is.
    Ok(Diagram),
    /// The owner has no live diagram with that id.
    NotFound,
    /// The caller edited an older version; nothing was written.
    Stale(Diagram),
}

/// The owner's live diagram if it is at `expected_version` (when given); otherwise the
/// answer to give: not found, or stale with the current state. Writes nothing.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn current_at(
    conn: &Connection,
    owner: &Owner,
    id: &str,
    expected_version: Option<i64>,
) -> DbResult<Result<Diagram, Saved>> {
    let Some(current) = get(conn, owner, id)?.filter(|d| d.deleted_at.is_none()) else {
        return Ok(Err(Saved::NotFound));
    };
    if expected_version.is_some_and(|v| v != current.version) {
        return Ok(Err(Saved::Stale(current)));
    }
    Ok(Ok(current))
}

/// Replaces title and source, bumping the version and keeping a revision. With
/// `expected_version`, a concurrent edit is refused instead of silently overwritten. The check
/// and the write share one IMMEDIATE transaction.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, or another writer holds the
/// database for over 5 seconds.
pub fn update(
    conn: &mut Connection,
    owner: &Owner,
    id: &str,
    title: &str,
    source: &str,
    expected_version: Option<i64>,
    now: UnixTime,
) -> DbResult<Saved> {
    at_version(conn, owner, id, expected_version, |tx, current| {
        save(tx, current, title, source, now)
    })
}

/// Runs `write` on the owner's live diagram if it is at `expected_version` (when given), in
/// one IMMEDIATE transaction; otherwise the refusal, with nothing written.
fn at_version(
    conn: &mut Connection,
    owner: &Owner,
    id: &str,
    expected_version: Option<i64>,
    write: impl FnOnce(&Connection, Diagram) -> DbResult<Diagram>,
) -> DbResult<Saved> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current = match current_at(&tx, owner, id, expected_version)? {
        Ok(current) => current,
        Err(refused) => return Ok(refused),
    };
    let written = write(&tx, current)?;
    tx.commit()?;
    Ok(Saved::Ok(written))
}

/// Writes `title` and `source` over `current` (read in the same transaction), bumping the
/// version and keeping a revision; an identical text writes nothing. Run it inside a
/// transaction: the update and its revision belong together. Returns the diagram as saved;
/// `updated_at` is `now`, or the previous value if that is later.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn save(
    conn: &Connection,
    current: Diagram,
    title: &str,
    source: &str,
    now: UnixTime,
) -> DbResult<Diagram> {
    if current.title == title && current.source == source {
        return Ok(current);
    }
    // Keep `updated_at` strictly increasing per diagram so listings and ETags move.
    let updated_at = now.max(current.updated_at);
    let next = Diagram {
        title: title.to_owned(),
        source: source.to_owned(),
        version: current.version + 1,
        updated_at,
        ..current
    };
    conn.execute(
        "UPDATE diagrams SET title = ?1, source = ?2, version = ?3, updated_at = ?4 WHERE id = ?5",
        params![
            next.title,
            next.source,
            next.version,
            next.updated_at,
            next.id
        ],
    )?;
    insert_revision(conn, &next)?;
    Ok(next)
}

/// Moves the owner's live diagram to the trash at `now`. Its share link answers 404 while it
/// is there ([`by_share_id`] reads live diagrams only) and works again after a restore.
/// Returns false if there is no such live diagram.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn trash_one(conn: &Connection, owner: &Owner, id: &str, now: UnixTime) -> DbResult<bool> {
    let (col, val) = owner.column();
    let n = conn.execute(
        &format!(
            "UPDATE diagrams SET deleted_at = ?1
              WHERE id = ?2 AND {col} = ?3 AND deleted_at IS NULL"
        ),
        params![now, id, val],
    )?;
    Ok(n == 1)
}

/// Takes the owner's diagram out of the trash; its share link stays off. Returns false if
/// there is no such trashed diagram.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn restore(conn: &Connection, owner: &Owner, id: &str) -> DbResult<bool> {
    let (col, val) = owner.column();
    let n = conn.execute(
        &format!(
            "UPDATE diagrams SET deleted_at = NULL
              WHERE id = ?1 AND {col} = ?2 AND deleted_at IS NOT NULL"
        ),
        params![id, val],
    )?;
    Ok(n == 1)
}

/// Deletes the owner's diagram `id` for good, with its revisions, if it is in the trash.
/// Returns whether it was.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn purge(conn: &Connection, owner: &Owner, id: &str) -> DbResult<bool> {
    let (col, val) = owner.column();
    let n = conn.execute(
        &format!("DELETE FROM diagrams WHERE id = ?1 AND {col} = ?2 AND deleted_at IS NOT NULL"),
        params![id, val],
    )?;
    Ok(n == 1)
}

/// Removes diagrams that have been in the trash for longer than [`TRASH_SECS`], with their
/// revisions. Returns how many.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn purge_trash(conn: &Connection, now: UnixTime) -> DbResult<usize> {
    Ok(conn.execute(
        "DELETE FROM diagrams WHERE deleted_at IS NOT NULL AND deleted_at < ?1",
        [now - TRASH_SECS],
    )?)
}

/// What an owner keeps, as quotas count it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Live diagrams (not the trash).
    pub diagrams: u64,
    /// Bytes (UTF-8) of titles and sources over all the owner's diagrams, live and trashed,
    /// and their kept revisions.
    pub bytes: u64,
}

/// The owner's [`Usage`].
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn usage(conn: &Connection, owner: &Owner) -> DbResult<Usage> {
    let (col, val) = owner.column();
    let sql = format!(
        "SELECT (SELECT count(*) FROM diagrams WHERE {col} = ?1 AND deleted_at IS NULL),
                (SELECT coalesce(sum(octet_length(title) + octet_length(source)), 0)
                   FROM diagrams WHERE {col} = ?1)
              + (SELECT coalesce(sum(octet_length(r.title) + octet_length(r.source)), 0)
                   FROM diagrams d JOIN revisions r ON r.diagram_id = d.id WHERE d.{col} = ?1)"
    );
    let (diagrams, bytes): (i64, i64) = conn
        .prepare_cached(&sql)?
        .query_row([val], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Usage {
        diagrams: u64::try_from(diagrams).unwrap_or(0),
        bytes: u64::try_from(bytes).unwrap_or(0),
    })
}

/// Deletes for good every diagram (live or trashed, with its revisions and share link) of
/// each guest whose last change (a save, a trashing) is older than `cutoff`, once the purge
/// has been on for as long: the first call records `now` as the day purging began
/// (`server_dates.guest_purge_since`), and nothing is purged until `cutoff` has passed that
/// day, so a server upgraded into the purge gives every guest the full time. Returns how
/// many diagrams went.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails.
pub fn purge_idle_guests(conn: &Connection, cutoff: UnixTime, now: UnixTime) -> DbResult<usize> {
    conn.execute(
        "INSERT OR IGNORE INTO server_dates (name, at) VALUES ('guest_purge_since', ?1)",
        [now],
    )?;
    let since: UnixTime = conn.query_row(
        "SELECT at FROM server_dates WHERE name = 'guest_purge_since'",
        [],
        |r| r.get(0),
    )?;
    if since >= cutoff {
        return Ok(0);
    }
    Ok(conn.execute(
        "DELETE FROM diagrams WHERE owner_guest IN (
            SELECT owner_guest FROM diagrams WHERE owner_guest IS NOT NULL
             GROUP BY owner_guest
            HAVING max(max(updated_at, coalesce(deleted_at, 0))) < ?1)",
        [cutoff],
    )?)
}

/// Forgets when purging idle guests began (the purge was turned off), so turning it on
/// again gives every guest the full time once more.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn guest_purge_off(conn: &Connection) -> DbResult<()> {
    conn.execute(
        "DELETE FROM server_dates WHERE name = 'guest_purge_since'",
        [],
    )?;
    Ok(())
}

/// Bytes of titles and sources over every guest's diagrams and their revisions.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn guests_usage(conn: &Connection) -> DbResult<u64> {
    let bytes: i64 = conn.query_row(
        "SELECT (SELECT coalesce(sum(octet_length(title) + octet_length(source)), 0)
                   FROM diagrams WHERE owner_guest IS NOT NULL)
              + (SELECT coalesce(sum(octet_length(r.title) + octet_length(r.source)), 0)
                   FROM diagrams d JOIN revisions r ON r.diagram_id = d.id
                  WHERE d.owner_guest IS NOT NULL)",
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(bytes).unwrap_or(0))
}

/// What to do with a diagram's share link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing<'a> {
    /// On: the link it has, else the one it had before sharing was turned off, else this new
    /// id.
    On(&'a str),
    /// On with this new id; any earlier link is forgotten.
    Renew(&'a str),
    /// Off: the link answers 404 at once; its id is kept for [`Sharing::On`].
    Off,
}

/// Sets the owner's live diagram's share link (see [`Sharing`]). Returns the diagram as it
/// now is; `None` if the owner has no such live diagram.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, including when a new id
/// is already another diagram's.
pub fn set_share(
    conn: &Connection,
    owner: &Owner,
    id: &str,
    sharing: Sharing<'_>,
) -> DbResult<Option<Diagram>> {
    let (col, val) = owner.column();
    let set = match sharing {
        Sharing::On(_) => "share_id = coalesce(share_id, old_share_id, ?3), old_share_id = NULL",
        Sharing::Renew(_) => "share_id = ?3, old_share_id = NULL",
        Sharing::Off => "old_share_id = coalesce(share_id, old_share_id), share_id = NULL",
    };
    let sql =
        format!("UPDATE diagrams SET {set} WHERE id = ?1 AND {col} = ?2 AND deleted_at IS NULL");
    match sharing {
        Sharing::On(new) | Sharing::Renew(new) => conn.execute(&sql, params![id, val, new])?,
        Sharing::Off => conn.execute(&sql, params![id, val])?,
    };
    Ok(get(conn, owner, id)?.filter(|d| d.deleted_at.is_none()))
}

/// A diagram's title and source as saved at one version.
#[derive(Debug, Clone)]
pub struct Revision {
    pub version: i64,
    pub title: String,
    pub source: String,
    /// When this version was saved.
    pub created_at: UnixTime,
}

/// Revision headers and sources, newest first (at most [`REVISIONS_KEPT`]). Looked up by id
/// alone: check ownership first.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn revisions(conn: &Connection, diagram_id: &str) -> DbResult<Vec<Revision>> {
    let mut stmt = conn.prepare_cached(
        "SELECT version, title, source, created_at FROM revisions
          WHERE diagram_id = ?1 ORDER BY version DESC",
    )?;
    let rows = stmt
        .query_map([diagram_id], |r| {
            Ok(Revision {
                version: r.get(0)?,
                title: r.get(1)?,
                source: r.get(2)?,
                created_at: r.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One revision of a diagram; `None` if that version was never saved or has been pruned.
/// Looked up by id alone: check ownership first.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the query fails.
pub fn revision(conn: &Connection, diagram_id: &str, version: i64) -> DbResult<Option<Revision>> {
    Ok(conn
        .query_row(
            "SELECT version, title, source, created_at FROM revisions
              WHERE diagram_id = ?1 AND version = ?2",
            params![diagram_id, version],
            |r| {
                Ok(Revision {
                    version: r.get(0)?,
                    title: r.get(1)?,
                    source: r.get(2)?,
                    created_at: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Moves every diagram a guest made (`guest`: the SHA-256 of its cookie value) into an
/// account (on sign-up or sign-in). Returns how many moved.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn claim_guest(conn: &Connection, guest: &[u8; 32], user_id: i64) -> DbResult<usize> {
    Ok(conn.execute(
        "UPDATE diagrams SET owner_user = ?1, owner_guest = NULL WHERE owner_guest = ?2",
        params![user_id, &guest[..]],
    )?)
}

/// Moves every diagram of one guest identity to another (a recovery link opened in another
/// browser). Returns how many moved.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if the statement fails.
pub fn move_guest(conn: &Connection, from: &[u8; 32], to: &[u8; 32]) -> DbResult<usize> {
    Ok(conn.execute(
        "UPDATE diagrams SET owner_guest = ?1 WHERE owner_guest = ?2",
        params![&to[..], &from[..]],
    )?)
}

/// Moves a diagram to the trash if it is still at `expected_version` (when given), checked and
/// written in one IMMEDIATE transaction. [`Saved::Ok`] holds the diagram as it was before.
///
/// # Errors
/// [`DbError::Sqlite`](super::DbError::Sqlite) if a statement fails, or another writer holds the
/// database for over 5 seconds.
pub fn trash_checked(
    conn: &mut Connection,
    owner: &Owner,
    id: &str,
    expected_version: Option<i64>,
    now: UnixTime,
) -> DbResult<Saved> {
    at_version(conn, owner, id, expected_version, |tx, current| {
        trash_one(tx, owner, id, now)?;
        Ok(current)
    })
}
