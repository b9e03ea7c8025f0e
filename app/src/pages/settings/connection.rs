//! Settings > Azure AD connection: the tenant, client ID, write-only client
//! secret and cloud; where each value comes from; Test connection and its
//! answer in an admin's words.

use super::secret_expiry::SecretExpirySection;
use crate::api::connection::{RemoveConnection, SaveConnection, TestConnection};
use crate::components::text_field::TextField;
use crate::domain::connection::{
    Cloud, ConnectionField, ConnectionInput, ConnectionSettings, ConnectionTest, Secret,
    SecretState, ShownValue, TestOutcome,
};
use crate::domain::format::format_timestamp;
use leptos::prelude::*;

#[component]
pub fn ConnectionSection(
    settings: ConnectionSettings,
    save: ServerAction<SaveConnection>,
    remove: ServerAction<RemoveConnection>,
    test: ServerAction<TestConnection>,
    /// Bumped by every save: the expiry is read again then.
    saved: RwSignal<u32>,
) -> impl IntoView {
    let editable = settings.editable();
    let note = settings.source_note();
    let status = settings.status.describe();
    let overrides = settings.endpoint_overrides.clone();
    view! {
        <section class="card settings-form" aria-labelledby="connection-heading">
            <h2 id="connection-heading" class="card-title">"Azure AD connection"</h2>
            <dl class="facts">
                <div class="fact"><dt>"Imports read from"</dt><dd>{status}</dd></div>
            </dl>
            <p class="muted small">{note}</p>
            {(!overrides.is_empty()).then(|| view! {
                <p class="muted small">
                    "The sign-in and Graph addresses come from the environment: " {overrides.join(", ")} "."
                </p>
            })}
            {if editable {
                view! { <ConnectionForm settings=settings save=save remove=remove test=test/> }.into_any()
            } else {
                view! { <DemoFacts settings=settings test=test/> }.into_any()
            }}
            <section aria-live="polite" aria-label="Test connection result">
                {move || test.value().get().map(|result| match result {
                    Ok(report) => view! { <TestResult test=report/> }.into_any(),
                    Err(e) => view! { <p class="banner banner-error">{e.to_string()}</p> }.into_any(),
                })}
            </section>
            <SecretExpirySection saved=saved test=test/>
        </section>
    }
}

/// The simulated registration of a forced demo: nothing to edit.
#[component]
fn DemoFacts(settings: ConnectionSettings, test: ServerAction<TestConnection>) -> impl IntoView {
    view! {
        <dl class="facts">
            <div class="fact"><dt>"Tenant ID"</dt><dd>{settings.tenant_id.value}</dd></div>
            <div class="fact"><dt>"Client ID"</dt><dd>{settings.client_id.value}</dd></div>
            <div class="fact"><dt>"Client secret"</dt><dd>"Held by the simulation"</dd></div>
        </dl>
        <div class="form-actions">
            <TestButton test=test/>
        </div>
    }
}

