//! `GET /api/sync/events`: the sync's progress as server-sent events. The
//! first event is the current state, so a reloaded page or a second tab
//! picks up a running sync at once; then every update, with keep-alives.
//! Behind the session gate like every `/api/` path: anonymous gets 401.

use super::AppState;
use app::domain::sync::progress::ProgressEvent;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

fn event(progress: &ProgressEvent) -> Event {
    Event::default()
        .event("progress")
        .json_data(progress)
        .unwrap_or_else(|_| Event::default().comment("unserialisable"))
}

pub async fn sync_events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let hub = state.progress.clone();
    let (snapshot, receiver) = hub.subscribe();
    let stream = futures::stream::unfold(
        (Some(snapshot), receiver, hub),
        |(first, mut receiver, hub)| async move {
            if let Some(snapshot) = first {
                return Some((Ok(event(&snapshot)), (None, receiver, hub)));
            }
            match receiver.recv().await {
                Ok(update) => Some((Ok(event(&update)), (None, receiver, hub))),
                // Too slow to keep up: every event carries the whole state, so
                // the latest one is all a client needs.
                Err(RecvError::Lagged(_)) => {
                    let current = hub.current();
                    Some((Ok(event(&current)), (None, receiver, hub)))
                }
                Err(RecvError::Closed) => None,
            }
        },
    );
    Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("keep-alive"),
    )
}
