//! A labelled text input with its error message underneath, wired for
//! screen readers (`aria-invalid`, `aria-describedby`).

use leptos::prelude::*;

#[component]
pub fn TextField(
    /// Unique on the page; the input's id.
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    /// The message to show under the field, when it is wrong.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = false)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <input
                id=id
                name=id
                type=input_type
                required=required
                autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=move || error.get().map(|_| described.clone())
            />
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}
