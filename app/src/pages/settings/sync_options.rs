//! Settings > Sync options: what the next preview does (overwrite behavior,
//! who is in scope, the deactivation safety threshold).

use crate::api::settings::SaveSyncOptions;
use crate::domain::settings::{GroupChoice, SyncSettings};
use crate::domain::sync::{DeactivationThreshold, OverwriteBehavior, SyncOptions};
use leptos::prelude::*;

#[component]
pub fn SyncOptionsForm(
    settings: SyncSettings,
    save: ServerAction<SaveSyncOptions>,
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
            <GroupScope groups=settings.groups scope=scope/>
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

/// Limit the sync to members of chosen groups: the imported groups,
/// filtered as the admin types.
#[component]
fn GroupScope(groups: Vec<GroupChoice>, scope: RwSignal<Vec<String>>) -> impl IntoView {
    if groups.is_empty() {
        return view! {
            <fieldset>
                <legend>"Limit to members of these groups"</legend>
                <p class="muted small">"The directory's groups appear here after the first import. Until then everyone is imported."</p>
            </fieldset>
        }
        .into_any();
    }
    let filter = RwSignal::new(String::new());
    let choices = groups
        .into_iter()
        .map(|g| {
            let id = g.id.clone();
            let shown_name = g.name.to_lowercase();
            let visible = move || filter.with(|f| shown_name.contains(&f.trim().to_lowercase()));
            let checked_id = id.clone();
            view! {
                <label class="checkbox" class:hidden=move || !visible()>
                    <input
                        type="checkbox"
                        prop:checked=move || scope.with(|s| s.contains(&checked_id))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            scope.update(|s| {
                                s.retain(|x| x != &id);
                                if on {
                                    s.push(id.clone());
                                }
                            });
                        }
                    />
                    {g.name}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset>
            <legend>"Limit to members of these groups"</legend>
            <p class="muted small">
                {move || match scope.with(Vec::len) {
                    0 => "None chosen: everyone in the directory is imported.".to_owned(),
                    n => format!("{n} chosen: only their members (direct or nested) are imported."),
                }}
            </p>
            <label for="group-filter" class="visually-hidden">"Search groups"</label>
            <input id="group-filter" type="search" placeholder="Search groups"
                prop:value=move || filter.get() on:input=move |ev| filter.set(event_target_value(&ev))/>
            <div class="group-choices">{choices}</div>
        </fieldset>
    }
    .into_any()
}
