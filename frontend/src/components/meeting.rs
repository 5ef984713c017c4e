use std::cell::Cell;
use std::rc::Rc;

use ivej_model::ipc::{ActionView, MeetingView, MemberView};
use ivej_model::{
    ApiError, CollaborationInput, CollaborationKind, Direction, MeetingState, Origin, OriginKind,
    PostInput, Stage, StreetSummary,
};
use serde_json::json;
use yew::prelude::*;

use crate::components::field::general_error;
use crate::components::kind_picker::KindPicker;
use crate::components::meetings::{state_text, when};
use crate::dom::{checked, value_of};
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct MeetingProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
    pub id: String,
}

/// The meeting screen, usable offline at the host's: attendance, live minutes, decisions,
/// actions (with those carried over), and capturing offers, needs, introductions and
/// collaborations from what is said.
#[function_component]
pub fn MeetingScreen(props: &MeetingProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let id = props.id.clone();
    let view = use_query::<_, MeetingView, _>(
        "meeting_view",
        json!({ "id": id }),
        (id.clone(), state.revision),
    );
    let members =
        use_query::<_, Vec<MemberView>, _>("members", json!({ "text": null }), state.revision);
    let facilitator = props.summary.is_facilitator();
    let error = use_state(|| None::<ApiError>);

    // The minutes as typed here, and as the node last sent them (`base`). Each save sends
    // both, so what others typed meanwhile is kept; what arrives from others replaces the
    // text here only while nothing typed here is waiting to be saved.
    let minutes = use_state(String::new);
    let base = use_mut_ref(String::new);
    let typing = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    let typing = typing.borrow().clone();
    let minutes_error = use_state(|| None::<ApiError>);
    {
        let minutes = minutes.clone();
        let typing = typing.clone();
        let base = base.clone();
        let arrived = view.ready().map(|v| v.minutes_text.clone());
        use_effect_with(arrived, move |arrived| {
            if let (Some(text), 0) = (arrived, typing.get()) {
                *base.borrow_mut() = text.clone();
                minutes.set(text.clone());
            }
        });
    }
    let on_minutes = {
        let minutes = minutes.clone();
        let typing = typing.clone();
        let base = base.clone();
        let minutes_error = minutes_error.clone();
        let id = id.clone();
        Callback::from(move |e: InputEvent| {
            let text = value_of(&e);
            minutes.set(text.clone());
            let mine = typing.get().wrapping_add(1).max(1);
            typing.set(mine);
            let (typing, id, base, minutes, minutes_error) = (
                typing.clone(),
                id.clone(),
                base.clone(),
                minutes.clone(),
                minutes_error.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                ipc::sleep(400).await;
                if typing.get() != mine {
                    return;
                }
                let from = base.borrow().clone();
                let args = json!({ "meeting_id": id, "base": from, "text": text });
                match ipc::call::<_, String>("edit_minutes", &args).await {
                    Ok(now) => {
                        *base.borrow_mut() = now.clone();
                        minutes_error.set(None);
                        // Nothing typed since: show the minutes with everyone's text.
                        if typing.get() == mine {
                            typing.set(0);
                            minutes.set(now);
                        }
                    }
                    // Kept on screen (typing stays set, so no reload replaces it); the next
                    // keystroke tries again.
                    Err(e) => minutes_error.set(Some(e)),
                }
            });
        })
    };

    // One command, then the live update shows its effect.
    let run = {
        let error = error.clone();
        move |cmd: &'static str, args: serde_json::Value| {
            let error = error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, serde_json::Value>(cmd, &args).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };

    let decision = use_state(String::new);
    let action_text = use_state(String::new);
    let action_owner = use_state(String::new);
    let action_due = use_state(String::new);
    let capture_direction = use_state(|| "offer".to_string());
    let capture_kind = use_state(String::new);
    let capture_title = use_state(String::new);
    let capture_org = use_state(String::new);
    let intro_a = use_state(String::new);
    let intro_b = use_state(String::new);
    let intro_note = use_state(String::new);
    let collab_title = use_state(String::new);
    let collab_kind = use_state(|| CollaborationKind::ALL[0].code().to_string());
    let collab_a = use_state(String::new);
    let collab_b = use_state(String::new);
    let collab_stage = use_state(|| "idea".to_string());
    // The challenge field follows what is stored, until the facilitator types.
    let challenge_text = use_state(String::new);
    {
        let challenge_text = challenge_text.clone();
        let stored = view
            .ready()
            .map(|v| v.meeting.challenge.clone().unwrap_or_default());
        use_effect_with(stored, move |stored| {
            if let Some(text) = stored {
                challenge_text.set(text.clone());
            }
        });
    }

    let bind = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: InputEvent| h.set(value_of(&e)))
    };
    let pick = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |e: Event| h.set(value_of(&e)))
    };

    let v = match &*view {
        Loaded::Pending => return html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => return html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(v) => v.clone(),
    };
    let m = &v.meeting;
    let member_list: Vec<MemberView> = members.ready().cloned().unwrap_or_default();
    let org_options = |selected: &str, empty: String| {
        html! {
            <>
                <option value="" selected={selected.is_empty()}>{ empty }</option>
                { for member_list.iter().map(|mv| html! {
                    <option value={mv.org.id.clone()} selected={selected == mv.org.id}>{ mv.org.name.clone() }</option>
                }) }
            </>
        }
    };

    let back = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Meetings))
    };
    let set_state = |s: MeetingState| {
        let run = run.clone();
        let id = id.clone();
        Callback::from(move |_: MouseEvent| {
            run("set_meeting_state", json!({ "id": id, "state": s }))
        })
    };
    let on_host = {
        let run = run.clone();
        let id = id.clone();
        Callback::from(move |e: Event| {
            run(
                "set_meeting_host",
                json!({ "id": id, "org_id": value_of(&e) }),
            )
        })
    };
    let on_confidence = {
        let run = run.clone();
        let id = id.clone();
        Callback::from(move |e: Event| {
            run(
                "set_minutes_in_confidence",
                json!({ "meeting_id": id, "flag": checked(&e) }),
            )
        })
    };
    let add_decision = {
        let (run, id, decision) = (run.clone(), id.clone(), decision.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            run(
                "add_decision",
                json!({ "meeting_id": id, "text": *decision }),
            );
            decision.set(String::new());
        })
    };
    let add_action = {
        let (run, id) = (run.clone(), id.clone());
        let (text, owner, due) = (
            action_text.clone(),
            action_owner.clone(),
            action_due.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let due_value = Some(due.trim().to_string()).filter(|d| !d.is_empty());
            run(
                "add_action",
                json!({ "meeting_id": id, "text": *text, "owner": *owner, "due": due_value }),
            );
            text.set(String::new());
        })
    };
    let capture_post = {
        let (run, id) = (run.clone(), id.clone());
        let (direction, kind, title, org) = (
            capture_direction.clone(),
            capture_kind.clone(),
            capture_title.clone(),
            capture_org.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut input = PostInput::new(
                Direction::from_code(&direction).unwrap_or(Direction::Offer),
                &kind,
                &title,
            );
            input.on_behalf_of = Some((*org).clone()).filter(|o| !o.is_empty());
            run("capture_post", json!({ "meeting_id": id, "input": input }));
            title.set(String::new());
        })
    };
    let capture_intro = {
        let (run, id) = (run.clone(), id.clone());
        let (a, b, note) = (intro_a.clone(), intro_b.clone(), intro_note.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            run(
                "capture_introduction",
                json!({ "meeting_id": id, "a": *a, "b": *b, "note": *note }),
            );
            note.set(String::new());
        })
    };
    let introduce = {
        let (run, id) = (run.clone(), id.clone());
        Callback::from(move |(a, b, note): (String, String, String)| {
            run(
                "capture_introduction",
                json!({ "meeting_id": id, "a": a, "b": b, "note": note }),
            );
        })
    };
    let capture_collab = {
        let (run, id) = (run.clone(), id.clone());
        let (title, kind, a, b, stage) = (
            collab_title.clone(),
            collab_kind.clone(),
            collab_a.clone(),
            collab_b.clone(),
            collab_stage.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = CollaborationInput {
                title: (*title).clone(),
                kind: CollaborationKind::ALL
                    .into_iter()
                    .find(|k| k.code() == *kind)
                    .unwrap_or(CollaborationKind::ALL[0]),
                orgs: vec![(*a).clone(), (*b).clone()],
                stage: Stage::ALL
                    .into_iter()
                    .find(|s| s.code() == *stage)
                    .unwrap_or(Stage::Idea),
                value: Default::default(),
                origin: Origin {
                    kind: OriginKind::Meeting,
                    ref_id: None,
                },
            };
            run(
                "capture_collaboration",
                json!({ "meeting_id": id, "input": input }),
            );
            title.set(String::new());
        })
    };
    let action_row = |a: &ActionView, carried: bool| {
        let done = {
            let run = run.clone();
            let aid = a.action.id.clone();
            Callback::from(move |_: MouseEvent| run("complete_action", json!({ "id": aid })))
        };
        html! {
            <li class={if carried { "action carried" } else { "action" }} data-done={a.action.done_at.is_some().to_string()}>
                <span class="action-text">{ &a.action.text }</span>
                <span class="muted">
                    { a.owner_name.clone().map(|o| format!(" · {o}")).unwrap_or_default() }
                    { a.action.due.map(|d| format!(" · {}", format::date(lang, d))).unwrap_or_default() }
                    { if carried { a.from_meeting.map(|f| format!(" · {}", format::date(lang, f.date()))).unwrap_or_default() } else { String::new() } }
                </span>
                if a.action.done_at.is_none() {
                    <button class="link action-done" onclick={done}>{ tr(lang, "action-done") }</button>
                } else {
                    <span class="ok">{ format!(" ✓ {}", tr(lang, "action-is-done")) }</span>
                }
            </li>
        }
    };
    let agenda_rows = m.agenda_in_order().into_iter().map(|(item_id, item)| {
        let onchange = {
            let (run, id, item_id) = (run.clone(), id.clone(), item_id.clone());
            Callback::from(move |e: Event| {
                if let Ok(minutes) = value_of(&e).trim().parse::<u32>() {
                    run("set_agenda_minutes", json!({ "meeting_id": id, "item_id": item_id, "minutes": minutes }));
                }
            })
        };
        html! {
            <li class="agenda-item">
                <span>{ tr(lang, &format!("agenda-{}", item_kind(item.kind))) }</span>
                if facilitator {
                    <input class="agenda-minutes" type="number" min="1" max="480" value={item.minutes.to_string()} {onchange} />
                } else {
                    <span>{ item.minutes }</span>
                }
                <span class="muted">{ tr(lang, "minutes-unit") }</span>
            </li>
        }
    });

    html! {
        <section class="meeting" id="meeting-screen" data-id={m.id.clone()}>
            <button class="link" onclick={back}>{ tr(lang, "back-to-meetings") }</button>
            <h1 id="meeting-heading">{ when(lang, m.starts_at) }</h1>
            <p class="muted">
                <span id="meeting-state">{ state_text(lang, m.state) }</span>
                { if m.location.is_empty() { String::new() } else { format!(" · {}", m.location) } }
                if v.in_confidence { <span class="flag">{ tr(lang, "minutes-in-confidence") }</span> }
            </p>
            <div class="row">
                <div>
                    <label for="meeting-host">{ tr(lang, "meetings-host") }</label>
                    if facilitator {
                        <select id="meeting-host" onchange={on_host}>{ org_options(m.host_org.as_deref().unwrap_or(""), String::new()) }</select>
                    } else {
                        <p id="meeting-host">{ v.host_name.clone().unwrap_or_default() }</p>
                    }
                </div>
                if facilitator {
                    <div class="actions">
                        if m.state == MeetingState::Planned {
                            <button id="start-meeting" onclick={set_state(MeetingState::InProgress)}>{ tr(lang, "meeting-start") }</button>
                        }
                        if m.state == MeetingState::InProgress {
                            <button id="finish-meeting" onclick={set_state(MeetingState::Finalized)}>{ tr(lang, "meeting-finish") }</button>
                        }
                    </div>
                }
            </div>
            { general_error(lang, error.as_ref()) }
            <div class="meeting-grid">
                <div>
                    <h2>{ tr(lang, "meeting-agenda") }</h2>
                    <ul class="agenda">{ for agenda_rows }</ul>
                    <h2>{ tr(lang, "meeting-challenge") }</h2>
                    if facilitator {
                        <form class="inline-form" onsubmit={{
                            let (run, id, text) = (run.clone(), id.clone(), challenge_text.clone());
                            Callback::from(move |e: SubmitEvent| { e.prevent_default(); run("set_challenge", json!({ "meeting_id": id, "text": *text })); })
                        }}>
                            <input id="challenge-text" value={(*challenge_text).clone()} oninput={bind(&challenge_text)} />
                            <button id="set-challenge" type="submit">{ tr(lang, "meeting-set-challenge") }</button>
                        </form>
                    } else {
                        <p>{ m.challenge.clone().unwrap_or_default() }</p>
                    }
                    <h2>{ tr(lang, "meeting-attendance") }</h2>
                    <ul class="attendance">
                        { for v.attendance.iter().map(|a| {
                            let onchange = {
                                let (run, id, org) = (run.clone(), id.clone(), a.org_id.clone());
                                Callback::from(move |e: Event| run("record_attendance", json!({ "meeting_id": id, "org_id": org, "present": checked(&e) })))
                            };
                            html! {
                                <li><label class="inline"><input type="checkbox" class="attend" data-name={a.name.clone()} checked={a.present} {onchange} />{ &a.name }</label></li>
                            }
                        }) }
                    </ul>
                </div>
                <div>
                    <h2>{ tr(lang, "meeting-minutes") }</h2>
                    <textarea id="minutes" rows="12" value={(*minutes).clone()} oninput={on_minutes} placeholder={tr(lang, "meeting-minutes-placeholder")} />
                    { general_error(lang, minutes_error.as_ref()) }
                    <label class="inline"><input type="checkbox" id="in-confidence" checked={v.in_confidence} onchange={on_confidence} />{ tr(lang, "minutes-in-confidence") }</label>
                    if v.in_confidence { <p class="muted" id="confidence-note">{ tr(lang, "minutes-in-confidence-note") }</p> }
                    <h2>{ tr(lang, "meeting-decisions") }</h2>
                    <ul class="decisions">{ for v.decisions.iter().map(|d| html! { <li class="decision">{ &d.text }</li> }) }</ul>
                    <form class="inline-form" onsubmit={add_decision}>
                        <input id="decision-text" value={(*decision).clone()} oninput={bind(&decision)} placeholder={tr(lang, "meeting-decision-placeholder")} />
                        <button id="add-decision" type="submit">{ tr(lang, "meeting-add") }</button>
                    </form>
                </div>
            </div>
            <h2>{ tr(lang, "meeting-actions") }</h2>
            <ul class="actions-list" id="actions">{ for v.actions.iter().map(|a| action_row(a, false)) }</ul>
            <form class="inline-form action-form" onsubmit={add_action}>
                <input id="action-text" value={(*action_text).clone()} oninput={bind(&action_text)} placeholder={tr(lang, "meeting-action-placeholder")} />
                <select id="action-owner" onchange={pick(&action_owner)}>{ org_options(&action_owner, tr(lang, "meeting-action-owner")) }</select>
                <input id="action-due" type="date" value={(*action_due).clone()} onchange={pick(&action_due)} />
                <button id="add-action" type="submit">{ tr(lang, "meeting-add") }</button>
            </form>
            <h2>{ tr(lang, "meeting-carried-over") }</h2>
            if v.carried_over.is_empty() {
                <p class="muted" id="nothing-carried">{ tr(lang, "meeting-nothing-carried") }</p>
            }
            <ul class="actions-list" id="carried">{ for v.carried_over.iter().map(|a| action_row(a, true)) }</ul>

            <h2>{ tr(lang, "capture-title") }</h2>
            <crate::components::suggestions::Introductions app={props.app.clone()} on_introduce={introduce} />
            <div class="capture-grid">
                <form class="panel" id="capture-post-form" onsubmit={capture_post}>
                    <h3>{ tr(lang, "capture-post") }</h3>
                    <select id="capture-direction" onchange={pick(&capture_direction)}>
                        <option value="offer" selected={*capture_direction == "offer"}>{ tr(lang, "direction-offer") }</option>
                        <option value="need" selected={*capture_direction == "need"}>{ tr(lang, "direction-need") }</option>
                    </select>
                    <KindPicker id="capture-kind" {lang} value={(*capture_kind).clone()} groups_selectable={false}
                        onchange={{ let h = capture_kind.clone(); Callback::from(move |v: String| h.set(v)) }} empty_label={tr(lang, "editor-choose-kind")} />
                    <input id="capture-title" value={(*capture_title).clone()} oninput={bind(&capture_title)} placeholder={tr(lang, "editor-title")} />
                    <select id="capture-org" onchange={pick(&capture_org)}>{ org_options(&capture_org, tr(lang, "capture-for-us")) }</select>
                    <button id="capture-post" type="submit">{ tr(lang, "capture-save") }</button>
                </form>
                <form class="panel" id="capture-intro-form" onsubmit={capture_intro}>
                    <h3>{ tr(lang, "capture-introduction") }</h3>
                    <select id="intro-a" onchange={pick(&intro_a)}>{ org_options(&intro_a, tr(lang, "capture-choose")) }</select>
                    <select id="intro-b" onchange={pick(&intro_b)}>{ org_options(&intro_b, tr(lang, "capture-choose")) }</select>
                    <input id="intro-note" value={(*intro_note).clone()} oninput={bind(&intro_note)} placeholder={tr(lang, "capture-note")} />
                    <button id="capture-intro" type="submit">{ tr(lang, "capture-save") }</button>
                </form>
                <form class="panel" id="capture-collab-form" onsubmit={capture_collab}>
                    <h3>{ tr(lang, "capture-collaboration") }</h3>
                    <input id="collab-title" value={(*collab_title).clone()} oninput={bind(&collab_title)} placeholder={tr(lang, "editor-title")} />
                    <select id="collab-kind" onchange={pick(&collab_kind)}>
                        { for CollaborationKind::ALL.iter().map(|k| html! { <option value={k.code()} selected={*collab_kind == k.code()}>{ tr(lang, &format!("collab-kind-{}", k.code())) }</option> }) }
                    </select>
                    <select id="collab-a" onchange={pick(&collab_a)}>{ org_options(&collab_a, tr(lang, "capture-choose")) }</select>
                    <select id="collab-b" onchange={pick(&collab_b)}>{ org_options(&collab_b, tr(lang, "capture-choose")) }</select>
                    <select id="collab-stage" onchange={pick(&collab_stage)}>
                        { for Stage::ALL.iter().map(|s| html! { <option value={s.code()} selected={*collab_stage == s.code()}>{ tr(lang, &format!("stage-{}", s.code())) }</option> }) }
                    </select>
                    <button id="capture-collab" type="submit">{ tr(lang, "capture-save") }</button>
                </form>
            </div>
            if !v.captured_posts.is_empty() || !v.captured_collaborations.is_empty() {
                <h3>{ tr(lang, "capture-from-here") }</h3>
                <ul class="captured" id="captured">
                    { for v.captured_posts.iter().map(|p| html! {
                        <li class="captured-post">{ format!("{} · {} · {}", tr(lang, if p.post.direction == Direction::Offer { "direction-offer" } else { "direction-need" }), p.post.title, p.org_name.clone().unwrap_or_default()) }</li>
                    }) }
                    { for v.captured_collaborations.iter().map(|c| html! {
                        <li class="captured-collab">{ format!("{} · {}", c.title, tr(lang, &format!("stage-{}", c.stage.code()))) }</li>
                    }) }
                </ul>
            }
        </section>
    }
}

fn item_kind(kind: ivej_model::AgendaKind) -> &'static str {
    match kind {
        ivej_model::AgendaKind::Presentation => "presentation",
        ivej_model::AgendaKind::SharingChallenge => "challenge",
        ivej_model::AgendaKind::FollowUp => "follow-up",
        ivej_model::AgendaKind::Round => "round",
        ivej_model::AgendaKind::Other => "other",
    }
}
