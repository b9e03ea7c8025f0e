//! "Previous" and "Next" between pages of a server-paged list, disabled at
//! either end: as links (so a page of results has its own address), or as
//! buttons (a list inside a page).

use leptos::prelude::*;

#[component]
pub fn LinkPager(
    /// What is shown, e.g. "26–50 of 2,339".
    summary: String,
    previous: Option<String>,
    next: Option<String>,
) -> impl IntoView {
    let link = |href: Option<String>, label: &'static str, rel: &'static str| match href {
        Some(href) => view! { <a class="button" href=href rel=rel>{label}</a> }.into_any(),
        None => {
            view! { <span class="button disabled" aria-disabled="true">{label}</span> }.into_any()
        }
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{summary}</span>
            <div class="row">
                {link(previous, "Previous", "prev")}
                {link(next, "Next", "next")}
            </div>
        </nav>
    }
}

/// "Previous" and "Next" as buttons that move `page`, for a list paged
/// inside a page (a preview's tabs).
#[component]
pub fn ButtonPager(
    /// What is shown, e.g. "26–50 of 2,339".
    summary: String,
    has_previous: bool,
    has_next: bool,
    page: RwSignal<u32>,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{summary}</span>
            <div class="row">
                <button type="button" class="button" disabled=!has_previous
                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Previous"</button>
                <button type="button" class="button" disabled=!has_next
                    on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
            </div>
        </nav>
    }
}
