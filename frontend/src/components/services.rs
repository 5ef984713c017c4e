use ivej_model::{ExportPhase, ServiceFilter, ServiceInput, ServiceView};
use serde::Serialize;
use yew::prelude::*;

use crate::components::csv_import::CsvImport;
use crate::dom::value_of;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct ServicesProps {
    pub app: AppHandle,
}

#[derive(Serialize, Clone, PartialEq)]
struct FilterArgs {
    filter: ServiceFilter,
}

/// A phase of going abroad, in the user's language.
pub fn phase_name(lang: ivej_model::Lang, phase: ExportPhase) -> String {
    tr(lang, &format!("service-phase-{}", phase.code()))
}

/// Who provides a service: the agency it names, else the organisation that lists it.
pub fn provider(view: &ServiceView) -> &str {
    if view.service.provider_name.is_empty() {
        &view.listed_by
    } else {
        &view.service.provider_name
    }
}

/// The service directory: promoters' services for companies going abroad, found by text,
/// phase and language, each opening to its page. A regional directory comes in from a
/// CSV file: checked first, every bad row named, stored whole or not at all.
#[function_component]
pub fn Services(props: &ServicesProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let text = use_state(String::new);
    let phase = use_state(|| None::<ExportPhase>);
    let language = use_state(|| None::<String>);
    let args = FilterArgs {
        filter: ServiceFilter {
            text: text.trim().to_string(),
            phase: *phase,
            language: (*language).clone(),
            region: None,
        },
    };
    let services =
        use_query::<_, Vec<ServiceView>, _>("services", args.clone(), (args, state.revision));
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(value_of(&e)))
    };
    let onphase = {
        let phase = phase.clone();
        Callback::from(move |e: Event| {
            phase.set(ExportPhase::from_code(&value_of(&e)));
        })
    };
    let onlanguage = {
        let language = language.clone();
        Callback::from(move |e: Event| {
            let v = value_of(&e);
            language.set(Some(v).filter(|v| !v.is_empty()));
        })
    };
    let new_service = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::NewService))
    };
    html! {
        <section class="services">
            <div class="heading-row">
                <h1>{ tr(lang, "services-title") }</h1>
                <button id="new-service" class="primary" onclick={new_service}>{ tr(lang, "services-new") }</button>
            </div>
            <CsvImport<ServiceInput>
                {lang}
                input_id="services-import"
                label={tr(lang, "services-import")}
                preview="preview_service_import"
                import="import_services"
                fields="services"
                row={Callback::from(|r: ServiceInput| r.name)}
            />
            <div class="filters">
                <input id="service-search" class="search" type="search" value={(*text).clone()} {oninput} placeholder={tr(lang, "services-search")} />
                <select id="service-phase" onchange={onphase}>
                    <option value="" selected={phase.is_none()}>{ tr(lang, "services-any-phase") }</option>
                    { for ExportPhase::ALL.iter().map(|p| html! {
                        <option value={p.code()} selected={*phase == Some(*p)}>{ phase_name(lang, *p) }</option>
                    }) }
                </select>
                <select id="service-language" onchange={onlanguage}>
                    <option value="" selected={language.is_none()}>{ tr(lang, "services-any-language") }</option>
                    { for crate::forms::service_form::LANGUAGES.iter().map(|l| html! {
                        <option value={*l} selected={language.as_deref() == Some(*l)}>{ tr(lang, &format!("language-{l}")) }</option>
                    }) }
                </select>
            </div>
            { match &*services {
                Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
                Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
                Loaded::Ready(list) if list.is_empty() => html! { <p class="muted" id="services-none">{ tr(lang, "services-none") }</p> },
                Loaded::Ready(list) => html! {
                    <table class="service-list">
                        <thead><tr>
                            <th>{ tr(lang, "services-name") }</th><th>{ tr(lang, "services-provider") }</th>
                            <th>{ tr(lang, "services-phases") }</th><th>{ tr(lang, "services-languages") }</th>
                        </tr></thead>
                        <tbody>
                        { for list.iter().map(|v| {
                            let app = props.app.clone();
                            let id = v.service.id.clone();
                            let onclick = Callback::from(move |_: MouseEvent| app.navigate(View::Service(id.clone())));
                            let phases: Vec<String> = v.service.phases.iter().map(|p| phase_name(lang, *p)).collect();
                            html! {
                                <tr class="service-row" data-id={v.service.id.clone()} {onclick}>
                                    <td><strong>{ &v.service.name }</strong>
                                        if !v.service.region.is_empty() { <div class="muted">{ &v.service.region }</div> }</td>
                                    <td>{ provider(v) }</td>
                                    <td>{ phases.join(", ") }</td>
                                    <td>{ v.service.languages.join(", ") }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                },
            } }
        </section>
    }
}
