//! One sync at a time, across processes, and nothing left stuck when a
//! process dies.
//!
//! A sync holds two things for its whole life:
//! - the engine's own lock, which dies with the process: an exclusive file
//!   lock beside the SQLite file (the kernel drops it when the process
//!   exits, however it exits), or a PostgreSQL session advisory lock on a
//!   connection of its own (the server drops it when that connection
//!   closes);
//! - the `sync_lock` row, with the run's random token and who started it,
//!   renewed every [`LockPolicy::heartbeat`] by a task of its own in every
//!   phase, and checked by every commit of the run (fencing).
//!
//! A holder is gone when the engine's lock is free (and the row says it
//! held it), or when its heartbeat is older than [`LockPolicy::stale_after`]
//! (a process that hangs: a run that takes over from it holds the row
//! alone, and is judged by its own heartbeat). The [`spawn_reaper`] task
//! and every new sync then mark the gone holder's run interrupted.

use crate::store::{Engine, HolderLiveness, LockHolder, Store, now_millis};
use app::services::StoreError;
use sqlx::Connection;
use std::fs::{File, TryLockError};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The advisory lock's key on PostgreSQL ("dsyn").
const ADVISORY_KEY: i64 = 0x6473_796e;

/// How often the holder shows life, and when silence means it is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockPolicy {
    pub heartbeat: Duration,
    pub stale_after: Duration,
}

impl Default for LockPolicy {
    /// A heartbeat every 2 seconds; stale after 20 seconds of silence.
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(2),
            stale_after: Duration::from_secs(20),
        }
    }
}

impl LockPolicy {
    fn stale_cutoff(self, now: i64) -> i64 {
        now - i64::try_from(self.stale_after.as_millis()).unwrap_or(i64::MAX)
    }
}

/// The engine's lock, held: dropping it releases it.
enum EngineLock {
    File(File),
    /// For a sync: its own connection, out of the pool.
    Postgres(sqlx::AnyConnection),
    /// For a reaper's moment: a pooled connection, unlocked and handed back.
    PostgresBriefly(sqlx::pool::PoolConnection<sqlx::Any>),
}

enum Probe {
    Acquired(EngineLock),
    Busy,
    /// The engine gives no lock here (SQLite in memory, a file system
    /// without locks): only the row's heartbeat tells.
    Unavailable,
}

/// Tries the engine's lock, for a sync (`for_sync`: on a connection of its
/// own) or for a reaper's moment. What "free" proves lasts only while it is
/// held: whoever acts on it holds it meanwhile.
async fn probe(store: &Store, for_sync: bool) -> Result<Probe, StoreError> {
    if holds_here(store) {
        // This process holds it: a probe proves nothing (and where the file
        // system emulates file locks per process, would even succeed).
        return Ok(Probe::Busy);
    }
    match store.engine() {
        Engine::Sqlite => {
            let Some(db) = store.sqlite_file() else {
                return Ok(Probe::Unavailable);
            };
            let mut path = db.as_os_str().to_owned();
            path.push(".sync-lock");
            let file = match File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
            {
                Ok(file) => file,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open the sync lock file; relying on the heartbeat");
                    return Ok(Probe::Unavailable);
                }
            };
            Ok(match file.try_lock() {
                Ok(()) => Probe::Acquired(EngineLock::File(file)),
                Err(TryLockError::WouldBlock) => Probe::Busy,
                Err(TryLockError::Error(e)) => {
                    tracing::warn!(error = %e, "file locks are not available; relying on the heartbeat");
                    Probe::Unavailable
                }
            })
        }
        Engine::Postgres => {
            let mut conn = store
                .pool()
                .acquire()
                .await
                .map_err(|e| StoreError::Database(e.to_string()))?;
            let (got,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(ADVISORY_KEY)
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| StoreError::Database(e.to_string()))?;
            // For a sync the connection leaves the pool and lives with the
            // lock; otherwise it goes back once unlocked.
            Ok(match (got, for_sync) {
                (true, true) => Probe::Acquired(EngineLock::Postgres(conn.detach())),
                (true, false) => Probe::Acquired(EngineLock::PostgresBriefly(conn)),
                (false, _) => Probe::Busy,
            })
        }
    }
}

