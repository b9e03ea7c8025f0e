//! Admin sessions, keyed by the SHA-256 of the token in the cookie.

use super::{Store, db_error};
use app::domain::admin::Admin;
use app::services::StoreError;

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        admin_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, admin_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(admin_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The admin of a session that has not expired at `now`.
    pub async fn session_admin(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<Admin>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT a.id, a.email FROM sessions s JOIN admins a ON a.id = s.admin_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(id, email)| Admin { id, email }))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Removes sessions that ended before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}
