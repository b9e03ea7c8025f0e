//! The ports: what the server functions need from the running system, as
//! small traits. The `server` crate implements them (sqlx, argon2); the
//! server functions reach them through Leptos context, via [`Services`].

use crate::domain::admin::Admin;
use crate::domain::connection::{
    ConnectionInput, ConnectionSettings, ConnectionTest, FieldProblem, SecretExpiryView,
};
use crate::domain::group::GroupSummary;
use crate::domain::paging::{Page, UserQuery};
use crate::domain::settings::{GroupChoice, GroupSearch, SyncSettings};
use crate::domain::sync::SyncOptions;
use crate::domain::sync::schedule::{Schedule, ScheduleState};
use crate::domain::sync::view::{
    ExcludedCounts, GroupChange, ImportOverview, PlanBucket, PlanRow, PreviewSummary, RunSummary,
};
use crate::domain::user::{LocalUser, UserStatus};
use crate::domain::user_input::ValidUserInput;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Why a store operation failed, in terms the server functions can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the email address is already used by {owner}")]
    EmailTaken { owner: String },
    #[error("not found")]
    NotFound,
    /// The database failed; the text is for the log, never the browser.
    #[error("database error: {0}")]
    Database(String),
    /// The database is busy or out of reach for now (a lock wait, a lost
    /// connection): the same request may succeed later. For the log only.
    #[error("database unavailable: {0}")]
    Unavailable(String),
}

/// The platform's user directory.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn list_users(&self, query: &UserQuery) -> Result<Page<LocalUser>, StoreError>;
    async fn get_user(&self, id: i64) -> Result<LocalUser, StoreError>;
    async fn create_local_user(&self, input: &ValidUserInput) -> Result<LocalUser, StoreError>;
    async fn update_user(&self, id: i64, input: &ValidUserInput) -> Result<LocalUser, StoreError>;
    async fn set_user_status(&self, id: i64, status: UserStatus) -> Result<LocalUser, StoreError>;
}

/// The groups imported from Azure AD, and who is in them.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// One page of groups by name, `query.search` matching the name.
    async fn list_groups(&self, query: &UserQuery) -> Result<Page<GroupSummary>, StoreError>;
    async fn get_group(&self, id: i64) -> Result<GroupSummary, StoreError>;
    /// One page of a group's members, by name, searched like the Users page.
    async fn group_members(
        &self,
        id: i64,
        query: &UserQuery,
    ) -> Result<Page<LocalUser>, StoreError>;
    /// The groups a user is in, by name (the first 200).
    async fn user_groups(&self, user_id: i64) -> Result<Vec<GroupSummary>, StoreError>;
}

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("too many failed attempts; retry in {0:?}")]
    Throttled(Duration),
    /// Longer than any email address can be: refused before any work.
    #[error("the email is longer than 254 characters")]
    EmailTooLong,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session just opened: the token goes into the cookie, only its hash is stored.
pub struct NewSession {
    pub token: String,
    pub admin: Admin,
    pub max_age: Duration,
}

/// Admin accounts and their sessions.
#[async_trait]
pub trait AdminAuth: Send + Sync {
    /// `client` is the address the attempt came from: failures are counted
    /// per email and address, so nobody elsewhere can lock the admin out.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: std::net::IpAddr,
    ) -> Result<NewSession, SignInError>;
    /// The admin of a live session; counts as activity (the idle timeout
    /// starts again).
    async fn admin_for_session(&self, token: &str) -> Result<Option<Admin>, StoreError>;
    /// Whether a session is still live, without counting as activity: an
    /// open event stream asks this, so watching is not using.
    async fn session_is_live(&self, token: &str) -> Result<bool, StoreError>;
    async fn sign_out(&self, token: &str) -> Result<(), StoreError>;
}

/// Why a sync request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncFailure {
    /// Something the admin can act on, in their words (a sync already
    /// running, a stale preview, Graph's sign-in errors...).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Import from Azure AD: previews, their stored plans, applying them, and
/// the history. Previews and applies run in the background; their progress
/// goes out as server-sent events, not through these calls.
#[async_trait]
pub trait SyncJobs: Send + Sync {
    async fn overview(&self) -> Result<ImportOverview, SyncFailure>;
    /// A scheduled preview waiting for an admin (the navigation's badge).
    async fn waiting_preview(&self) -> Result<Option<i64>, SyncFailure>;
    /// Starts reading the directory; returns the new run's id at once.
    /// `full_read`: read the whole directory, not only its changes.
    async fn start_preview(&self, admin: &str, full_read: bool) -> Result<i64, SyncFailure>;
    /// Stops the running fetch (a no-op when none runs).
    async fn cancel_fetch(&self, admin: &str) -> Result<(), SyncFailure>;
    async fn preview_summary(&self, run_id: i64) -> Result<PreviewSummary, SyncFailure>;
    /// One page of one bucket of a run's plan, with outcomes once applied.
    async fn plan_page(
        &self,
        run_id: i64,
        bucket: PlanBucket,
        query: &UserQuery,
    ) -> Result<Page<PlanRow>, SyncFailure>;
    /// One page of the groups a run's plan changes, searched by name.
    async fn group_changes(
        &self,
        run_id: i64,
        query: &UserQuery,
    ) -> Result<Page<GroupChange>, SyncFailure>;
    /// Excludes rows from the apply (or takes them back in).
    async fn set_excluded(
        &self,
        run_id: i64,
        seqs: &[i64],
        excluded: bool,
    ) -> Result<ExcludedCounts, SyncFailure>;
    /// Checks the run can be applied, then applies it in the background.
    async fn start_apply(
        &self,
        run_id: i64,
        admin: &str,
        override_threshold: bool,
    ) -> Result<(), SyncFailure>;
    /// Gives up on a previewed or interrupted run.
    async fn discard(&self, run_id: i64, admin: &str) -> Result<(), SyncFailure>;
    /// Previews reactivating the users run `run_id` deactivated, as a run
    /// of its own; returns its id.
    async fn preview_reactivation(&self, run_id: i64, admin: &str) -> Result<i64, SyncFailure>;
    async fn list_runs(&self, page: u32) -> Result<Page<RunSummary>, SyncFailure>;
    async fn run(&self, run_id: i64) -> Result<RunSummary, SyncFailure>;
}

