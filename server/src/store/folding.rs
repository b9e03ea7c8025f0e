//! Values folded in Rust for comparison (`users.email_normalized`,
//! `directory_groups.name_folded`) are recomputed when the folding rule
//! changes: once per database (recorded in `store_meta`), after the migrations, so that rows written
//! under an older rule are found by the new one. Version 1: emails in
//! Unicode NFC (issue 13), group names folded by Rust rather than SQLite's
//! ASCII-only `lower()`.

use super::{Store, db_error};
use app::domain::email::normalize_email;
use app::services::StoreError;

/// The folding rule the code applies; bump it when `normalize_email` or a
/// folded column's rule changes.
const FOLDING_VERSION: &str = "1";
const KEY: &str = "folding_version";

impl Store {
    /// Recomputes the folded columns if the database was folded by an older
    /// rule. A row whose new folding collides with another's (two addresses
    /// that only now read as one) keeps its old value and is logged.
    pub(super) async fn refold(&self) -> Result<(), StoreError> {
        let done: Option<(String,)> = sqlx::query_as("SELECT value FROM store_meta WHERE key = $1")
            .bind(KEY)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        if done.is_some_and(|(v,)| v == FOLDING_VERSION) {
            return Ok(());
        }
        let users: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, email, email_normalized FROM users")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        let mut refolded = 0u64;
        for (id, email, stored) in users {
            let folded = normalize_email(&email);
            if folded == stored {
                continue;
            }
            match sqlx::query("UPDATE users SET email_normalized = $2 WHERE id = $1")
                .bind(id)
                .bind(&folded)
                .execute(&self.pool)
                .await
            {
                Ok(_) => refolded += 1,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    tracing::warn!(
                        user_id = id,
                        "this user's email now reads the same as another user's; fix one of them on the Users page"
                    );
                }
                Err(e) => return Err(db_error(e)),
            }
        }
        let groups: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, name_folded FROM directory_groups")
                .fetch_all(&self.pool)
                .await
                .map_err(db_error)?;
        for (id, name, stored) in groups {
            let folded = name.to_lowercase();
            if folded != stored {
                sqlx::query("UPDATE directory_groups SET name_folded = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&folded)
                    .execute(&self.pool)
                    .await
                    .map_err(db_error)?;
            }
        }
        // Two processes starting at once both refold (the same result):
        // the second write replaces the first.
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(KEY)
        .bind(FOLDING_VERSION)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        if refolded > 0 {
            tracing::info!(users = refolded, "emails refolded for comparison");
        }
        Ok(())
    }
}
