//! Admin sign-in: argon2id passwords, random session tokens stored hashed,
//! and a throttle that slows down repeated failures.

mod password;
mod throttle;
mod token;

pub use password::{hash_password, verify_password};
pub use throttle::{AttemptKey, Refusal, SignInThrottle, ThrottlePolicy};

use crate::store::{Store, now_millis};
use app::domain::admin::Admin;
use app::domain::email::MAX_EMAIL_LEN;
use app::services::{AdminAuth, NewSession, SignInError, StoreError};
use async_trait::async_trait;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How long a session lasts: it ends after `idle` without a request, and
/// at `absolute` after sign-in whatever happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(60 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// What identifies a session in memory and in the database: the hash of
/// its token, never the token itself.
pub fn session_key(token: &str) -> String {
    token::hash_token(token)
}

/// Password checks that may run at once. Each costs argon2's 19 MiB and a
/// core for tens of milliseconds: more would only queue in memory.
const CONCURRENT_PASSWORD_CHECKS: usize = 2;
/// How long an attempt waits for a free check before it is told to retry.
const CHECK_QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The `AdminAuth` port, over the store.
pub struct AuthService {
    store: Store,
    throttle: SignInThrottle,
    sessions: SessionPolicy,
    checks: Arc<Semaphore>,
}

impl AuthService {
    pub fn new(store: Store, throttle: ThrottlePolicy, sessions: SessionPolicy) -> Self {
        Self {
            store,
            throttle: SignInThrottle::new(throttle),
            sessions,
            checks: Arc::new(Semaphore::new(CONCURRENT_PASSWORD_CHECKS)),
        }
    }

    fn millis(d: Duration) -> i64 {
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
    }

    /// Sessions last seen before this are idle.
    fn idle_cutoff(&self, now: i64) -> i64 {
        now.saturating_sub(Self::millis(self.sessions.idle))
    }
}

#[async_trait]
impl AdminAuth for AuthService {
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<NewSession, SignInError> {
        // Counted in bytes: cheaper than characters, and never smaller.
        if email.len() > MAX_EMAIL_LEN * 4 || email.chars().count() > MAX_EMAIL_LEN {
            tracing::warn!(%client, length = email.len(), "refused a sign-in: email too long");
            return Err(SignInError::EmailTooLong);
        }
        // Logged with Debug: the email is the caller's text, escaped.
        let key = AttemptKey::new(app::domain::email::normalize_email(email), client);
        let attempt = match self.throttle.begin(key.clone(), Instant::now()) {
            Ok(attempt) => attempt,
            Err(refusal) => {
                tracing::warn!(email = ?key.email, %client, ?refusal, "refused a sign-in: throttled");
                return Err(SignInError::Throttled(refusal.wait()));
            }
        };
        let Ok(Ok(permit)) =
            tokio::time::timeout(CHECK_QUEUE_WAIT, self.checks.clone().acquire_owned()).await
        else {
            attempt.abandoned();
            tracing::warn!(email = ?key.email, %client, "refused a sign-in: too many password checks at once");
            return Err(SignInError::Throttled(Duration::from_secs(1)));
        };
        let record = match self.store.find_admin_by_email(email).await {
            Ok(record) => record,
            Err(e) => {
                attempt.abandoned();
                return Err(e.into());
            }
        };
        // Verify against a real hash even for an unknown email, so that the
        // time taken does not tell which emails are admins. The permit goes
        // with the check: a caller who hangs up does not free it early.
        let hash = record.as_ref().map(|r| r.password_hash.clone());
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            match hash {
                Some(hash) => verify_password(&password, &hash),
                None => {
                    let _ = verify_password(&password, password::DUMMY_HASH.as_str());
                    false
                }
            }
        })
        .await
        .map_err(|e| StoreError::Database(format!("password check failed: {e}")))?;

        let Some(record) = record.filter(|_| matches) else {
            tracing::warn!(email = ?key.email, %client, "refused a sign-in: wrong email or password");
            return Err(SignInError::WrongCredentials);
        };
        attempt.succeeded();
        let token = token::new_token();
        let now = now_millis();
        let expires = now.saturating_add(Self::millis(self.sessions.absolute));
        self.store
            .create_session(&token::hash_token(&token), record.id, now, expires)
            .await?;
        self.store.record_sign_in(record.id).await?;
        Ok(NewSession {
            token,
            admin: record.admin(),
            max_age: self.sessions.absolute,
        })
    }

    async fn admin_for_session(&self, token: &str) -> Result<Option<Admin>, StoreError> {
        let now = now_millis();
        let hash = token::hash_token(token);
        let admin = self
            .store
            .session_admin(&hash, now, self.idle_cutoff(now))
            .await?;
        // Best effort: a busy database must not refuse a live session.
        if admin.is_some()
            && let Err(e) = self.store.touch_session(&hash, now).await
        {
            tracing::warn!(error = %e, "could not record a session's use");
        }
        Ok(admin)
    }

    async fn session_is_live(&self, token: &str) -> Result<bool, StoreError> {
        let now = now_millis();
        Ok(self
            .store
            .session_admin(&token::hash_token(token), now, self.idle_cutoff(now))
            .await?
            .is_some())
    }

    async fn sign_out(&self, token: &str) -> Result<(), StoreError> {
        self.store.delete_session(&token::hash_token(token)).await
    }
}
