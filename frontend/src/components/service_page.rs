use ivej_model::{ApiError, Channel, ExportPhase, Service, ServiceInput, ServiceView};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::components::services::{phase_name, provider};
use crate::dom::value_of;
use crate::forms::service_form::{ServiceForm, LANGUAGES};
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::ipc;
use crate::state::View;

#[derive(Serialize, Clone, PartialEq)]
struct IdArgs {
    id: String,
}

#[derive(Serialize)]
struct AddArgs {
    input: ServiceInput,
}

#[derive(Serialize)]
struct EditArgs {
    id: String,
    input: ServiceInput,
}

fn channel_name(lang: ivej_model::Lang, channel: Channel) -> String {
    tr(
        lang,
        &format!("service-channel-{}", channel.code().replace('_', "-")),
    )
}

#[derive(Properties, PartialEq)]
pub struct ServicePageProps {
    pub app: AppHandle,
    pub id: String,
}

/// One service in full: who provides it, for whom and when, what it costs, in which
/// languages, where and how, and whom to contact.
#[function_component]
pub fn ServicePage(props: &ServicePageProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let args = IdArgs {
        id: props.id.clone(),
    };
    let view = use_query::<_, ServiceView, _>("service", args.clone(), (args, state.revision));
    let back = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Services))
    };
    let body = match &*view {
        Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(v) => {
            let s = &v.service;
            let edit = {
                let app = props.app.clone();
                let id = s.id.clone();
                Callback::from(move |_: MouseEvent| app.navigate(View::EditService(id.clone())))
            };
            let phases: Vec<String> = s.phases.iter().map(|p| phase_name(lang, *p)).collect();
            let channels: Vec<String> = s.channels.iter().map(|c| channel_name(lang, *c)).collect();
            let languages: Vec<String> = s
                .languages
                .iter()
                .map(|l| tr(lang, &format!("language-{l}")))
                .collect();
            let row = |label: &str, value: String| {
                if value.is_empty() {
                    html! {}
                } else {
                    html! { <><dt>{ tr(lang, label) }</dt><dd>{ value }</dd></> }
                }
            };
            html! {
                <article class="service panel" id="service-page">
                    <div class="heading-row">
                        <h1 id="service-name">{ &s.name }</h1>
                        if v.can_edit {
                            <button id="edit-service" class="secondary" onclick={edit}>{ tr(lang, "services-edit") }</button>
                        }
                    </div>
                    <p class="muted" id="service-provider">{ provider(v) }</p>
                    <p class="body">{ s.description.as_str() }</p>
                    <dl class="facts">
                        { row("services-target-group", s.target_group.clone()) }
                        { row("services-phases", phases.join(", ")) }
                        { row("services-cost", s.cost.clone()) }
                        { row("services-languages", languages.join(", ")) }
                        { row("services-region", s.region.clone()) }
                        { row("services-contact", s.contact.clone()) }
                        { row("services-channels", channels.join(", ")) }
                        { row("services-listed-by", v.listed_by.clone()) }
                    </dl>
                </article>
            }
        }
    };
    html! {
        <section class="service-detail">
            <button class="link" onclick={back}>{ tr(lang, "services-back") }</button>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ServiceEditorProps {
    pub app: AppHandle,
    /// The service to edit; `None` lists a new one.
    pub id: Option<String>,
}

/// Lists a service, or edits one: every field, phases, languages and channels ticked.
#[function_component]
pub fn ServiceEditor(props: &ServiceEditorProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let form = use_state(ServiceForm::default);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    {
        // Editing: the form starts from the service as it is.
        let form = form.clone();
        use_effect_with(props.id.clone(), move |id| {
            if let Some(id) = id.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(v) = ipc::call::<_, ServiceView>("service", &IdArgs { id }).await {
                        form.set(ServiceForm::from_view(&v));
                    }
                });
            }
        });
    }
    let text = |field: &'static str| {
        let form = form.clone();
        let error = error.clone();
        Callback::from(move |e: InputEvent| {
            // A field's problem goes once it is edited; the others stay until saved.
            if let Some(err) = (*error).as_ref() {
                if err.fields.iter().any(|f| f.field == field) {
                    let mut rest = err.clone();
                    rest.fields.retain(|f| f.field != field);
                    error.set(Some(rest).filter(|e| !e.fields.is_empty()));
                }
            }
            let mut next = (*form).clone();
            let v = value_of(&e);
            match field {
                "name" => next.name = v,
                "provider_name" => next.provider_name = v,
                "description" => next.description = v,
                "target_group" => next.target_group = v,
                "cost" => next.cost = v,
                "region" => next.region = v,
                _ => next.contact = v,
            }
            form.set(next);
        })
    };
    let save = {
        let form = form.clone();
        let error = error.clone();
        let busy = busy.clone();
        let app = props.app.clone();
        let id = props.id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = form.to_input();
            let (error, busy, app, id) = (error.clone(), busy.clone(), app.clone(), id.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result = match id {
                    Some(id) => {
                        ipc::call::<_, Service>("edit_service", &EditArgs { id, input }).await
                    }
                    None => ipc::call::<_, Service>("add_service", &AddArgs { input }).await,
                };
                busy.set(false);
                match result {
                    Ok(s) => app.navigate(View::Service(s.id)),
                    // What was typed stays; the problems show beside their fields.
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let cancel = {
        let app = props.app.clone();
        let id = props.id.clone();
        Callback::from(move |_: MouseEvent| match &id {
            Some(id) => app.navigate(View::Service(id.clone())),
            None => app.navigate(View::Services),
        })
    };
    let err = (*error).as_ref();
    let input = |id: &'static str, field: &'static str, label: &str, value: &str| {
        html! {
            <label>{ tr(lang, label) }
                <input id={id} value={value.to_string()} oninput={text(field)} />
                { error_for(lang, err, field) }
            </label>
        }
    };
    let phase_box = |p: ExportPhase| {
        let checked = form.phases.contains(&p);
        let form = form.clone();
        let onchange = Callback::from(move |_: Event| {
            let mut next = (*form).clone();
            next.toggle_phase(p);
            form.set(next);
        });
        html! { <label class="check"><input type="checkbox" id={format!("phase-{}", p.code())} {checked} {onchange} />{ phase_name(lang, p) }</label> }
    };
    let channel_box = |c: Channel| {
        let checked = form.channels.contains(&c);
        let form = form.clone();
        let onchange = Callback::from(move |_: Event| {
            let mut next = (*form).clone();
            next.toggle_channel(c);
            form.set(next);
        });
        html! { <label class="check"><input type="checkbox" id={format!("channel-{}", c.code())} {checked} {onchange} />{ channel_name(lang, c) }</label> }
    };
    let language_box = |code: &'static str| {
        let checked = form.languages.iter().any(|l| l == code);
        let form = form.clone();
        let onchange = Callback::from(move |_: Event| {
            let mut next = (*form).clone();
            next.toggle_language(code);
            form.set(next);
        });
        html! { <label class="check"><input type="checkbox" id={format!("service-language-{code}")} {checked} {onchange} />{ tr(lang, &format!("language-{code}")) }</label> }
    };
    let title = if props.id.is_some() {
        "services-edit"
    } else {
        "services-new"
    };
    html! {
        <form class="service-editor panel" id="service-form" onsubmit={save}>
            <h1>{ tr(lang, title) }</h1>
            { input("service-name-input", "name", "services-name", &form.name) }
            { input("service-provider-input", "provider_name", "services-provider", &form.provider_name) }
            <label>{ tr(lang, "services-description") }
                <textarea id="service-description-input" value={form.description.clone()} oninput={text("description")} />
                { error_for(lang, err, "description") }
            </label>
            { input("service-target-input", "target_group", "services-target-group", &form.target_group) }
            <fieldset><legend>{ tr(lang, "services-phases") }</legend>
                { for ExportPhase::ALL.into_iter().map(phase_box) }
            </fieldset>
            { input("service-cost-input", "cost", "services-cost", &form.cost) }
            <fieldset><legend>{ tr(lang, "services-languages") }</legend>
                { for LANGUAGES.into_iter().map(language_box) }
                { error_for(lang, err, "languages") }
            </fieldset>
            { input("service-region-input", "region", "services-region", &form.region) }
            { input("service-contact-input", "contact", "services-contact", &form.contact) }
            <fieldset><legend>{ tr(lang, "services-channels") }</legend>
                { for Channel::ALL.into_iter().map(channel_box) }
            </fieldset>
            { general_error(lang, err) }
            <div class="buttons">
                <button id="save-service" class="primary" type="submit" disabled={*busy}>{ tr(lang, "services-save") }</button>
                <button class="secondary" type="button" onclick={cancel}>{ tr(lang, "cancel") }</button>
            </div>
        </form>
    }
}
