//! Settings: the Azure AD connection, the sync options the next preview
//! uses, and the record of who changed what.

mod connection;
mod schedule;
mod secret_expiry;
mod sync_options;

use crate::api::connection::{
    RemoveConnection, SaveConnection, TestConnection, load_connection_settings,
};
use crate::api::settings::{SaveSyncOptions, load_sync_settings};
use crate::components::toast::Toast;
use crate::domain::format::format_timestamp;
use crate::domain::settings::SettingsChange;
use connection::ConnectionSection;
use leptos::prelude::*;
use leptos_meta::Title;
use schedule::ScheduleSection;
pub use secret_expiry::expiry_tone;
use sync_options::{GroupSearchBox, SyncOptionsForm};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save_options = ServerAction::<SaveSyncOptions>::new();
    let save_connection = ServerAction::<SaveConnection>::new();
    let remove_connection = ServerAction::<RemoveConnection>::new();
    // Held here, not in the section: its answer outlives the section's
    // reload after a save.
    let test_connection = ServerAction::<TestConnection>::new();
    // Bumped by every successful save: the page reloads what it shows then,
    // and not after a refused save, so the admin's typing stays put.
    let saved = RwSignal::new(0u32);
    let on_saved = move |changes: &Vec<String>, done: &str, unchanged: &str| {
        saved.update(|n| *n += 1);
        Toast::show(if changes.is_empty() { unchanged } else { done }.to_owned());
    };
    Effect::new(move || {
        if let Some(Ok(changes)) = save_options.value().get() {
            on_saved(
                &changes,
                "Sync options saved. The next preview uses them.",
                "Nothing to save: the sync options were already these.",
            );
        }
    });
    Effect::new(move || {
        if let Some(Ok(changes)) = save_connection.value().get() {
            on_saved(
                &changes,
                "Connection saved. The next preview uses it.",
                "Nothing to save: the connection already had these values.",
            );
        }
    });
    Effect::new(move || {
        if let Some(Ok(_)) = remove_connection.value().get() {
            saved.update(|n| *n += 1);
            Toast::show("Connection removed.".to_owned());
        }
    });
    let group_search = GroupSearchBox::new();
    let connection = Resource::new(move || saved.get(), |_| load_connection_settings());
    let settings = Resource::new(move || saved.get(), |_| load_sync_settings());
    // Recent changes also reloads after a schedule save, which leaves the
    // forms above as they are.
    let schedule_changed = RwSignal::new(0u32);
    let changes = Resource::new(
        move || (saved.get(), schedule_changed.get()),
        |_| load_sync_settings(),
    );

    view! {
        <Title text="Settings"/>
        <div class="page-header">
            <div>
                <h1>"Settings"</h1>
                <p class="muted">"The Azure AD connection and what an import may change."</p>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match connection.await {
                    Ok(c) => view! {
                        <ConnectionSection settings=c save=save_connection remove=remove_connection test=test_connection saved=saved/>
                    }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! {
                        <SyncOptionsForm settings=settings save=save_options group_search=group_search/>
                    }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ScheduleSection changed=schedule_changed/>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                changes.await.ok().map(|settings| view! { <RecentChanges changes=settings.changes/> })
            })}
        </Transition>
    }
}

/// Who changed what, newest first; never a secret's value.
#[component]
fn RecentChanges(changes: Vec<SettingsChange>) -> impl IntoView {
    let empty = changes.is_empty();
    let items = changes
        .into_iter()
        .map(|c| {
            view! {
                <li>
                    <span class="muted">{format!("{} · {}", format_timestamp(c.changed_at), c.changed_by)}</span>
                    " "
                    {c.summary}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="changes-heading">
            <h2 id="changes-heading" class="card-title">"Recent changes"</h2>
            {empty.then(|| view! { <p class="muted small">"No settings have been changed yet."</p> })}
            <ul class="change-log">{items}</ul>
        </section>
    }
}
