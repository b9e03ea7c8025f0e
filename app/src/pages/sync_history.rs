//! Sync history: every run (who, when, what, how long, how it ended), and
//! each run's per-user changes with their outcomes and a CSV download.

use crate::api::sync::{PreviewReactivation, get_run, list_runs};
use crate::components::badge::RunStateBadge;
use crate::components::pager::LinkPager;
use crate::components::plan_table::PlanTabs;
use crate::components::sync_progress::CountList;
use crate::domain::format::{format_count, format_timestamp};
use crate::domain::paging::Page;
use crate::domain::sync::view::{PlanBucket, RunState, RunSummary};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// "12.3 s", "4 min 5 s".
pub fn format_duration(ms: u64) -> String {
    let secs = ms / 1000;
    if secs < 60 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

/// What a run changed (or planned to), in one line.
fn what_text(run: &RunSummary) -> String {
    let (counts, verb) = match &run.results {
        Some(results) => (results, ""),
        None => (&run.planned, " planned"),
    };
    match run.state {
        RunState::Failed | RunState::Cancelled | RunState::Fetching => "—".to_owned(),
        _ => format!(
            "{} added, {} updated, {} deactivated{verb}",
            format_count(counts.added),
            format_count(counts.updated),
            format_count(counts.deactivated)
        ),
    }
}

#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
        })
    };
    let runs = Resource::new(page, list_runs);
    view! {
        <Title text="Sync history"/>
        <div class="page-header">
            <div>
                <h1>"Sync history"</h1>
                <p class="muted">"Every import from Azure AD: who started it, what it changed, and how it ended."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading runs…"</p> }>
            {move || Suspend::new(async move {
                match runs.await {
                    Ok(runs) => view! { <RunTable runs=runs/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunTable(runs: Page<RunSummary>) -> impl IntoView {
    if runs.items.is_empty() {
        return view! {
            <section class="empty-state">
                <h2>"No syncs yet"</h2>
                <p>"Import from Azure AD to see each run here."</p>
                <a class="button primary" href="/import">"Import Users"</a>
            </section>
        }
        .into_any();
    }
    let previous = runs
        .has_previous()
        .then(|| format!("/history?page={}", runs.page - 1));
    let next = runs
        .has_next()
        .then(|| format!("/history?page={}", runs.page + 1));
    let rows = runs
        .items
        .into_iter()
        .map(|run| {
            let what = what_text(&run);
            let took = match (run.duration_ms, run.finished_at) {
                (Some(ms), _) => format_duration(ms),
                (None, Some(end)) => format_duration((end - run.created_at).max(0) as u64),
                _ => "—".to_owned(),
            };
            view! {
                <tr>
                    <th scope="row"><a href=format!("/history/{}", run.id)>{format!("Run #{}", run.id)}</a></th>
                    <td>{format_timestamp(run.created_at)}</td>
                    <td>{run.started_by.clone()}</td>
                    <td>{what}</td>
                    <td title=run.read_kind.map(|k| k.to_string())>
                        {run.read_kind.map_or("—", |k| k.short_label())}
                    </td>
                    <td>{took}</td>
                    <td><RunStateBadge state=run.state needs_review=run.needs_review()/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">"Sync runs"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Run"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"By"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Read"</th>
                        <th scope="col">"Took"</th>
                        <th scope="col">"Outcome"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <LinkPager summary=format!("{} runs", format_count(runs.total)) previous=previous next=next/>
    }
    .into_any()
}

#[component]
pub fn RunDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let run_id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let run = Resource::new(run_id, |id| async move {
        match id {
            Some(id) => get_run(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading the run…"</p> }>
            {move || Suspend::new(async move {
                match run.await {
                    Ok(Some(run)) => view! { <RunDetails run=run/> }.into_any(),
                    Ok(None) => view! {
                        <p class="banner banner-error" role="alert">"That is not a sync run's address."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RunDetails(run: RunSummary) -> impl IntoView {
    let title = format!("Run #{}", run.id);
    let mut facts = vec![(
        "Started",
        format!("{} by {}", format_timestamp(run.created_at), run.started_by),
    )];
    if let Some(by) = &run.applied_by {
        facts.push(("Applied by", by.clone()));
    }
    if let Some(end) = run.finished_at {
        facts.push(("Ended", format_timestamp(end)));
    }
    if let Some(ms) = run.duration_ms {
        facts.push(("Apply took", format_duration(ms)));
    }
    if let Some(kind) = run.read_kind {
        facts.push(("Azure AD read", kind.to_string()));
    }
    if let Some(n) = run.directory_users.filter(|_| run.undoes_run.is_none()) {
        facts.push(("Directory users read", format_count(n)));
    }
    if let Some(tenant) = &run.tenant_id {
        facts.push(("Azure AD tenant", tenant.clone()));
    }
    if let Some(of) = run.undoes_run {
        facts.push(("Undoes", format!("the deactivations of run #{of}")));
    }
    facts.push(("Unchanged", format_count(run.unchanged)));
    if let Some(by) = &run.override_by {
        facts.push(("Safety threshold overridden by", by.clone()));
    }
    if let Some(reason) = run.review_reason.as_ref().filter(|_| run.needs_review()) {
        facts.push(("Needs review", reason.clone()));
    }
    let facts = facts
        .into_iter()
        .map(|(k, v)| view! { <div class="fact"><dt>{k}</dt><dd>{v}</dd></div> })
        .collect_view();
    // Effects run only in the browser, after hydration.
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    let has_plan = !matches!(
        run.state,
        RunState::Failed | RunState::Cancelled | RunState::Fetching
    );
    view! {
        <Title text=title.clone()/>
        <div class="page-header">
            <div>
                <p class="muted small"><a href="/history">"Sync history"</a></p>
                <h1>{title}" "<RunStateBadge state=run.state needs_review=run.needs_review()/></h1>
            </div>
            {has_plan.then(|| view! {
                <a class="button" href=format!("/api/sync/runs/{}/csv", run.id) download>"Download CSV"</a>
            })}
        </div>
        {run.error.clone().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
        <UndoDeactivations run=run.clone()/>
        <section class="card">
            <dl class="facts">{facts}</dl>
            {run.results.map(|r| view! { <h2 class="card-title">"Results"</h2><CountList counts=r results=true/> })}
        </section>
        {has_plan.then(|| view! {
            <section class="card">
                <h2 class="card-title">"Per-user changes"</h2>
                // Drawn once the page is hydrated: its rows load in the
                // browser, and a load that finished before hydration reached
                // them made the two renderings differ (a panic, now and then).
                {move || hydrated.get().then(|| view! {
                    <PlanTabs run_id=run.id buckets=PlanBucket::ALL.to_vec() counts=run.planned groups=run.groups/>
                })}
            </section>
        })}
    }
}

/// "Reactivate the N users this run deactivated": previewed as a run of its
/// own, reviewed and confirmed on Import Users like any other.
#[component]
fn UndoDeactivations(run: RunSummary) -> impl IntoView {
    let deactivated = run.results.map_or(0, |r| r.deactivated);
    let offered = run.state == RunState::Applied && run.undoes_run.is_none() && deactivated > 0;
    let undo = ServerAction::<PreviewReactivation>::new();
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(_)) = undo.value().get() {
            navigate("/import", Default::default());
        }
    });
    let run_id = run.id;
    let label = format!(
        "Reactivate the {} this run deactivated",
        if deactivated == 1 {
            "1 user".to_owned()
        } else {
            format!("{} users", format_count(deactivated))
        }
    );
    offered.then(|| view! {
        <section class="card undo">
            <p>"Deactivated by mistake? Preview reactivating them: you review the list on Import Users and confirm it like any import."</p>
            <button
                type="button"
                class="button"
                disabled=move || undo.pending().get()
                on:click=move |_| { undo.dispatch(PreviewReactivation { run_id }); }
            >
                {label}
            </button>
            {move || undo.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="banner banner-error" role="alert">{e.to_string()}</p>
            })}
        </section>
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(format_duration(1234), "1.2 s");
        assert_eq!(format_duration(125_000), "2 min 5 s");
    }
}
