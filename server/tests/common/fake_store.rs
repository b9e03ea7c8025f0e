//! The sync jobs' ports in memory: runs, stored plans, users and the lock,
//! with `decide` carried out row by row as the SQL store does. Lets a test
//! steer what a database cannot easily be made to do on cue: take the lock
//! over in the middle of an apply, refuse one row.

use app::domain::sync::apply::{
    RowDecision, RowFacts, UserChange, apply_group_plan, decide, email_holder,
};
use app::domain::sync::directory_read::{ReadKind, StoredDirectory};
use app::domain::sync::plan::StoredPlan;
use app::domain::sync::run::{RowOutcome, RunTotals};
use app::domain::sync::view::{PlanBucket, RunState};
use app::domain::sync::{LocalState, PlanEntry, SyncOptions};
use app::services::StoreError;
use async_trait::async_trait;
use server::store::{LockHolder, LockLost, RunRecord, StoredEntry};
use server::sync::LockPolicy;
use server::sync::ports::{ApplyStore, HeldLock, PreviewStore, SyncLocks};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

#[derive(Default)]
pub struct FakeState {
    pub local: LocalState,
    pub runs: BTreeMap<i64, RunRecord>,
    pub rows: BTreeMap<i64, Vec<StoredEntry>>,
    /// The holder's token and who it is.
    pub lock: Option<(String, String)>,
    /// Told when the lock is taken over.
    lost: Option<watch::Sender<bool>>,
    next_token: u64,
    /// A row writing this address is refused, as a database constraint would.
    pub refuse_email: Option<String>,
    /// Batches committed so far.
    pub batches: u64,
    /// After this many batches another run takes the lock over.
    pub take_over_after_batches: Option<u64>,
    /// The last complete read of Azure AD.
    pub directory: Option<StoredDirectory>,
}

#[derive(Clone, Default)]
pub struct FakeSyncStore(pub Arc<Mutex<FakeState>>);

impl FakeSyncStore {
    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.0.lock().unwrap()
    }

    /// Another run takes the lock over, as after this one went silent.
    pub fn take_over(&self, by: &str) {
        take_over(&mut self.state(), by);
    }

    fn end(
        &self,
        run_id: i64,
        token: &str,
        state: RunState,
        error: &str,
        finished_at: Option<i64>,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let run = run_mut(&mut s, run_id)?;
        if matches!(run.state, RunState::Fetching | RunState::Applying) {
            run.state = state;
            run.error = Some(error.to_owned());
            run.finished_at = finished_at.or(run.finished_at);
        }
        s.lock = None;
        Ok(Ok(()))
    }
}

fn take_over(s: &mut FakeState, by: &str) {
    s.next_token += 1;
    s.lock = Some((format!("other-{}", s.next_token), by.to_owned()));
    if let Some(lost) = s.lost.take() {
        let _ = lost.send(true);
    }
}

fn holds(s: &FakeState, token: &str) -> bool {
    s.lock.as_ref().is_some_and(|(t, _)| t == token)
}

pub struct FakeLock {
    store: FakeSyncStore,
    token: String,
    lost: watch::Receiver<bool>,
}

#[async_trait]
impl HeldLock for FakeLock {
    fn token(&self) -> &str {
        &self.token
    }

    async fn attach(&self, _run_id: i64) -> Result<(), StoreError> {
        Ok(())
    }

