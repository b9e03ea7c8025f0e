//! Settings > Sync options > Scheduled sync: off, or every N hours, and
//! what a scheduled preview may do on its own.

use crate::api::settings::{SaveSchedule, load_schedule};
use crate::components::toast::Toast;
use crate::domain::sync::schedule::{MAX_HOURS, OnPreview, Schedule, ScheduleState};
use leptos::prelude::*;

#[component]
pub fn ScheduleSection(
    /// Bumped by a save that changed something: Recent changes reloads
    /// (and nothing else on the page, so no typing elsewhere is lost).
    changed: RwSignal<u32>,
) -> impl IntoView {
    let save = ServerAction::<SaveSchedule>::new();
    // Bumped when a save has finished: the form reads the schedule again.
    let done = RwSignal::new(0u32);
    Effect::new(move || {
        if let Some(Ok(changes)) = save.value().get() {
            done.update(|n| *n += 1);
            if !changes.is_empty() {
                changed.update(|n| *n += 1);
            }
            Toast::show(if changes.is_empty() {
                "Nothing to save: the schedule was already this.".to_owned()
            } else {
                "Schedule saved.".to_owned()
            });
        }
    });
    let state = Resource::new(move || done.get(), |_| load_schedule());
    view! {
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(state) => view! { <ScheduleForm state=state save=save/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ScheduleForm(state: ScheduleState, save: ServerAction<SaveSchedule>) -> impl IntoView {
    let saved = state.schedule;
    let on = RwSignal::new(saved.every_hours.is_some());
    let hours = RwSignal::new(saved.every_hours.unwrap_or(24).to_string());
    let on_preview = RwSignal::new(saved.on_preview);
    let local_error = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let every_hours = if on.get_untracked() {
            match hours.get_untracked().trim().parse::<u32>() {
                Ok(h) => Some(h),
                Err(_) => {
                    local_error.set(Some(format!(
                        "Enter a whole number of hours, from 1 to {MAX_HOURS}."
                    )));
                    return;
                }
            }
        } else {
            None
        };
        local_error.set(None);
        save.dispatch(SaveSchedule {
            schedule: Schedule {
                every_hours,
                on_preview: on_preview.get_untracked(),
            },
        });
    };
    // Said without "now": the page renders on the server and in the
    // browser, which must agree.
    let next = state.next_run_text(i64::MIN);
    let last = state
        .last_outcome
        .clone()
        .filter(|_| state.last_run_at.is_some());
    let choices = OnPreview::ALL
        .into_iter()
        .map(|choice| {
            let hint = match choice {
                OnPreview::PreviewOnly => "The preview waits for an admin on Import Users.",
                OnPreview::ApplyWhenSafe => {
                    "Only when nothing would need an override (the deactivation threshold, the mass-change guard, and Azure AD returning at least half the users of last time) and Azure AD was read completely; otherwise the preview waits, marked Needs review, with the reason."
                }
            };
            view! {
                <label class="checkbox">
                    <input type="radio" name="on-preview"
                        prop:checked=move || on_preview.get() == choice
                        on:change=move |_| on_preview.set(choice)/>
                    <span>{choice.label()}<span class="field-hint block">{hint}</span></span>
                </label>
            }
        })
        .collect_view();
    view! {
        <form class="card settings-form" aria-labelledby="schedule-heading" novalidate on:submit=on_submit>
            <h2 id="schedule-heading" class="card-title">"Scheduled sync"</h2>
            <p class="muted small">
                "A scheduled sync reads Azure AD like Import from Azure AD does, with the sync options above, and is listed in Sync history as started by Schedule."
            </p>
            <fieldset>
                <legend>"Run a sync"</legend>
                <label class="checkbox">
                    <input type="radio" name="schedule" prop:checked=move || !on.get()
                        on:change=move |_| on.set(false)/>
                    "Off"
                </label>
                <label class="checkbox">
                    <input type="radio" name="schedule" prop:checked=move || on.get()
                        on:change=move |_| on.set(true)/>
                    "Every"
                    <input id="schedule-hours" class="hours" type="number" min="1" max=MAX_HOURS
                        inputmode="numeric" aria-label="Hours between scheduled syncs"
                        prop:value=move || hours.get()
                        on:input=move |ev| { hours.set(event_target_value(&ev)); on.set(true); }/>
                    "hours"
                </label>
            </fieldset>
            <fieldset>
                <legend>"When a scheduled preview is ready"</legend>
                {choices}
            </fieldset>
            {next.map(|n| view! { <p id="schedule-next" class="small">{n}</p> })}
            {last.map(|l| view! { <p class="muted small">"Last scheduled sync: " {l}</p> })}
            {move || local_error.get().map(|e| view! { <p class="banner banner-error" role="alert">{e}</p> })}
            {move || save.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="banner banner-error" role="alert">{e.to_string()}</p>
            })}
            <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save schedule"</button>
        </form>
    }
}
