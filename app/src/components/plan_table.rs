//! A stored plan as tabs (`Added`, `Updated`, `Deactivated`, `Skipped`,
//! `Groups`), each a table searched and paged on the server. On the Import
//! page rows can be excluded; in Sync history each row shows its outcome.

use crate::api::sync::{SetExcluded, group_changes, plan_page};
use crate::components::pager::ButtonPager;
use crate::domain::format::format_count;
use crate::domain::paging::Page;
use crate::domain::sync::FieldChange;
use crate::domain::sync::progress::BucketCounts;
use crate::domain::sync::view::{
    ExcludedCounts, GroupChange, GroupChangeKind, GroupCounts, PlanBucket, PlanRow,
};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Bucket(PlanBucket),
    Groups,
}

impl Tab {
    fn id(self) -> &'static str {
        match self {
            Self::Bucket(PlanBucket::Added) => "tab-added",
            Self::Bucket(PlanBucket::Updated) => "tab-updated",
            Self::Bucket(PlanBucket::Deactivated) => "tab-deactivated",
            Self::Bucket(PlanBucket::Skipped) => "tab-skipped",
            Self::Groups => "tab-groups",
        }
    }

    fn panel_id(self) -> String {
        format!("{}-panel", self.id())
    }

    fn label(self) -> &'static str {
        match self {
            Self::Bucket(b) => b.label(),
            Self::Groups => "Groups",
        }
    }
}

/// The plan of run `run_id` as tabs. `editable`: rows can be excluded, and
/// `on_excluded` hears the new totals.
#[component]
pub fn PlanTabs(
    run_id: i64,
    buckets: Vec<PlanBucket>,
    counts: BucketCounts,
    groups: GroupCounts,
    #[prop(optional)] editable: bool,
    #[prop(optional, into)] on_excluded: Option<Callback<ExcludedCounts>>,
) -> impl IntoView {
    let mut tabs: Vec<Tab> = buckets.into_iter().map(Tab::Bucket).collect();
    tabs.push(Tab::Groups);
    let selected = RwSignal::new(tabs[0]);
    let tab_buttons = tabs
        .iter()
        .map(|&tab| {
            let count = match tab {
                Tab::Bucket(b) => b.count_in(&counts),
                Tab::Groups => groups.total(),
            };
            view! {
                <button
                    type="button"
                    role="tab"
                    id=tab.id()
                    class="tab"
                    aria-controls=tab.panel_id()
                    aria-selected=move || (selected.get() == tab).to_string()
                    tabindex=move || if selected.get() == tab { "0" } else { "-1" }
                    on:click=move |_| selected.set(tab)
                >
                    {tab.label()}
                    " "
                    <span class="tab-count">{format_count(count)}</span>
                </button>
            }
        })
        .collect_view();
    // Arrow keys move between tabs, as the ARIA tabs pattern has it.
    let order = tabs.clone();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let step: isize = match ev.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            _ => return,
        };
        ev.prevent_default();
        let at = order.iter().position(|t| *t == selected.get()).unwrap_or(0) as isize;
        let next = order[(at + step).rem_euclid(order.len() as isize) as usize];
        selected.set(next);
        if let Some(button) = document().get_element_by_id(next.id()) {
            use wasm_bindgen::JsCast;
            if let Ok(button) = button.dyn_into::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        }
    };

    let panels = tabs
        .iter()
        .map(|&tab| {
            let content = match tab {
                Tab::Bucket(bucket) => view! {
                    <PlanTable run_id=run_id bucket=bucket editable=editable on_excluded=on_excluded/>
                }
                .into_any(),
                Tab::Groups => view! { <GroupTable run_id=run_id/> }.into_any(),
            };
            view! {
                <div
                    class="tab-panel"
                    role="tabpanel"
                    id=tab.panel_id()
                    aria-labelledby=tab.id()
                    hidden=move || selected.get() != tab
                >
                    {content}
                </div>
            }
        })
        .collect_view();

    view! {
        <div class="tabs" role="tablist" aria-label="Planned changes" on:keydown=on_keydown>
            {tab_buttons}
        </div>
        // Every panel is rendered once and hidden when not selected (a
        // panel swapped in by a reactive closure would not hydrate), so each
        // keeps its search, page and exclusions while the admin switches.
        {panels}
    }
}

/// A tab's search box: the search runs when submitted, from the first page.
#[component]
fn SearchForm(
    label: String,
    placeholder: &'static str,
    search: RwSignal<String>,
    page: RwSignal<u32>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search.set(typed.get_untracked());
        page.set(1);
    };
    view! {
        <form class="toolbar" role="search" on:submit=on_search>
            <input
                type="search"
                aria-label=label
                placeholder=placeholder
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))
            />
            <button type="submit" class="button">"Search"</button>
        </form>
    }
}

