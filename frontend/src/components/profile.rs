use ivej_model::{ApiError, ErrorCode, Organisation, RegisterScheme};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::components::industry_picker::IndustryPicker;
use crate::components::known_before::KnownBefore;
use crate::dom::value_of;
use crate::forms::profile_form::ProfileForm;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_draft_form::use_draft_form;
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
    let draft = use_draft_form::<ProfileForm>(DRAFT_KEY.to_string(), ProfileForm::to_draft);
    // What was last saved: "Saved." shows while the form still equals it.
    let saved = use_state(|| None::<ProfileForm>);
    let busy = use_state(|| false);
    {
        let org = org.clone();
        let draft = draft.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(o) = ipc::call::<_, Organisation>("own_organisation", &NoArgs {}).await {
                    draft.form.set(ProfileForm::from_org(&o, lang));
                    org.set(Some(o));
                }
                if let Some(kept) = draft
                    .stored_draft()
                    .await
                    .as_deref()
                    .and_then(ProfileForm::from_draft)
                {
                    draft.form.set(kept);
                }
            });
        });
    }
    let on_scheme = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let scheme = match value_of(&e).as_str() {
                "dk_cvr" => Some(RegisterScheme::DkCvr),
                "se_orgnr" => Some(RegisterScheme::SeOrgnr),
                "fi_ytunnus" => Some(RegisterScheme::FiYtunnus),
                _ => None,
            };
            draft.update(Some("register"), |f| f.register_scheme = scheme);
        })
    };
    let on_industry = {
        let draft = draft.clone();
        Callback::from(move |code: String| draft.update(Some("industries"), |f| f.industry = code))
    };
    let save = {
        let app = props.app.clone();
        let draft = draft.clone();
        let org = org.clone();
        let saved = saved.clone();
        let busy = busy.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(current) = (*org).clone() else {
                return;
            };
            let form = (*draft.form).clone();
            let patch = match form.to_patch(&current) {
                Ok(p) => p,
                Err(fields) => {
                    draft.error.set(Some(ApiError {
                        code: ErrorCode::Validation,
                        message: String::new(),
                        fields,
                    }));
                    return;
                }
            };
            let (app, draft, org, saved, busy) = (
                app.clone(),
                draft.clone(),
                org.clone(),
                saved.clone(),
                busy.clone(),
            );
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, Organisation>("update_own_organisation", &PatchArgs { patch })
                    .await
                {
                    Ok(o) => {
                        draft.discard_draft().await;
                        org.set(Some(o));
                        draft.error.set(None);
                        saved.set(Some(form));
                        app.reload();
                    }
                    Err(e) => draft.error.set(Some(e)),
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
    let f = &*draft.form;
    let err = draft.error.as_ref();
    let text = |field, set| draft.text(field, set);
    let just_saved = saved.as_ref() == Some(f);
    let scheme = match f.register_scheme {
        Some(RegisterScheme::DkCvr) => "dk_cvr",
        Some(RegisterScheme::SeOrgnr) => "se_orgnr",
        Some(RegisterScheme::FiYtunnus) => "fi_ytunnus",
        None => "",
    };
    let first_time = org.as_ref().is_some_and(|o| o.industries.is_empty());
    html! {
        <>
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
                    let draft = draft.clone();
                    let onchange = Callback::from(move |_: Event| draft.update(Some("languages"), |f| f.toggle_language(code)));
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
                if just_saved {
                    <span class="saved" id="profile-saved">{ tr(lang, "profile-saved") }</span>
                    <button type="button" class="secondary" id="to-board" onclick={to_board}>{ tr(lang, "profile-to-board") }</button>
                }
            </div>
        </form>
        <KnownBefore app={props.app.clone()} />
        </>
    }
}
