//! Import Users: `Import from Azure AD` reads the directory (live progress,
//! `Cancel`), the preview lists what would change, `Confirm` opens the
//! dialog, and the apply streams its progress to the end. Every state comes
//! from the server (the overview and the event stream), so a reload or a
//! second tab shows the same sync.

use crate::api::sync::{
    ApplyPreview, CancelFetch, DiscardRun, StartPreview, load_preview, sync_overview,
};
use crate::components::confirm_dialog::{ConfirmApplyDialog, open_dialog};
use crate::components::plan_table::PlanTabs;
use crate::components::sync_progress::{
    CountList, ProgressBar, applying_text, fetching_text, use_sync_progress,
};
use crate::domain::connection::ConnectionStatus;
use crate::domain::format::{format_count, format_timestamp};
use crate::domain::sync::progress::ProgressEvent;
use crate::domain::sync::view::{ExcludedCounts, ImportOverview, PreviewSummary, RunSummary};
use crate::pages::settings::expiry_tone;
use leptos::html::Dialog;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ImportUsersPage() -> impl IntoView {
    let (live, stream_lost) = use_sync_progress();
    let start = ServerAction::<StartPreview>::new();
    let apply = ServerAction::<ApplyPreview>::new();
    let discard = ServerAction::<DiscardRun>::new();
    // Bumped when the stream shows a sync at rest that the overview does not
    // know yet (a preview ready, an apply finished): read the overview again.
    let refresh = RwSignal::new(0u32);
    // Loaded in the browser: the page's state changes by the second (a
    // running sync), so the server renders "Loading…" and nothing here has
    // to hydrate against a state that moved on while the page loaded.
    let overview = LocalResource::new(move || {
        refresh.track();
        start.version().track();
        apply.version().track();
        discard.version().track();
        sync_overview()
    });

    view! {
        <Title text="Import Users"/>
        <div class="page-header">
            <div>
                <h1>"Import Users"</h1>
                <p class="muted">
                    "Preview every user Azure AD would add, update or deactivate, then confirm. Nothing changes before you confirm."
                </p>
            </div>
        </div>
        {move || stream_lost.get().then(|| view! {
            <p class="banner banner-warning" role="alert">
                "Live progress stopped: your session may have ended or the server restarted. "
                <a href="/import">"Reload the page"</a>
            </p>
        })}
        {move || match overview.get() {
            None => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
            Some(Ok(overview)) => view! {
                <ImportPanel overview=overview live=live refresh=refresh start=start apply=apply discard=discard/>
            }
            .into_any(),
            Some(Err(e)) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
        }}
    }
}

