//! A labelled text input with its hint and error message underneath, wired
//! for screen readers (`aria-invalid`, `aria-describedby`).

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
    /// Help under the field (where to find the value, what is kept).
    #[prop(optional, into)]
    hint: Signal<Option<String>>,
    /// Read-only, for a value set elsewhere (the hint says where).
    #[prop(optional)]
    disabled: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let ids: Vec<&str> = [
                hint.with(Option::is_some).then_some(hint_id.as_str()),
                error.with(Option::is_some).then_some(error_id.as_str()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}{required.then_some(view! { <span class="required" aria-hidden="true">" *"</span> })}</label>
            <input
                id=id
                name=id
                type=input_type
                required=required
                disabled=disabled
                autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described
            />
            {move || hint.get().map(|text| view! { <p class="field-hint" id=hint_id.clone()>{text}</p> })}
            {move || error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}
