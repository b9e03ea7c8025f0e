//! What the sync's apply reads and writes of the users table inside a
//! batch's transaction: the batch's facts in one query each, the updates
//! one statement per user, the additions many per statement. The columns
//! and their binding are the users table's own (`users.rs`).

use super::users::{
    COLUMNS, UPDATE_SQL, bind_written, placeholders, users_from_rows, written_columns,
};
use super::{Store, db_error};
use app::domain::sync::batch_facts::EmailHolder;
use app::domain::user::LocalUser;
use app::services::StoreError;

/// Users inserted per statement: their parameters well under SQLite's
/// 32,766 and PostgreSQL's 65,535.
fn users_per_insert() -> usize {
    30_000 / (written_columns().len() + 1)
}

impl Store {
    /// The users with these ids, in id order, locked against concurrent
    /// writers until the transaction ends (PostgreSQL; SQLite's single
    /// writer needs no row lock).
    pub(super) async fn users_by_ids_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        ids: &[i64],
    ) -> Result<Vec<LocalUser>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let lock = match self.engine {
            super::Engine::Postgres => " FOR UPDATE",
            super::Engine::Sqlite => "",
        };
        let sql = format!(
            "SELECT {} FROM users WHERE id IN ({}) ORDER BY id{lock}",
            *COLUMNS,
            placeholders(1, ids.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(*id);
        }
        let rows = query.fetch_all(&mut *conn).await.map_err(db_error)?;
        users_from_rows(&rows)
    }

    /// Who holds these addresses (normalized).
    pub(super) async fn email_holders_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        normalized: &[String],
    ) -> Result<Vec<EmailHolder>, StoreError> {
        if normalized.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, display_name, email FROM users WHERE email_normalized IN ({})",
            placeholders(1, normalized.len())
        );
        let mut query = sqlx::query_as::<_, (i64, String, String)>(sqlx::AssertSqlSafe(sql));
        for email in normalized {
            query = query.bind(email);
        }
        let rows = query.fetch_all(&mut *conn).await.map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(id, display_name, email)| EmailHolder {
                id,
                display_name,
                email,
            })
            .collect())
    }

    /// Which of these Azure AD users a platform user is linked to already.
    pub(super) async fn linked_objects_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        object_ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if object_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT azure_object_id FROM users WHERE azure_object_id IN ({})",
            placeholders(1, object_ids.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
        for id in object_ids {
            query = query.bind(id);
        }
        query.fetch_all(&mut *conn).await.map_err(db_error)
    }

    /// Writes every column of `user` (by id).
    pub(super) async fn write_user_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        user: &LocalUser,
    ) -> Result<(), StoreError> {
        bind_written(
            sqlx::query(sqlx::AssertSqlSafe(UPDATE_SQL.as_str())).bind(user.id),
            user,
        )
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// Inserts `users` (their ids are ignored), many per statement.
    pub(super) async fn insert_users_in(
        &self,
        conn: &mut sqlx::AnyConnection,
        users: &[LocalUser],
    ) -> Result<(), StoreError> {
        let columns = written_columns();
        let width = columns.len() + 1;
        for chunk in users.chunks(users_per_insert()) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * width + 1, width)))
                .collect();
            let sql = format!(
                "INSERT INTO users ({}, created_at) VALUES {}",
                columns.join(", "),
                rows.join(", ")
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for user in chunk {
                query = bind_written(query, user).bind(user.created_at);
            }
            query.execute(&mut *conn).await.map_err(db_error)?;
        }
        Ok(())
    }
}
