//! Settings > Sync options: what the next preview does (overwrite behavior,
//! who is in scope, the deactivation safety threshold).

use crate::api::settings::{SaveSyncOptions, SearchDirectoryGroups};
use crate::domain::settings::{GroupChoice, SyncSettings};
use crate::domain::sync::{DeactivationThreshold, OverwriteBehavior, SyncOptions};
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn SyncOptionsForm(
    settings: SyncSettings,
    save: ServerAction<SaveSyncOptions>,
    group_search: GroupSearchBox,
) -> impl IntoView {
    let saved = settings.options.clone();
    let overwrite = RwSignal::new(saved.overwrite);
    let include_guests = RwSignal::new(saved.include_guests);
    let include_disabled = RwSignal::new(saved.include_disabled);
    let scope = RwSignal::new(saved.scope_group_ids.clone());
    let share = RwSignal::new(saved.threshold.max_share_percent.to_string());
    let count = RwSignal::new(saved.threshold.max_count.to_string());
    let local_error = RwSignal::new(None::<String>);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(max_share_percent), Ok(max_count)) = (
            share.get_untracked().trim().parse::<u32>(),
            count.get_untracked().trim().parse::<u32>(),
        ) else {
            local_error.set(Some(
                "Enter whole numbers for the deactivation threshold.".into(),
            ));
            return;
        };
        local_error.set(None);
        save.dispatch(SaveSyncOptions {
            options: SyncOptions {
                overwrite: overwrite.get_untracked(),
                include_guests: include_guests.get_untracked(),
                include_disabled: include_disabled.get_untracked(),
                scope_group_ids: scope.get_untracked(),
                threshold: DeactivationThreshold {
                    max_share_percent,
                    max_count,
                },
            },
        });
    };

    let behaviors = [
        OverwriteBehavior::AddOnly,
        OverwriteBehavior::AddAndUpdate,
        OverwriteBehavior::AddUpdateAndDeactivate,
    ]
    .into_iter()
    .map(|b| {
        view! {
            <label class="checkbox">
                <input
                    type="radio"
                    name="overwrite"
                    prop:checked=move || overwrite.get() == b
                    on:change=move |_| overwrite.set(b)
                />
                {b.label()}
            </label>
        }
    })
    .collect_view();
    view! {
        <form class="card settings-form" aria-labelledby="sync-options-heading" novalidate on:submit=on_submit>
            <h2 id="sync-options-heading" class="card-title">"Sync options"</h2>
            <p class="muted small">"Saved options apply to the next preview; each preview shows the options it used."</p>
            <fieldset>
                <legend>"Overwrite behavior"</legend>
                {behaviors}
            </fieldset>
            <fieldset>
                <legend>"Who is imported"</legend>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || include_guests.get()
                        on:change=move |ev| include_guests.set(event_target_checked(&ev))/>
                    "Include guests"
                </label>
                <label class="checkbox">
                    <input type="checkbox" prop:checked=move || include_disabled.get()
                        on:change=move |ev| include_disabled.set(event_target_checked(&ev))/>
                    "Include disabled accounts (imported as deactivated)"
                </label>
            </fieldset>
            <GroupScope chosen=settings.chosen_groups scope=scope search=group_search/>
            <fieldset>
                <legend>"Deactivation safety threshold"</legend>
                <p class="muted small">
                    "A preview that would deactivate more than the smaller of these needs an explicit override to apply."
                </p>
                <div class="form-grid">
                    <div class="field">
                        <label for="threshold-share">"Largest share of linked users (%)"</label>
                        <input id="threshold-share" type="number" min="0" max="100" inputmode="numeric"
                            prop:value=move || share.get() on:input=move |ev| share.set(event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label for="threshold-count">"Largest number of users"</label>
                        <input id="threshold-count" type="number" min="0" inputmode="numeric"
                            prop:value=move || count.get() on:input=move |ev| count.set(event_target_value(&ev))/>
                    </div>
                </div>
            </fieldset>
            {move || local_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="banner banner-error" role="alert">{e.to_string()}</p>
            })}
            <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save sync options"</button>
        </form>
    }
}

