//! Users: the platform's directory, searched and paged on the server.

use crate::api::users::{SetUserStatus, list_users};
use crate::components::badge::{SourceBadge, StatusBadge};
use crate::components::pager::LinkPager;
use crate::components::toast::Toast;
use crate::domain::format::{format_date, format_timestamp};
use crate::domain::paging::Page;
use crate::domain::profile::ProfileField;
use crate::domain::user::{LocalUser, ManagerLink, UserStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// A link to another page of the same search.
fn page_href(search: &str, page: u32) -> String {
    paged_href("/users", search, page)
}

/// `path` at another page of the same search.
pub fn paged_href(path: &str, search: &str, page: u32) -> String {
    let mut href = format!("{path}?page={page}");
    if !search.is_empty() {
        href.push_str("&q=");
        href.push_str(&encode_query_value(search));
    }
    href
}

/// Percent-encodes a query value (the same on server and browser).
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|q| q.get("q").unwrap_or_default());
    let page = move || {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
        })
    };
    let set_status = ServerAction::<SetUserStatus>::new();
    let users = Resource::new(
        move || (search(), page(), set_status.version().get()),
        |(search, page, _)| list_users(search, page),
    );
    Effect::new(move || {
        if let Some(Ok(user)) = set_status.value().get() {
            let verb = match user.status {
                UserStatus::Active => "Reactivated",
                UserStatus::Deactivated => "Deactivated",
            };
            Toast::show(format!("{verb} {}.", user.display_name));
        }
    });

    view! {
        <Title text="Users"/>
        <div class="page-header">
            <div>
                <h1>"Users"</h1>
                <p class="muted">"Everyone who can use the helpdesk platform."</p>
            </div>
            <a class="button primary" href="/users/new">"Add user"</a>
        </div>
        <Form method="GET" action="/users" attr:class="toolbar" attr:role="search">
            <label for="user-search" class="visually-hidden">"Search users"</label>
            <input
                id="user-search"
                type="search"
                name="q"
                placeholder="Search by name, email, department or title"
                prop:value=search
            />
            <button type="submit" class="button">"Search"</button>
        </Form>
        {move || {
            set_status.value().get().and_then(|r| r.err()).map(|e| {
                view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }
            })
        }}
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => view! { <UserTable page=page search=search() set_status=set_status/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(
    page: Page<LocalUser>,
    search: String,
    set_status: ServerAction<SetUserStatus>,
) -> impl IntoView {
    if page.items.is_empty() {
        let message = if search.is_empty() {
            "No users yet. Add a local user, or import your people from Azure AD.".to_owned()
        } else {
            format!(
                "No users match “{search}”. Check the spelling, or search for part of a name or email."
            )
        };
        return view! {
            <section class="empty-state">
                <h2>"No users found"</h2>
                <p>{message}</p>
                <div class="row">
                    <a class="button primary" href="/users/new">"Add user"</a>
                    <a class="button" href="/import">"Import Users"</a>
                </div>
            </section>
        }
        .into_any();
    }

    let summary = page.shown_text();
    let previous = page
        .has_previous()
        .then(|| page_href(&search, page.page - 1));
    let next = page.has_next().then(|| page_href(&search, page.page + 1));
    let rows = page
        .items
        .into_iter()
        .map(|user| view! { <UserRow user=user set_status=set_status/> })
        .collect_view();

    view! {
        <div class="table-wrap">
            <table class="data-table users-table">
                <caption class="visually-hidden">"Users"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Department"</th>
                        <th scope="col">"Job title"</th>
                        <th scope="col">"Manager"</th>
                        <th scope="col">"Status and source"</th>
                        <th scope="col">"Last synced"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <LinkPager summary=summary previous=previous next=next/>
    }
    .into_any()
}

/// A user's manager: a link to the platform user, or the Azure id of a
/// manager not imported (yet).
#[component]
pub fn ManagerCell(manager: Option<ManagerLink>, azure_id: Option<String>) -> impl IntoView {
    match (manager, azure_id) {
        (Some(m), _) => {
            view! { <a href=format!("/users/{}", m.user_id)>{m.display_name}</a> }.into_any()
        }
        (None, Some(id)) => view! {
            <span class="muted" title=format!("Azure AD object {id}")>"Not imported"</span>
        }
        .into_any(),
        (None, None) => view! { "—" }.into_any(),
    }
}

#[component]
fn UserRow(user: LocalUser, set_status: ServerAction<SetUserStatus>) -> impl IntoView {
    let (action, target) = match user.status {
        UserStatus::Active => ("Deactivate", UserStatus::Deactivated),
        UserStatus::Deactivated => ("Reactivate", UserStatus::Active),
    };
    let id = user.id;
    let action_label = format!("{action} {}", user.display_name);
    let edit_label = format!("Edit {}", user.display_name);
    let dash = || "—".to_owned();
    view! {
        <tr>
            <th scope="row"><a href=format!("/users/{id}")>{user.display_name.clone()}</a></th>
            <td class="email">{user.email}</td>
            <td>{user.profile.get(ProfileField::Department).map(str::to_owned).unwrap_or_else(dash)}</td>
            <td>{user.profile.get(ProfileField::JobTitle).map(str::to_owned).unwrap_or_else(dash)}</td>
            <td><ManagerCell manager=user.manager.clone() azure_id=user.manager_azure_id.clone()/></td>
            <td class="badges"><StatusBadge status=user.status/>" "<SourceBadge source=user.source/></td>
            <td class="nowrap" title=user.last_synced_at.map(format_timestamp)>
                {user.last_synced_at.map(format_date).unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td class="actions">
                <a class="button small" href=format!("/users/{id}") aria-label=edit_label>"Edit"</a>
                <button
                    type="button"
                    class="button small"
                    aria-label=action_label
                    disabled=move || set_status.pending().get()
                    on:click=move |_| {
                        set_status.dispatch(SetUserStatus { id, status: target });
                    }
                >
                    {action}
                </button>
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_search_and_encode_it() {
        assert_eq!(page_href("", 2), "/users?page=2");
        assert_eq!(
            page_href("o'brien & co", 3),
            "/users?page=3&q=o%27brien%20%26%20co"
        );
        assert_eq!(page_href("zoë", 1), "/users?page=1&q=zo%C3%AB");
    }
}
