use ivej_model::{ApiError, ExportPhase, ServiceFilter, ServiceImport, ServiceInput, ServiceView};
use serde::Serialize;
use yew::prelude::*;

use crate::dom::{picked_file, value_of};
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, problem, tr, tr_args};
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct ServicesProps {
    pub app: AppHandle,
}

#[derive(Serialize, Clone, PartialEq)]
struct FilterArgs {
    filter: ServiceFilter,
}

#[derive(Serialize)]
struct BytesArgs {
    bytes: Vec<u8>,
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

/// A CSV file picked for import: what it would import, or its problems.
#[derive(Clone, PartialEq)]
enum Import {
    None,
    Checking,
    Preview(Vec<u8>, Vec<ServiceInput>),
    Problems(ApiError),
    Done(ServiceImport),
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
    let import = use_state(|| Import::None);
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
    let onfile = {
        let import = import.clone();
        Callback::from(move |e: Event| {
            let import = import.clone();
            import.set(Import::Checking);
            wasm_bindgen_futures::spawn_local(async move {
                let Some(bytes) = picked_file(&e).await else {
                    import.set(Import::None);
                    return;
                };
                let args = BytesArgs {
                    bytes: bytes.clone(),
                };
                match ipc::call::<_, Vec<ServiceInput>>("preview_service_import", &args).await {
                    Ok(rows) => import.set(Import::Preview(bytes, rows)),
                    Err(e) => import.set(Import::Problems(e)),
                }
            });
        })
    };
    let confirm = {
        let import = import.clone();
        Callback::from(move |_: MouseEvent| {
            let Import::Preview(bytes, _) = (*import).clone() else {
                return;
            };
            let import = import.clone();
            import.set(Import::Checking);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, ServiceImport>("import_services", &BytesArgs { bytes }).await {
                    Ok(done) => import.set(Import::Done(done)),
                    Err(e) => import.set(Import::Problems(e)),
                }
            });
        })
    };
    let cancel = {
        let import = import.clone();
        Callback::from(move |_: MouseEvent| import.set(Import::None))
    };
    let import_panel = match &*import {
        Import::None => html! {},
        Import::Checking => html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Import::Preview(_, rows) => html! {
            <div class="panel" id="import-preview">
                <p>{ tr_args(lang, "services-import-preview", &[("n", (rows.len() as f64).into())]) }</p>
                <ul>{ for rows.iter().take(8).map(|r| html! { <li>{ &r.name }</li> }) }</ul>
                <div class="buttons">
                    <button id="import-confirm" class="primary" onclick={confirm}>{ tr(lang, "services-import-confirm") }</button>
                    <button class="secondary" onclick={cancel}>{ tr(lang, "cancel") }</button>
                </div>
            </div>
        },
        Import::Problems(e) => html! {
            <div class="panel error" id="import-problems" role="alert">
                <p>{ if e.fields.is_empty() { error_text(lang, e) } else { tr(lang, "services-import-problems") } }</p>
                <ul>{ for e.fields.iter().map(|f| html! {
                    <li>{ row_problem(lang, &f.field) }{ ": " }{ problem(lang, &f.problem) }{ given(&f.problem) }</li>
                }) }</ul>
            </div>
        },
        Import::Done(done) => html! {
            <p class="panel" id="import-done">{ tr_args(lang, "services-imported", &[("n", (done.imported as f64).into())]) }</p>
        },
    };
    html! {
        <section class="services">
            <div class="heading-row">
                <h1>{ tr(lang, "services-title") }</h1>
                <button id="new-service" class="primary" onclick={new_service}>{ tr(lang, "services-new") }</button>
            </div>
            <div class="import-row">
                <label for="services-import">{ tr(lang, "services-import") }</label>
                <input id="services-import" type="file" accept=".csv,text/csv" onchange={onfile} />
            </div>
            { import_panel }
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

/// What the file held, where the problem is a value that is not one of ours.
fn given(p: &ivej_model::Problem) -> String {
    match p {
        ivej_model::Problem::NotAllowed { value, .. }
        | ivej_model::Problem::InvalidLanguage { value } => format!(" (“{value}”)"),
        _ => String::new(),
    }
}

/// "Line 4, phase" for a problem the import names `rows.4.phases`; the file's own
/// problems read as such.
fn row_problem(lang: ivej_model::Lang, field: &str) -> String {
    let mut parts = field.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("rows"), Some(line), Some(name)) => {
            let name = name.split('.').next().unwrap_or(name);
            tr_args(
                lang,
                "services-import-row",
                &[
                    ("line", line.parse::<f64>().unwrap_or(0.0).into()),
                    (
                        "field",
                        tr(lang, &format!("services-{}", name.replace('_', "-"))).into(),
                    ),
                ],
            )
        }
        _ => tr(lang, "services-import-file"),
    }
}
