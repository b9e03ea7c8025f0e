//! The signed-in shell: left navigation, page header with the admin and
//! `Sign out`, and the page itself.

use super::toast::{Toast, ToastBanner};
use crate::api::AppError;
use crate::api::auth::{SignOut, current_admin};
use crate::api::sync::waiting_preview;
use leptos::prelude::*;
use leptos_router::components::Outlet;
use leptos_router::hooks::use_location;

#[component]
pub fn Layout() -> impl IntoView {
    Toast::provide();
    let admin = Resource::new(|| (), |_| current_admin());
    let sign_out = ServerAction::<SignOut>::new();

    view! {
        <div class="app">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <aside class="sidebar">
                <a class="brand" href="/users">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " dirsync"
                </a>
                <Navigation/>
            </aside>
            <div class="main-column">
                <header class="topbar">
                    <span class="topbar-title">"Directory sync"</span>
                    <div class="topbar-account">
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                match admin.await {
                                    Ok(admin) => view! { <span class="muted">{admin.email}</span> }.into_any(),
                                    Err(AppError::NotSignedIn) => {
                                        // The session ended while the page was open.
                                        let _ = window().location().set_href("/login");
                                        ().into_any()
                                    }
                                    Err(_) => ().into_any(),
                                }
                            })}
                        </Transition>
                        <ActionForm action=sign_out>
                            <button type="submit" class="button ghost">"Sign out"</button>
                        </ActionForm>
                    </div>
                </header>
                <main id="main" class="content">
                    <ToastBanner/>
                    <Outlet/>
                </main>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Navigation() -> impl IntoView {
    let location = use_location();
    // A scheduled preview waiting for an admin: looked up again on every
    // navigation, in the browser (it changes while a page is open).
    let waiting = LocalResource::new(move || {
        location.pathname.track();
        waiting_preview()
    });
    let badge = move || {
        waiting.get().and_then(|r| r.ok()).flatten().map(|run_id| {
            view! {
                <span class="nav-badge" title=format!("Scheduled preview #{run_id} waits for review")>
                    <span aria-hidden="true">"1"</span>
                    <span class="visually-hidden">", a scheduled preview waits for review"</span>
                </span>
            }
        })
    };
    let link = move |href: &'static str, label: &'static str| {
        let current = move || {
            let path = location.pathname.get();
            (path == href || path.starts_with(&format!("{href}/"))).then_some("page")
        };
        view! { <li><a href=href class="nav-link" aria-current=current>{label}</a></li> }
    };
    view! {
        <nav aria-label="Main">
            <p class="nav-section" id="nav-user-management">"User Management"</p>
            <ul class="nav-list" aria-labelledby="nav-user-management">
                {link("/users", "Users")}
                {link("/groups", "Groups")}
                <li>
                    <a href="/import" class="nav-link"
                        aria-current=move || location.pathname.get().starts_with("/import").then_some("page")>
                        "Import Users"{badge}
                    </a>
                </li>
            </ul>
            <ul class="nav-list">
                {link("/settings", "Settings")}
                {link("/history", "Sync history")}
            </ul>
        </nav>
    }
    .into_any()
}
