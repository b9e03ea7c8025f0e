//! Add user (a local user) and Edit user: one form, every field validated on
//! the server, each problem shown at its field.

use crate::api::AppError;
use crate::api::groups::user_groups;
use crate::api::users::{CreateUser, UpdateUser, get_user};
use crate::components::badge::{SourceBadge, StatusBadge};
use crate::components::text_field::TextField;
use crate::components::toast::Toast;
use crate::domain::format::format_date;
use crate::domain::user::{LocalUser, StatusOrigin, UserSource, UserStatus};
use crate::domain::user_input::{UserField, UserInput};
use crate::pages::users::ManagerCell;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn NewUserPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let on_submit = Callback::new(move |input: UserInput| {
        create.dispatch(CreateUser { input });
    });
    after_save(create.value().into());
    view! {
        <Title text="Add user"/>
        <div class="page-header">
            <div>
                <h1>"Add user"</h1>
                <p class="muted">"A local user: dirsync's syncs never change or deactivate them."</p>
            </div>
        </div>
        <UserForm
            initial=UserInput::default()
            on_submit=on_submit
            result=create.value()
            pending=create.pending()
            submit_label="Add user"
        />
    }
}

#[component]
pub fn EditUserPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let user = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_user(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Title text="Edit user"/>
        <Suspense fallback=|| view! { <p class="loading" aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(user) => view! { <EditUser user=user/> }.into_any(),
                    Err(e) => view! {
                        <div class="page-header"><h1>"Edit user"</h1></div>
                        <p class="banner banner-error" role="alert">{e.to_string()}</p>
                        <a class="button" href="/users">"Back to Users"</a>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditUser(user: LocalUser) -> impl IntoView {
    let update = ServerAction::<UpdateUser>::new();
    let id = user.id;
    let on_submit = Callback::new(move |input: UserInput| {
        update.dispatch(UpdateUser { id, input });
    });
    after_save(update.value().into());
    let from_azure = user.source == UserSource::AzureAd;
    view! {
        <div class="page-header">
            <div>
                <h1>{format!("Edit {}", user.display_name)}</h1>
                <p class="row">
                    <StatusBadge status=user.status/>
                    <SourceBadge source=user.source/>
                </p>
            </div>
        </div>
        {from_azure.then(|| view! {
            <p class="banner banner-info">
                "This user comes from Azure AD. A later sync will not overwrite your edit silently: it reports the row as a conflict."
            </p>
        })}
        <UserFacts user=user.clone()/>
        <UserForm
            initial=UserInput::from_user(&user)
            on_submit=on_submit
            result=update.value()
            pending=update.pending()
            submit_label="Save changes"
        />
    }
}

/// What the form does not edit: the manager, who set the status, the link
/// to Azure AD, and the user's groups.
#[component]
fn UserFacts(user: LocalUser) -> impl IntoView {
    let id = user.id;
    let groups = Resource::new(move || id, user_groups);
    let status = match (user.status, user.status_origin) {
        (UserStatus::Deactivated, StatusOrigin::Admin) => format!(
            "Deactivated by an admin on {}; a sync does not reactivate them",
            format_date(user.status_changed_at.unwrap_or(user.updated_at))
        ),
        (UserStatus::Active, StatusOrigin::Admin) => "Active, set by an admin".to_owned(),
        (status, StatusOrigin::AzureAd) => format!("{status}, as Azure AD says"),
    };
    let link = match (&user.azure_object_id, &user.tenant_id) {
        (Some(object), Some(tenant)) => format!("Object {object} in tenant {tenant}"),
        (Some(object), None) => format!("Object {object}"),
        (None, _) => "Not linked: made on the platform".to_owned(),
    };
    let group_list = move || {
        Suspend::new(async move {
            match groups.await {
                Ok(list) if list.is_empty() => {
                    view! { <span class="muted">"None"</span> }.into_any()
                }
                Ok(list) => {
                    let more = (list.len() >= 200)
                        .then(|| view! { <p class="muted small">"The first 200, by name."</p> });
                    let items = list
                        .into_iter()
                        .map(
                            |g| view! { <li><a href=format!("/groups/{}", g.id)>{g.name}</a></li> },
                        )
                        .collect_view();
                    view! { <ul class="inline-list">{items}</ul>{more} }.into_any()
                }
                Err(e) => view! { <span role="alert">{e.to_string()}</span> }.into_any(),
            }
        })
    };
    view! {
        <section class="card user-facts" aria-labelledby="user-facts">
            <h2 id="user-facts">"Directory"</h2>
            <dl>
                <dt>"Manager"</dt>
                <dd><ManagerCell manager=user.manager.clone() azure_id=user.manager_azure_id.clone()/></dd>
                <dt>"Status"</dt>
                <dd>{status}</dd>
                <dt>"Azure AD"</dt>
                <dd>{link}</dd>
                <dt>"Groups"</dt>
                <dd><Transition fallback=|| view! { <span class="loading">"Loading…"</span> }>{group_list}</Transition></dd>
            </dl>
        </section>
    }
}

/// After a successful save: say so, and go back to the list.
fn after_save(result: Signal<Option<Result<LocalUser, AppError>>>) {
    let navigate = use_navigate();
    Effect::new(move || {
        if let Some(Ok(user)) = result.get() {
            Toast::show(format!("Saved {}.", user.display_name));
            navigate("/users", Default::default());
        }
    });
}

#[component]
fn UserForm(
    initial: UserInput,
    on_submit: Callback<UserInput>,
    #[prop(into)] result: Signal<Option<Result<LocalUser, AppError>>>,
    pending: Memo<bool>,
    submit_label: &'static str,
) -> impl IntoView {
    let values: Vec<(UserField, RwSignal<String>)> = UserField::all()
        .map(|field| (field, RwSignal::new(initial.get(field).to_owned())))
        .collect();
    let collected = values.clone();
    let collect = move || {
        let mut input = UserInput::default();
        for (field, value) in &collected {
            input.set(*field, value.get_untracked());
        }
        input
    };
    let error_for = move |field: UserField| {
        Signal::derive(move || {
            result.with(|r| {
                r.as_ref()
                    .and_then(|r| r.as_ref().err())
                    .and_then(|e| e.field_message(field))
            })
        })
    };
    let general_error = move || {
        result.with(|r| match r {
            Some(Err(AppError::Invalid(_))) => {
                Some("Please correct the highlighted fields.".to_owned())
            }
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let fields = values
        .into_iter()
        .map(|(field, value)| {
            let input_type = field.input_type();
            let required = matches!(field, UserField::DisplayName | UserField::Email);
            view! {
                <TextField
                    id=field.key()
                    label=field.label()
                    value=value
                    error=error_for(field)
                    input_type=input_type
                    required=required
                    autocomplete="off"
                />
            }
        })
        .collect_view();

    view! {
        <form
            class="card form-grid"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                on_submit.run(collect());
            }
        >
            {fields}
            {move || general_error().map(|m| view! { <p class="banner banner-error form-wide" role="alert">{m}</p> })}
            <div class="row form-wide">
                <button type="submit" class="button primary" disabled=move || pending.get()>{submit_label}</button>
                <a class="button" href="/users">"Cancel"</a>
            </div>
        </form>
    }
}