#[component]
fn PlanTable(
    run_id: i64,
    bucket: PlanBucket,
    editable: bool,
    on_excluded: Option<Callback<ExcludedCounts>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let exclude = ServerAction::<SetExcluded>::new();
    // Loaded in the browser only, without a Suspense boundary: a suspended
    // table nested inside the preview's suspended content does not hydrate
    // (Leptos 0.8), so the server renders "Loading…" and the browser fills
    // the table in.
    let rows = LocalResource::new(move || {
        exclude.version().track();
        plan_page(run_id, bucket, search.get(), page.get())
    });
    Effect::new(move || {
        if let Some(Ok(counts)) = exclude.value().get()
            && let Some(callback) = on_excluded
        {
            callback.run(counts);
        }
    });
    let excludable = editable && bucket.applies();
    let search_label = format!("Search {}", bucket.label());

    view! {
        <SearchForm label=search_label placeholder="Search by name, email, department or title"
            search=search page=page/>
        {move || {
            exclude.value().get().and_then(|r| r.err()).map(|e| {
                view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }
            })
        }}
        {move || match rows.get() {
            None => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
            Some(Ok(rows)) => view! {
                <RowsTable rows=rows bucket=bucket excludable=excludable editable=editable
                    exclude=exclude page=page run_id=run_id searching=!search.get_untracked().is_empty()/>
            }
            .into_any(),
            Some(Err(e)) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
        }}
    }
}

#[component]
#[allow(clippy::too_many_arguments)] // one table's settings, passed once
fn RowsTable(
    rows: Page<PlanRow>,
    bucket: PlanBucket,
    excludable: bool,
    editable: bool,
    exclude: ServerAction<SetExcluded>,
    page: RwSignal<u32>,
    run_id: i64,
    searching: bool,
) -> impl IntoView {
    if rows.items.is_empty() {
        let text = if searching {
            "No rows match this search."
        } else {
            match bucket {
                PlanBucket::Added => "Nobody new to add.",
                PlanBucket::Updated => "Nobody to update.",
                PlanBucket::Deactivated => "Nobody to deactivate.",
                PlanBucket::Skipped => "Nobody skipped.",
            }
        };
        return view! { <p class="empty-row muted">{text}</p> }.into_any();
    }
    let (summary, has_previous, has_next) =
        (rows.shown_text(), rows.has_previous(), rows.has_next());
    let page_seqs: Vec<i64> = rows.items.iter().map(|r| r.seq).collect();
    let all_excluded = rows.items.iter().all(|r| r.excluded);
    let shows_outcome = !editable;
    let detail_header = match bucket {
        PlanBucket::Updated => Some("Changes"),
        PlanBucket::Deactivated | PlanBucket::Skipped => Some("Reason"),
        PlanBucket::Added => None,
    };
    let body = rows
        .items
        .into_iter()
        .map(|row| view! { <PlanRowView row=row bucket=bucket excludable=excludable shows_outcome=shows_outcome exclude=exclude run_id=run_id/> })
        .collect_view();

    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">{bucket.label()}</caption>
                <thead>
                    <tr>
                        {excludable.then(|| view! {
                            <th scope="col" class="check">
                                <input
                                    type="checkbox"
                                    aria-label="Exclude every row on this page"
                                    prop:checked=all_excluded
                                    disabled=move || exclude.pending().get()
                                    on:change=move |ev| {
                                        exclude.dispatch(SetExcluded {
                                            run_id,
                                            seqs: page_seqs.clone(),
                                            excluded: event_target_checked(&ev),
                                        });
                                    }
                                />
                            </th>
                        })}
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Department"</th>
                        <th scope="col">"Job title"</th>
                        {detail_header.map(|h| view! { <th scope="col">{h}</th> })}
                        {shows_outcome.then(|| view! { <th scope="col">"Outcome"</th> })}
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        <ButtonPager summary=summary has_previous=has_previous has_next=has_next page=page/>
    }
    .into_any()
}

