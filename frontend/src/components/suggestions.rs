use ivej_model::matching::{
    DismissedSuggestion, Reason, StreetSuggestion, SuggestedKind, SuggestionView,
};
use ivej_model::{reference, Lang};
use serde::Serialize;
use yew::prelude::*;

use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{tr, tr_args};
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct SuggestionsProps {
    pub app: AppHandle,
    pub post_id: String,
}

#[derive(Serialize, Clone, PartialEq)]
struct SuggestArgs {
    post_id: String,
    limit: usize,
}

#[derive(Serialize, Clone, PartialEq)]
struct NoArgs {}

#[derive(Serialize, Clone, PartialEq)]
struct PostArgs {
    post_id: String,
}

#[derive(Serialize, Clone, PartialEq)]
struct PairArgs {
    post_id: String,
    suggested_id: String,
}

/// A reason in the reader's language; the words each post used stay as written.
pub fn reason_text(lang: Lang, r: &Reason) -> String {
    let kind = |code: &str| {
        reference::post_kind(code)
            .map(|k| k.labels.get(lang).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    match r {
        Reason::SameKind { code } => {
            tr_args(lang, "reason-same-kind", &[("kind", kind(code).into())])
        }
        Reason::RelatedKind { code } => {
            tr_args(lang, "reason-related-kind", &[("kind", kind(code).into())])
        }
        Reason::SameConcept {
            concept,
            ours,
            theirs,
        } => {
            let concept = concept.to_lowercase();
            if ours == theirs && *ours == concept {
                format!("'{ours}'")
            } else if ours == theirs {
                format!("'{ours}' ({concept})")
            } else {
                format!("'{ours}' ≈ '{theirs}' ≈ {concept}")
            }
        }
        Reason::SharedWords { words } => tr_args(
            lang,
            "reason-shared-words",
            &[("words", words.join(", ").into())],
        ),
        Reason::Near { km } => format::distance(lang, *km),
        Reason::RelatedIndustry { code } => {
            let name = reference::industry(code)
                .map(|i| i.labels.get(lang).to_string())
                .unwrap_or_else(|| code.clone());
            tr_args(lang, "reason-same-industry", &[("industry", name.into())])
        }
        Reason::CloseInMeaning { similarity } => tr_args(
            lang,
            "reason-close-in-meaning",
            &[("percent", (similarity * 100.0).round().into())],
        ),
        Reason::AvailableTogether => tr(lang, "reason-available-together"),
        Reason::ExpiresSoon { on } => tr_args(
            lang,
            "reason-expires",
            &[("date", format::date(lang, *on).into())],
        ),
    }
}

/// What may answer this post, best first, each with its reasons; a click opens it, and
/// "Not relevant" sets it aside for good on all of the company's devices (listed below,
/// to show again).
#[function_component]
pub fn Suggestions(props: &SuggestionsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    // Moves after a dismissal or a restore: both lists are asked for again.
    let changes = use_state(|| 0u32);
    let args = SuggestArgs {
        post_id: props.post_id.clone(),
        limit: 5,
    };
    let found = use_query::<_, Vec<SuggestionView>, _>(
        "suggestions",
        args.clone(),
        (args, state.revision, *changes),
    );
    let post_args = PostArgs {
        post_id: props.post_id.clone(),
    };
    let dismissed = use_query::<_, Vec<DismissedSuggestion>, _>(
        "dismissed_suggestions",
        post_args.clone(),
        (post_args, state.revision, *changes),
    );
    let meaning = use_query::<_, ivej_model::ipc::MeaningStatus, _>(
        "meaning_status",
        NoArgs {},
        (state.revision, *changes),
    );
    let pair_command = {
        let changes = changes.clone();
        let post_id = props.post_id.clone();
        move |command: &'static str, suggested_id: String| {
            let changes = changes.clone();
            let args = PairArgs {
                post_id: post_id.clone(),
                suggested_id,
            };
            Callback::from(move |e: MouseEvent| {
                e.stop_propagation();
                let changes = changes.clone();
                let args = args.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if ipc::call::<_, ()>(command, &args).await.is_ok() {
                        changes.set(*changes + 1);
                    }
                });
            })
        }
    };
    let Loaded::Ready(list) = &*found else {
        return html! {};
    };
    let set_aside: &[DismissedSuggestion] = match &*dismissed {
        Loaded::Ready(d) => d,
        _ => &[],
    };
    html! {
        <section class="suggestions" id="suggestions">
            <h2>{ tr(lang, "suggestions-heading") }</h2>
            { meaning_note(lang, &meaning) }
            if list.is_empty() {
                <p class="muted" id="no-suggestions">{ tr(lang, "suggestions-none") }</p>
            }
            <ul>
            { for list.iter().map(|s| {
                let app = props.app.clone();
                let id = s.suggestion.id.clone();
                let kind = s.suggestion.kind;
                let dismiss = pair_command("dismiss_suggestion", id.clone());
                let onclick = Callback::from(move |_: MouseEvent| match kind {
                    SuggestedKind::Post => app.navigate(View::Post(id.clone())),
                    SuggestedKind::Service => app.navigate(View::Service(id.clone())),
                });
                let reasons: Vec<String> = s.suggestion.reasons.iter().map(|r| reason_text(lang, r)).collect();
                html! {
                    <li class="suggestion" data-id={s.suggestion.id.clone()} {onclick}>
                        <button class="link dismiss" title={tr(lang, "suggestion-dismiss-hint")} onclick={dismiss}>
                            { tr(lang, "suggestion-dismiss") }
                        </button>
                        <span class={if kind == SuggestedKind::Service { "badge service" } else { "badge offer" }}>
                            { tr(lang, if kind == SuggestedKind::Service { "suggestion-service" } else { "suggestion-post" }) }
                        </span>
                        <strong>{ &s.title }</strong>
                        if let Some(by) = &s.by { <span class="muted">{ format!(" · {by}") }</span> }
                        <div class="reasons muted">{ reasons.join(" · ") }</div>
                    </li>
                }
            }) }
            </ul>
            if !set_aside.is_empty() {
                <details class="dismissed" id="dismissed-suggestions">
                    <summary class="muted">
                        { tr_args(lang, "suggestions-dismissed", &[("count", (set_aside.len() as f64).into())]) }
                    </summary>
                    <ul>
                    { for set_aside.iter().map(|d| {
                        let restore = pair_command("restore_suggestion", d.suggested_id.clone());
                        html! {
                            <li data-id={d.suggested_id.clone()}>
                                <span>{ &d.title }</span>
                                <button class="link restore" onclick={restore}>{ tr(lang, "suggestion-restore") }</button>
                            </li>
                        }
                    }) }
                    </ul>
                </details>
            }
        </section>
    }
}

