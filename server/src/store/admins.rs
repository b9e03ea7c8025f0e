//! Admin accounts: who may sign in to dirsync.

use super::{Store, db_error, now_millis};
use app::domain::admin::Admin;
use app::domain::email::normalize_email;
use app::services::StoreError;

/// An admin with the password hash, for the sign-in check only.
#[derive(Debug, sqlx::FromRow)]
pub struct AdminRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
}

impl AdminRecord {
    pub fn admin(&self) -> Admin {
        Admin {
            id: self.id,
            email: self.email.clone(),
        }
    }
}

impl Store {
    pub async fn count_admins(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM admins")
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(n)
    }

    /// Adds an admin; the email must be new (case-insensitively).
    pub async fn create_admin(
        &self,
        email: &str,
        password_hash: &str,
    ) -> Result<Admin, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO admins (email, email_normalized, password_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(email.trim())
        .bind(normalize_email(email))
        .bind(password_hash)
        .bind(now_millis())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::EmailTaken {
                owner: "another admin".into(),
            },
            _ => db_error(e),
        })?;
        Ok(Admin {
            id,
            email: email.trim().to_owned(),
        })
    }

    pub async fn find_admin_by_email(
        &self,
        email: &str,
    ) -> Result<Option<AdminRecord>, StoreError> {
        sqlx::query_as("SELECT id, email, password_hash FROM admins WHERE email_normalized = $1")
            .bind(normalize_email(email))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    pub async fn record_sign_in(&self, admin_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE admins SET last_sign_in_at = $2 WHERE id = $1")
            .bind(admin_id)
            .bind(now_millis())
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