#[component]
fn PlanRowView(
    row: PlanRow,
    bucket: PlanBucket,
    excludable: bool,
    shows_outcome: bool,
    exclude: ServerAction<SetExcluded>,
    run_id: i64,
) -> impl IntoView {
    let dash = || "—".to_owned();
    let seq = row.seq;
    let exclude_label = format!("Exclude {}", row.name);
    let detail = match bucket {
        PlanBucket::Updated => {
            let link = row.adopts_by.clone().map(|address| {
                view! {
                    <p class="link-note">
                        <span class="badge badge-link">"Link"</span>
                        {format!(" Links the platform user {address}, made by hand, to this Azure AD user.")}
                    </p>
                }
            });
            Some(view! { <td>{link}<ChangeList changes=row.changes.clone()/></td> }.into_any())
        }
        PlanBucket::Deactivated | PlanBucket::Skipped => {
            Some(view! { <td>{row.reason.clone().unwrap_or_else(dash)}</td> }.into_any())
        }
        PlanBucket::Added => None,
    };
    let outcome = shows_outcome.then(|| {
        let text = outcome_text(&row);
        view! { <td class=format!("outcome outcome-{}", row.outcome.clone().unwrap_or_default())>{text}</td> }
    });
    view! {
        <tr class:excluded=row.excluded>
            {excludable.then(|| view! {
                <td class="check">
                    <input
                        type="checkbox"
                        aria-label=exclude_label
                        prop:checked=row.excluded
                        disabled=move || exclude.pending().get()
                        on:change=move |ev| {
                            exclude.dispatch(SetExcluded { run_id, seqs: vec![seq], excluded: event_target_checked(&ev) });
                        }
                    />
                </td>
            })}
            <th scope="row">{row.name}</th>
            <td>{row.email}</td>
            <td>{row.department.unwrap_or_else(dash)}</td>
            <td>{row.job_title.unwrap_or_else(dash)}</td>
            {detail}
            {outcome}
        </tr>
    }
}

/// A row's outcome in words, with its reason.
fn outcome_text(row: &PlanRow) -> String {
    let word = match row.outcome.as_deref() {
        None if row.excluded => "Excluded",
        None => "Not applied",
        Some("done") => "Done",
        Some("conflict") => "Conflict",
        Some("failed") => "Failed",
        Some("excluded") => "Excluded",
        Some(other) => other,
    };
    match row.outcome_detail.as_deref() {
        Some(detail) if !detail.is_empty() => format!("{word}: {detail}"),
        _ => word.to_owned(),
    }
}

/// "Job title: Engineer → Senior Engineer", one line per field.
#[component]
pub fn ChangeList(changes: Vec<FieldChange>) -> impl IntoView {
    let empty = || "(empty)".to_owned();
    let items = changes
        .into_iter()
        .map(|c| {
            view! {
                <li>
                    <span class="field">{c.field.label()}</span>": "
                    <del>{c.old.unwrap_or_else(empty)}</del>
                    " → "
                    <ins>{c.new.unwrap_or_else(empty)}</ins>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="changes">{items}</ul> }
}

/// The groups the plan changes, searched by name and paged on the server
/// (a large tenant's first import adds thousands).
#[component]
fn GroupTable(run_id: i64) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    // In the browser only, as the plan's other tables (see PlanTable).
    let changes = LocalResource::new(move || group_changes(run_id, search.get(), page.get()));
    view! {
        <SearchForm label="Search Groups".to_owned() placeholder="Search by group name"
            search=search page=page/>
        {move || match changes.get() {
            None => view! { <p class="loading" aria-busy="true">"Loading…"</p> }.into_any(),
            Some(Ok(lines)) if lines.items.is_empty() => {
                let text = if search.get_untracked().is_empty() {
                    "No changes to groups or memberships."
                } else {
                    "No groups match this search."
                };
                view! { <p class="empty-row muted">{text}</p> }.into_any()
            }
            Some(Ok(lines)) => {
                let (summary, has_previous, has_next) =
                    (lines.shown_text(), lines.has_previous(), lines.has_next());
                let body = lines.items.into_iter().map(group_line).collect_view();
                view! {
                    <div class="table-wrap">
                        <table class="data-table">
                            <caption class="visually-hidden">"Groups"</caption>
                            <thead>
                                <tr>
                                    <th scope="col">"Group"</th>
                                    <th scope="col">"Change"</th>
                                    <th scope="col">"Members added"</th>
                                    <th scope="col">"Members removed"</th>
                                </tr>
                            </thead>
                            <tbody>{body}</tbody>
                        </table>
                    </div>
                    <ButtonPager summary=summary has_previous=has_previous has_next=has_next page=page/>
                }
                .into_any()
            }
            Some(Err(e)) => {
                view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any()
            }
        }}
    }
}

fn group_line(line: GroupChange) -> impl IntoView {
    let change = match line.kind {
        GroupChangeKind::Added => "New group".to_owned(),
        GroupChangeKind::Renamed { old_name } => format!("Renamed from {old_name}"),
        GroupChangeKind::Removed => "Removed from Azure AD".to_owned(),
        GroupChangeKind::Members => "Members change".to_owned(),
    };
    view! {
        <tr>
            <th scope="row">{line.name}</th>
            <td>{change}</td>
            <td>{format_count(line.members_added)}</td>
            <td>{format_count(line.members_removed)}</td>
        </tr>
    }
}
