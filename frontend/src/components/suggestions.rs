use ivej_model::matching::{Reason, StreetSuggestion, SuggestedKind, SuggestionView};
use ivej_model::{reference, Lang};
use serde::Serialize;
use yew::prelude::*;

use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{tr, tr_args};
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
        Reason::AvailableTogether => tr(lang, "reason-available-together"),
        Reason::ExpiresSoon { on } => tr_args(
            lang,
            "reason-expires",
            &[("date", format::date(lang, *on).into())],
        ),
    }
}

/// What may answer this post, best first, each with its reasons; a click opens it.
#[function_component]
pub fn Suggestions(props: &SuggestionsProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let args = SuggestArgs {
        post_id: props.post_id.clone(),
        limit: 5,
    };
    let found =
        use_query::<_, Vec<SuggestionView>, _>("suggestions", args.clone(), (args, state.revision));
    let Loaded::Ready(list) = &*found else {
        return html! {};
    };
    html! {
        <section class="suggestions" id="suggestions">
            <h2>{ tr(lang, "suggestions-heading") }</h2>
            if list.is_empty() {
                <p class="muted" id="no-suggestions">{ tr(lang, "suggestions-none") }</p>
            }
            <ul>
            { for list.iter().map(|s| {
                let app = props.app.clone();
                let id = s.suggestion.id.clone();
                let kind = s.suggestion.kind;
                let onclick = Callback::from(move |_: MouseEvent| match kind {
                    SuggestedKind::Post => app.navigate(View::Post(id.clone())),
                    SuggestedKind::Service => app.navigate(View::Service(id.clone())),
                });
                let reasons: Vec<String> = s.suggestion.reasons.iter().map(|r| reason_text(lang, r)).collect();
                html! {
                    <li class="suggestion" data-id={s.suggestion.id.clone()} {onclick}>
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
        </section>
    }
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
