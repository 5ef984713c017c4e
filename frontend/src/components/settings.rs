use ivej_model::Lang;
use yew::prelude::*;

use crate::dom::value_of;
use crate::hooks::use_app_state::AppHandle;
use crate::i18n::{system_language, tr};
use crate::ipc;
use crate::state::AppAction;

#[derive(Properties, PartialEq)]
pub struct SettingsProps {
    pub app: AppHandle,
}

/// Preferences: the language of the UI (default: the system's).
#[function_component]
pub fn Settings(props: &SettingsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let v = value_of(&e);
            let choice = Lang::ALL.into_iter().find(|l| l.code() == v);
            state.dispatch(AppAction::SetLanguage(choice, system_language()));
            wasm_bindgen_futures::spawn_local(async move {
                let _ =
                    ipc::call::<_, ()>("set_language", &serde_json::json!({ "language": choice }))
                        .await;
            });
        })
    };
    let current = state.lang_setting.map(Lang::code).unwrap_or("");
    html! {
        <section class="settings panel">
            <h1>{ tr(lang, "settings-title") }</h1>
            <label for="language">{ tr(lang, "settings-language") }</label>
            <select id="language" {onchange}>
                <option value="" selected={current.is_empty()}>{ tr(lang, "settings-language-system") }</option>
                // Each language by its own name, so it can be found whatever is shown now.
                <option value="da" selected={current == "da"}>{ "Dansk" }</option>
                <option value="sv" selected={current == "sv"}>{ "Svenska" }</option>
                <option value="fi" selected={current == "fi"}>{ "Suomi" }</option>
                <option value="en" selected={current == "en"}>{ "English" }</option>
            </select>
            <p class="muted">{ tr(lang, "settings-theme") }</p>
            <h2>{ tr(lang, "settings-shortcuts") }</h2>
            <dl class="facts">
                <dt><kbd>{ "Ctrl+N" }</kbd></dt><dd>{ tr(lang, "shortcut-new-post") }</dd>
                <dt><kbd>{ "Ctrl+F" }</kbd>{ " / " }<kbd>{ "/" }</kbd></dt><dd>{ tr(lang, "shortcut-search") }</dd>
            </dl>
        </section>
    }
}