/// Says when suggestions read words only (no model, or one that does not load), and how
/// far the model got while it reads the board.
fn meaning_note(lang: Lang, status: &Loaded<ivej_model::ipc::MeaningStatus>) -> Html {
    let Loaded::Ready(m) = status else {
        return html! {};
    };
    let text = if let Some(problem) = &m.problem {
        tr_args(
            lang,
            "meaning-broken",
            &[("problem", problem.clone().into())],
        )
    } else if !m.available {
        tr(lang, "meaning-absent")
    } else if m.read < m.total {
        tr_args(
            lang,
            "meaning-reading",
            &[
                ("read", (m.read as f64).into()),
                ("total", (m.total as f64).into()),
            ],
        )
    } else {
        return html! {};
    };
    html! { <p class="muted meaning-note" id="meaning-status">{ text }</p> }
}

#[derive(Properties, PartialEq)]
pub struct IntroductionsProps {
    pub app: AppHandle,
    /// Introduce the pair: (the need's organisation, the offer's, a note).
    pub on_introduce: Callback<(String, String, String)>,
}

#[derive(Serialize, Clone, PartialEq)]
struct LimitArgs {
    limit: usize,
}

/// For the facilitator at the meeting: the best offer for each of the street's newest
/// needs, best pairs first, each with its reasons and a button that records the
/// introduction (a relation and an action, as the capture form does).
#[function_component]
pub fn Introductions(props: &IntroductionsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let args = LimitArgs { limit: 8 };
    let found = use_query::<_, Vec<StreetSuggestion>, _>(
        "street_suggestions",
        args.clone(),
        (args, state.revision),
    );
    let Loaded::Ready(list) = &*found else {
        return html! {};
    };
    html! {
        <section class="suggestions panel" id="introductions">
            <h3>{ tr(lang, "introductions-heading") }</h3>
            if list.is_empty() {
                <p class="muted">{ tr(lang, "suggestions-none") }</p>
            }
            <ul>
            { for list.iter().map(|pair| {
                let on_introduce = props.on_introduce.clone();
                let (a, b) = (pair.need_org.clone(), pair.offer_org.clone());
                let note = format!("{} ↔ {}", pair.need_title, pair.best.title);
                let onclick = Callback::from(move |_: MouseEvent| {
                    on_introduce.emit((a.clone(), b.clone(), note.clone()))
                });
                let reasons: Vec<String> = pair.best.suggestion.reasons.iter().map(|r| reason_text(lang, r)).collect();
                html! {
                    <li class="introduction" data-need={pair.need_id.clone()}>
                        <strong>{ &pair.need_title }</strong>
                        <span class="muted">{ format!(" · {}", pair.need_by.clone().unwrap_or_default()) }</span>
                        { " ← " }
                        <strong>{ &pair.best.title }</strong>
                        <span class="muted">{ format!(" · {}", pair.best.by.clone().unwrap_or_default()) }</span>
                        <div class="reasons muted">{ reasons.join(" · ") }</div>
                        <button class="secondary introduce" {onclick}>{ tr(lang, "introductions-introduce") }</button>
                    </li>
                }
            }) }
            </ul>
        </section>
    }
}