#[component]
fn ImportPanel(
    overview: ImportOverview,
    live: ReadSignal<Option<ProgressEvent>>,
    refresh: RwSignal<u32>,
    start: ServerAction<StartPreview>,
    apply: ServerAction<ApplyPreview>,
    discard: ServerAction<DiscardRun>,
) -> impl IntoView {
    let cancel = ServerAction::<CancelFetch>::new();
    let initial = overview.progress.clone();
    // The stream's latest event; until the first arrives, the overview's.
    let progress = Signal::derive({
        let initial = initial.clone();
        move || live.get().unwrap_or_else(|| initial.clone())
    });
    let known = resting_key(&initial);
    Effect::new(move || {
        if let Some(now) = live.get()
            && !now.is_running()
            && resting_key(&now) != known
        {
            refresh.update(|n| *n += 1);
        }
    });
    let configured = overview.connection != ConnectionStatus::NotConfigured;
    // The admin's "Full read": off again for every visit.
    let full_read = RwSignal::new(false);
    let busy_reason = move || {
        let p = progress.get();
        p.is_running().then(|| {
            format!(
                "A sync started by {} is running; wait for it to finish.",
                p.started_by().unwrap_or("another admin")
            )
        })
    };
    let open_preview = overview.open_preview;
    let show_preview = move || {
        let p = progress.get();
        !p.is_running() && open_preview.is_some()
    };

    let expiry = overview.secret_expiry.clone().map(|n| {
        view! {
            <p id="secret-expiry" class=expiry_tone(n.level)>
                {n.text} " " <a href="/settings">"Settings"</a>
            </p>
        }
    });

    view! {
        {expiry}
        <section class="card import-start" aria-labelledby="connection-title">
            <div class="import-start-text">
                <h2 id="connection-title" class="card-title">"Azure AD connection"</h2>
                <ConnectionLine connection=overview.connection.clone()/>
                {overview.last_run.clone().map(|run| view! { <LastRunLine run=run/> })}
                {overview.next_scheduled.clone().map(|next| view! {
                    <p id="next-scheduled" class="muted small">{next}" "<a href="/settings#schedule-heading">"Schedule"</a></p>
                })}
                {overview.last_scheduled.clone().map(|last| view! {
                    <p class="muted small">"Last scheduled sync: "{last}</p>
                })}
            </div>
            <div class="import-start-action">
                <button
                    type="button"
                    class="button primary"
                    disabled=move || !configured || start.pending().get() || busy_reason().is_some()
                    aria-describedby="import-button-note"
                    on:click=move |_| { start.dispatch(StartPreview { full_read: full_read.get_untracked() }); }
                >
                    "Import from Azure AD"
                </button>
                <label class="checkbox small" title="After the first read, an import reads only what changed in Azure AD since the last one.">
                    <input type="checkbox" id="full-read" prop:checked=move || full_read.get()
                        on:change=move |ev| full_read.set(event_target_checked(&ev))/>
                    "Full read: read the whole directory, not only its changes"
                </label>
                <p id="import-button-note" class="muted small">
                    {move || {
                        if !configured {
                            "Configure the connection first.".to_owned()
                        } else {
                            busy_reason().unwrap_or_else(|| "Reads the directory and shows a preview; nothing changes yet.".to_owned())
                        }
                    }}
                </p>
            </div>
        </section>
        {move || start.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="banner banner-error" role="alert">{e.to_string()}</p>
        })}
        {overview.interrupted.clone().map(|run| view! { <InterruptedRun run=run apply=apply discard=discard/> })}
        <div aria-live="polite" class="live-region">
            {move || view! { <ProgressView progress=progress.get() cancel=cancel/> }}
        </div>
        {move || {
            match (show_preview(), open_preview) {
                (true, Some(run_id)) => view! { <PreviewPanel run_id=run_id apply=apply discard=discard/> }.into_any(),
                _ => ().into_any(),
            }
        }}
    }
}

/// Which run and phase an event is about, to tell a new state from a known one.
fn resting_key(progress: &ProgressEvent) -> (Option<i64>, std::mem::Discriminant<ProgressEvent>) {
    (progress.run_id(), std::mem::discriminant(progress))
}

#[component]
fn ConnectionLine(connection: ConnectionStatus) -> impl IntoView {
    match connection {
        ConnectionStatus::NotConfigured => view! {
            <div class="banner banner-warning" role="note">
                <p>
                    "No Azure AD connection is configured, so there is nothing to import from. "
                    "Register an app in Azure AD, then enter its tenant ID, client ID and client secret "
                    "under Settings > Azure AD connection."
                </p>
                <a class="button" href="/settings">"Open Settings"</a>
            </div>
        }
        .into_any(),
        ConnectionStatus::Demo => view! {
            <p>
                "Connected to "<strong>{connection.describe()}</strong>
                <span class="badge badge-accent">"Simulation"</span>
            </p>
            <p class="muted small">"A simulated Azure AD tenant served by this server: nothing leaves this machine."</p>
        }
        .into_any(),
        ConnectionStatus::Tenant { from_environment, .. } => view! {
            <p>"Connected to "<strong>{connection.describe()}</strong></p>
            {from_environment.then(|| view! {
                <p class="muted small">"Partly or wholly from the server's environment (AZURE_*); see Settings."</p>
            })}
        }
        .into_any(),
    }
}

#[component]
fn LastRunLine(run: RunSummary) -> impl IntoView {
    let when = format_timestamp(run.finished_at.unwrap_or(run.created_at));
    view! {
        <p class="muted small">
            "Last run: "
            <a href=format!("/history/{}", run.id)>{format!("#{}", run.id)}</a>
            {format!(" by {}, {when}: ", run.started_by)}
            {if run.needs_review() { "Needs review" } else { run.state.label() }}
        </p>
    }
}

