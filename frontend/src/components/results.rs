use std::collections::HashMap;

use ivej_model::report::{Graph, GraphEdge, Report};
use ivej_model::{Collaboration, Lang, RelationKind, Stage, StreetSummary};
use serde_json::json;
use yew::prelude::*;

use crate::charts::{circle_layout, line_points, node_label, polyline};
use crate::dom::value_of;
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr, tr_args};
use crate::ipc::{self, NoArgs};

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
}

fn tile(
    id: &'static str,
    label: String,
    value: String,
    target: Option<String>,
    met: Option<bool>,
) -> Html {
    let class = match met {
        Some(true) => "kpi met",
        Some(false) => "kpi",
        None => "kpi plain",
    };
    html! {
        <div {class} id={id}>
            <strong class="kpi-value">{ value }</strong>
            <span>{ label }</span>
            if let Some(t) = target { <span class="muted">{ t }</span> }
        </div>
    }
}

/// The results over time: cumulative collaborations and new relations per month.
fn chart(lang: Lang, r: &Report) -> Html {
    let (w, h, pad) = (640.0, 220.0, 28.0);
    let collabs: Vec<f64> = r
        .months
        .iter()
        .map(|m| f64::from(m.collaborations_agreed_total))
        .collect();
    let relations: Vec<f64> = r
        .months
        .iter()
        .map(|m| f64::from(m.new_relations_total))
        .collect();
    let meetings: Vec<f64> = r
        .months
        .iter()
        .map(|m| f64::from(m.meetings_held))
        .collect();
    let max = collabs
        .iter()
        .chain(&relations)
        .chain(&meetings)
        .copied()
        .fold(f64::from(r.targets.collaborations_max), f64::max);
    let target_y = line_points(&[f64::from(r.targets.collaborations_min)], w, h, pad, max)
        .first()
        .map(|p| p.1)
        .unwrap_or(0.0);
    let bars = line_points(&meetings, w, h, pad, max);
    html! {
        <svg class="chart" id="chart" viewBox={format!("0 0 {w} {h}")} role="img" aria-label={tr(lang, "results-chart")}>
            <line class="axis" x1={pad.to_string()} y1={(h - pad).to_string()} x2={(w - pad).to_string()} y2={(h - pad).to_string()} />
            <line class="target" x1={pad.to_string()} y1={target_y.to_string()} x2={(w - pad).to_string()} y2={target_y.to_string()} />
            { for bars.iter().map(|(x, y)| html! {
                <rect class="bar" x={(x - 4.0).to_string()} y={y.to_string()} width="8" height={(h - pad - y).max(0.0).to_string()} />
            }) }
            <polyline class="line collabs" points={polyline(&line_points(&collabs, w, h, pad, max))} />
            <polyline class="line relations" points={polyline(&line_points(&relations, w, h, pad, max))} />
            { for r.months.iter().zip(line_points(&collabs, w, h, pad, max)).enumerate().filter(|(i, _)| r.months.len() <= 12 || i % 3 == 0).map(|(_, (m, (x, _)))| html! {
                <text class="label" x={x.to_string()} y={(h - 8.0).to_string()} text-anchor="middle">{ &m.month }</text>
            }) }
        </svg>
    }
}

/// The relationship graph: members on a circle, relations as lines; `then` only the
/// baseline, `now` everything (new relations drawn stronger).
fn graph(id: &'static str, g: &Graph, edges: &[GraphEdge]) -> Html {
    let size = 320.0;
    // Room around the circle for the names printed beside the nodes.
    let points = circle_layout(g.nodes.len(), size / 2.0, size / 2.0, size / 2.0 - 64.0);
    let at: HashMap<&str, (f64, f64)> = g
        .nodes
        .iter()
        .zip(points.iter())
        .map(|(n, p)| (n.id.as_str(), *p))
        .collect();
    html! {
        <svg class="graph" {id} viewBox={format!("0 0 {size} {size}")}>
            { for edges.iter().filter_map(|e| Some((e, at.get(e.a.as_str())?, at.get(e.b.as_str())?))).map(|(e, a, b)| {
                let class = match (e.baseline, e.kind) {
                    (true, _) => "edge baseline",
                    (false, RelationKind::Collaborating) => "edge collaborating",
                    _ => "edge new",
                };
                html! { <line {class} x1={a.0.to_string()} y1={a.1.to_string()} x2={b.0.to_string()} y2={b.1.to_string()} /> }
            }) }
            { for g.nodes.iter().zip(points.iter()).map(|(n, (x, y))| {
                // Names on hover; on paper (the facilitator's print) beside each node.
                let (anchor, lx, text) = node_label(&n.name, *x, size / 2.0, 14);
                html! {
                    <g class="node">
                        <circle cx={x.to_string()} cy={y.to_string()} r="5" />
                        <text class="label" x={lx.to_string()} y={(y + 3.0).to_string()} text-anchor={anchor}>{ text }</text>
                        <title>{ &n.name }</title>
                    </g>
                }
            }) }
        </svg>
    }
}

