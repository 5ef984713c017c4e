//! Importing a spreadsheet saved as CSV (services, members, posts): pick a file, see what
//! it holds, then confirm; or see every bad row named by its line and field, in the
//! user's language, with nothing stored. One component for every import, so they read
//! and behave alike.

use ivej_model::{ApiError, Imported, Lang, Problem};
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use crate::dom::picked_file;
use crate::i18n::{error_text, problem, tr, tr_args};
use crate::ipc;

#[derive(Serialize)]
struct BytesArgs {
    bytes: Vec<u8>,
}

#[derive(Properties, PartialEq)]
pub struct CsvImportProps<T: PartialEq> {
    pub lang: Lang,
    /// The file input's id.
    pub input_id: AttrValue,
    /// "Import a directory (CSV)", "Import members (CSV)" ...
    pub label: AttrValue,
    /// The commands that check a file (storing nothing) and store it.
    pub preview: &'static str,
    pub import: &'static str,
    /// The start of the keys naming a row's fields: `{fields}-{field}`.
    pub fields: &'static str,
    /// How a row of the preview is shown.
    pub row: Callback<T, String>,
    /// Told once a file is stored.
    #[prop_or_default]
    pub on_done: Callback<Imported>,
}

/// Where an import is.
#[derive(Clone, PartialEq)]
enum Step<T> {
    None,
    Checking,
    Preview(Vec<u8>, Vec<T>),
    Problems(ApiError),
    Done(Imported),
}

#[function_component]
pub fn CsvImport<T>(props: &CsvImportProps<T>) -> Html
where
    T: DeserializeOwned + Clone + PartialEq + 'static,
{
    let lang = props.lang;
    let step = use_state(|| Step::<T>::None);
    let onfile = {
        let step = step.clone();
        let preview = props.preview;
        Callback::from(move |e: Event| {
            let step = step.clone();
            step.set(Step::Checking);
            wasm_bindgen_futures::spawn_local(async move {
                let picked = picked_file(&e).await;
                // Cleared, so picking the same file again (mended) is a change too.
                if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                    input.set_value("");
                }
                let Some(bytes) = picked else {
                    step.set(Step::None);
                    return;
                };
                let args = BytesArgs {
                    bytes: bytes.clone(),
                };
                match ipc::call::<_, Vec<T>>(preview, &args).await {
                    Ok(rows) => step.set(Step::Preview(bytes, rows)),
                    Err(e) => step.set(Step::Problems(e)),
                }
            });
        })
    };
    let confirm = {
        let step = step.clone();
        let import = props.import;
        let on_done = props.on_done.clone();
        Callback::from(move |_: MouseEvent| {
            let Step::Preview(bytes, _) = (*step).clone() else {
                return;
            };
            let step = step.clone();
            let on_done = on_done.clone();
            step.set(Step::Checking);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, Imported>(import, &BytesArgs { bytes }).await {
                    Ok(done) => {
                        on_done.emit(done.clone());
                        step.set(Step::Done(done));
                    }
                    Err(e) => step.set(Step::Problems(e)),
                }
            });
        })
    };
    let cancel = {
        let step = step.clone();
        Callback::from(move |_: MouseEvent| step.set(Step::None))
    };
    let panel = match &*step {
        Step::None => html! {},
        Step::Checking => html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Step::Preview(_, rows) => html! {
            <div class="panel" id="import-preview">
                <p>{ tr_args(lang, "import-preview", &[("n", (rows.len() as f64).into())]) }</p>
                <ul>{ for rows.iter().take(8).map(|r| html! { <li>{ props.row.emit(r.clone()) }</li> }) }</ul>
                if rows.len() > 8 {
                    <p class="muted">{ tr_args(lang, "import-more", &[("n", ((rows.len() - 8) as f64).into())]) }</p>
                }
                <div class="buttons">
                    <button id="import-confirm" class="primary" onclick={confirm}>{ tr(lang, "import-confirm") }</button>
                    <button class="secondary" onclick={cancel}>{ tr(lang, "cancel") }</button>
                </div>
            </div>
        },
        Step::Problems(e) => html! {
            <div class="panel error" id="import-problems" role="alert">
                <p>{ if e.fields.is_empty() { error_text(lang, e) } else { tr(lang, "import-problems") } }</p>
                <ul>{ for e.fields.iter().map(|f| html! {
                    <li>{ row_problem(lang, props.fields, &f.field) }{ ": " }{ problem(lang, &f.problem) }{ given(&f.problem) }</li>
                }) }</ul>
            </div>
        },
        Step::Done(done) => html! {
            <p class="panel" id="import-done">{ tr_args(lang, "import-done", &[("n", (done.imported as f64).into())]) }</p>
        },
    };
    html! {
        <>
            <div class="import-row">
                <label for={props.input_id.clone()}>{ props.label.clone() }</label>
                <input id={props.input_id.clone()} type="file" accept=".csv,text/csv" onchange={onfile} />
            </div>
            { panel }
        </>
    }
}

/// What the user wrote, where showing it helps find the cell.
fn given(p: &Problem) -> String {
    match p {
        Problem::NotAllowed { value, .. }
        | Problem::InvalidLanguage { value }
        | Problem::NotADate { value }
        | Problem::InvalidRegisterId { value, .. } => format!(" (“{value}”)"),
        Problem::UnknownIndustryCode { code } | Problem::UnknownTaxonomyCode { code } => {
            format!(" (“{code}”)")
        }
        Problem::UnknownReference { id } => format!(" (“{id}”)"),
        _ => String::new(),
    }
}

/// "Line 4, phase" for a problem the import names `rows.4.phases`; the file's own
/// problems read as such.
fn row_problem(lang: Lang, fields: &str, field: &str) -> String {
    let mut parts = field.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("rows"), Some(line), Some(name)) => {
            let name = name.split('.').next().unwrap_or(name);
            tr_args(
                lang,
                "import-row",
                &[
                    ("line", line.parse::<f64>().unwrap_or(0.0).into()),
                    (
                        "field",
                        tr(lang, &format!("{fields}-{}", name.replace('_', "-"))).into(),
                    ),
                ],
            )
        }
        _ => tr(lang, "import-file"),
    }
}
