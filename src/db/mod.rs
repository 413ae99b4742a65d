//! SQLite storage: a pooled connection per blocking task, versioned migrations, and the
//! per-table query modules. Nothing here knows about HTTP.

pub mod api_tokens;
pub mod diagrams;
pub mod guest_links;
pub mod keys;
pub mod security_log;
pub mod sessions;
pub mod users;

use std::path::Path;
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

/// Migrations in order; entry `i` brings a database from `user_version` i to i + 1.
/// Existing entries are never edited once released.
const MIGRATIONS: &[&str] = &[
    include_str!("../../schema.sql"),
    include_str!("../../migrations/0002_api_tokens.sql"),
    include_str!("../../migrations/0003_server_keys.sql"),
    include_str!("../../migrations/0004_server_dates.sql"),
    include_str!("../../migrations/0005_security_log_agent.sql"),
    include_str!("../../migrations/0006_kept_share_links.sql"),
    include_str!("../../migrations/0007_guest_links.sql"),
];

/// A point in time as stored: whole seconds since the Unix epoch, UTC.
mod unix_time;

pub use unix_time::UnixTime;

/// The schema version this build migrates to: SQLite's `user_version` once every migration
/// has run. A database above it is refused rather than opened.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Why a store call failed. None of these is a refusal the caller can explain to a person;
/// refusals travel inside the `Ok` value (`Saved`, `Created`, `None`, `false`).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// SQLite refused a statement, or could not open or lock the file (it waits up to 5
    /// seconds for another writer first).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No pooled connection within 10 seconds, or the pool could not be built.
    #[error("database pool error: {0}")]
    Pool(#[from] r2d2::Error),
    /// The file's `user_version` (`found`) is above this build's [`SCHEMA_VERSION`] (`known`).
    #[error(
        "this database was written by a newer version of Reef (schema version {found}, this build knows up to {known}); refusing to open it. Upgrade Reef or restore a backup."
    )]
    TooNew { found: i64, known: i64 },
    /// The data directory (`path`, as given) could not be created.
    #[error("could not create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// The blocking task running the query panicked or was cancelled; the join error's text.
    #[error("database task failed: {0}")]
    Task(String),
}

/// The result of every store call.
pub type DbResult<T> = Result<T, DbError>;

/// The connection pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool<SqliteConnectionManager>,
}

fn configure(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;",
    )
}

impl Db {
    /// Opens (creating if needed) `reef.db` in `dir`, creating `dir` too, and applies pending
    /// migrations, each in its own transaction.
    ///
    /// # Errors
    /// [`DbError::DataDir`] if `dir` cannot be created; [`DbError::TooNew`] if a newer Reef
    /// wrote the file (it is left untouched); [`DbError::Sqlite`] if the file cannot be opened
    /// or a migration fails; [`DbError::Pool`] if the pool cannot open its connections.
    pub fn open(dir: &Path) -> DbResult<Self> {
        std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join("reef.db");
        // Check the version on a plain connection first so that a newer database is refused
        // before any pragma (such as journal_mode) could change the file.
        {
            let mut conn = Connection::open(&path)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            migrate(&mut conn)?;
        }
        let manager = SqliteConnectionManager::file(&path).with_init(configure);
        let pool = Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        Ok(Self { pool })
    }

    /// Runs `f` with a pooled connection on the blocking thread pool and returns its result.
    ///
    /// # Errors
    /// [`DbError::Pool`] if no connection is free within 10 seconds; [`DbError::Task`] if `f`
    /// panicked or the runtime is shutting down; otherwise whatever `f` returns.
    pub async fn run<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs `f` inside one IMMEDIATE transaction on the blocking pool: every step sees the
    /// same database and no other writer can come between them. Committed when `f` returns
    /// `Ok` (a refusal carried inside `T` commits nothing unless `f` wrote first); rolled
    /// back on any error.
    ///
    /// # Errors
    /// As [`Db::run`], and [`DbError::Sqlite`] if the transaction cannot begin (another writer
    /// held the lock for over 5 seconds) or commit.
    pub async fn write<T, F>(&self, f: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> DbResult<T> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    /// [`Db::write`] for a write that may be refused after it is made (a quota checked on
    /// the result): committed only when `f` returns `Ok(Ok(_))`; a refusal (`Ok(Err(_))`)
    /// rolls back everything `f` wrote.
    ///
    /// # Errors
    /// As [`Db::write`].
    pub async fn write_or_refuse<T, E, F>(&self, f: F) -> DbResult<Result<T, E>>
    where
        T: Send + 'static,
        E: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> DbResult<Result<T, E>> + Send + 'static,
    {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            if value.is_ok() {
                tx.commit()?;
            }
            Ok(value)
        })
        .await
    }

    /// A synchronous connection for command-line tools; it goes back to the pool on drop.
    ///
    /// # Errors
    /// [`DbError::Pool`] if no connection is free within 10 seconds.
    pub fn conn(&self) -> DbResult<r2d2::PooledConnection<SqliteConnectionManager>> {
        Ok(self.pool.get()?)
    }
}

fn migrate(conn: &mut Connection) -> DbResult<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    configure(conn)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        // PRAGMA does not take parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied database migration");
    }
    Ok(())
}

/// Copies the live database in `data_dir` to `target` with SQLite's online backup API: a
/// consistent snapshot even while the server keeps writing. `target` is a file path; SQLite
/// creates it.
///
/// # Errors
/// [`DbError::TooNew`] if a newer Reef wrote the live database; [`DbError::Sqlite`] if either
/// file cannot be opened or the copy fails.
pub fn backup(data_dir: &Path, target: &Path) -> DbResult<()> {
    let source = Connection::open(data_dir.join("reef.db"))?;
    source.busy_timeout(Duration::from_secs(5))?;
    let found: i64 = source.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(DbError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    let mut dest = Connection::open(target)?;
    let backup = rusqlite::backup::Backup::new(&source, &mut dest)?;
    backup.run_to_completion(256, Duration::from_millis(5), None)?;
    Ok(())
}

/// Liveness probe: the database answers a trivial query.
///
/// # Errors
/// [`DbError::Sqlite`] if it does not.
pub fn ping(conn: &Connection) -> DbResult<()> {
    conn.query_row("SELECT 1", [], |_| Ok(()))?;
    Ok(())
}
