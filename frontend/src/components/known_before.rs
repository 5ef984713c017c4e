use ivej_model::ipc::MemberView;
use serde_json::json;
use yew::prelude::*;

use crate::dom::checked;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::use_query;
use crate::i18n::tr;
use crate::ipc::{self, NoArgs};

#[derive(Properties, PartialEq)]
pub struct KnownBeforeProps {
    pub app: AppHandle,
}

/// "Whom did you already know before joining?": the baseline the results compare against.
#[function_component]
pub fn KnownBefore(props: &KnownBeforeProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let members =
        use_query::<_, Vec<MemberView>, _>("members", json!({ "text": null }), state.revision);
    let knew = use_query::<_, Vec<String>, _>("own_baseline", NoArgs {}, state.revision);
    let error = use_state(|| None::<ivej_model::ApiError>);
    let Some(members) = members.ready() else {
        return html! {};
    };
    let current: Vec<String> = knew.ready().cloned().unwrap_or_default();
    let others: Vec<&MemberView> = members.iter().filter(|m| !m.own).collect();
    html! {
        <section class="panel known-before" id="known-before">
            <h2>{ tr(lang, "baseline-title") }</h2>
            <p class="muted">{ tr(lang, "baseline-text") }</p>
            if others.is_empty() { <p class="muted">{ tr(lang, "baseline-nobody-yet") }</p> }
            { crate::components::field::general_error(lang, error.as_ref()) }
            { for others.iter().map(|m| {
                let onchange = {
                    let id = m.org.id.clone();
                    let error = error.clone();
                    Callback::from(move |e: Event| {
                        let args = json!({ "org_id": id, "knew": checked(&e) });
                        let error = error.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            match ipc::call::<_, Vec<String>>("set_knew_before", &args).await {
                                Ok(_) => error.set(None),
                                Err(e) => error.set(Some(e)),
                            }
                        });
                    })
                };
                html! {
                    <label class="inline">
                        <input type="checkbox" class="knew" data-name={m.org.name.clone()} checked={current.contains(&m.org.id)} {onchange} />
                        { &m.org.name }
                    </label>
                }
            }) }
        </section>
    }
}
