use ivej_model::ipc::CreateStreetRequest;
use ivej_model::StreetKind;
use serde::Serialize;
use web_input::value_of;
use yew::prelude::*;

use crate::hooks::use_app_state::AppHandle;
use crate::i18n::{problem as problem_text, tr};
use crate::ipc::NoArgs;
use crate::state::field_error;

#[derive(Properties, PartialEq)]
pub struct OnboardingProps {
    pub app: AppHandle,
}

#[derive(Serialize)]
struct CreateArgs {
    request: CreateStreetRequest,
}

/// First start: open the demo street, or create a street of one's own.
#[function_component]
pub fn Onboarding(props: &OnboardingProps) -> Html {
    let street_name = use_state(String::new);
    let org_name = use_state(String::new);
    let state = &props.app.state;
    let lang = state.lang;
    let error = state.action_error.as_ref();

    let open_demo = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.act("open_demo_street", NoArgs {}))
    };
    let create = {
        let app = props.app.clone();
        let street_name = street_name.clone();
        let org_name = org_name.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            app.act(
                "create_street",
                CreateArgs {
                    request: CreateStreetRequest {
                        street_name: (*street_name).clone(),
                        org_name: (*org_name).clone(),
                        kind: StreetKind::MiniNetwork,
                        region: String::new(),
                    },
                },
            );
        })
    };
    let bind = |handle: &UseStateHandle<String>| {
        let handle = handle.clone();
        Callback::from(move |e: InputEvent| handle.set(value_of(&e)))
    };
    let problem = |field: &str| {
        field_error(error, field)
            .map(|p| html! { <div class="field-error">{ problem_text(lang, p) }</div> })
    };

    html! {
        <main>
            <h1>{ tr(lang, "welcome-title") }</h1>
            <p class="muted">{ tr(lang, "welcome-subtitle") }</p>
            <div class="onboarding">
                <section class="panel">
                    <h2>{ tr(lang, "demo-title") }</h2>
                    <p>{ tr(lang, "demo-text") }</p>
                    <button id="open-demo" onclick={open_demo} disabled={state.busy}>{ tr(lang, "demo-open") }</button>
                </section>
                <form class="panel" onsubmit={create}>
                    <h2>{ tr(lang, "create-title") }</h2>
                    <p>{ tr(lang, "create-text") }</p>
                    <label for="street-name">{ tr(lang, "create-street-name") }</label>
                    <input id="street-name" value={(*street_name).clone()} oninput={bind(&street_name)} placeholder="Industrivej Regstrup" />
                    { problem("street.name") }
                    <label for="org-name">{ tr(lang, "create-org-name") }</label>
                    <input id="org-name" value={(*org_name).clone()} oninput={bind(&org_name)} />
                    { problem("org.name") }
                    <button id="create-street" type="submit" disabled={state.busy}>{ tr(lang, "create-submit") }</button>
                    if let Some(err) = error.filter(|e| e.fields.is_empty()) {
                        <div class="error">{ &err.message }</div>
                    }
                </form>
            </div>
        </main>
    }
}

mod web_input {
    use wasm_bindgen::JsCast;
    use yew::InputEvent;

    /// The text of the input an event came from.
    pub fn value_of(e: &InputEvent) -> String {
        e.target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default()
    }
}
