//! Admin sign-in: argon2id passwords, random session tokens stored hashed,
//! and a throttle that slows down repeated failures.

mod password;
mod throttle;
mod token;

pub use password::{hash_password, verify_password};
pub use throttle::{SignInThrottle, ThrottlePolicy};

use crate::store::{Store, now_millis};
use app::domain::admin::Admin;
use app::services::{AdminAuth, NewSession, SignInError, StoreError};
use async_trait::async_trait;
use std::time::{Duration, Instant};

/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The `AdminAuth` port, over the store.
pub struct AuthService {
    store: Store,
    throttle: SignInThrottle,
}

impl AuthService {
    pub fn new(store: Store, policy: ThrottlePolicy) -> Self {
        Self {
            store,
            throttle: SignInThrottle::new(policy),
        }
    }
}

#[async_trait]
impl AdminAuth for AuthService {
    async fn sign_in(&self, email: &str, password: &str) -> Result<NewSession, SignInError> {
        let key = app::domain::email::normalize_email(email);
        if let Err(wait) = self.throttle.check(&key, Instant::now()) {
            return Err(SignInError::Throttled(wait));
        }
        let record = self.store.find_admin_by_email(email).await?;
        // Verify against a real hash even for an unknown email, so that the
        // time taken does not tell which emails are admins.
        let hash = record.as_ref().map(|r| r.password_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => {
                let _ = verify_password(&password, password::DUMMY_HASH.as_str());
                false
            }
        })
        .await
        .map_err(|e| StoreError::Database(format!("password check failed: {e}")))?;

        let Some(record) = record.filter(|_| matches) else {
            self.throttle.record_failure(&key, Instant::now());
            tracing::warn!("failed admin sign-in");
            return Err(SignInError::WrongCredentials);
        };
        self.throttle.record_success(&key);
        let token = token::new_token();
        let now = now_millis();
        let expires = now + i64::try_from(SESSION_LIFETIME.as_millis()).unwrap_or(i64::MAX);
        self.store
            .create_session(&token::hash_token(&token), record.id, now, expires)
            .await?;
        self.store.record_sign_in(record.id).await?;
        Ok(NewSession {
            token,
            admin: record.admin(),
            max_age: SESSION_LIFETIME,
        })
    }

    async fn admin_for_session(&self, token: &str) -> Result<Option<Admin>, StoreError> {
        self.store
            .session_admin(&token::hash_token(token), now_millis())
            .await
    }

    async fn sign_out(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&token::hash_token(token)).await
    }
}
