//! The `Confirm` dialog: a native modal `<dialog>` (the page behind it is
//! inert, Esc closes it) stating exactly what applying will write. Past the
//! safety threshold it says why in plain words, and `Confirm` stays disabled
//! until the admin ticks the override.

use crate::api::sync::ApplyPreview;
use crate::domain::format::format_count;
use crate::domain::sync::view::PreviewSummary;
use leptos::html::Dialog;
use leptos::prelude::*;

/// Opens the dialog as a modal.
pub fn open_dialog(dialog: NodeRef<Dialog>) {
    if let Some(dialog) = dialog.get_untracked()
        && !dialog.open()
    {
        let _ = dialog.show_modal();
    }
}

#[component]
pub fn ConfirmApplyDialog(
    dialog: NodeRef<Dialog>,
    summary: PreviewSummary,
    apply: ServerAction<ApplyPreview>,
) -> impl IntoView {
    let override_ticked = RwSignal::new(false);
    let to_apply = summary.to_apply();
    let groups = summary.run.groups;
    let needs_override = summary.needs_override();
    let run_id = summary.run.id;
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
    };
    // Applied: the dialog's work is done; the page shows the progress.
    Effect::new(move || {
        if let Some(Ok(())) = apply.value().get() {
            close();
        }
    });
    let line = |label: &'static str, n: u64| {
        view! { <li><span>{label}</span><strong>{format_count(n)}</strong></li> }
    };
    let reasons = summary
        .safety_reasons
        .iter()
        .map(|r| view! { <li>{r.clone()}</li> })
        .collect_view();

    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby="confirm-title"
            aria-describedby="confirm-totals"
            // Esc and Cancel both end here: nothing was applied, start afresh.
            on:close=move |_| override_ticked.set(false)
        >
            <h2 id="confirm-title">"Apply these changes?"</h2>
            <ul class="totals" id="confirm-totals">
                {line("Users to be inserted", to_apply.added)}
                {line("Users to be updated", to_apply.updated)}
                {line("Users to be deactivated", to_apply.deactivated)}
                {line("Groups to add, rename or remove", groups.added + groups.renamed + groups.removed)}
                {line("Group memberships to change", groups.memberships_added + groups.memberships_removed)}
                {line("Rows excluded", summary.excluded.total())}
            </ul>
            {needs_override.then(|| view! {
                <div class="banner banner-warning" role="alert">
                    <p><strong>"This sync is larger than the safety threshold allows."</strong></p>
                    <ul>{reasons}</ul>
                    <p>"Check the lists before you apply. Nothing is deleted: deactivated users can be reactivated."</p>
                </div>
                <label class="checkbox">
                    <input
                        type="checkbox"
                        prop:checked=move || override_ticked.get()
                        on:change=move |ev| override_ticked.set(event_target_checked(&ev))
                    />
                    " I have checked these changes: apply them anyway (override the safety threshold)"
                </label>
            })}
            {move || apply.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="banner banner-error" role="alert">{e.to_string()}</p>
            })}
            <div class="row dialog-actions">
                <button type="button" class="button" autofocus on:click=move |_| close()>"Cancel"</button>
                <button
                    type="button"
                    class="button primary"
                    disabled=move || apply.pending().get() || (needs_override && !override_ticked.get())
                    on:click=move |_| {
                        apply.dispatch(ApplyPreview { run_id, override_threshold: needs_override && override_ticked.get_untracked() });
                    }
                >
                    "Confirm"
                </button>
            </div>
        </dialog>
    }
}
