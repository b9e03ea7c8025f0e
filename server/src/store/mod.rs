//! The sqlx adapter: one `Store` over SQLite or PostgreSQL.
//!
//! Queries are written once, in the SQL both engines accept (`$1`
//! placeholders, `RETURNING`, BIGINT times), and run through sqlx's `Any`
//! driver. Migrations are per engine, with the same version numbers.

mod admins;
mod apply_rows;
mod connection;
mod directory_mirror;
mod folding;
mod groups;
mod schedule;
mod sessions;
mod settings;
mod sync_apply;
mod sync_lock;
mod sync_progress;
mod sync_runs;
mod sync_views;
mod users;
mod users_in_apply;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use admins::AdminRecord;
pub use connection::SavedConnection;
pub use sync_apply::StoredEntry;
pub use sync_lock::{HolderLiveness, LockHolder, LockLost};
pub use sync_progress::SharedProgress;
pub use sync_runs::RunRecord;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of_url(url: &str) -> Result<Self, OpenError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(OpenError::UnsupportedUrl)
        }
    }
}

/// Why the database could not be opened. Never includes the URL, which may
/// hold a password.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("DATABASE_URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("could not create the database folder {folder}: {source}")]
    Folder {
        folder: String,
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not refold the database's comparison columns: {0}")]
    Refold(app::services::StoreError),
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
    /// The SQLite database's file, beside which the sync's file lock lives.
    sqlite_file: Option<PathBuf>,
    /// Which database this is, to tell two stores of one database apart
    /// from two databases (the URL: kept in memory, never shown).
    identity: String,
    /// When this store last refreshed the planner's statistics of `users`
    /// during an apply (epoch ms).
    users_analyzed_at: Arc<AtomicI64>,
}

impl Store {
    /// Connects, creating a SQLite file (and its folder) if needed, and
    /// brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, OpenError> {
        install_default_drivers();
        let engine = Engine::of_url(url)?;
        let url = match engine {
            Engine::Sqlite => prepare_sqlite_url(url)?,
            Engine::Postgres => url.to_owned(),
        };
        let sqlite_file = (engine == Engine::Sqlite)
            .then(|| sqlite_file_of(&url))
            .flatten();
        let options = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { 4 } else { 10 })
            .acquire_timeout(Duration::from_secs(10));
        let options = if engine == Engine::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    // Enforce foreign keys, and wait for a writer rather than
                    // failing at once with "database is locked".
                    conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                        .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await.map_err(OpenError::Connect)?;
        if engine == Engine::Sqlite {
            // Readers do not block the writer; kept in the file once set.
            pool.execute("PRAGMA journal_mode = WAL")
                .await
                .map_err(OpenError::Connect)?;
        }
        match engine {
            Engine::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Engine::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        let store = Self {
            identity: url.clone(),
            pool,
            engine,
            sqlite_file,
            users_analyzed_at: Arc::new(AtomicI64::new(0)),
        };
        store.refold().await.map_err(OpenError::Refold)?;
        Ok(store)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Which database this is (its URL, which may hold a password: never
    /// log or show it).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The SQLite database's file (none for PostgreSQL or in memory).
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Makes sure the folder of a SQLite file exists and that the file is
/// created on first use (`mode=rwc`).
fn prepare_sqlite_url(url: &str) -> Result<String, OpenError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_owned());
    }
    if let Some(folder) = Path::new(path)
        .parent()
        .filter(|f| !f.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder).map_err(|source| OpenError::Folder {
            folder: folder.display().to_string(),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The file a prepared SQLite URL names, unless it is in memory.
fn sqlite_file_of(url: &str) -> Option<PathBuf> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split_once('?').map_or(rest, |(p, _)| p);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// Now, in the unit every table uses: milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Maps a query error to the port's error: detail for the log only. Busy,
/// locked, deadlocked or unreachable is `Unavailable` (worth retrying);
/// what the database refused is `Database`.
fn db_error(error: sqlx::Error) -> app::services::StoreError {
    use app::services::StoreError;
    let transient = match &error {
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            // SQLite: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their
            // extended codes; PostgreSQL: serialization failure, deadlock,
            // lock not available, cancelled, shut down, connection classes.
            let code = code.as_ref();
            let sqlite = code.parse::<i64>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
            sqlite
                || matches!(
                    code,
                    "40001" | "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03"
                )
                || code.starts_with("08")
        }),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    };
    if transient {
        StoreError::Unavailable(error.to_string())
    } else {
        StoreError::Database(error.to_string())
    }
}

impl Store {
    /// Tells PostgreSQL's planner what a table holds now. A table that just
    /// grew by a large tenant (a 100,000-row preview, a first import) still
    /// looks empty to it until autovacuum comes round, and every lookup of
    /// the apply and the preview pages then scanned the whole table. (SQLite
    /// plans by its indexes without statistics.) An optimization only: a
    /// failure is logged, not raised.
    pub(crate) async fn refresh_statistics(&self, table: &'static str) {
        if self.engine != Engine::Postgres {
            return;
        }
        let sql = format!("ANALYZE {table}");
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
        {
            tracing::warn!(table, error = %e, "could not refresh the planner's statistics");
        }
    }

    /// During an apply that adds users: `users` grows from nothing to the
    /// whole tenant, so its statistics are refreshed every few seconds
    /// (each refresh samples at most 30,000 rows: a fraction of a second).
    pub(crate) async fn refresh_user_statistics_now_and_then(&self) {
        const EVERY_MS: i64 = 5_000;
        let now = now_millis();
        let last = self.users_analyzed_at.load(Ordering::Relaxed);
        if self.engine == Engine::Postgres
            && now - last >= EVERY_MS
            && self
                .users_analyzed_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.refresh_statistics("users").await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_told_apart_by_scheme() {
        assert_eq!(
            Engine::of_url("sqlite://data/x.db").unwrap(),
            Engine::Sqlite
        );
        assert_eq!(
            Engine::of_url("postgres://u@h/db").unwrap(),
            Engine::Postgres
        );
        assert_eq!(
            Engine::of_url("postgresql://u@h/db").unwrap(),
            Engine::Postgres
        );
        assert!(matches!(
            Engine::of_url("mysql://h/db"),
            Err(OpenError::UnsupportedUrl)
        ));
    }

    #[test]
    fn sqlite_urls_create_their_file() {
        let dir = std::env::temp_dir().join(format!("dirsync-url-{}", std::process::id()));
        let url = format!("sqlite://{}/sub/x.db", dir.display());
        let prepared = prepare_sqlite_url(&url).unwrap();
        assert!(prepared.ends_with("/sub/x.db?mode=rwc"), "{prepared}");
        assert!(dir.join("sub").is_dir());
        assert_eq!(
            prepare_sqlite_url("sqlite://a.db?mode=ro").unwrap(),
            "sqlite://a.db?mode=ro"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
