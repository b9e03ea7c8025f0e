//! Settings > Azure AD connection > Client secret expiry: when the secret
//! dirsync signs in with expires (read from Azure AD at every Test
//! connection and sync), a warning from 30 days before, and, where Azure AD
//! will not say, why, with a field to enter the date by hand.

use crate::api::connection::{SetSecretExpiry, TestConnection, load_secret_expiry};
use crate::components::toast::Toast;
use crate::domain::connection::secret_expiry::{ExpiryLevel, SecretExpiryView};
use crate::domain::format::{format_date, format_timestamp};
use leptos::prelude::*;

/// The banner class for each level.
pub fn expiry_tone(level: ExpiryLevel) -> &'static str {
    match level {
        ExpiryLevel::Fine => "banner banner-info",
        ExpiryLevel::Soon => "banner banner-warning",
        ExpiryLevel::Expired => "banner banner-error",
    }
}

#[component]
pub fn SecretExpirySection(
    /// Bumped when the connection is saved or removed.
    saved: RwSignal<u32>,
    test: ServerAction<TestConnection>,
) -> impl IntoView {
    let set = ServerAction::<SetSecretExpiry>::new();
    // Bumped when a test (which reads the date from Azure AD) or an entry
    // by hand has finished: the section reads the expiry again then, not
    // when they start.
    let done = RwSignal::new(0u32);
    Effect::new(move || {
        if let Some(Ok(changes)) = set.value().get() {
            done.update(|n| *n += 1);
            Toast::show(if changes.is_empty() {
                "Nothing to save: that date was already entered.".to_owned()
            } else {
                "Expiry date saved.".to_owned()
            });
        }
    });
    Effect::new(move || {
        if test.value().with(Option::is_some) {
            done.update(|n| *n += 1);
        }
    });
    let view = Resource::new(move || (saved.get(), done.get()), |_| load_secret_expiry());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(view) if view.applies => view! { <ExpiryFacts view=view set=set/> }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ExpiryFacts(view: SecretExpiryView, set: ServerAction<SetSecretExpiry>) -> impl IntoView {
    let can_enter = view.can_enter_by_hand();
    let expiry = view.expiry.clone();
    let unreadable = expiry
        .as_ref()
        .and_then(|e| e.unreadable().map(str::to_owned));
    let checked = expiry
        .as_ref()
        .and_then(|e| e.read_at)
        .map(|at| format!("Last read from Azure AD {}.", format_timestamp(at)));
    let entered = expiry
        .as_ref()
        .and_then(|e| e.manual.as_ref())
        .map(|m| format_date(m.expires_at))
        .unwrap_or_default();
    let date = RwSignal::new(entered);
    let notice = view.notice.map(|n| {
        view! { <p id="secret-expiry" class=expiry_tone(n.level)>{n.text}</p> }
    });
    let not_read = (expiry.as_ref().is_none_or(|e| e.last_read.is_none())).then(|| {
        view! {
            <p class="muted small">
                "dirsync reads when the client secret expires at the next Test connection or sync."
            </p>
        }
    });
    let error = move || {
        set.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| view! { <p class="banner banner-error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <div class="secret-expiry">
            <h3 class="card-subtitle">"Client secret expiry"</h3>
            {notice}
            {unreadable.map(|why| view! { <p class="banner banner-warning">{why}</p> })}
            {not_read}
            {checked.map(|c| view! { <p class="muted small">{c}</p> })}
            {can_enter.then(|| view! {
                <form class="inline-form" novalidate on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    set.dispatch(SetSecretExpiry { date: date.get_untracked() });
                }>
                    <div class="field">
                        <label for="secret-expiry-date">"Secret expires on"</label>
                        <input id="secret-expiry-date" type="date" prop:value=move || date.get()
                            aria-describedby="secret-expiry-hint"
                            on:input=move |ev| date.set(event_target_value(&ev))/>
                        <p id="secret-expiry-hint" class="field-hint">
                            "Where Azure AD does not say, enter the Expires date shown under App registrations > your app > Certificates & secrets; leave it empty to clear it."
                        </p>
                    </div>
                    <button type="submit" class="button" disabled=move || set.pending().get()>"Save expiry date"</button>
                </form>
            })}
            {error}
        </div>
    }
}