#[component]
fn InterruptedRun(
    run: RunSummary,
    apply: ServerAction<ApplyPreview>,
    discard: ServerAction<DiscardRun>,
) -> impl IntoView {
    let run_id = run.id;
    view! {
        <div class="banner banner-warning" role="alert">
            <p>
                {format!(
                    "Sync #{run_id}, started by {}, was interrupted while applying{}. Rows already applied stay applied; resume to apply the rest, or discard it.",
                    run.started_by,
                    run.error.as_deref().map(|e| format!(" ({e})")).unwrap_or_default()
                )}
            </p>
            <div class="row">
                <button type="button" class="button primary" disabled=move || apply.pending().get()
                    on:click=move |_| { apply.dispatch(ApplyPreview { run_id, override_threshold: true }); }>
                    "Resume"
                </button>
                <button type="button" class="button" disabled=move || discard.pending().get()
                    on:click=move |_| { discard.dispatch(DiscardRun { run_id }); }>
                    "Discard"
                </button>
            </div>
        </div>
    }
}

/// The current phase: fetching, planning, applying, the end, or nothing.
#[component]
fn ProgressView(progress: ProgressEvent, cancel: ServerAction<CancelFetch>) -> impl IntoView {
    let percent = progress.percent();
    match progress {
        ProgressEvent::Fetching {
            pages,
            users_so_far,
            total,
            groups_so_far,
            changes_only,
            ..
        } => view! {
            <section class="card" aria-labelledby="phase-title">
                <h2 id="phase-title" class="card-title">"Reading Azure AD"</h2>
                <ProgressBar percent=Signal::stored(percent) label="Reading Azure AD"/>
                <p>{fetching_text(pages, users_so_far, total, groups_so_far, changes_only)}</p>
                <button type="button" class="button" disabled=move || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(CancelFetch {}); }>
                    "Cancel"
                </button>
            </section>
        }
        .into_any(),
        ProgressEvent::Planning { .. } => view! {
            <section class="card" aria-labelledby="phase-title">
                <h2 id="phase-title" class="card-title">"Comparing with the platform"</h2>
                <ProgressBar percent=Signal::stored(None) label="Comparing with the platform"/>
                <p>"Working out who is added, updated, deactivated or skipped…"</p>
            </section>
        }
        .into_any(),
        ProgressEvent::Applying {
            done,
            total,
            counts,
            rate_per_sec,
            eta_secs,
            started_by,
            ..
        } => view! {
            <section class="card" aria-labelledby="phase-title">
                <h2 id="phase-title" class="card-title">"Applying changes"</h2>
                <ProgressBar percent=Signal::stored(percent) label="Applying changes"/>
                <p>{applying_text(done, total, rate_per_sec, eta_secs)}</p>
                <p class="muted small">{format!("Started by {started_by}.")}</p>
                <CountList counts=counts results=true/>
            </section>
        }
        .into_any(),
        ProgressEvent::Finished {
            run_id,
            counts,
            duration_ms,
        } => {
            let problems = counts.conflicts + counts.failed;
            view! {
                <section class="card summary" aria-labelledby="phase-title">
                    <h2 id="phase-title" class="card-title">"Sync complete"</h2>
                    <ProgressBar percent=Signal::stored(Some(100)) label="Sync complete"/>
                    <p>{format!("Applied in {:.1} seconds.", duration_ms as f64 / 1000.0)}</p>
                    <CountList counts=counts results=true/>
                    {(problems > 0).then(|| view! {
                        <p class="banner banner-warning">
                            {format!("{} row{} could not be applied; the history shows each one and why.",
                                format_count(problems), if problems == 1 { "" } else { "s" })}
                        </p>
                    })}
                    <div class="row">
                        <a class="button" href=format!("/history/{run_id}")>"View this run in Sync history"</a>
                        <a class="button" href="/users">"Go to Users"</a>
                    </div>
                </section>
            }
            .into_any()
        }
        ProgressEvent::Failed { message, .. } => view! {
            <div class="banner banner-error" role="alert">
                <p><strong>"The sync stopped."</strong></p>
                <p>{message}</p>
            </div>
        }
        .into_any(),
        ProgressEvent::Cancelled { by, .. } => view! {
            <p class="banner banner-info" role="status">
                {format!("The import was cancelled by {by}. Nothing was changed.")}
            </p>
        }
        .into_any(),
        ProgressEvent::Idle | ProgressEvent::Previewed { .. } => ().into_any(),
    }
}

