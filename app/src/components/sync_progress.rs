//! The sync's live progress in the browser: one `EventSource` on
//! `/api/sync/events` while the page is open (its first event is the current
//! state, so a reloaded page or a second tab joins a running sync), and the
//! progress bar that shows it.

use crate::domain::format::{format_count, format_eta};
use crate::domain::sync::progress::{BucketCounts, ProgressEvent};
use leptos::prelude::*;

/// The stream's latest event (`None` until the first arrives), and whether
/// the stream was refused or closed for good (an ended session, a stopped
/// server). Closed when the calling component goes away.
pub fn use_sync_progress() -> (ReadSignal<Option<ProgressEvent>>, ReadSignal<bool>) {
    let (progress, set_progress) = signal(None::<ProgressEvent>);
    let (lost, set_lost) = signal(false);
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local_scoped_with_cancellation(listen(set_progress, set_lost));
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_progress, set_lost);
    (progress, lost)
}

#[cfg(feature = "hydrate")]
async fn listen(set_progress: WriteSignal<Option<ProgressEvent>>, set_lost: WriteSignal<bool>) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;

    let Ok(mut source) = EventSource::new("/api/sync/events") else {
        set_lost.set(true);
        return;
    };
    let Ok(mut events) = source.subscribe("progress") else {
        set_lost.set(true);
        return;
    };
    // The browser reconnects by itself after a dropped connection; an error
    // reaches here only when it gave up (a 401, say).
    while let Some(message) = events.next().await {
        match message {
            Ok((_, event)) => {
                let parsed = event
                    .data()
                    .as_string()
                    .and_then(|data| serde_json::from_str::<ProgressEvent>(&data).ok());
                if let Some(progress) = parsed {
                    set_lost.set(false);
                    set_progress.set(Some(progress));
                }
            }
            Err(_) => {
                set_lost.set(true);
                break;
            }
        }
    }
    // Dropping the source closes the connection (also when the page goes
    // away: the task is cancelled and dropped then).
    drop(source);
}

/// A labelled progress bar; without a percent it is indeterminate (no
/// `value`). A native `<progress>`: its fill needs no inline style, which
/// the Content-Security-Policy does not allow.
#[component]
pub fn ProgressBar(
    #[prop(into)] percent: Signal<Option<u8>>,
    #[prop(into)] label: String,
) -> impl IntoView {
    view! {
        <progress
            class="progress"
            aria-label=label
            max="100"
            value=move || percent.get().map(|p| p.to_string())
        ></progress>
        <p class="progress-percent" aria-hidden="true">
            {move || percent.get().map(|p| format!("{p}%")).unwrap_or_default()}
        </p>
    }
}

/// "Reading Azure AD: 1,998 of 4,000 users (page 2), 5 groups".
pub fn fetching_text(
    pages: u32,
    users: u64,
    total: Option<u64>,
    groups: u64,
    changes_only: bool,
) -> String {
    let counted =
        |n: u64, one: &str| format!("{} {one}{}", format_count(n), if n == 1 { "" } else { "s" });
    let pages = counted(u64::from(pages), "page");
    if changes_only {
        return format!(
            "Reading the changes since the last read: {} and {} changed, {pages}",
            counted(users, "user"),
            counted(groups, "group")
        );
    }
    let users = match total {
        Some(total) => format!("{} of {} users", format_count(users), format_count(total)),
        None => format!("{} users", format_count(users)),
    };
    let mut text = format!("Reading Azure AD: {users}, {pages}");
    if groups > 0 {
        text.push_str(&format!(", {} groups", format_count(groups)));
    }
    text
}

/// "1,234 of 2,000 changes applied · 310 per second · about 3 minutes left".
pub fn applying_text(done: u64, total: u64, rate: f64, eta: Option<u64>) -> String {
    let mut text = format!(
        "{} of {} changes applied",
        format_count(done),
        format_count(total)
    );
    if rate > 0.0 {
        text.push_str(&format!(
            " · {} per second",
            format_count(rate.round() as u64)
        ));
    }
    if let Some(eta) = eta {
        text.push_str(" · ");
        text.push_str(&format_eta(eta));
    }
    text
}

/// The per-bucket counts as a definition list.
#[component]
pub fn CountList(counts: BucketCounts, #[prop(optional)] results: bool) -> impl IntoView {
    let (added, updated, deactivated) = if results {
        ("Inserted", "Updated", "Deactivated")
    } else {
        ("Added", "Updated", "Deactivated")
    };
    let mut items = vec![
        (added, counts.added),
        (updated, counts.updated),
        (deactivated, counts.deactivated),
    ];
    if results {
        items.push(("Conflicts", counts.conflicts));
        items.push(("Failed", counts.failed));
        items.push(("Excluded", counts.skipped));
    }
    let items = items
        .into_iter()
        .map(|(label, n)| {
            view! {
                <div class="count">
                    <dt>{label}</dt>
                    <dd>{format_count(n)}</dd>
                </div>
            }
        })
        .collect_view();
    view! { <dl class="counts">{items}</dl> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_like_a_sentence() {
        assert_eq!(
            fetching_text(2, 1998, Some(4000), 0, false),
            "Reading Azure AD: 1,998 of 4,000 users, 2 pages"
        );
        assert_eq!(
            fetching_text(1, 999, None, 5, false),
            "Reading Azure AD: 999 users, 1 page, 5 groups"
        );
        assert_eq!(
            fetching_text(2, 3, None, 1, true),
            "Reading the changes since the last read: 3 users and 1 group changed, 2 pages"
        );
        assert_eq!(
            applying_text(1234, 2000, 310.4, Some(150)),
            "1,234 of 2,000 changes applied · 310 per second · about 3 minutes left"
        );
        assert_eq!(applying_text(0, 10, 0.0, None), "0 of 10 changes applied");
    }
}
