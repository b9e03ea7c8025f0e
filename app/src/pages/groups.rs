//! Groups: the groups imported from Azure AD, searched and paged on the
//! server, and each group's members a page at a time.

use crate::api::groups::{get_group, list_group_members, list_groups};
use crate::components::badge::StatusBadge;
use crate::components::pager::LinkPager;
use crate::domain::format::format_count;
use crate::domain::group::GroupSummary;
use crate::domain::paging::Page;
use crate::domain::user::LocalUser;
use crate::pages::users::paged_href;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The search and page in the address.
fn search_and_page() -> (Memo<String>, Memo<u32>) {
    let query = use_query_map();
    let search = Memo::new(move |_| query.with(|q| q.get("q").unwrap_or_default()));
    let page = Memo::new(move |_| {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
        })
    });
    (search, page)
}

/// "26–50 of 2,339", and links to the pages around it.
fn pager<T>(page: &Page<T>, path: &str, search: &str) -> impl IntoView + use<T> {
    let summary = page.shown_text();
    let previous = page
        .has_previous()
        .then(|| paged_href(path, search, page.page - 1));
    let next = page
        .has_next()
        .then(|| paged_href(path, search, page.page + 1));
    view! { <LinkPager summary=summary previous=previous next=next/> }
}

#[component]
fn SearchBox(action: String, label: &'static str, placeholder: &'static str) -> impl IntoView {
    let (search, _) = search_and_page();
    view! {
        <Form method="GET" action=action attr:class="toolbar" attr:role="search">
            <label for="group-search" class="visually-hidden">{label}</label>
            <input id="group-search" type="search" name="q" placeholder=placeholder prop:value=search/>
            <button type="submit" class="button">"Search"</button>
        </Form>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let (search, page) = search_and_page();
    let groups = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| list_groups(search, page),
    );
    view! {
        <Title text="Groups"/>
        <div class="page-header">
            <div>
                <h1>"Groups"</h1>
                <p class="muted">"The groups imported from Azure AD, with the platform users in each."</p>
            </div>
        </div>
        <SearchBox action="/groups".into() label="Search groups" placeholder="Search by group name"/>
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading groups…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(page) => view! { <GroupTable page=page search=search.get_untracked()/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GroupTable(page: Page<GroupSummary>, search: String) -> impl IntoView {
    if page.items.is_empty() {
        let message = if search.is_empty() {
            "No groups yet. Groups arrive with the users of an import from Azure AD.".to_owned()
        } else {
            format!("No groups match “{search}”.")
        };
        return view! {
            <section class="empty-state">
                <h2>"No groups found"</h2>
                <p>{message}</p>
            </section>
        }
        .into_any();
    }
    let pager = pager(&page, "/groups", &search);
    let rows = page
        .items
        .into_iter()
        .map(|g| {
            view! {
                <tr>
                    <th scope="row"><a href=format!("/groups/{}", g.id)>{g.name}</a></th>
                    <td class="number">{format_count(g.member_count)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">"Groups"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col" class="number">"Members"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok())));
    let (search, page) = search_and_page();
    let group = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_group(id).await,
                None => Err(crate::api::AppError::NotFound),
            }
        },
    );
    let members = Resource::new(
        move || (id.get(), search.get(), page.get()),
        |(id, search, page)| async move {
            match id {
                Some(id) => list_group_members(id, search, page).await,
                None => Err(crate::api::AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading" aria-busy="true">"Loading the group…"</p> }>
            {move || Suspend::new(async move {
                let group = match group.await {
                    Ok(group) => group,
                    Err(e) => {
                        return view! {
                            <Title text="Group"/>
                            <div class="page-header"><h1>"Group"</h1></div>
                            <p class="banner banner-error" role="alert">{e.to_string()}</p>
                            <a class="button" href="/groups">"Back to Groups"</a>
                        }
                        .into_any();
                    }
                };
                let path = format!("/groups/{}", group.id);
                let table = match members.await {
                    Ok(page) => view! { <MemberTable page=page path=path.clone() search=search.get_untracked()/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                };
                view! {
                    <Title text=group.name.clone()/>
                    <div class="page-header">
                        <div>
                            <h1>{group.name.clone()}</h1>
                            <p class="muted">
                                {format!("{} members in the platform · Azure AD group {}", format_count(group.member_count), group.azure_object_id)}
                            </p>
                        </div>
                        <a class="button" href="/groups">"All groups"</a>
                    </div>
                    <SearchBox action=path label="Search members" placeholder="Search members by name, email, department or title"/>
                    {table}
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn MemberTable(page: Page<LocalUser>, path: String, search: String) -> impl IntoView {
    if page.items.is_empty() {
        let message = if search.is_empty() {
            "No platform users are in this group.".to_owned()
        } else {
            format!("No members match “{search}”.")
        };
        return view! { <p class="empty-row muted">{message}</p> }.into_any();
    }
    let pager = pager(&page, &path, &search);
    let rows = page
        .items
        .into_iter()
        .map(|u| {
            view! {
                <tr>
                    <th scope="row"><a href=format!("/users/{}", u.id)>{u.display_name}</a></th>
                    <td>{u.email}</td>
                    <td><StatusBadge status=u.status/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">"Members"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {pager}
    }
    .into_any()
}