/// The stored preview: its header re-read after each exclusion, its tabs
/// (and their search, page and selection) kept.
#[component]
fn PreviewPanel(
    run_id: i64,
    apply: ServerAction<ApplyPreview>,
    discard: ServerAction<DiscardRun>,
) -> impl IntoView {
    let excluded_version = RwSignal::new(0u32);
    let summary = LocalResource::new(move || {
        excluded_version.track();
        load_preview(run_id)
    });
    let on_excluded = Callback::new(move |_: ExcludedCounts| excluded_version.update(|v| *v += 1));
    // What the tabs are built from does not change with exclusions, so the
    // tabs (and their search, page and selection) stay as they are.
    let tabs = Memo::new(move |_| {
        summary
            .get()
            .and_then(Result::ok)
            .map(|s| (s.buckets(), s.run.planned, s.run.groups))
    });
    view! {
        <section class="card preview" aria-labelledby="preview-title">
            {move || match summary.get() {
                None => view! { <p class="loading" aria-busy="true">"Loading the preview…"</p> }.into_any(),
                Some(Ok(summary)) => view! { <PreviewBody summary=summary apply=apply discard=discard/> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
            }}
            {move || tabs.get().map(|(buckets, counts, groups)| view! {
                <PlanTabs
                    run_id=run_id
                    buckets=buckets
                    counts=counts
                    groups=groups
                    editable=true
                    on_excluded=on_excluded
                />
            })}
        </section>
    }
}

#[component]
fn PreviewBody(
    summary: PreviewSummary,
    apply: ServerAction<ApplyPreview>,
    discard: ServerAction<DiscardRun>,
) -> impl IntoView {
    let dialog = NodeRef::<Dialog>::new();
    let run = summary.run.clone();
    let run_id = run.id;
    let stale = summary.stale.clone();
    let nothing_to_do = summary.is_empty();
    let options = &summary.options;
    let options_text = format!(
        "Options used: {}; guests {}; disabled accounts {}; {}.",
        options.overwrite.label(),
        if options.include_guests {
            "included"
        } else {
            "not imported"
        },
        if options.include_disabled {
            "included"
        } else {
            "not imported"
        },
        match options.scope_group_ids.len() {
            0 => "everyone in the directory".to_owned(),
            1 => "only members of 1 chosen group".to_owned(),
            n => format!("only members of {n} chosen groups"),
        }
    );
    let excluded_total = summary.excluded.total();

    view! {
            <div class="preview-header">
                <div>
                    <h2 id="preview-title" class="card-title">"Preview"</h2>
                    {match run.undoes_run {
                        Some(of) => view! {
                            <p class="muted small">
                                {format!(
                                    "Reactivates the users run #{of} deactivated, prepared at {} by {}. Nothing was read from Azure AD.",
                                    format_timestamp(run.created_at),
                                    run.started_by,
                                )}
                            </p>
                        }.into_any(),
                        None => view! {
                            <p class="muted small">
                                {format!(
                                    "Read {} directory users at {}, started by {}. {} unchanged.",
                                    format_count(run.directory_users.unwrap_or(0)),
                                    format_timestamp(run.created_at),
                                    run.started_by,
                                    format_count(run.unchanged)
                                )}
                            </p>
                            <p class="muted small">{options_text}</p>
                        }.into_any(),
                    }}
                </div>
                <div class="row">
                    <a class="button" href=format!("/api/sync/runs/{run_id}/csv") download>"Download CSV"</a>
                    <button type="button" class="button" disabled=move || discard.pending().get()
                        on:click=move |_| { discard.dispatch(DiscardRun { run_id }); }>
                        "Discard preview"
                    </button>
                    <button
                        type="button"
                        class="button primary"
                        disabled=stale.is_some() || nothing_to_do
                        on:click=move |_| open_dialog(dialog)
                    >
                        "Confirm"
                    </button>
                </div>
            </div>
            {stale.map(|why| view! { <p class="banner banner-warning" role="alert">{why}</p> })}
            {run.review_reason.clone().filter(|_| run.needs_review()).map(|why| view! {
                <p id="needs-review" class="banner banner-warning">
                    <strong>"Needs review. "</strong>{why}
                </p>
            })}
            {nothing_to_do.then(|| view! {
                <p class="banner banner-info" role="status">"Nothing to apply: the platform already matches Azure AD."</p>
            })}
            {summary.needs_override().then(|| view! {
                <p class="banner banner-warning" role="note">
                    "This preview is larger than the safety threshold allows; confirming will ask for an explicit override."
                </p>
            })}
            {summary.deactivation_note().map(|note| view! { <p class="muted">{note}</p> })}
            {(excluded_total > 0).then(|| view! {
                <p class="muted">{format!("{} row{} excluded from the apply.", format_count(excluded_total), if excluded_total == 1 { "" } else { "s" })}</p>
            })}
        <ConfirmApplyDialog dialog=dialog summary=summary.clone() apply=apply/>
    }
}