    fn lost(&self) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>> {
        let mut lost = self.lost.clone();
        Box::pin(async move {
            if lost.wait_for(|l| *l).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    async fn release(self: Box<Self>) {
        let mut s = self.store.state();
        if holds(&s, &self.token) {
            s.lock = None;
            s.lost = None;
        }
    }
}

#[async_trait]
impl SyncLocks for FakeSyncStore {
    async fn acquire(
        &self,
        holder: &str,
        _run_id: Option<i64>,
        _policy: LockPolicy,
    ) -> Result<Result<Box<dyn HeldLock>, LockHolder>, StoreError> {
        let mut s = self.state();
        if let Some((_, who)) = &s.lock {
            return Ok(Err(LockHolder {
                holder: who.clone(),
                acquired_at: 0,
                run_id: None,
            }));
        }
        s.next_token += 1;
        let token = format!("token-{}", s.next_token);
        s.lock = Some((token.clone(), holder.to_owned()));
        let (tx, rx) = watch::channel(false);
        s.lost = Some(tx);
        Ok(Ok(Box::new(FakeLock {
            store: self.clone(),
            token,
            lost: rx,
        })))
    }

    async fn reap(&self, _policy: LockPolicy) -> Result<u64, StoreError> {
        Ok(0)
    }
}

fn run_mut(s: &mut FakeState, run_id: i64) -> Result<&mut RunRecord, StoreError> {
    s.runs.get_mut(&run_id).ok_or(StoreError::NotFound)
}

#[async_trait]
impl PreviewStore for FakeSyncStore {
    async fn create_run(
        &self,
        started_by: &str,
        options: &SyncOptions,
        now: i64,
    ) -> Result<i64, StoreError> {
        let mut s = self.state();
        let id = s.runs.len() as i64 + 1;
        s.runs.insert(
            id,
            RunRecord {
                id,
                state: RunState::Fetching,
                started_by: started_by.to_owned(),
                created_at: now,
                previewed_at: None,
                finished_at: None,
                options: options.clone(),
                totals: RunTotals::default(),
                directory_users: None,
                override_by: None,
                applied_by: None,
                error: None,
                last_applied_at: None,
                tenant_id: None,
                undoes_run: None,
                review_reason: None,
                read_kind: None,
            },
        );
        Ok(id)
    }

    async fn cancel_run(
        &self,
        run_id: i64,
        token: &str,
        why: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end(run_id, token, RunState::Cancelled, why, Some(now))
    }

    async fn fail_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end(run_id, token, RunState::Failed, error, Some(now))
    }

    async fn group_names(&self) -> Result<HashMap<String, String>, StoreError> {
        let s = self.state();
        Ok(s.local
            .groups
            .iter()
            .map(|g| (g.azure_object_id.clone(), g.name.clone()))
            .collect())
    }

    async fn load_local_state(&self) -> Result<LocalState, StoreError> {
        Ok(self.state().local.clone())
    }

    async fn load_directory(&self) -> Result<Option<StoredDirectory>, StoreError> {
        Ok(self.state().directory.clone())
    }

    async fn save_read(
        &self,
        run_id: i64,
        token: &str,
        directory: &StoredDirectory,
        kind: ReadKind,
        _now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        s.directory = Some(directory.clone());
        run_mut(&mut s, run_id)?.read_kind = Some(kind);
        Ok(Ok(()))
    }

    async fn save_preview(
        &self,
        run_id: i64,
        token: &str,
        plan: StoredPlan,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let rows = plan
            .rows
            .into_iter()
            .enumerate()
            .map(|(seq, entry)| StoredEntry {
                seq: seq as i64,
                entry,
                excluded: false,
                outcome: None,
                outcome_detail: None,
            })
            .collect();
        s.rows.insert(run_id, rows);
        let run = run_mut(&mut s, run_id)?;
        run.state = RunState::Previewed;
        run.previewed_at = Some(now);
        run.totals = plan.totals;
        run.directory_users = Some(plan.directory_users as i64);
        run.tenant_id = plan.tenant_id;
        s.lock = None;
        Ok(Ok(()))
    }
}

#[async_trait]
impl ApplyStore for FakeSyncStore {
    async fn get_run(&self, run_id: i64) -> Result<RunRecord, StoreError> {
        self.state()
            .runs
            .get(&run_id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn applied_since(&self, run_id: i64, since: i64) -> Result<bool, StoreError> {
        Ok(self
            .state()
            .runs
            .values()
            .any(|r| r.id != run_id && r.last_applied_at.is_some_and(|t| t > since)))
    }

    async fn exclude_rows(&self, run_id: i64, seqs: &[i64]) -> Result<(), StoreError> {
        let mut s = self.state();
        for row in s.rows.entry(run_id).or_default() {
            if seqs.contains(&row.seq) && row.outcome.is_none() {
                row.excluded = true;
            }
        }
        Ok(())
    }

    async fn mark_applying(
        &self,
        run_id: i64,
        token: &str,
        admin: &str,
        override_by: Option<&str>,
        _now: i64,
    ) -> Result<Result<bool, LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let run = run_mut(&mut s, run_id)?;
        if !run.state.is_open() {
            return Ok(Ok(false));
        }
        run.state = RunState::Applying;
        run.applied_by = Some(admin.to_owned());
        run.override_by = override_by.map(str::to_owned).or(run.override_by.take());
        Ok(Ok(true))
    }

    async fn interrupt_run(
        &self,
        run_id: i64,
        token: &str,
        error: &str,
    ) -> Result<Result<(), LockLost>, StoreError> {
        self.end(run_id, token, RunState::Interrupted, error, None)
    }

    async fn count_pending(&self, run_id: i64) -> Result<u64, StoreError> {
        let s = self.state();
        Ok(s.rows.get(&run_id).map_or(0, |rows| {
            rows.iter()
                .filter(|r| r.outcome.is_none() && UserChange::of(&r.entry).is_some())
                .count() as u64
        }))
    }

    async fn pending_rows(
        &self,
        run_id: i64,
        buckets: &[PlanBucket],
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let s = self.state();
        Ok(s.rows
            .get(&run_id)
            .map(|rows| {
                rows.iter()
                    .filter(|r| {
                        r.outcome.is_none()
                            && r.entry.bucket().is_some_and(|b| buckets.contains(&b))
                    })
                    .take(limit.max(0) as usize)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn apply_batch(
        &self,
        run_id: i64,
        token: &str,
        rows: &[StoredEntry],
        now: i64,
    ) -> Result<Result<Vec<RowOutcome>, LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let mut outcomes = Vec::new();
        for row in rows {
            let (outcome, detail) = match (row.excluded, UserChange::of(&row.entry)) {
                (true, _) => (RowOutcome::Excluded, None),
                (false, None) => (RowOutcome::Failed, Some("no user".to_owned())),
                (false, Some(change)) => {
                    let users = &s.local.users;
                    let facts = RowFacts {
                        user: change
                            .local_id()
                            .and_then(|id| users.iter().find(|u| u.id == id).cloned()),
                        email_holder: change
                            .email_taken()
                            .and_then(|e| email_holder(users, e, change.local_id())),
                        object_linked: change.links_object().is_some_and(|id| {
                            users
                                .iter()
                                .any(|u| u.azure_object_id.as_deref() == Some(id))
                        }),
                    };
                    match decide(change, &facts, now) {
                        RowDecision::Write(user)
                            if s.refuse_email.as_deref() == Some(&user.email) =>
                        {
                            (RowOutcome::Failed, Some("refused".to_owned()))
                        }
                        RowDecision::Write(mut user) => {
                            let users = &mut s.local.users;
                            match users.iter_mut().find(|u| u.id == user.id && user.id != 0) {
                                Some(existing) => *existing = user,
                                None => {
                                    user.id = users.iter().map(|u| u.id).max().unwrap_or(0) + 1;
                                    users.push(user);
                                }
                            }
                            (RowOutcome::Done, None)
                        }
                        RowDecision::Conflict(why) => (RowOutcome::Conflict, Some(why)),
                        RowDecision::Fail(why) => (RowOutcome::Failed, Some(why)),
                    }
                }
            };
            if let Some(stored) = s
                .rows
                .get_mut(&run_id)
                .and_then(|rows| rows.iter_mut().find(|r| r.seq == row.seq))
            {
                stored.outcome = Some(outcome);
                stored.outcome_detail = detail;
            }
            outcomes.push(outcome);
        }
        s.batches += 1;
        run_mut(&mut s, run_id)?.last_applied_at = Some(now);
        if s.take_over_after_batches == Some(s.batches) {
            take_over(&mut s, "another server");
        }
        Ok(Ok(outcomes))
    }

    async fn apply_groups(
        &self,
        run_id: i64,
        token: &str,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let plan = s.rows.get_mut(&run_id).and_then(|rows| {
            rows.iter_mut().find_map(|r| match (&r.entry, r.outcome) {
                (PlanEntry::Groups(g), None) => {
                    r.outcome = Some(RowOutcome::Done);
                    Some(g.clone())
                }
                _ => None,
            })
        });
        if let Some(plan) = plan {
            apply_group_plan(&mut s.local, &plan);
            run_mut(&mut s, run_id)?.last_applied_at = Some(now);
        }
        Ok(Ok(()))
    }

    async fn outcome_counts(
        &self,
        run_id: i64,
    ) -> Result<Vec<(PlanBucket, RowOutcome, u64)>, StoreError> {
        let s = self.state();
        let mut counts: BTreeMap<(u8, u8), (PlanBucket, RowOutcome, u64)> = BTreeMap::new();
        for row in s.rows.get(&run_id).into_iter().flatten() {
            if let (Some(bucket), Some(outcome)) = (row.entry.bucket(), row.outcome)
                && UserChange::of(&row.entry).is_some()
            {
                counts
                    .entry((bucket as u8, outcome as u8))
                    .or_insert((bucket, outcome, 0))
                    .2 += 1;
            }
        }
        Ok(counts.into_values().collect())
    }

    async fn finish_run(
        &self,
        run_id: i64,
        token: &str,
        totals: &RunTotals,
        now: i64,
    ) -> Result<Result<(), LockLost>, StoreError> {
        let mut s = self.state();
        if !holds(&s, token) {
            return Ok(Err(LockLost));
        }
        let run = run_mut(&mut s, run_id)?;
        run.state = RunState::Applied;
        run.totals = totals.clone();
        run.finished_at = Some(now);
        s.lock = None;
        Ok(Ok(()))
    }
}