impl EngineLock {
    async fn release(self) {
        match self {
            Self::File(file) => drop(file),
            Self::Postgres(mut conn) => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(ADVISORY_KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            Self::PostgresBriefly(mut conn) => {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(ADVISORY_KEY)
                    .execute(&mut *conn)
                    .await;
                if unlocked.is_err() {
                    // Never hand back a connection that may still hold it.
                    let _ = conn.detach().close().await;
                }
            }
        }
    }
}

/// Takes the engine's lock, waiting a moment for a reaper's probe to let
/// go of it; `None` with the liveness it saw when it cannot.
async fn take_engine_lock(
    store: &Store,
) -> Result<(Option<EngineLock>, HolderLiveness), StoreError> {
    if holds_here(store) {
        // Our own sync holds it: no reaper of ours will let go of it soon.
        return Ok((None, HolderLiveness::Unproven));
    }
    for attempt in 0..10 {
        match probe(store, true).await? {
            Probe::Acquired(lock) => return Ok((Some(lock), HolderLiveness::EngineFree)),
            Probe::Unavailable => return Ok((None, HolderLiveness::Unproven)),
            Probe::Busy if attempt < 9 => tokio::time::sleep(Duration::from_millis(50)).await,
            Probe::Busy => {}
        }
    }
    Ok((None, HolderLiveness::Unproven))
}

/// The databases whose sync lock this process holds, by the store's
/// identity: a probe of our own lock would prove nothing.
static HELD_HERE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn holds_here(store: &Store) -> bool {
    let held = HELD_HERE.lock().unwrap_or_else(|e| e.into_inner());
    held.iter().any(|id| id == store.identity())
}

fn held_here(store: &Store, held: bool) {
    let mut list = HELD_HERE.lock().unwrap_or_else(|e| e.into_inner());
    if held {
        list.push(store.identity().to_owned());
    } else if let Some(i) = list.iter().position(|id| id == store.identity()) {
        list.swap_remove(i);
    }
}

/// The sync lock, held by one run. Release it with [`SyncLock::release`];
/// dropped without it (a panic), the engine's lock still goes.
pub struct SyncLock {
    store: Store,
    token: String,
    /// Shared with the heartbeat, which checks a PostgreSQL lock's
    /// connection is still there; taken at release.
    engine: SharedEngineLock,
    heartbeat: JoinHandle<()>,
    lost: watch::Receiver<bool>,
}

impl SyncLock {
    /// Takes the lock for `holder` (an admin's email), for `run_id` when the
    /// run exists already; refused with the live holder.
    pub async fn acquire(
        store: &Store,
        holder: &str,
        run_id: Option<i64>,
        policy: LockPolicy,
    ) -> Result<Result<Self, LockHolder>, StoreError> {
        let (engine, liveness) = take_engine_lock(store).await?;
        let token = new_token();
        let now = now_millis();
        let taken = store
            .take_sync_lock(
                &token,
                holder,
                run_id,
                now,
                policy.stale_cutoff(now),
                liveness,
            )
            .await;
        match taken {
            Ok(Ok(())) => {}
            Ok(Err(holder)) => {
                if let Some(engine) = engine {
                    engine.release().await;
                }
                return Ok(Err(holder));
            }
            Err(e) => {
                if let Some(engine) = engine {
                    engine.release().await;
                }
                return Err(e);
            }
        }
        let (lost_tx, lost) = watch::channel(false);
        let engine: SharedEngineLock = Arc::new(tokio::sync::Mutex::new(engine));
        let heartbeat = tokio::spawn(heartbeat(
            store.clone(),
            token.clone(),
            policy,
            engine.clone(),
            lost_tx,
        ));
        held_here(store, true);
        Ok(Ok(Self {
            store: store.clone(),
            token,
            engine,
            heartbeat,
            lost,
        }))
    }

    /// The run's token, which its commits present.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Names the run the lock is for.
    pub async fn attach(&self, run_id: i64) -> Result<(), StoreError> {
        self.store.attach_sync_lock(&self.token, run_id).await?;
        Ok(())
    }

