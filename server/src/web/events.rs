//! `GET /api/sync/events`: the sync's progress as server-sent events. The
//! first event is the current state, so a reloaded page or a second tab
//! picks up a running sync at once; then every update, with keep-alives.
//! Behind the session gate like every `/api/` path: anonymous gets 401.
//! A stream lives no longer than its session (it checks every few seconds
//! and ends after sign-out, expiry or idleness), and a session has only a
//! few streams at once.

use super::AppState;
use super::streams::StreamSlot;
use app::domain::sync::progress::ProgressEvent;
use app::services::{AdminAuth, session_token};
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};

fn event(progress: &ProgressEvent) -> Event {
    Event::default()
        .event("progress")
        .json_data(progress)
        .unwrap_or_else(|_| Event::default().comment("unserialisable"))
}

/// What an open stream carries from one event to the next.
struct Open {
    first: Option<ProgressEvent>,
    receiver: broadcast::Receiver<ProgressEvent>,
    hub: Arc<crate::sync::ProgressHub>,
    auth: Arc<dyn AdminAuth>,
    token: String,
    checks: tokio::time::Interval,
    _slot: StreamSlot,
}

pub async fn sync_events(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // The session gate let the request in, so the cookie is there.
    let Some(token) = session_token(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(slot) = state.streams.open(&crate::auth::session_key(&token)) else {
        tracing::warn!("refused a progress stream: this session has too many open");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many dirsync tabs are following the sync; close some and reload.",
        )
            .into_response();
    };
    let check_every = state.streams.policy().check_every;
    let mut checks = tokio::time::interval_at(
        tokio::time::Instant::now() + check_every,
        check_every.max(Duration::from_millis(10)),
    );
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let hub = state.progress.clone();
    let (snapshot, receiver) = hub.subscribe();
    let open = Open {
        first: Some(snapshot),
        receiver,
        hub,
        auth: state.services.auth.clone(),
        token,
        checks,
        _slot: slot,
    };
    let stream = futures::stream::unfold(open, |mut open| async move {
        if let Some(snapshot) = open.first.take() {
            return Some((Ok::<_, std::convert::Infallible>(event(&snapshot)), open));
        }
        loop {
            tokio::select! {
                update = open.receiver.recv() => {
                    return match update {
                        Ok(update) => Some((Ok(event(&update)), open)),
                        // Too slow to keep up: every event carries the whole
                        // state, so the latest one is all a client needs.
                        Err(RecvError::Lagged(_)) => {
                            let current = open.hub.current();
                            Some((Ok(event(&current)), open))
                        }
                        Err(RecvError::Closed) => None,
                    };
                }
                _ = open.checks.tick() => {
                    match open.auth.session_is_live(&open.token).await {
                        Ok(true) => {}
                        // Signed out, expired or idle: the stream ends, and
                        // the page's next call meets the sign-in page.
                        Ok(false) => return None,
                        Err(e) => {
                            tracing::warn!(error = %e, "could not check a stream's session");
                        }
                    }
                }
            }
        }
    });
    Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("keep-alive"),
        )
        .into_response()
}
