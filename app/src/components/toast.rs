//! A one-line result banner ("Saved Ada Lovelace.") that outlives a client-side
//! navigation: the page that acts sets it, the page it lands on shows it.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Toast(pub RwSignal<Option<String>>);

impl Toast {
    pub fn provide() {
        provide_context(Toast(RwSignal::new(None)));
    }

    pub fn show(message: impl Into<String>) {
        if let Some(Toast(signal)) = use_context::<Toast>() {
            signal.set(Some(message.into()));
        }
    }
}

/// Shows the current toast, if any, with a button to dismiss it.
#[component]
pub fn ToastBanner() -> impl IntoView {
    let Toast(signal) = expect_context::<Toast>();
    move || {
        signal.get().map(|message| {
            view! {
                <div class="toast" role="status">
                    <span>{message}</span>
                    <button type="button" class="button ghost small" on:click=move |_| signal.set(None)>
                        "Dismiss"
                    </button>
                </div>
            }
        })
    }
}