/// The group picker's search: what the admin typed and what the directory
/// answered. Owned by the page, outside the suspended form, so that it
/// lives as long as the page does (and across the form's reloads).
/// A server action, not a resource: nothing of it runs while the server
/// renders the page, only in the browser.
#[derive(Clone, Copy)]
pub struct GroupSearchBox {
    query: RwSignal<String>,
    search: ServerAction<SearchDirectoryGroups>,
}

impl GroupSearchBox {
    pub fn new() -> Self {
        let query = RwSignal::new(String::new());
        let search = ServerAction::<SearchDirectoryGroups>::new();
        // The directory is read afresh when the page opens (a group created
        // a minute ago is there), then each keystroke filters that list.
        let opened = StoredValue::new(true);
        Effect::new(move || {
            let query = query.get();
            let refresh = opened.get_value();
            opened.set_value(false);
            search.dispatch(SearchDirectoryGroups { query, refresh });
        });
        Self { query, search }
    }
}

/// Limit the sync to members of chosen groups: those chosen, then the
/// directory's groups matching what the admin types, searched on the server
/// (a tenant can hold thousands; the page only ever gets the first matches).
#[component]
fn GroupScope(
    chosen: Vec<GroupChoice>,
    scope: RwSignal<Vec<String>>,
    search: GroupSearchBox,
) -> impl IntoView {
    let GroupSearchBox { query, search } = search;
    // Names of every group seen on this page, for the chosen list.
    let names = RwSignal::new(
        chosen
            .into_iter()
            .map(|g| (g.id.clone(), g))
            .collect::<HashMap<String, GroupChoice>>(),
    );
    // Chosen groups stay listed when unchecked, until the page reloads: a
    // mistaken click is undone where it was made.
    let listed = RwSignal::new(scope.get_untracked());
    let toggle = move |group: GroupChoice, on: bool| {
        scope.update(|s| {
            s.retain(|x| x != &group.id);
            if on {
                s.push(group.id.clone());
            }
        });
        if on {
            listed.update(|l| {
                if !l.contains(&group.id) {
                    l.push(group.id.clone());
                }
            });
        }
        names.update(|n| {
            n.insert(group.id.clone(), group);
        });
    };
    let choice = move |group: GroupChoice| {
        let id = group.id.clone();
        let label = group.label();
        view! {
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=move || scope.with(|s| s.contains(&id))
                    on:change=move |ev| toggle(group.clone(), event_target_checked(&ev))
                />
                {label}
            </label>
        }
    };
    let chosen_list = move || {
        listed
            .get()
            .into_iter()
            .map(|id| {
                let group = names.with(|n| n.get(&id).cloned()).unwrap_or(GroupChoice {
                    id,
                    name: String::new(),
                });
                choice(group)
            })
            .collect_view()
    };
    let results = move || {
        match search.value().get() {
        None => view! { <p class="muted small" aria-busy="true">"Searching the directory…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="banner banner-warning">{e.to_string()}</p> }.into_any(),
        Some(Ok(search)) if search.matches.is_empty() => view! {
            <p class="muted small">
                {if search.directory_groups == 0 { "The directory has no groups." } else { "No group's name matches." }}
            </p>
        }
        .into_any(),
        Some(Ok(search)) => {
            let more = search.more_note();
            view! {
                <div class="group-choices" role="group" aria-label="Matching groups">
                    {search.matches.into_iter().map(choice).collect_view()}
                </div>
                {more.map(|note| view! { <p class="muted small">{note}</p> })}
            }
            .into_any()
        }
    }
    };
    view! {
        <fieldset>
            <legend>"Limit to members of these groups"</legend>
            <p class="muted small">
                {move || match scope.with(Vec::len) {
                    0 => "None chosen: everyone in the directory is imported.".to_owned(),
                    n => format!("{n} chosen: only their members (direct or nested) are imported."),
                }}
            </p>
            <div class="group-choices" role="group" aria-label="Chosen groups">{chosen_list}</div>
            <label for="group-filter" class="visually-hidden">"Search groups"</label>
            <input id="group-filter" type="search" placeholder="Search the directory's groups"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            {results}
        </fieldset>
    }
}
