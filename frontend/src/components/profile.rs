use std::cell::Cell;
use std::rc::Rc;

use ivej_model::{ApiError, ErrorCode, Organisation, RegisterScheme};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::components::industry_picker::IndustryPicker;
use crate::dom::value_of;
use crate::forms::profile_form::ProfileForm;
use crate::hooks::use_app_state::AppHandle;
use crate::i18n::tr;
use crate::ipc::{self, NoArgs};
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct ProfileProps {
    pub app: AppHandle,
}

const DRAFT_KEY: &str = "org:profile";
const LANGUAGES: [&str; 6] = ["da", "sv", "fi", "en", "de", "no"];

#[derive(Serialize)]
struct PatchArgs {
    patch: ivej_model::OrgPatch,
}

/// One's own organisation: name, register number, industry by name, address and location,
/// languages and the company CV. Kept as a draft while typing, like the post editor.
#[function_component]
pub fn Profile(props: &ProfileProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let org = use_state(|| None::<Organisation>);
    let form = use_state(ProfileForm::default);
    let error = use_state(|| None::<ApiError>);
    let saved = use_state(|| false);
    let busy = use_state(|| false);
    let generation = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    {
        let org = org.clone();
        let form = form.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(o) = ipc::call::<_, Organisation>("own_organisation", &NoArgs {}).await {
                    form.set(ProfileForm::from_org(&o, lang));
                    org.set(Some(o));
                }
                if let Ok(Some(text)) = ipc::call::<_, Option<String>>(
                    "draft",
                    &serde_json::json!({ "key": DRAFT_KEY }),
                )
                .await
                {
                    if let Some(draft) = ProfileForm::from_draft(&text) {
                        form.set(draft);
                    }
                }
            });
        });
    }
    let update = {
        let form = form.clone();
        let saved = saved.clone();
        let generation = generation.borrow().clone();
        Rc::new(move |change: &dyn Fn(&mut ProfileForm)| {
            let mut next = (*form).clone();
            change(&mut next);
            form.set(next.clone());
            saved.set(false);
            let mine = generation.get() + 1;
            generation.set(mine);
            let generation = generation.clone();
            wasm_bindgen_futures::spawn_local(async move {
                ipc::sleep(400).await;
                if generation.get() == mine {
                    let _ = ipc::call::<_, ()>(
                        "save_draft",
                        &serde_json::json!({ "key": DRAFT_KEY, "content": next.to_draft() }),
                    )
                    .await;
                }
            });
        })
    };
    // Editing a field takes its error away; the others stay until the next save.
    let forget = {
        let error = error.clone();
        move |field: &'static str| {
            if let Some(mut e) = (*error).clone() {
                let before = e.fields.len();
                e.fields.retain(|f| !f.field.starts_with(field));
                if e.fields.len() != before {
                    error.set((!e.fields.is_empty()).then_some(e));
                }
            }
        }
    };
    let text = |field: &'static str, set: fn(&mut ProfileForm, String)| {
        let update = update.clone();
        let forget = forget.clone();
        Callback::from(move |e: InputEvent| {
            let v = value_of(&e);
            forget(field);
            update(&|f: &mut ProfileForm| set(f, v.clone()));
        })
    };
    let on_scheme = {
        let update = update.clone();
        Callback::from(move |e: Event| {
            let v = value_of(&e);
            let scheme = match v.as_str() {
                "dk_cvr" => Some(RegisterScheme::DkCvr),
                "se_orgnr" => Some(RegisterScheme::SeOrgnr),
                "fi_ytunnus" => Some(RegisterScheme::FiYtunnus),
                _ => None,
            };
            update(&|f: &mut ProfileForm| f.register_scheme = scheme);
        })
    };
    let on_industry = {
        let update = update.clone();
        let forget = forget.clone();
        Callback::from(move |code: String| {
            forget("industries");
            update(&|f: &mut ProfileForm| f.industry = code.clone())
        })
    };
    let save = {
        let app = props.app.clone();
        let form = form.clone();
        let org = org.clone();
        let error = error.clone();
        let saved = saved.clone();
        let busy = busy.clone();
        let generation = generation.borrow().clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(current) = (*org).clone() else {
                return;
            };
            let patch = match form.to_patch(&current) {
                Ok(p) => p,
                Err(fields) => {
                    error.set(Some(ApiError {
                        code: ErrorCode::Validation,
                        message: String::new(),
                        fields,
                    }));
                    return;
                }
            };
            let (app, org, error, saved, busy, generation) = (
                app.clone(),
                org.clone(),
                error.clone(),
                saved.clone(),
                busy.clone(),
                generation.clone(),
            );
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, Organisation>("update_own_organisation", &PatchArgs { patch })
                    .await
                {
                    Ok(o) => {
                        generation.set(generation.get() + 1);
                        let _ = ipc::call::<_, ()>(
                            "discard_draft",
                            &serde_json::json!({ "key": DRAFT_KEY }),
                        )
                        .await;
                        org.set(Some(o));
                        error.set(None);
                        saved.set(true);
                        app.reload();
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let to_board = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Board))
    };
    if org.is_none() {
        return html! { <p class="muted">{ tr(lang, "loading") }</p> };
    }
    let f = &*form;
    let err = error.as_ref();
    let scheme = match f.register_scheme {
        Some(RegisterScheme::DkCvr) => "dk_cvr",
        Some(RegisterScheme::SeOrgnr) => "se_orgnr",
        Some(RegisterScheme::FiYtunnus) => "fi_ytunnus",
        None => "",
    };
    let first_time = org.as_ref().is_some_and(|o| o.industries.is_empty());
    html! {
        <form class="profile panel" id="profile-form" onsubmit={save}>
            <h1>{ tr(lang, "profile-title") }</h1>
            if first_time { <p class="notice">{ tr(lang, "profile-first-time") }</p> }
            <label for="org-name-field">{ tr(lang, "profile-name") }</label>
            <input id="org-name-field" value={f.name.clone()} oninput={text("name", |f, v| f.name = v)} />
            { error_for(lang, err, "name") }
            <div class="row">
                <div>
                    <label for="org-register-scheme">{ tr(lang, "profile-register-scheme") }</label>
                    <select id="org-register-scheme" onchange={on_scheme}>
                        <option value="" selected={scheme.is_empty()}>{ tr(lang, "profile-register-none") }</option>
                        <option value="dk_cvr" selected={scheme == "dk_cvr"}>{ "CVR (Danmark)" }</option>
                        <option value="se_orgnr" selected={scheme == "se_orgnr"}>{ "Organisationsnummer (Sverige)" }</option>
                        <option value="fi_ytunnus" selected={scheme == "fi_ytunnus"}>{ "Y-tunnus (Suomi)" }</option>
                    </select>
                </div>
                <div>
                    <label for="org-register">{ tr(lang, "profile-register") }</label>
                    <input id="org-register" value={f.register.clone()} oninput={text("register", |f, v| f.register = v)} />
                    { error_for(lang, err, "register") }
                </div>
            </div>
            <label for="org-industry">{ tr(lang, "profile-industry") }</label>
            <IndustryPicker id="org-industry" {lang} value={f.industry.clone()} onchange={on_industry} />
            { error_for(lang, err, "industries") }
            <div class="row">
                <div>
                    <label for="org-address">{ tr(lang, "profile-address") }</label>
                    <input id="org-address" value={f.address.clone()} oninput={text("address", |f, v| f.address = v)} />
                </div>
                <div>
                    <label for="org-municipality">{ tr(lang, "profile-municipality") }</label>
                    <input id="org-municipality" value={f.municipality.clone()} oninput={text("municipality", |f, v| f.municipality = v)} />
                </div>
            </div>
            <div class="row">
                <div>
                    <label for="org-lat">{ tr(lang, "profile-lat") }</label>
                    <input id="org-lat" inputmode="decimal" value={f.lat.clone()} oninput={text("geo", |f, v| f.lat = v)} placeholder="55,651" />
                    { error_for(lang, err, "geo.lat") }{ error_for(lang, err, "geo") }
                </div>
                <div>
                    <label for="org-lon">{ tr(lang, "profile-lon") }</label>
                    <input id="org-lon" inputmode="decimal" value={f.lon.clone()} oninput={text("geo", |f, v| f.lon = v)} placeholder="11,613" />
                    { error_for(lang, err, "geo.lon") }
                </div>
            </div>
            <p class="muted hint">{ tr(lang, "profile-location-hint") }</p>
            <fieldset>
                <legend>{ tr(lang, "profile-languages") }</legend>
                { for LANGUAGES.iter().map(|code| {
                    let update = update.clone();
                    let onchange = Callback::from(move |_: Event| update(&|f: &mut ProfileForm| f.toggle_language(code)));
                    html! { <label class="inline"><input type="checkbox" id={format!("org-lang-{code}")} checked={f.languages.iter().any(|l| l == code)} {onchange} />{ tr(lang, &format!("language-{code}")) }</label> }
                }) }
                { error_for(lang, err, "languages") }
            </fieldset>
            <label for="org-cv">{ tr(lang, "profile-cv") }</label>
            <textarea id="org-cv" rows="8" value={f.cv.clone()} oninput={text("cv", |f, v| f.cv = v)} placeholder={tr(lang, "profile-cv-placeholder")} />
            { error_for(lang, err, "cv") }
            { general_error(lang, err) }
            <div class="actions">
                <button id="profile-save" type="submit" disabled={*busy}>{ tr(lang, "profile-save") }</button>
                if *saved {
                    <span class="saved" id="profile-saved">{ tr(lang, "profile-saved") }</span>
                    <button type="button" class="secondary" id="to-board" onclick={to_board}>{ tr(lang, "profile-to-board") }</button>
                }
            </div>
        </form>
    }
}