#[component]
fn TestButton(test: ServerAction<TestConnection>) -> impl IntoView {
    view! {
        <button type="button" class="button" disabled=move || test.pending().get()
            on:click=move |_| { test.dispatch(TestConnection {}); }>
            {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
        </button>
    }
}

/// Where to find a value, or which variable sets it instead.
fn field_hint(shown: &ShownValue, where_to_find: &str) -> String {
    match &shown.env_var {
        Some(var) => format!("From {var} in the server's environment, which wins over this page."),
        None => where_to_find.to_owned(),
    }
}

fn secret_hint(secret: &SecretState) -> String {
    match secret {
        SecretState::NotSet => "No secret set. Paste the secret's Value from Certificates & secrets (not its Secret ID).".to_owned(),
        SecretState::Saved { set_at, set_by } => format!(
            "Secret set {} by {set_by}. It is never shown; leave this empty to keep it, or paste a new Value to replace it.",
            format_timestamp(*set_at)
        ),
        SecretState::Unreadable { set_at, set_by } => format!(
            "A secret was set {} by {set_by}, but this server's key cannot decrypt it (DIRSYNC_SECRET_KEY or the key file changed). Paste the Value again.",
            format_timestamp(*set_at)
        ),
        SecretState::Environment => "From AZURE_CLIENT_SECRET in the server's environment, which wins over this page.".to_owned(),
    }
}

#[component]
fn ConnectionForm(
    settings: ConnectionSettings,
    save: ServerAction<SaveConnection>,
    remove: ServerAction<RemoveConnection>,
    test: ServerAction<TestConnection>,
) -> impl IntoView {
    let tenant = RwSignal::new(settings.tenant_id.value.clone());
    let client = RwSignal::new(settings.client_id.value.clone());
    let secret = RwSignal::new(String::new());
    let cloud = RwSignal::new(settings.cloud);
    let problem = move |field: ConnectionField| {
        Signal::derive(move || {
            save.value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.connection_problem(field))
        })
    };
    let tenant_hint = field_hint(
        &settings.tenant_id,
        "The Directory (tenant) ID on the app registration's Overview page, or a domain such as contoso.onmicrosoft.com.",
    );
    let client_hint = field_hint(
        &settings.client_id,
        "The Application (client) ID on the app registration's Overview page.",
    );
    let secret_hint = secret_hint(&settings.secret);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new save tests a new connection: the old answer no longer holds.
        test.value().set(None);
        save.dispatch(SaveConnection {
            input: ConnectionInput {
                tenant_id: tenant.get_untracked(),
                client_id: client.get_untracked(),
                client_secret: Secret::new(secret.get_untracked()),
                cloud: cloud.get_untracked(),
            },
        });
    };
    let on_remove = move |_| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(
                    "Remove the saved connection, client secret included? Imports stop until a connection is saved again.",
                )
                .ok()
            })
            .unwrap_or(false);
        if confirmed {
            test.value().set(None);
            remove.dispatch(RemoveConnection {});
        }
    };
    let clouds = Cloud::ALL
        .into_iter()
        .map(|c| view! { <option value=c.as_str() selected=move || cloud.get() == c>{c.to_string()}</option> })
        .collect_view();
    let general_error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| remove.value().get().and_then(|r| r.err()))
            .filter(|e| !matches!(e, crate::api::AppError::InvalidConnection(_)))
            .map(|e| view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> })
    };

    view! {
        <form novalidate on:submit=on_submit>
            <div class="form-grid">
                <TextField id="tenant-id" label=ConnectionField::TenantId.label() value=tenant
                    error=problem(ConnectionField::TenantId) hint=Some(tenant_hint)
                    disabled=settings.tenant_id.env_var.is_some() autocomplete="off"/>
                <TextField id="client-id" label=ConnectionField::ClientId.label() value=client
                    error=problem(ConnectionField::ClientId) hint=Some(client_hint)
                    disabled=settings.client_id.env_var.is_some() autocomplete="off"/>
                <TextField id="client-secret" label=ConnectionField::ClientSecret.label() value=secret
                    input_type="password" error=problem(ConnectionField::ClientSecret) hint=Some(secret_hint)
                    disabled=settings.secret == SecretState::Environment autocomplete="new-password"/>
                <div class="field">
                    <label for="cloud">"Cloud"</label>
                    <select id="cloud" on:change=move |ev| {
                        if let Some(c) = Cloud::parse(&event_target_value(&ev)) {
                            cloud.set(c);
                        }
                    }>
                        {clouds}
                    </select>
                    <p class="field-hint">"Where your tenant lives: most are in the Global cloud."</p>
                </div>
            </div>
            {general_error}
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || save.pending().get()>"Save connection"</button>
                <TestButton test=test/>
                <span class="spacer"></span>
                {settings.saved.then(|| view! {
                    <button type="button" class="button ghost" disabled=move || remove.pending().get()
                        on:click=on_remove>"Remove connection"</button>
                })}
            </div>
        </form>
    }
}

/// Test connection's answer: the headline, each permission, each read, and
/// the fix for whatever failed.
#[component]
fn TestResult(test: ConnectionTest) -> impl IntoView {
    let tone = match (&test.outcome, test.succeeded()) {
        (_, true) => "banner banner-success",
        (TestOutcome::SignedIn { .. }, false) => "banner banner-warning",
        _ => "banner banner-error",
    };
    let headline = test.headline();
    let fixes = test.fixes();
    let (permissions, reads) = match test.outcome {
        TestOutcome::SignedIn {
            permissions, reads, ..
        } => (permissions, reads),
        _ => (vec![], vec![]),
    };
    let permission_items = permissions
        .into_iter()
        .map(|p| {
            let (badge, word) = if p.granted {
                ("badge badge-ok", "Granted")
            } else {
                ("badge badge-bad", "Missing")
            };
            view! { <li><span class=badge>{word}</span>{p.name}</li> }
        })
        .collect_view();
    let read_items = reads
        .into_iter()
        .map(|r| {
            let (badge, word) = if r.result.is_ok() {
                ("badge badge-ok", "OK")
            } else {
                ("badge badge-bad", "Failed")
            };
            view! { <li><span class=badge>{word}</span>{r.describe()}</li> }
        })
        .collect_view();
    view! {
        <div class="test-result">
            <p class=tone><strong>{headline}</strong></p>
            <ul class="check-list" aria-label="Permissions">{permission_items}</ul>
            <ul class="check-list" aria-label="Directory reads">{read_items}</ul>
            {fixes.into_iter().map(|fix| view! { <p class="fix">{fix}</p> }).collect_view()}
        </div>
    }
}
