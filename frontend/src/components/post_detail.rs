use ivej_model::ipc::PostDetail;
use ivej_model::{reference, ApiError, Interest, InterestStatus, Post, PostStatus};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::dom::value_of;
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr, tr_args};
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct PostDetailProps {
    pub app: AppHandle,
    pub id: String,
}

#[derive(Serialize, Clone, PartialEq)]
struct IdArgs {
    id: String,
}

#[derive(Serialize)]
struct InterestArgs {
    post_id: String,
    message: String,
}

#[derive(Serialize)]
struct AnswerArgs {
    id: String,
    accept: bool,
    answer: String,
}

/// One post in full, with its author's CV and the interest shown in it.
#[function_component]
pub fn PostDetailView(props: &PostDetailProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let detail = use_query::<_, PostDetail, _>(
        "post_detail",
        IdArgs {
            id: props.id.clone(),
        },
        (props.id.clone(), state.revision),
    );
    let message = use_state(String::new);
    // One answer being typed per interest.
    let answers = use_state(std::collections::HashMap::<String, String>::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);

    let back = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Board))
    };
    // Runs a command about this post; the live update reloads the screen.
    let run = {
        let error = error.clone();
        let busy = busy.clone();
        let app = props.app.clone();
        move |cmd: &'static str, args: serde_json::Value, after: Option<UseStateHandle<String>>| {
            let error = error.clone();
            let busy = busy.clone();
            let app = app.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, serde_json::Value>(cmd, &args).await {
                    Ok(_) => {
                        error.set(None);
                        if let Some(field) = after {
                            field.set(String::new());
                        }
                        app.reload();
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        }
    };

    let d = match &*detail {
        Loaded::Pending => return html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => {
            return html! {
                <section>
                    <button class="link" onclick={back}>{ tr(lang, "back-to-board") }</button>
                    <p class="error">{ error_text(lang, e) }</p>
                </section>
            }
        }
        Loaded::Ready(d) => d.clone(),
    };
    let p: &Post = &d.view.post;
    let kind = reference::post_kind(&p.kind)
        .map(|k| k.labels.get(lang).to_string())
        .unwrap_or_else(|| p.kind.clone());

    let send_interest = {
        let run = run.clone();
        let message = message.clone();
        let post_id = p.id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let args = serde_json::to_value(InterestArgs {
                post_id: post_id.clone(),
                message: (*message).clone(),
            })
            .unwrap_or_default();
            run("express_interest", args, Some(message.clone()));
        })
    };
    let on_message = {
        let message = message.clone();
        Callback::from(move |e: InputEvent| message.set(value_of(&e)))
    };
    let simple = |cmd: &'static str| {
        let run = run.clone();
        let id = p.id.clone();
        Callback::from(move |_: MouseEvent| {
            run(cmd, serde_json::json!({ "id": id }), None);
        })
    };
    let edit = {
        let app = props.app.clone();
        let id = p.id.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::EditPost(id.clone())))
    };
    let open_author = {
        let app = props.app.clone();
        let org = p.org_id.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Member(org.clone())))
    };
    let answer_buttons = |i: &Interest| {
        let typed = answers.get(&i.id).cloned().unwrap_or_default();
        let reply = |accept: bool| {
            let run = run.clone();
            let id = i.id.clone();
            let answer = typed.clone();
            Callback::from(move |_: MouseEvent| {
                let args = serde_json::to_value(AnswerArgs {
                    id: id.clone(),
                    accept,
                    answer: answer.clone(),
                })
                .unwrap_or_default();
                run("answer_interest", args, None);
            })
        };
        let (accept, decline) = (reply(true), reply(false));
        let on_answer = {
            let answers = answers.clone();
            let id = i.id.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*answers).clone();
                next.insert(id.clone(), value_of(&e));
                answers.set(next);
            })
        };
        html! {
            <div class="answer">
                <input class="answer-text" value={typed} oninput={on_answer} placeholder={tr(lang, "interest-answer-placeholder")} />
                <button class="accept" onclick={accept} disabled={*busy}>{ tr(lang, "interest-accept") }</button>
                <button class="decline secondary" onclick={decline} disabled={*busy}>{ tr(lang, "interest-decline") }</button>
            </div>
        }
    };
    let status_text = |s: InterestStatus| match s {
        InterestStatus::Sent => tr(lang, "interest-status-sent"),
        InterestStatus::Accepted => tr(lang, "interest-status-accepted"),
        InterestStatus::Declined => tr(lang, "interest-status-declined"),
    };
    let active = d.view.status.is_active();
    let own_id = match &state.phase {
        crate::state::Phase::Ready(s) => {
            s.own_org.as_ref().map(|o| o.id.clone()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let sent_by_us = d.interests.iter().any(|i| i.interest.from_org == own_id);

    html! {
        <section class="post-detail" id="post-detail" data-id={p.id.clone()}>
            <button class="link" id="back" onclick={back}>{ tr(lang, "back-to-board") }</button>
            <div class="card-top">
                <span class={if p.direction == ivej_model::Direction::Offer { "badge offer" } else { "badge need" }}>
                    { tr(lang, if p.direction == ivej_model::Direction::Offer { "direction-offer" } else { "direction-need" }) }
                </span>
                <span class="kind">{ kind }</span>
                <span class="status">{ tr(lang, &format!("status-{}", d.view.status.code())) }</span>
            </div>
            <h1 id="post-heading">{ &p.title }</h1>
            if !p.body.as_str().is_empty() {
                <p class="body" id="post-body-text">{ p.body.as_str() }</p>
            }
            <dl class="facts">
                if let Some(q) = &p.quantity {
                    <dt>{ tr(lang, "post-quantity") }</dt><dd>{ format!("{} {}", format::amount(lang, q.amount), q.unit) }</dd>
                }
                { for p.availability.iter().map(|w| html! {
                    <>
                        <dt>{ tr(lang, "post-availability") }</dt>
                        <dd>{ format!("{} – {}{}", format::date(lang, w.from), w.to.map(|t| format::date(lang, t)).unwrap_or_default(),
                            match w.recurrence { Some(ivej_model::Recurrence::Weekly) => format!(" ({})", tr(lang, "recurrence-weekly")),
                                Some(ivej_model::Recurrence::Monthly) => format!(" ({})", tr(lang, "recurrence-monthly")), None => String::new() }) }</dd>
                    </>
                }) }
                <dt>{ tr(lang, "post-price") }</dt><dd>{ tr(lang, &format!("price-{}", p.price.code())) }</dd>
                <dt>{ tr(lang, "post-visibility") }</dt><dd>{ tr(lang, &format!("visibility-{}", p.visibility.code())) }</dd>
                if let Some(exp) = p.expires_on {
                    <dt>{ tr(lang, "post-expires-on") }</dt><dd>{ format::date(lang, exp) }</dd>
                }
            </dl>
            if d.view.expiring_soon || d.view.status == PostStatus::Expired {
                <div class="flag expiring">{ tr(lang, if d.view.status == PostStatus::Expired { "post-expired" } else { "post-expiring" }) }</div>
            }
            if d.can_edit {
                <div class="actions">
                    <button id="edit-post" onclick={edit}>{ tr(lang, "post-edit") }</button>
                    <button id="renew-post" class="secondary" onclick={simple("renew_post")} disabled={*busy}>{ tr(lang, "post-renew") }</button>
                    if active {
                        <button id="close-post" class="secondary" onclick={simple("close_post")} disabled={*busy}>{ tr(lang, "post-close") }</button>
                    }
                </div>
            }
            { general_error(lang, error.as_ref()) }
            if active {
                <crate::components::suggestions::Suggestions app={props.app.clone()} post_id={p.id.clone()} />
            }

            if let Some(author) = &d.author {
                <aside class="author-card" id="author-card">
                    <h2>{ &author.name }</h2>
                    <p class="muted">{ crate::components::members::industry_name(lang, &author.industries) }
                        { if author.municipality.is_empty() { String::new() } else { format!(" · {}", author.municipality) } }</p>
                    <p id="author-cv" class="cv">{ if author.cv.as_str().is_empty() { tr(lang, "cv-empty") } else { author.cv.as_str().to_string() } }</p>
                    <button class="link" id="open-author" onclick={open_author}>{ tr(lang, "author-more") }</button>
                </aside>
            }

            <h2>{ tr(lang, "interest-heading") }</h2>
            if d.interests.is_empty() {
                <p class="muted" id="no-interest">{ tr(lang, if d.can_edit { "interest-none-yet" } else { "interest-be-first" }) }</p>
            }
            <ul class="interests">
                { for d.interests.iter().map(|iv| html! {
                    <li class="interest" data-status={format!("{:?}", iv.interest.status).to_lowercase()}>
                        <strong>{ iv.org_name.clone().unwrap_or_else(|| tr(lang, "interest-someone")) }</strong>
                        <span class="muted">{ format!(" · {} · {}", format::date(lang, ivej_model::Date::from_unix_ms(iv.interest.created_at)), status_text(iv.interest.status)) }</span>
                        if !iv.interest.message.is_empty() { <p class="message">{ &iv.interest.message }</p> }
                        if !iv.interest.answer.is_empty() { <p class="answer-text-shown">{ tr_args(lang, "interest-answered", &[("answer", iv.interest.answer.clone().into())]) }</p> }
                        if d.can_edit && iv.interest.from_org != own_id && iv.interest.status == InterestStatus::Sent { { answer_buttons(&iv.interest) } }
                    </li>
                }) }
            </ul>
            if !d.mine && active && !sent_by_us {
                <form class="interest-form" onsubmit={send_interest}>
                    <label for="interest-message">{ tr(lang, "interest-message") }</label>
                    <textarea id="interest-message" rows="3" value={(*message).clone()} oninput={on_message}
                        placeholder={tr(lang, "interest-placeholder")} />
                    { error_for(lang, error.as_ref(), "message") }
                    <button id="send-interest" type="submit" disabled={*busy}>{ tr(lang, "interest-send") }</button>
                </form>
            }
        </section>
    }
}
