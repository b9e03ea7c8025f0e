//! Several server processes on one database behave as one. Two tasks per
//! process:
//!
//! - the writer puts this process's own progress events in the database
//!   (the latest one, at most a few times a second: every event carries the
//!   whole state, so skipping between them loses nothing);
//! - the reader looks at the database every moment: it shows what another
//!   process runs to this process's pages (by the domain's rule,
//!   `domain::sync::shared_progress`), and carries a Cancel clicked
//!   elsewhere to the directory read running here.
//!
//! Polling, not PostgreSQL's LISTEN/NOTIFY: the same on both engines, one
//! small read per look, and nothing to reconnect.

use super::cancel::RunningFetch;
use super::progress::ProgressHub;
use crate::store::{SharedProgress, Store, now_millis};
use app::domain::sync::shared_progress::{Published, Shown, shown};
use app::domain::sync::view::RunState;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How often the processes look at each other.
#[derive(Debug, Clone, Copy)]
pub struct SharingPolicy {
    /// Between two looks at the shared row (a Cancel clicked elsewhere
    /// takes up to this long to arrive; progress as long to show).
    pub look_every: Duration,
    /// The least time between two writes of this process's progress.
    pub write_gap: Duration,
    /// How long a running sync's process has, after its run ended, to say
    /// how: then it is taken for gone.
    pub grace: Duration,
}

impl Default for SharingPolicy {
    fn default() -> Self {
        Self {
            look_every: Duration::from_millis(300),
            write_gap: Duration::from_millis(200),
            grace: Duration::from_secs(5),
        }
    }
}

/// Starts both tasks. They end when the hub is dropped.
pub fn spawn(store: Store, hub: &Arc<ProgressHub>, fetch: RunningFetch, policy: SharingPolicy) {
    let publisher = process_name();
    tokio::spawn(write_published_here(
        store.clone(),
        hub.published_here(),
        publisher.clone(),
        policy.write_gap,
    ));
    tokio::spawn(show_published_elsewhere(
        store,
        Arc::downgrade(hub),
        fetch,
        publisher,
        policy,
    ));
}

/// A name for this process, new at every start.
fn process_name() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn write_published_here(
    store: Store,
    mut published: tokio::sync::watch::Receiver<app::domain::sync::progress::ProgressEvent>,
    publisher: String,
    gap: Duration,
) {
    while published.changed().await.is_ok() {
        let event = published.borrow_and_update().clone();
        // Until it is written, or a newer event replaces it.
        while let Err(e) = store
            .publish_progress(&publisher, &event, now_millis())
            .await
        {
            tracing::warn!(error = %e, "could not share the sync's progress with other server processes");
            tokio::time::sleep(Duration::from_secs(1)).await;
            if published.has_changed().unwrap_or(false) {
                break;
            }
        }
        tokio::time::sleep(gap).await;
    }
}

async fn show_published_elsewhere(
    store: Store,
    hub: Weak<ProgressHub>,
    fetch: RunningFetch,
    publisher: String,
    policy: SharingPolicy,
) {
    let mut looks = tokio::time::interval(policy.look_every);
    looks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The version last taken into account; none before the first look.
    let mut seen: Option<i64> = None;
    // Since when a version has said running while its run had ended.
    let mut ended_since: Option<(i64, Instant)> = None;
    loop {
        looks.tick().await;
        let Some(hub) = hub.upgrade() else { return };
        let shared = match store.shared_progress().await {
            Ok(shared) => shared,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the progress of other server processes");
                continue;
            }
        };
        carry_cancel(&store, &fetch, &shared).await;
        // A running sync shown from elsewhere is looked at again even when
        // its process wrote nothing new: that process may have died.
        let showing_theirs = hub.current().is_running() && !hub.running_here();
        if seen == Some(shared.version) && !showing_theirs {
            continue;
        }
        let first_look = seen.is_none();
        let (Some(event), false) = (
            &shared.event,
            shared.publisher.as_deref() == Some(&publisher),
        ) else {
            // Written here, or unreadable: nothing to show.
            seen = Some(shared.version);
            continue;
        };
        let run_ended = event.is_running() && !shared.run_state.is_some_and(RunState::is_running);
        let ended_for = match ended_since {
            _ if !run_ended => Duration::ZERO,
            Some((version, since)) if version == shared.version => since.elapsed(),
            _ => {
                ended_since = Some((shared.version, Instant::now()));
                Duration::ZERO
            }
        };
        let published = Published {
            event: event.clone(),
            run_state: shared.run_state,
            ended_for_ms: millis(ended_for),
        };
        match shown(
            &published,
            first_look,
            hub.running_here(),
            millis(policy.grace),
        ) {
            Shown::Event(event) => {
                hub.show_from_elsewhere(event);
                seen = Some(shared.version);
            }
            Shown::NotNews => seen = Some(shared.version),
            Shown::LookAgain => {}
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// A Cancel clicked in another process, for the directory read running
/// here: stops it, and forgets the request.
async fn carry_cancel(store: &Store, fetch: &RunningFetch, shared: &SharedProgress) {
    let Some((run_id, by)) = &shared.cancel else {
        return;
    };
    if fetch.cancel(Some(*run_id), by)
        && let Err(e) = store.clear_cancel(*run_id).await
    {
        tracing::warn!(error = %e, "could not clear a carried-out cancel");
    }
}