/// The options admins save on the Settings page, and the record of changes.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn sync_settings(&self) -> Result<SyncSettings, StoreError>;
    /// Saves valid options; records what changed. Returns the changes (none
    /// when the options were already these).
    async fn save_sync_options(
        &self,
        admin: &str,
        options: &SyncOptions,
    ) -> Result<Vec<String>, StoreError>;
}

/// The sync schedule (Settings > Sync options > Scheduled sync), kept by
/// the scheduler that runs it, on its clock.
#[async_trait]
pub trait SyncSchedule: Send + Sync {
    /// The schedule and when it runs next.
    async fn schedule(&self) -> Result<ScheduleState, StoreError>;
    /// Saves a valid schedule; records what changed and returns it.
    async fn save_schedule(
        &self,
        admin: &str,
        schedule: &Schedule,
    ) -> Result<Vec<String>, StoreError>;
}

/// Why a connection change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionFailure {
    /// Fields to correct, each with its message.
    #[error("please correct the highlighted fields")]
    Invalid(Vec<FieldProblem>),
    /// Something the admin can act on (the demo is forced on, say).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Azure AD connection: what the Settings page shows of it, saving it,
/// and Test connection. Secrets go in, never out.
#[async_trait]
pub trait AzureConnection: Send + Sync {
    async fn connection_settings(&self) -> Result<ConnectionSettings, StoreError>;
    /// Validates and saves; returns what changed (none when nothing did).
    async fn save_connection(
        &self,
        admin: &str,
        input: &ConnectionInput,
    ) -> Result<Vec<String>, ConnectionFailure>;
    /// Forgets the saved connection; returns what changed.
    async fn remove_connection(&self, admin: &str) -> Result<Vec<String>, ConnectionFailure>;
    /// Signs in with the connection in use and reads one page of users and
    /// of groups.
    async fn test_connection(&self) -> Result<ConnectionTest, StoreError>;
    /// The directory's groups whose name matches `query`, read afresh with
    /// `refresh`, else as read in the last few minutes; `Refused` says why
    /// the directory could not be read.
    async fn search_groups(
        &self,
        query: &str,
        refresh: bool,
    ) -> Result<GroupSearch, ConnectionFailure>;
    /// Fills in the names of `groups` that have none, from the directory,
    /// as far as it can be read.
    async fn name_groups(&self, groups: &mut [GroupChoice]);
    /// When the secret in use expires, as far as dirsync knows.
    async fn secret_expiry_view(&self) -> Result<SecretExpiryView, StoreError>;
    /// The admin's date for when the secret in use expires (milliseconds
    /// since the epoch; `None` clears it), while Azure AD does not say;
    /// returns what changed.
    async fn set_secret_expiry(
        &self,
        admin: &str,
        expires_at: Option<i64>,
    ) -> Result<Vec<String>, ConnectionFailure>;
}

/// Everything the server functions reach, provided once as Leptos context.
#[derive(Clone)]
pub struct Services {
    pub users: Arc<dyn UserStore>,
    pub groups: Arc<dyn GroupStore>,
    pub auth: Arc<dyn AdminAuth>,
    pub sync: Arc<dyn SyncJobs>,
    pub settings: Arc<dyn SettingsStore>,
    pub schedule: Arc<dyn SyncSchedule>,
    pub connection: Arc<dyn AzureConnection>,
    /// Whether cookies get `Secure`: the public URL is https.
    pub secure_cookies: bool,
}

/// Where a request came from, put into its extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "dirsync_session";

/// The `Set-Cookie` value that opens a session: never readable by scripts,
/// never sent by another site's requests, `Secure` when the app is served
/// over https (`DIRSYNC_PUBLIC_URL`).
pub fn session_cookie(token: &str, max_age: Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        max_age.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", Duration::ZERO, secure)
}

/// The session token from a request's `Cookie` headers, if any.
pub fn session_token(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            http::header::COOKIE,
            "theme=dark; dirsync_session=abc123".parse().unwrap(),
        );
        assert_eq!(session_token(&headers).as_deref(), Some("abc123"));
        headers.clear();
        headers.append(http::header::COOKIE, "dirsync_session=".parse().unwrap());
        assert_eq!(session_token(&headers), None);
        assert_eq!(session_token(&http::HeaderMap::new()), None);
    }
}
