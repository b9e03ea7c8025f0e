//! The only page reachable without a session.

use crate::api::auth::SignIn;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let error = move || {
        sign_in
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Sign in"/>
        <main class="centered">
            <div class="card narrow">
                <p class="brand"><span class="brand-mark" aria-hidden="true">"◆"</span>" dirsync"</p>
                <h1>"Sign in"</h1>
                <p class="muted">"Administrators only."</p>
                <ActionForm action=sign_in attr:class="stack">
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    {move || error().map(|message| view! { <p class="banner banner-error" role="alert">{message}</p> })}
                    <button type="submit" class="button primary" disabled=move || sign_in.pending().get()>
                        "Sign in"
                    </button>
                </ActionForm>
            </div>
        </main>
    }
}
