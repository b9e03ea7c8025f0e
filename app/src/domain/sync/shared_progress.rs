//! Several server processes on one database behave as one: the process
//! running a sync publishes its progress through the database, and every
//! other process shows it to its own pages. This is the rule for what a
//! process shows of what another published.

use super::progress::ProgressEvent;
use super::view::RunState;

/// Progress another server process published, as this one read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    pub event: ProgressEvent,
    /// The state of the event's run in the database now (`None`: no run, or
    /// no such run any more).
    pub run_state: Option<RunState>,
    /// How long this process has seen the event say running while its run
    /// had ended (0 while the run runs). Timed by the reader: the writer's
    /// clock may be another machine's.
    pub ended_for_ms: i64,
}

/// What this process's pages show after reading another's progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// Show this event.
    Event(ProgressEvent),
    /// Not news here: keep what is shown.
    NotNews,
    /// Keep what is shown, and read the same again at the next look.
    LookAgain,
}

/// What this process shows of `published`.
///
/// - `first_look`: the process has just started. A sync that ended before
///   it started is not news to its pages (a restarted process shows Idle,
///   as it always has); a sync still running is.
/// - `running_here`: this process runs a sync itself. Its own progress is
///   the truth; an older event from another process, read late, must not
///   cover it.
/// - `grace_ms`: a sync's process writes its last event a moment after the
///   run's state changes. A running event whose run has ended is given this
///   long to be followed; after it, its process is taken for gone (killed
///   before it could say how the sync ended) and Idle is shown, while the
///   page's overview shows the run as the database has it (interrupted,
///   failed).
pub fn shown(published: &Published, first_look: bool, running_here: bool, grace_ms: i64) -> Shown {
    if running_here {
        return Shown::NotNews;
    }
    let event = &published.event;
    if !event.is_running() {
        return if first_look {
            Shown::NotNews
        } else {
            Shown::Event(event.clone())
        };
    }
    if published.run_state.is_some_and(RunState::is_running) {
        Shown::Event(event.clone())
    } else if published.ended_for_ms > grace_ms {
        Shown::Event(ProgressEvent::Idle)
    } else {
        Shown::LookAgain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::sync::progress::BucketCounts;

    const GRACE: i64 = 5_000;

    fn fetching(run_id: i64) -> ProgressEvent {
        ProgressEvent::Fetching {
            run_id,
            started_by: "admin@example.com".into(),
            pages: 2,
            users_so_far: 1998,
            total: Some(5000),
            groups_so_far: 0,
            changes_only: false,
        }
    }

    fn previewed(run_id: i64) -> ProgressEvent {
        ProgressEvent::Previewed {
            run_id,
            counts: BucketCounts::default(),
            unchanged: 0,
        }
    }

    fn published(
        event: ProgressEvent,
        run_state: Option<RunState>,
        ended_for_ms: i64,
    ) -> Published {
        Published {
            event,
            run_state,
            ended_for_ms,
        }
    }

    #[test]
    fn a_sync_running_in_another_process_is_shown() {
        let p = published(fetching(7), Some(RunState::Fetching), 0);
        assert_eq!(shown(&p, false, false, GRACE), Shown::Event(fetching(7)));
        // Also to a process that has just started.
        assert_eq!(shown(&p, true, false, GRACE), Shown::Event(fetching(7)));
    }

    #[test]
    fn how_a_sync_ended_is_shown_but_not_to_a_process_started_after() {
        let p = published(previewed(7), Some(RunState::Previewed), 0);
        assert_eq!(shown(&p, false, false, GRACE), Shown::Event(previewed(7)));
        assert_eq!(shown(&p, true, false, GRACE), Shown::NotNews);
    }

    #[test]
    fn a_process_running_a_sync_shows_its_own_progress() {
        let p = published(previewed(6), Some(RunState::Previewed), 0);
        assert_eq!(shown(&p, false, true, GRACE), Shown::NotNews);
    }

    #[test]
    fn a_running_event_of_a_run_that_ended_waits_for_its_last_word() {
        // The run's commit came first; the process's last event follows.
        let p = published(fetching(7), Some(RunState::Previewed), 100);
        assert_eq!(shown(&p, false, false, GRACE), Shown::LookAgain);
    }

    #[test]
    fn a_process_killed_mid_sync_is_not_shown_running_forever() {
        // The reaper marked its run failed; the process never said so.
        for state in [Some(RunState::Failed), Some(RunState::Interrupted), None] {
            let p = published(fetching(7), state, GRACE + 1);
            assert_eq!(
                shown(&p, false, false, GRACE),
                Shown::Event(ProgressEvent::Idle)
            );
        }
    }
}
