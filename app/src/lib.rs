//! dirsync's application: the domain (pure), the server functions, the ports
//! they call, and the pages. Compiled twice: with `ssr` into the server, with
//! `hydrate` into the browser's wasm.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod services;

use components::layout::Layout;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use pages::{
    groups::{GroupPage, GroupsPage},
    import::ImportUsersPage,
    not_found::NotFound,
    settings::SettingsPage,
    sign_in::SignInPage,
    sync_history::{RunDetailsPage, SyncHistoryPage},
    user_edit::{EditUserPage, NewUserPage},
    users::UsersPage,
};

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Tests wait for this mark before they click: effects run only in the
    // browser, once the wasm has taken over the server-rendered page.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/dirsync.css"/>
        <Title formatter=|title: String| {
            if title.is_empty() { "dirsync".to_owned() } else { format!("{title} · dirsync") }
        }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=SignInPage/>
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("/users") view=UsersPage/>
                    <Route path=path!("/users/new") view=NewUserPage/>
                    <Route path=path!("/users/:id") view=EditUserPage/>
                    <Route path=path!("/groups") view=GroupsPage/>
                    <Route path=path!("/groups/:id") view=GroupPage/>
                    <Route path=path!("/import") view=ImportUsersPage/>
                    <Route path=path!("/settings") view=SettingsPage/>
                    <Route path=path!("/history") view=SyncHistoryPage/>
                    <Route path=path!("/history/:id") view=RunDetailsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
