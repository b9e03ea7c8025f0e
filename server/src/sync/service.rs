//! The Import Users port ([`SyncJobs`]) over the store, the progress hub and
//! the connection: previews and applies start here and run in the
//! background; the pages read stored plans one page at a time.

use super::apply::{ApplyJob, ApplyRequest, check_applicable};
use super::cancel::RunningFetch;
use super::connection::ConnectionService;
use super::history::run_summary;
use super::lock::LockPolicy;
use super::preview::{PreviewJob, SyncError};
use super::progress::ProgressHub;
use crate::graph::RetryPolicy;
use crate::store::{RunRecord, Store, StoredEntry, now_millis};
use app::domain::connection::ExpiryLevel;
use app::domain::paging::{PAGE_SIZE, Page, UserQuery};
use app::domain::sync::PlanEntry;
use app::domain::sync::progress::{BucketCounts, ProgressEvent};
use app::domain::sync::schedule::SCHEDULE_ACTOR;
use app::domain::sync::view::{
    ExcludedCounts, GroupChange, ImportOverview, PlanBucket, PlanRow, PreviewSummary, RunState,
    RunSummary,
};
use app::services::{StoreError, SyncFailure, SyncJobs};
use async_trait::async_trait;
use std::sync::Arc;

pub struct ImportService {
    store: Store,
    hub: Arc<ProgressHub>,
    connections: Arc<ConnectionService>,
    fetch: RunningFetch,
    lock_policy: LockPolicy,
}

impl ImportService {
    pub fn new(
        store: Store,
        hub: Arc<ProgressHub>,
        connections: Arc<ConnectionService>,
        lock_policy: LockPolicy,
    ) -> Self {
        Self {
            store,
            hub,
            connections,
            fetch: RunningFetch::default(),
            lock_policy,
        }
    }

    /// The directory read this process runs, for a Cancel clicked in
    /// another process to reach it.
    pub fn running_fetch(&self) -> RunningFetch {
        self.fetch.clone()
    }

    pub fn hub(&self) -> Arc<ProgressHub> {
        self.hub.clone()
    }

    /// The connection settings this service reads each preview from.
    pub fn connections(&self) -> Arc<ConnectionService> {
        self.connections.clone()
    }

    async fn load_run(&self, run_id: i64) -> Result<RunRecord, SyncFailure> {
        self.store
            .get_run(run_id)
            .await
            .map_err(|e| missing(run_id, e))
    }

    async fn excluded(&self, run_id: i64) -> Result<ExcludedCounts, SyncFailure> {
        let mut counts = ExcludedCounts::default();
        for (bucket, n) in self.store.excluded_counts(run_id).await? {
            if let Some(bucket) = PlanBucket::parse(&bucket) {
                counts.add(bucket, n.max(0) as u64);
            }
        }
        Ok(counts)
    }
}

/// The longest a sync waits for the secret's expiry before it reads.
const EXPIRY_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(15);

/// A started job, to spawn (a click) or to await (the schedule).
type Job<T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, SyncError>> + Send>>;

impl ImportService {
    /// Takes the lock and records a preview started by `actor` (an admin,
    /// or the schedule), publishes it, and returns the fetch to run: the
    /// admin's click returns as soon as the lock is taken. Every sync also
    /// reads when the client secret expires, first, so that a finished
    /// preview has it. `full_read` reads the whole directory even where its
    /// changes would do.
    pub(super) async fn begin_preview(
        &self,
        actor: &str,
        full_read: bool,
    ) -> Result<(i64, Job<i64>), SyncError> {
        // The connection as saved when the preview starts.
        let connection = self.connections.current().await?;
        let client = connection
            .client(RetryPolicy::default())
            .map_err(SyncError::NotApplicable)?;
        // The expiry is read with a short patience: Cancel waits for it.
        let expiry_client = connection
            .client(ConnectionService::test_policy())
            .map_err(SyncError::NotApplicable)?;
        // The options saved in Settings when the preview starts; the run
        // records them.
        let options = self.store.sync_options().await?;
        let job = PreviewJob::begin(&self.store, actor, &options, self.lock_policy)
            .await?
            .full_read(full_read);
        let run_id = job.run_id;
        // Published before returning, so the page's event stream starts here.
        self.hub.publish(ProgressEvent::Fetching {
            run_id,
            started_by: actor.to_owned(),
            pages: 0,
            users_so_far: 0,
            total: None,
            groups_so_far: 0,
            changes_only: false,
        });
        let started = self.fetch.start(run_id);
        let (store, hub) = (self.store.clone(), self.hub.clone());
        let connections = self.connections.clone();
        Ok((
            run_id,
            Box::pin(async move {
                // A failed read is kept with its reason; a failed save is
                // only logged; a read that hangs is given up.
                let read = connections.read_secret_expiry(&connection, &expiry_client);
                match tokio::time::timeout(EXPIRY_READ_LIMIT, read).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "could not keep the client secret's expiry")
                    }
                    Err(_) => tracing::warn!("reading the client secret's expiry took too long"),
                }
                job.run(&store, &hub, &client, started.cancel.clicked())
                    .await
            }),
        ))
    }

    /// Checks and locks an apply of `run_id` for `actor`, publishes it, and
    /// returns the batches to run.
    pub(super) async fn begin_apply(
        &self,
        run_id: i64,
        actor: &str,
        override_threshold: bool,
    ) -> Result<Job<BucketCounts>, SyncError> {
        let request = ApplyRequest {
            run_id,
            admin: actor,
            excluded: &[],
            override_threshold,
        };
        // One read of the run, in the job's own checks.
        let job = ApplyJob::begin(&self.store, &request, self.lock_policy).await?;
        let total = match self.store.count_pending(run_id).await {
            Ok(total) => total,
            Err(e) => {
                // The job holds the lock: running it releases the lock and
                // records the failure.
                tracing::error!(run_id, error = %e, "could not count the rows to apply");
                0
            }
        };
        self.hub.publish(ProgressEvent::Applying {
            run_id,
            started_by: actor.to_owned(),
            done: 0,
            total,
            counts: BucketCounts::default(),
            rate_per_sec: 0.0,
            eta_secs: None,
        });
        let (store, hub) = (self.store.clone(), self.hub.clone());
        Ok(Box::pin(async move { job.run(&store, &hub).await }))
    }
}