    /// Completes when another run has taken the lock over (this one was
    /// silent past the stale window).
    pub fn lost(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut lost = self.lost.clone();
        async move {
            // An error means the heartbeat ended: the lock is being released.
            if lost.wait_for(|l| *l).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Releases the engine's lock, then the row (if this run still holds
    /// it). In that order, a sync starting in between finds the engine's
    /// lock free and takes the row over, rather than being refused.
    pub async fn release(self) {
        self.heartbeat.abort();
        let engine = self.engine.lock().await.take();
        if let Some(engine) = engine {
            engine.release().await;
        }
        if let Err(e) = self.store.release_sync_lock(&self.token).await {
            tracing::error!(error = %e, "could not release the sync lock; it goes stale");
        }
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        self.heartbeat.abort();
        // Let go of the engine's lock now, not when the runtime gets round
        // to dropping the aborted heartbeat (which shares it).
        if let Ok(mut engine) = self.engine.try_lock() {
            engine.take();
        }
        held_here(&self.store, false);
    }
}

/// The engine's lock, shared by a sync lock and its heartbeat.
type SharedEngineLock = Arc<tokio::sync::Mutex<Option<EngineLock>>>;

async fn heartbeat(
    store: Store,
    token: String,
    policy: LockPolicy,
    engine: SharedEngineLock,
    lost: watch::Sender<bool>,
) {
    let mut every = tokio::time::interval(policy.heartbeat);
    every.tick().await;
    loop {
        every.tick().await;
        check_engine_lock(&store, &token, &engine, policy).await;
        match store.renew_sync_lock(&token, now_millis()).await {
            Ok(true) => {}
            // Released by the commit that ended this run's phase: done.
            Ok(false)
                if store
                    .sync_lock_holder()
                    .await
                    .is_ok_and(|h| h.holder.is_empty()) =>
            {
                return;
            }
            Ok(false) => {
                tracing::error!("the sync lock was taken over by another run; this run stops");
                let _ = lost.send(true);
                return;
            }
            // A database hiccup: the next beat tries again; commits are
            // fenced whatever happens here.
            Err(e) => tracing::warn!(error = %e, "could not renew the sync lock"),
        }
    }
}

/// A PostgreSQL advisory lock lives as long as its connection: one that a
/// server cut (an idle timeout, a failover) has let the lock go, and its
/// being free no longer says this holder is gone. Found out, the row says
/// so, and others judge this run by its heartbeat alone.
async fn check_engine_lock(
    store: &Store,
    token: &str,
    engine: &SharedEngineLock,
    policy: LockPolicy,
) {
    let mut held = engine.lock().await;
    let Some(EngineLock::Postgres(conn)) = held.as_mut() else {
        return;
    };
    let alive = tokio::time::timeout(
        policy.heartbeat.max(Duration::from_millis(500)),
        sqlx::query("SELECT 1").execute(&mut *conn),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    if alive {
        return;
    }
    tracing::warn!(
        "the connection holding the sync's advisory lock was lost; relying on the heartbeat"
    );
    *held = None;
    if let Err(e) = store.disown_engine_lock(token).await {
        tracing::warn!(error = %e, "could not record that the advisory lock was lost");
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Marks the runs of a holder that is gone; returns how many applies
/// became interrupted.
pub async fn reap(store: &Store, policy: LockPolicy) -> Result<u64, StoreError> {
    // Held while the runs are marked: a sync taking the lock meanwhile
    // waits, instead of being reaped on a look that no longer holds.
    let (engine, liveness) = match probe(store, false).await? {
        Probe::Acquired(lock) => (Some(lock), HolderLiveness::EngineFree),
        Probe::Busy | Probe::Unavailable => (None, HolderLiveness::Unproven),
    };
    let now = now_millis();
    let reaped = store
        .reap_orphaned_runs(now, policy.stale_cutoff(now), liveness)
        .await;
    if let Some(engine) = engine {
        engine.release().await;
    }
    reaped
}

/// Looks for runs whose process died, at once and then every few seconds,
/// so that they can be resumed or discarded from the page.
pub fn spawn_reaper(store: Store, policy: LockPolicy) -> JoinHandle<()> {
    let every = (policy.heartbeat * 2).max(Duration::from_millis(500));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match reap(&store, policy).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(
                    runs = n,
                    "a sync was interrupted when its server stopped; resume or discard it"
                ),
                Err(e) => tracing::warn!(error = %e, "could not look for interrupted syncs"),
            }
        }
    })
}
