use ivej_model::ipc::MeetingRow;
use ivej_model::{ApiError, LocalDateTime, Meeting, MeetingState, SeriesInput, StreetSummary};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::dom::value_of;
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr, tr_args};
use crate::ipc::{self, NoArgs};
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct MeetingsProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
}

#[derive(Serialize)]
struct SeriesArgs {
    input: SeriesInput,
}

/// A meeting's start as the list shows it: the date in the user's way, and the time.
pub fn when(lang: ivej_model::Lang, at: LocalDateTime) -> String {
    format!("{} {}", format::date(lang, at.date()), at.0.format("%H:%M"))
}

pub fn state_text(lang: ivej_model::Lang, state: MeetingState) -> String {
    tr(lang, &format!("meeting-state-{}", state.code()))
}

/// The meetings, earliest first; the facilitator plans a series here and exports the
/// calendar.
#[function_component]
pub fn Meetings(props: &MeetingsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let rows = use_query::<_, Vec<MeetingRow>, _>("meeting_list", NoArgs {}, state.revision);
    let facilitator = props.summary.is_facilitator();
    let name = use_state(String::new);
    let first = use_state(String::new);
    let count = use_state(|| "6".to_string());
    let cadence = use_state(|| props.summary.street.cadence_days.to_string());
    let error = use_state(|| None::<ApiError>);
    let exported = use_state(|| None::<Result<String, ApiError>>);
    let bind = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| h.set(value_of(&e)))
    };
    let bind_change = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: Event| h.set(value_of(&e)))
    };
    let plan = {
        let (name, first, count, cadence, error) = (
            name.clone(),
            first.clone(),
            count.clone(),
            cadence.clone(),
            error.clone(),
        );
        let app = props.app.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut fields = Vec::new();
            // A datetime-local input gives YYYY-MM-DDTHH:MM.
            let first_at = first.trim().parse::<LocalDateTime>().ok();
            if first_at.is_none() {
                fields.push(ivej_model::FieldError {
                    field: "first_starts_at".into(),
                    problem: ivej_model::Problem::NotADate {
                        value: (*first).clone(),
                    },
                });
            }
            let count_n = count.trim().parse::<u32>().ok();
            if count_n.is_none() {
                fields.push(ivej_model::FieldError {
                    field: "count".into(),
                    problem: ivej_model::Problem::NotANumber {
                        value: (*count).clone(),
                    },
                });
            }
            let cadence_n = cadence.trim().parse::<u32>().ok();
            if cadence_n.is_none() && !cadence.trim().is_empty() {
                fields.push(ivej_model::FieldError {
                    field: "cadence_days".into(),
                    problem: ivej_model::Problem::NotANumber {
                        value: (*cadence).clone(),
                    },
                });
            }
            let (Some(first_at), Some(count_n), true) = (first_at, count_n, fields.is_empty())
            else {
                error.set(Some(ApiError {
                    code: ivej_model::ErrorCode::Validation,
                    message: String::new(),
                    fields,
                }));
                return;
            };
            let input = SeriesInput {
                name: (*name).clone(),
                first_starts_at: first_at,
                cadence_days: cadence_n,
                duration_minutes: None,
                count: count_n,
            };
            let (error, app) = (error.clone(), app.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, Vec<Meeting>>("plan_series", &SeriesArgs { input }).await {
                    Ok(_) => {
                        error.set(None);
                        app.reload();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let export = {
        let exported = exported.clone();
        Callback::from(move |_: MouseEvent| {
            let exported = exported.clone();
            wasm_bindgen_futures::spawn_local(async move {
                exported.set(Some(
                    ipc::call::<_, String>("export_calendar", &NoArgs {}).await,
                ));
            });
        })
    };
    let err = error.as_ref();
    html! {
        <section class="meetings">
            <div class="heading-row">
                <h1>{ tr(lang, "meetings-title") }</h1>
                <button id="export-calendar" class="secondary" onclick={export}>{ tr(lang, "meetings-export") }</button>
            </div>
            { match &*exported {
                Some(Ok(path)) => html! { <p class="notice" id="calendar-path">{ tr_args(lang, "meetings-exported", &[("path", path.clone().into())]) }</p> },
                Some(Err(e)) => html! { <p class="error">{ error_text(lang, e) }</p> },
                None => html! {},
            } }
            { match &*rows {
                Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
                Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
                Loaded::Ready(list) if list.is_empty() => html! { <p class="muted" id="no-meetings">{ tr(lang, "meetings-none") }</p> },
                Loaded::Ready(list) => html! {
                    <table class="meeting-list">
                        <thead><tr>
                            <th>{ tr(lang, "meetings-when") }</th><th>{ tr(lang, "meetings-host") }</th>
                            <th>{ tr(lang, "meetings-state") }</th><th>{ tr(lang, "meetings-present") }</th>
                        </tr></thead>
                        <tbody>
                        { for list.iter().map(|r| {
                            let app = props.app.clone();
                            let id = r.meeting.id.clone();
                            let onclick = Callback::from(move |_: MouseEvent| app.navigate(View::Meeting(id.clone())));
                            html! {
                                <tr class="meeting-row" data-id={r.meeting.id.clone()} {onclick}>
                                    <td>{ when(lang, r.meeting.starts_at) }</td>
                                    <td class="host">{ r.host_name.clone().unwrap_or_default() }</td>
                                    <td>{ state_text(lang, r.meeting.state) }</td>
                                    <td>{ r.meeting.present_count() }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                },
            } }
            if facilitator {
                <form class="panel series-form" id="series-form" onsubmit={plan}>
                    <h2>{ tr(lang, "series-title") }</h2>
                    <p class="muted">{ tr(lang, "series-text") }</p>
                    <label for="series-name">{ tr(lang, "series-name") }</label>
                    <input id="series-name" value={(*name).clone()} oninput={bind(&name)} />
                    { error_for(lang, err, "name") }
                    <div class="row">
                        <div>
                            <label for="series-first">{ tr(lang, "series-first") }</label>
                            <input id="series-first" type="datetime-local" value={(*first).clone()} onchange={bind_change(&first)} />
                            { error_for(lang, err, "first_starts_at") }
                        </div>
                        <div>
                            <label for="series-count">{ tr(lang, "series-count") }</label>
                            <input id="series-count" inputmode="numeric" value={(*count).clone()} oninput={bind(&count)} />
                            { error_for(lang, err, "count") }
                        </div>
                        <div>
                            <label for="series-cadence">{ tr(lang, "series-cadence") }</label>
                            <input id="series-cadence" inputmode="numeric" value={(*cadence).clone()} oninput={bind(&cadence)} />
                            { error_for(lang, err, "cadence_days") }
                        </div>
                    </div>
                    { general_error(lang, err) }
                    <button id="plan-series" type="submit">{ tr(lang, "series-submit") }</button>
                </form>
            }
        </section>
    }
}