/// A store error about run `run_id`, where "not found" means the run.
fn missing(run_id: i64, error: StoreError) -> SyncFailure {
    match error {
        StoreError::NotFound => SyncFailure::Refused(format!("Sync run {run_id} does not exist.")),
        e => e.into(),
    }
}

/// A job's refusal as the port reports it: the store's failures stay
/// internal, everything else is worded for the admin.
fn refusal(error: SyncError) -> SyncFailure {
    match error {
        SyncError::Store(e) => SyncFailure::Store(e),
        other => SyncFailure::Refused(other.to_string()),
    }
}

fn plan_row(row: &StoredEntry) -> Option<PlanRow> {
    let mut shown = match &row.entry {
        PlanEntry::Add(a) => PlanRow::added(row.seq, a),
        PlanEntry::Update(u) => PlanRow::updated(row.seq, u),
        PlanEntry::Deactivate(d) => PlanRow::deactivated(row.seq, d),
        PlanEntry::Skip(s) => PlanRow::skipped(row.seq, s),
        PlanEntry::Groups(_) => return None,
    };
    shown.excluded = row.excluded;
    shown.outcome = row.outcome.map(|o| o.as_str().to_owned());
    shown.outcome_detail = row.outcome_detail.clone();
    Some(shown)
}

#[async_trait]
impl SyncJobs for ImportService {
    async fn overview(&self) -> Result<ImportOverview, SyncFailure> {
        let last = self.store.newest_run(None).await?;
        let interrupted = self.store.newest_run(Some(RunState::Interrupted)).await?;
        let connection = self.connections.current().await?;
        let secret_expiry = self
            .connections
            .secret_expiry(&connection)
            .await?
            .and_then(|e| e.notice(now_millis(), self.connections.secret_in_environment()))
            .filter(|notice| notice.level != ExpiryLevel::Fine);
        let schedule = self.store.schedule_state().await?;
        Ok(ImportOverview {
            next_scheduled: schedule.next_run_text(now_millis()),
            last_scheduled: schedule
                .last_outcome
                .filter(|_| schedule.last_run_at.is_some()),
            secret_expiry,
            connection: connection.status(),
            progress: self.hub.current(),
            open_preview: last
                .as_ref()
                .filter(|run| run.state == RunState::Previewed)
                .map(|run| run.id),
            last_run: last.as_ref().map(run_summary),
            interrupted: interrupted.as_ref().map(run_summary),
        })
    }

    async fn waiting_preview(&self) -> Result<Option<i64>, SyncFailure> {
        // The preview Import Users offers (the newest run, when previewed),
        // when the schedule started it.
        let newest = self.store.newest_run(None).await?;
        Ok(newest
            .filter(|run| run.state == RunState::Previewed && run.started_by == SCHEDULE_ACTOR)
            .map(|run| run.id))
    }

    async fn start_preview(&self, admin: &str, full_read: bool) -> Result<i64, SyncFailure> {
        let (run_id, fetch) = self
            .begin_preview(admin, full_read)
            .await
            .map_err(refusal)?;
        tokio::spawn(async move {
            // Failures are logged and published by the job itself.
            let _ = fetch.await;
        });
        Ok(run_id)
    }

