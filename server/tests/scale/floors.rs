//! The floors each figure is divided by, measured in the same run against
//! the same data:
//! - the fetch floor: the pages a full read requests (users 999 a page,
//!   then the groups' delta round with their members), fetched by a bare
//!   HTTP loop that follows `@odata.nextLink` and parses nothing;
//! - the bulk floor: the rows an apply wrote, loaded in one transaction
//!   into an equivalent table (the same columns and indexes) by the
//!   engine's bulk path: multi-row inserts on SQLite, `COPY` on PostgreSQL.

use crate::common::emulator::client_credentials_token;
use crate::common::graph_sim_process::GraphSimProcess;
use server::graph::{GROUP_SELECT, MANAGER_EXPAND, MAX_PAGE_SIZE, USER_SELECT};
use server::store::Store;
use sqlx::{Connection, Executor, Row};
use std::time::{Duration, Instant};

/// The bare fetch of what a full read fetches; returns its time and the
/// pages.
pub async fn fetch(sim: &GraphSimProcess) -> (Duration, u32) {
    let endpoints = sim.endpoints();
    let http = reqwest::Client::new();
    let token = client_credentials_token(
        &endpoints.token_url(sim.tenant_id()),
        sim.client_id(),
        sim.client_secret(),
    )
    .await;
    let started = Instant::now();
    let mut pages = 0;
    for first in [
        endpoints.v1(&format!(
            "users?$select={}&$expand={MANAGER_EXPAND}&$top={MAX_PAGE_SIZE}",
            *USER_SELECT
        )),
        endpoints.v1(&format!("groups/delta?$select={GROUP_SELECT},members")),
    ] {
        let mut next = Some(first);
        while let Some(url) = next.take() {
            let body = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap()
                .text()
                .await
                .unwrap();
            pages += 1;
            next = next_link(&body);
        }
    }
    (started.elapsed(), pages)
}

/// The `@odata.nextLink` of a page, found without parsing the page.
fn next_link(body: &str) -> Option<String> {
    const KEY: &str = "\"@odata.nextLink\":\"";
    let start = body.find(KEY)? + KEY.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}

/// Loads the users written since `since` (epoch ms; 0 for all) into an
/// equivalent table by the engine's bulk path, in one transaction; returns
/// the time from `BEGIN` to `COMMIT` and the rows loaded.
pub async fn bulk_load(store: &Store, url: &str, since: i64) -> (Duration, usize) {
    let postgres = url.starts_with("postgres");
    let columns = user_columns(store, postgres).await;
    let rows = users_as_text(store, &columns, since).await;
    let result = if postgres {
        copy_into_equivalent(url, &columns, &rows).await
    } else {
        insert_into_equivalent(store, &columns, &rows).await
    };
    (result, rows.len())
}

/// The users table's columns but `id`, which the database assigns.
async fn user_columns(store: &Store, postgres: bool) -> Vec<String> {
    let sql = if postgres {
        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_name = 'users' AND table_schema = current_schema() ORDER BY ordinal_position"
    } else {
        "SELECT name FROM pragma_table_info('users') ORDER BY cid"
    };
    let names: Vec<String> = sqlx::query_scalar(sql)
        .fetch_all(store.pool())
        .await
        .unwrap();
    names.into_iter().filter(|n| n != "id").collect()
}

async fn users_as_text(store: &Store, columns: &[String], since: i64) -> Vec<Vec<Option<String>>> {
    let select = columns
        .iter()
        .map(|c| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {select} FROM users WHERE updated_at >= $1 ORDER BY id"
    )))
    .bind(since)
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.iter()
        .map(|row| {
            (0..columns.len())
                .map(|i| row.try_get::<Option<String>, _>(i).unwrap())
                .collect()
        })
        .collect()
}

/// PostgreSQL: `LIKE users INCLUDING ALL` (columns, defaults, constraints,
/// indexes), then one `COPY` in one transaction.
async fn copy_into_equivalent(
    url: &str,
    columns: &[String],
    rows: &[Vec<Option<String>>],
) -> Duration {
    let mut conn = sqlx::postgres::PgConnection::connect(url).await.unwrap();
    conn.execute("DROP TABLE IF EXISTS bench_floor")
        .await
        .unwrap();
    conn.execute("CREATE TABLE bench_floor (LIKE users INCLUDING ALL)")
        .await
        .unwrap();
    let mut data = Vec::with_capacity(rows.len() * 400);
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                data.push(b'\t');
            }
            match value {
                None => data.extend_from_slice(b"\\N"),
                Some(text) => copy_escape(text, &mut data),
            }
        }
        data.push(b'\n');
    }
    let started = Instant::now();
    conn.execute("BEGIN").await.unwrap();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY bench_floor ({}) FROM STDIN",
            columns.join(", ")
        ))
        .await
        .unwrap();
    copy.send(data).await.unwrap();
    copy.finish().await.unwrap();
    conn.execute("COMMIT").await.unwrap();
    let elapsed = started.elapsed();
    conn.execute("DROP TABLE bench_floor").await.unwrap();
    conn.close().await.unwrap();
    elapsed
}

/// `COPY`'s text format: backslash, tab, newline and carriage return escaped.
fn copy_escape(text: &str, out: &mut Vec<u8>) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// SQLite: the users table's own `CREATE` statements under another name,
/// then multi-row inserts in one transaction.
async fn insert_into_equivalent(
    store: &Store,
    columns: &[String],
    rows: &[Vec<Option<String>>],
) -> Duration {
    let mut conn = store.pool().acquire().await.unwrap();
    conn.execute("DROP TABLE IF EXISTS bench_floor")
        .await
        .unwrap();
    let statements: Vec<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'users' AND sql IS NOT NULL ORDER BY type DESC",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for statement in statements {
        let renamed = statement
            .replacen("TABLE users", "TABLE bench_floor", 1)
            .replacen("TABLE \"users\"", "TABLE bench_floor", 1)
            .replacen("INDEX users_", "INDEX bench_floor_", 1)
            .replacen(" ON users ", " ON bench_floor ", 1);
        conn.execute(sqlx::AssertSqlSafe(renamed)).await.unwrap();
    }
    // Well under SQLite's 32,766 bound parameters per statement.
    let per_insert = (30_000 / columns.len()).max(1);
    let row_values = format!("({})", vec!["?"; columns.len()].join(", "));
    let started = Instant::now();
    conn.execute("BEGIN").await.unwrap();
    for chunk in rows.chunks(per_insert) {
        let sql = format!(
            "INSERT INTO bench_floor ({}) VALUES {}",
            columns.join(", "),
            vec![row_values.as_str(); chunk.len()].join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            for value in row {
                query = query.bind(value.clone());
            }
        }
        query.execute(&mut *conn).await.unwrap();
    }
    conn.execute("COMMIT").await.unwrap();
    let elapsed = started.elapsed();
    conn.execute("DROP TABLE bench_floor").await.unwrap();
    elapsed
}

#[test]
fn next_links_are_found_without_parsing() {
    assert_eq!(
        next_link(r#"{"value":[],"@odata.nextLink":"http://h/v1.0/users?$skiptoken=a"}"#),
        Some("http://h/v1.0/users?$skiptoken=a".to_owned())
    );
    assert_eq!(next_link(r#"{"value":[],"@odata.deltaLink":"x"}"#), None);
}
