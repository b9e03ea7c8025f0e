//! Admin sessions, keyed by the SHA-256 of the token in the cookie.

use super::{Store, db_error};
use app::domain::admin::Admin;
use app::services::StoreError;

/// How stale `last_seen_at` may be before a request writes it again.
const TOUCH_EVERY_MS: i64 = 60_000;

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &str,
        admin_id: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sessions (token_hash, admin_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)")
            .bind(token_hash)
            .bind(admin_id)
            .bind(now)
            .bind(expires_at)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// The admin of a session that has not expired at `now` and was last
    /// seen after `idle_cutoff`.
    pub async fn session_admin(
        &self,
        token_hash: &str,
        now: i64,
        idle_cutoff: i64,
    ) -> Result<Option<Admin>, StoreError> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT a.id, a.email FROM sessions s JOIN admins a ON a.id = s.admin_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle_cutoff)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.map(|(id, email)| Admin { id, email }))
    }

    /// Records that a session was used at `now`. Written at most once a
    /// minute per session, so that browsing does not write on every request.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $3",
        )
        .bind(token_hash)
        .bind(now)
        .bind(now.saturating_sub(TOUCH_EVERY_MS))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Removes sessions that ended before `now` or were idle since
    /// `idle_cutoff`; returns how many.
    pub async fn delete_expired_sessions(
        &self,
        now: i64,
        idle_cutoff: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(now)
            .bind(idle_cutoff)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(done.rows_affected())
    }
}
