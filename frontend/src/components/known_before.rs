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
            { for others.iter().map(|m| {
                let onchange = {
                    let id = m.org.id.clone();
                    let current = current.clone();
                    Callback::from(move |e: Event| {
                        let mut next: Vec<String> = current.iter().filter(|k| **k != id).cloned().collect();
                        if checked(&e) {
                            next.push(id.clone());
                        }
                        wasm_bindgen_futures::spawn_local(async move {
                            let _ = ipc::call::<_, Vec<String>>("set_own_baseline", &json!({ "knew": next })).await;
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
