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
pub fn SettingsPage() -> impl IntoView {
    view! {
        <ComingSoon
            title="Settings"
            what="The Azure AD connection (tenant, client id and secret), Test connection, and the sync's overwrite, scope and safety options."
        />
    }
}
