//! Every row of every table of a SQLite test database, as text: for
//! before-and-after comparisons and for scanning what the database holds.

use server::store::Store;
// Table and column names come from SQLite's own catalogue.
use sqlx::AssertSqlSafe;

/// One line per row, `table: [values]`, tables and rows in a fixed order;
/// text as text and blobs as `X'hex'` (SQLite's `quote`). The columns in
/// `skip` (`(table, column)`) are left out.
pub async fn rows(store: &Store, skip: &[(&str, &str)]) -> Vec<String> {
    let pool = store.pool();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut rows = Vec::new();
    for (table,) in tables {
        let columns: Vec<(String,)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}')"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let columns: Vec<String> = columns
            .into_iter()
            .filter(|(c,)| !skip.contains(&(table.as_str(), c.as_str())))
            .map(|(c,)| format!("quote(\"{c}\")"))
            .collect();
        let table_rows: Vec<(String,)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT json_array({}) FROM \"{table}\" ORDER BY 1",
            columns.join(", ")
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        rows.extend(table_rows.into_iter().map(|(r,)| format!("{table}: {r}")));
    }
    rows
}