/// The dashboard (KPIs against targets, a chart over time, the relationship graph then and
/// now) and the collaborations pipeline.
#[function_component]
pub fn Results(props: &ResultsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let report = use_query::<_, Report, _>("report", NoArgs {}, state.revision);
    let collabs =
        use_query::<_, Vec<Collaboration>, _>("collaborations", NoArgs {}, state.revision);
    let stage_error = use_state(|| None::<ivej_model::ApiError>);
    let names: HashMap<String, String> = report
        .ready()
        .map(|r| {
            r.graph
                .nodes
                .iter()
                .map(|n| (n.id.clone(), n.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let body = match &*report {
        Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(r) => {
            let t = &r.targets;
            html! {
                <>
                    <div class="kpis">
                        { tile("kpi-collaborations", tr(lang, "kpi-collaborations"), r.collaborations_agreed.to_string(),
                            Some(tr_args(lang, "kpi-target", &[("min", f64::from(t.collaborations_min).into()), ("max", f64::from(t.collaborations_max).into())])),
                            Some(r.collaborations_agreed >= t.collaborations_min)) }
                        { tile("kpi-relations", tr(lang, "kpi-relations"), format::number(lang, r.new_relations_per_company, 1),
                            Some(tr_args(lang, "kpi-target", &[("min", f64::from(t.relations_per_company_min).into()), ("max", f64::from(t.relations_per_company_max).into())])),
                            Some(r.new_relations_per_company >= f64::from(t.relations_per_company_min))) }
                        { tile("kpi-meetings", tr(lang, "kpi-meetings"), r.meetings_held.to_string(),
                            Some(tr_args(lang, "kpi-planned", &[("n", f64::from(r.meetings_planned).into())])), None) }
                        { tile("kpi-attendance", tr(lang, "kpi-attendance"), format!("{} %", format::number(lang, r.attendance_rate * 100.0, 0)),
                            Some(tr_args(lang, "kpi-present", &[("n", format::number(lang, r.attendance_average, 1).into())])), None) }
                        { tile("kpi-posts", tr(lang, "kpi-posts"), r.posts.to_string(), None, None) }
                        { tile("kpi-interests", tr(lang, "kpi-interests"), r.interests.to_string(), None, None) }
                    </div>
                    <h2>{ tr(lang, "results-over-time") }</h2>
                    <p class="legend muted">
                        <span class="key collabs">{ tr(lang, "results-legend-collabs") }</span>
                        <span class="key relations">{ tr(lang, "results-legend-relations") }</span>
                        <span class="key meetings">{ tr(lang, "results-legend-meetings") }</span>
                        <span class="key target">{ tr(lang, "results-legend-target") }</span>
                    </p>
                    if r.months.is_empty() { <p class="muted">{ tr(lang, "results-nothing-yet") }</p> } else { { chart(lang, r) } }
                    <h2>{ tr(lang, "results-graph") }</h2>
                    <div class="graphs">
                        <figure>{ graph("graph-then", &r.graph, &r.graph.then) }<figcaption>{ tr_args(lang, "results-then", &[("n", (r.graph.then.len() as f64).into())]) }</figcaption></figure>
                        <figure>{ graph("graph-now", &r.graph, &r.graph.now) }<figcaption>{ tr_args(lang, "results-now", &[("n", (r.graph.now.len() as f64).into())]) }</figcaption></figure>
                    </div>
                </>
            }
        }
    };
    let pipeline = match &*collabs {
        Loaded::Ready(list) if !list.is_empty() => html! {
            <table class="pipeline" id="pipeline">
                <thead><tr><th>{ tr(lang, "collab-title") }</th><th>{ tr(lang, "collab-kind") }</th><th>{ tr(lang, "collab-orgs") }</th>
                    <th>{ tr(lang, "collab-stage") }</th><th>{ tr(lang, "collab-value") }</th><th>{ tr(lang, "collab-origin") }</th><th>{ tr(lang, "collab-history") }</th></tr></thead>
                <tbody>
                { for list.iter().map(|c| {
                    let onchange = {
                        let id = c.id.clone();
                        let stage_error = stage_error.clone();
                        let app = props.app.clone();
                        Callback::from(move |e: Event| {
                            let stage = value_of(&e);
                            let (id, stage_error, app) = (id.clone(), stage_error.clone(), app.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                let args = json!({ "id": id, "stage": stage, "note": "" });
                                match ipc::call::<_, Collaboration>("set_collaboration_stage", &args).await {
                                    Ok(_) => stage_error.set(None),
                                    Err(e) => {
                                        stage_error.set(Some(e));
                                        // Show the stage as stored again.
                                        app.reload();
                                    }
                                }
                            });
                        })
                    };
                    let mut history: Vec<_> = c.history.values().collect();
                    history.sort_by_key(|h| h.at);
                    html! {
                        <tr class="collab-row">
                            <td>{ &c.title }</td>
                            <td>{ tr(lang, &format!("collab-kind-{}", c.kind.code())) }</td>
                            <td>{ c.orgs.iter().map(|o| names.get(o).cloned().unwrap_or_default()).collect::<Vec<_>>().join(", ") }</td>
                            <td><select class="stage" {onchange}>
                                { for Stage::ALL.iter().map(|s| html! { <option value={s.code()} selected={c.stage == *s}>{ tr(lang, &format!("stage-{}", s.code())) }</option> }) }
                            </select></td>
                            <td class="value">{ value_text(lang, &c.value) }</td>
                            <td>{ tr(lang, &format!("origin-{}", origin_code(c.origin.kind))) }</td>
                            <td class="muted">{ history.iter().map(|h| format!("{} {}", tr(lang, &format!("stage-{}", h.stage.code())), format::date(lang, ivej_model::Date::from_unix_ms(h.at)))).collect::<Vec<_>>().join(" → ") }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
        },
        Loaded::Ready(_) => html! { <p class="muted">{ tr(lang, "collab-none") }</p> },
        _ => html! {},
    };
    html! {
        <section class="results">
            <h1>{ tr(lang, "results-title") }</h1>
            { body }
            <h2>{ tr(lang, "collab-pipeline") }</h2>
            { crate::components::field::general_error(lang, stage_error.as_ref()) }
            { pipeline }
        </section>
    }
}

/// Turnover, savings and jobs, those that are known, in the user's way of writing numbers.
fn value_text(lang: Lang, v: &ivej_model::CollaborationValue) -> String {
    let mut parts = Vec::new();
    if let Some(t) = v.turnover {
        parts.push(tr_args(
            lang,
            "collab-value-turnover",
            &[("n", format::number(lang, t, 0).into())],
        ));
    }
    if let Some(s) = v.savings {
        parts.push(tr_args(
            lang,
            "collab-value-savings",
            &[("n", format::number(lang, s, 0).into())],
        ));
    }
    if let Some(j) = v.jobs {
        parts.push(tr_args(
            lang,
            "collab-value-jobs",
            &[("n", format::amount(lang, j).into())],
        ));
    }
    parts.join(", ")
}

fn origin_code(kind: ivej_model::OriginKind) -> &'static str {
    match kind {
        ivej_model::OriginKind::Post => "post",
        ivej_model::OriginKind::Meeting => "meeting",
        ivej_model::OriginKind::Introduction => "introduction",
        ivej_model::OriginKind::Suggestion => "suggestion",
        ivej_model::OriginKind::Other => "other",
    }
}
