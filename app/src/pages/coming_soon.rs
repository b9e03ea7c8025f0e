//! Pages whose issues have not landed yet. They say so plainly rather than
//! pretending.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn ComingSoon(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="page-header">
            <h1>{title}</h1>
        </div>
        <section class="empty-state">
            <h2>"Coming soon"</h2>
            <p>{what}</p>
            <a class="button" href="/users">"Back to Users"</a>
        </section>
    }
}

#[component]
pub fn ImportUsersPage() -> impl IntoView {
    view! {
        <ComingSoon
            title="Import Users"
            what="Import from Azure AD will preview every user to be added, updated and deactivated before anything changes."
        />
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <ComingSoon
            title="Settings"
            what="The Azure AD connection (tenant, client id and secret), Test connection, and the sync's overwrite, scope and safety options."
        />
    }
}

#[component]
pub fn SyncHistoryPage() -> impl IntoView {
    view! {
        <ComingSoon
            title="Sync history"
            what="Every sync run: who started it, when, what it changed user by user, and how it ended, with a CSV download."
        />
    }
}
