//! What the preview and apply jobs need of the database, as small traits:
//! the store implements them over SQL, and a test can fake them in memory.
//! The rule of what a row does lives in `domain::sync::apply::decide`;
//! whoever implements [`ApplyStore::apply_batch`] carries it out.

use super::lock::{LockPolicy, SyncLock};
use crate::store::{LockHolder, LockLost, RunRecord, Store, StoredEntry};
use app::domain::sync::directory_read::{ReadKind, StoredDirectory};
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::run::{RowOutcome, RunTotals};
use app::domain::sync::view::{PlanBucket, RunState};
use app::domain::sync::{LocalState, SyncOptions};
use app::services::StoreError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

/// The sync lock, held by one run: its token goes with every commit.
#[async_trait]
pub trait HeldLock: Send + Sync {
    fn token(&self) -> &str;
    /// Names the run the lock is for.
    async fn attach(&self, run_id: i64) -> Result<(), StoreError>;
    /// Completes when another run has taken the lock over.
    fn lost(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
    async fn release(self: Box<Self>);
}

/// One sync at a time, and the runs of dead holders.
#[async_trait]
pub trait SyncLocks: Send + Sync {
    /// Takes the lock for `holder`; refused with the live holder.
    async fn acquire(
        &self,
        holder: &str,
        run_id: Option<i64>,
        policy: LockPolicy,
    ) -> Result<Result<Box<dyn HeldLock>, LockHolder>, StoreError>;
    /// Marks the runs of a holder that is gone; returns how many applies
    /// became interrupted.
    async fn reap(&self, policy: LockPolicy) -> Result<u64, StoreError>;
}

/// What a preview reads and records.
#[async_trait]
pub trait PreviewStore: Send + Sync {
    async fn create_run(
        &self,
        started_by: &str,
        options: &SyncOptions,
        now: i64,
    ) -> Result<i64, StoreError>;
    /// Ends the run as cancelled (`why` says by whom), if `token` holds the lock.
    async fn cancel_run(
        &self,
        run_id: i64,
        token: &str,
        why: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
    /// Ends the run as failed, if `token` holds the lock.
    async fn fail_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
    /// The platform's groups' names by Azure object id.
    async fn group_names(&self) -> Result<HashMap<String, String>, StoreError>;
    async fn load_local_state(&self) -> Result<LocalState, StoreError>;
    /// The last complete read of Azure AD, to read only its changes.
    async fn load_directory(&self) -> Result<Option<StoredDirectory>, StoreError>;
    /// Keeps a complete read for the next one and records its kind on the
    /// run, if `token` holds the lock.
    async fn save_read(
        &self,
        run_id: i64,
        token: &str,
        directory: &StoredDirectory,
        kind: ReadKind,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
    /// Stores the plan and marks the run previewed, if `token` holds the lock.
    async fn save_preview(
        &self,
        run_id: i64,
        token: &str,
        plan: StoredPlan,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
}

/// What an apply reads and writes.
#[async_trait]
pub trait ApplyStore: Send + Sync {
    async fn get_run(&self, run_id: i64) -> Result<RunRecord, StoreError>;
    /// Whether a run other than `run_id` committed a change after `since`.
    async fn applied_since(&self, run_id: i64, since: i64) -> Result<bool, StoreError>;
    async fn exclude_rows(&self, run_id: i64, seqs: &[i64]) -> Result<(), StoreError>;
    /// False when the run was no longer open.
    async fn mark_applying(
        &self,
        run_id: i64,
        token: &str,
        admin: &str,
        override_by: Option<&str>,
        now: i64,
    ) -> Result<Result<bool, LockLost>, StoreError>;
    /// Leaves the run interrupted (resumable), if `token` holds the lock.
    async fn interrupt_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
    ) -> Result<Result<(), LockLost>, StoreError>;
    async fn count_pending(&self, run_id: i64) -> Result<u64, StoreError>;
    /// The next rows of `buckets` without an outcome, in plan order.
    async fn pending_rows(
        &self,
        run_id: i64,
        buckets: &[PlanBucket],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError>;
    /// Decides and writes each row, with its outcome, in one commit.
    async fn apply_batch(
        &self,
        run_id: i64,
        token: &str,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Result<Vec<RowOutcome>, LockLost>, StoreError>;
    async fn apply_groups(
        &self,
        run_id: i64,
        token: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
    /// How many rows of each bucket ended each way.
    async fn outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(PlanBucket, RowOutcome, u64)>, StoreError>;
    async fn finish_run(
        &self,
        run_id: i64,
        token: &str,
        totals: &RunTotals,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError>;
}

/// Everything the sync jobs reach.
pub trait SyncStore: SyncLocks + PreviewStore + ApplyStore {}

impl<T: SyncLocks + PreviewStore + ApplyStore> SyncStore for T {}

#[async_trait]
impl HeldLock for SyncLock {
    fn token(&self) -> &str {
        SyncLock::token(self)
    }

    async fn attach(&self, run_id: i64) -> Result<(), StoreError> {
        SyncLock::attach(self, run_id).await
    }

    fn lost(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        Box::pin(SyncLock::lost(self))
    }

    async fn release(self: Box<Self>) {
        SyncLock::release(*self).await
    }
}

#[async_trait]
impl SyncLocks for Store {
    async fn acquire(
        &self,
        holder: &str,
        run_id: Option<i64>,
        policy: LockPolicy,
    ) -> Result<Result<Box<dyn HeldLock>, LockHolder>, StoreError> {
        Ok(SyncLock::acquire(self, holder, run_id, policy)
            .await?
            .map(|lock| Box::new(lock) as Box<dyn HeldLock>))
    }

    async fn reap(&self, policy: LockPolicy) -> Result<u64, StoreError> {
        super::lock::reap(self, policy).await
    }
}

#[async_trait]
impl PreviewStore for Store {
    async fn create_run(
        &self,
        started_by: &str,
        options: &SyncOptions,
        now: i64,
    ) -> Result<i64, StoreError> {
        Store::create_run(self, started_by, options, now).await
    }

    async fn cancel_run(
        &self,
        run_id: i64,
        token: &str,
        why: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end_run(run_id, token, RunState::Cancelled, why, Some(now))
            .await
    }

    async fn fail_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end_run(run_id, token, RunState::Failed, error, Some(now))
            .await
    }

    async fn group_names(&self) -> Result<HashMap<String, String>, StoreError> {
        Store::group_names(self).await
    }

    async fn load_local_state(&self) -> Result<LocalState, StoreError> {
        Store::load_local_state(self).await
    }

    async fn load_directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        Store::load_directory(self).await
    }

    async fn save_read(
        &self,
        run_id: i64,
        token: &str,
        directory: &StoredDirectory,
        kind: ReadKind,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        Store::save_read(self, run_id, token, directory, kind, now).await
    }

    async fn save_preview(
        &self,
        run_id: i64,
        token: &str,
        plan: StoredPlan,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        Store::save_preview(self, run_id, token, plan, now).await
    }
}

#[async_trait]
impl ApplyStore for Store {
    async fn get_run(&self, run_id: i64) -> Result<RunRecord, StoreError> {
        Store::get_run(self, run_id).await
    }

    async fn applied_since(&self, run_id: i64, since: i64) -> Result<bool, StoreError> {
        Store::applied_since(self, run_id, since).await
    }

    async fn exclude_rows(&self, run_id: i64, seqs: &[i64]) -> Result<(), StoreError> {
        Store::exclude_rows(self, run_id, seqs).await
    }

    async fn mark_applying(
        &self,
        run_id: i64,
        token: &str,
        admin: &str,
        override_by: Option<&str>,
        now: i64,
    ) -> Result<Result<bool, LockLost>, StoreError> {
        Store::mark_applying(self, run_id, token, admin, override_by, now).await
    }

    async fn interrupt_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end_run(run_id, token, RunState::Interrupted, error, None)
            .await
    }

    async fn count_pending(&self, run_id: i64) -> Result<u64, StoreError> {
        Store::count_pending(self, run_id).await
    }

    async fn pending_rows(
        &self,
        run_id: i64,
        buckets: &[PlanBucket],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        Store::pending_rows(self, run_id, buckets, limit).await
    }

    async fn apply_batch(
        &self,
        run_id: i64,
        token: &str,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Result<Vec<RowOutcome>, LockLost>, StoreError> {
        Store::apply_batch(self, run_id, token, rows, now).await
    }

    async fn apply_groups(
        &self,
        run_id: i64,
        token: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        Store::apply_groups(self, run_id, token, now).await
    }

    async fn outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(PlanBucket, RowOutcome, u64)>, StoreError> {
        Store::outcome_counts(self, run_id).await
    }

    async fn finish_run(
        &self,
        run_id: i64,
        token: &str,
        totals: &RunTotals,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        Store::finish_run(self, run_id, token, totals, now).await
    }
}
