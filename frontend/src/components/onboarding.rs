use ivej_model::ipc::{CreateStreetRequest, JoinRequest};
use ivej_model::{OrgProfile, StreetKind};
use serde::Serialize;
use yew::prelude::*;

use crate::dom::{picked_file, value_of};

use crate::hooks::use_app_state::AppHandle;
use crate::i18n::tr;
use crate::ipc::NoArgs;

#[derive(Properties, PartialEq)]
pub struct OnboardingProps {
    pub app: AppHandle,
}

#[derive(Serialize)]
struct CreateArgs {
    request: CreateStreetRequest,
}

#[derive(Serialize)]
struct JoinArgs {
    request: JoinRequest,
}

/// First start: open the demo street, or create a street of one's own.
#[function_component]
pub fn Onboarding(props: &OnboardingProps) -> Html {
    let street_name = use_state(String::new);
    let org_name = use_state(String::new);
    let code = use_state(String::new);
    let join_org = use_state(String::new);
    let image_error = use_state(|| None::<ivej_model::ApiError>);
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
    let join = {
        let app = props.app.clone();
        let code = code.clone();
        let join_org = join_org.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            app.act(
                "join_street",
                JoinArgs {
                    request: JoinRequest {
                        code: (*code).trim().to_string(),
                        profile: Some(OrgProfile {
                            name: (*join_org).clone(),
                            ..Default::default()
                        }),
                    },
                },
            );
        })
    };
    let open_image = {
        let code = code.clone();
        let image_error = image_error.clone();
        Callback::from(move |e: Event| {
            let code = code.clone();
            let image_error = image_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(bytes) = picked_file(&e).await else {
                    return;
                };
                match crate::ipc::call::<_, String>(
                    "invite_from_image",
                    &serde_json::json!({ "bytes": bytes }),
                )
                .await
                {
                    Ok(found) => {
                        code.set(found);
                        image_error.set(None);
                    }
                    Err(err) => image_error.set(Some(err)),
                }
            });
        })
    };
    let bind = |handle: &UseStateHandle<String>| {
        let handle = handle.clone();
        Callback::from(move |e: InputEvent| handle.set(value_of(&e)))
    };
    let problem = |field: &str| crate::components::field::error_for(lang, error, field);

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
                <form class="panel" onsubmit={join}>
                    <h2>{ tr(lang, "join-title") }</h2>
                    <p>{ tr(lang, "join-text") }</p>
                    <label for="invite-code">{ tr(lang, "join-code") }</label>
                    <input id="invite-code" class="mono" value={(*code).clone()} oninput={bind(&code)} placeholder="IVEJ-…" />
                    { problem("code") }
                    <label for="invite-image">{ tr(lang, "join-image") }</label>
                    <input id="invite-image" type="file" accept="image/png,image/jpeg" onchange={open_image} />
                    { crate::components::field::error_for(lang, image_error.as_ref(), "code") }
                    <label for="join-org-name">{ tr(lang, "create-org-name") }</label>
                    <input id="join-org-name" value={(*join_org).clone()} oninput={bind(&join_org)} />
                    { problem("name") }
                    <button id="join-street" type="submit" disabled={state.busy}>{ tr(lang, "join-submit") }</button>
                </form>
            </div>
        </main>
    }
}