    async fn preview_reactivation(&self, run_id: i64, admin: &str) -> Result<i64, SyncFailure> {
        self.load_run(run_id).await?;
        super::undo::preview_reactivation(&self.store, &self.hub, run_id, admin, self.lock_policy)
            .await
            .map_err(refusal)
    }

    async fn cancel_fetch(&self, admin: &str) -> Result<(), SyncFailure> {
        if self.fetch.cancel(None, admin) {
            return Ok(());
        }
        // Another server process may be reading: it looks for the request.
        if let Some(run_id) = self.store.request_cancel(admin).await? {
            tracing::info!(run_id, %admin, "cancel requested of the server reading the directory");
        }
        Ok(())
    }

    async fn preview_summary(&self, run_id: i64) -> Result<PreviewSummary, SyncFailure> {
        let run = self.load_run(run_id).await?;
        let stale = match check_applicable(&self.store, &run).await {
            Ok(()) => None,
            Err(SyncError::Store(e)) => return Err(e.into()),
            Err(e) => Some(e.to_string()),
        };
        Ok(PreviewSummary {
            excluded: self.excluded(run_id).await?,
            safety_reasons: run.totals.safety.clone(),
            options: run.options.clone(),
            stale,
            run: run_summary(&run),
        })
    }

    async fn plan_page(
        &self,
        run_id: i64,
        bucket: PlanBucket,
        query: &UserQuery,
    ) -> Result<Page<PlanRow>, SyncFailure> {
        let (rows, total) = self
            .store
            .plan_page(run_id, bucket, &query.search, query.offset(), PAGE_SIZE)
            .await?;
        let items = rows.iter().filter_map(plan_row).collect();
        Ok(Page {
            items,
            total,
            page: query.page,
            page_size: PAGE_SIZE,
        })
    }

    async fn group_changes(
        &self,
        run_id: i64,
        query: &UserQuery,
    ) -> Result<Page<GroupChange>, SyncFailure> {
        let lines = match self.store.group_plan(run_id).await? {
            Some(plan) => GroupChange::summarize(&plan, &self.store.group_names().await?),
            None => Vec::new(),
        };
        Ok(Page::of(lines, query, GroupChange::matches))
    }

    async fn set_excluded(
        &self,
        run_id: i64,
        seqs: &[i64],
        excluded: bool,
    ) -> Result<ExcludedCounts, SyncFailure> {
        let run = self.load_run(run_id).await?;
        if !run.state.is_open() {
            return Err(SyncFailure::Refused(
                "This preview can no longer be changed: it was applied, discarded or replaced. Preview again."
                    .into(),
            ));
        }
        if !self.store.set_rows_excluded(run_id, seqs, excluded).await? {
            return Err(SyncFailure::Refused(
                "This preview is being applied, or was applied, discarded or replaced: its rows can no longer \
                 be excluded."
                    .into(),
            ));
        }
        self.excluded(run_id).await
    }

    async fn start_apply(
        &self,
        run_id: i64,
        admin: &str,
        override_threshold: bool,
    ) -> Result<(), SyncFailure> {
        let apply = self
            .begin_apply(run_id, admin, override_threshold)
            .await
            .map_err(|e| match e {
                SyncError::Store(e) => missing(run_id, e),
                e => refusal(e),
            })?;
        tokio::spawn(async move {
            // Failures are logged, published and recorded by the job itself.
            let _ = apply.await;
        });
        Ok(())
    }

    async fn discard(&self, run_id: i64, admin: &str) -> Result<(), SyncFailure> {
        let run = self.load_run(run_id).await?;
        let refused = || {
            SyncFailure::Refused(format!(
                "Only a preview or an interrupted sync can be discarded; this one is {}.",
                run.state.label().to_lowercase()
            ))
        };
        if !run.state.is_open() {
            return Err(refused());
        }
        if !self
            .store
            .discard_run(run_id, crate::store::now_millis())
            .await?
        {
            return Err(refused());
        }
        tracing::info!(run_id, %admin, "run discarded");
        if self.hub.current().run_id() == Some(run_id) && !self.hub.current().is_running() {
            self.hub.publish(ProgressEvent::Idle);
        }
        Ok(())
    }

    async fn list_runs(&self, page: u32) -> Result<Page<RunSummary>, SyncFailure> {
        let query = UserQuery::new("", page);
        let total = self.store.count_runs().await?;
        let runs = self
            .store
            .list_runs(i64::from(PAGE_SIZE), query.offset() as i64)
            .await?;
        Ok(Page {
            items: runs.iter().map(run_summary).collect(),
            total,
            page: query.page,
            page_size: PAGE_SIZE,
        })
    }

    async fn run(&self, run_id: i64) -> Result<RunSummary, SyncFailure> {
        Ok(run_summary(&self.load_run(run_id).await?))
    }
}
