//! "Previous" and "Next" between pages of a server-paged list, as links
//! (so a page of results has its own address), disabled at either end.

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
