//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database made
//! on the server named by `DIRSYNC_TEST_POSTGRES_URL` and dropped afterwards.

#![allow(dead_code)] // each test binary uses its own part of this

pub mod app;
pub mod dump;
pub mod emulator;
pub mod events;
pub mod fake_store;
pub mod full_read;
pub mod graph_sim_process;
pub mod logs;
pub mod server_process;

use server::store::Store;
use sqlx::{Connection, Executor};
use std::sync::atomic::{AtomicU32, Ordering};

pub const POSTGRES_ENV: &str = "DIRSYNC_TEST_POSTGRES_URL";

static NEXT: AtomicU32 = AtomicU32::new(0);

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

pub enum Cleanup {
    /// Another connection to a database someone else cleans up.
    Nothing,
    SqliteFile(std::path::PathBuf),
    PostgresDatabase {
        admin_url: String,
        name: String,
    },
}

pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

impl TestDb {
    /// A second store on the same database: what another server process
    /// would open.
    pub async fn another_connection(&self) -> TestDb {
        TestDb {
            store: Store::open(&self.url)
                .await
                .expect("reopen the test database"),
            url: self.url.clone(),
            cleanup: Cleanup::Nothing,
        }
    }

    pub async fn teardown(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::Nothing => {}
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .expect("reconnect to drop the test database");
                conn.execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .await
                .expect("drop the test database");
            }
        }
    }
}

pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique_name("dirsync_test")));
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url)
        .await
        .expect("open a SQLite test database");
    TestDb {
        store,
        url,
        cleanup: Cleanup::SqliteFile(path),
    }
}

pub async fn postgres() -> TestDb {
    let admin_url = std::env::var(POSTGRES_ENV).unwrap_or_else(|_| {
        panic!("{POSTGRES_ENV} must name a PostgreSQL server to run the PostgreSQL suite")
    });
    sqlx::any::install_default_drivers();
    let name = unique_name("dirsync_test");
    let mut conn = sqlx::AnyConnection::connect(&admin_url)
        .await
        .expect("connect to the PostgreSQL test server");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .await
        .expect("create a test database");
    conn.close().await.ok();
    let url = with_database(&admin_url, &name);
    let store = Store::open(&url)
        .await
        .expect("open the PostgreSQL test database");
    TestDb {
        store,
        url,
        cleanup: Cleanup::PostgresDatabase { admin_url, name },
    }
}

/// The same server URL, pointing at another database.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// Runs each named suite function once per engine: always on SQLite, and on
/// PostgreSQL as ignored tests that `make test` runs with `--ignored` when
/// `DIRSYNC_TEST_POSTGRES_URL` is set.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = $crate::common::sqlite().await;
                    super::$name(&db).await;
                    db.teardown().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs DIRSYNC_TEST_POSTGRES_URL; make test runs it when set"]
                async fn $name() {
                    let db = $crate::common::postgres().await;
                    super::$name(&db).await;
                    db.teardown().await;
                }
            )*
        }
    };
}

#[test]
fn database_urls_are_rewritten_to_the_test_database() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "t1"),
        "postgres://u@h:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u@h/db?sslmode=disable", "t1"),
        "postgres://u@h/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
}
