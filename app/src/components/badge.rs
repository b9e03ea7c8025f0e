//! Status and source badges: words first, colour second.

use crate::domain::user::{UserSource, UserStatus};
use leptos::prelude::*;

#[component]
pub fn StatusBadge(status: UserStatus) -> impl IntoView {
    let class = match status {
        UserStatus::Active => "badge badge-ok",
        UserStatus::Deactivated => "badge badge-muted",
    };
    view! { <span class=class>{status.to_string()}</span> }
}

#[component]
pub fn SourceBadge(source: UserSource) -> impl IntoView {
    let class = match source {
        UserSource::Local => "badge badge-neutral",
        UserSource::AzureAd => "badge badge-accent",
    };
    view! { <span class=class>{source.to_string()}</span> }
}

/// A run's state; a scheduled preview that was not applied on its own
/// shows "Needs review".
#[component]
pub fn RunStateBadge(
    state: crate::domain::sync::view::RunState,
    #[prop(optional)] needs_review: bool,
) -> impl IntoView {
    let (class, label) = if needs_review {
        ("badge badge-bad".to_owned(), "Needs review")
    } else {
        (format!("badge badge-{}", state.tone()), state.label())
    };
    view! { <span class=class>{label}</span> }
}
