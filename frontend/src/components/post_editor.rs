use ivej_model::ipc::{MemberView, PostDetail};
use ivej_model::{ApiError, Direction, ErrorCode, FieldError, Post, PriceModel, Visibility};
use serde::Serialize;
use yew::prelude::*;

use crate::components::field::{error_for, general_error};
use crate::components::kind_picker::KindPicker;
use crate::dom::{checked, value_of};
use crate::forms::post_form::{PostForm, WindowForm};
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_draft_form::use_draft_form;
use crate::i18n::tr;
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct PostEditorProps {
    pub app: AppHandle,
    /// The post being edited; `None` for a new one.
    pub id: Option<String>,
}

#[derive(Serialize)]
struct CreateArgs {
    input: ivej_model::PostInput,
}

#[derive(Serialize)]
struct EditArgs {
    id: String,
    patch: ivej_model::PostPatch,
}

fn local_errors(fields: Vec<FieldError>) -> ApiError {
    ApiError {
        code: ErrorCode::Validation,
        message: String::new(),
        fields,
    }
}

/// The editor for offers and needs. What is typed is kept as a draft (in the company's
/// private document) a moment after each change, so a restart or a failed save loses
/// nothing; the draft goes once the post is saved.
#[function_component]
pub fn PostEditor(props: &PostEditorProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let key = match &props.id {
        Some(id) => format!("post:{id}"),
        None => "post:new".to_string(),
    };
    let draft = use_draft_form::<PostForm>(key, PostForm::to_draft);
    let loaded = use_state(|| false);
    let restored = use_state(|| false);
    let busy = use_state(|| false);
    // The other members, to name those who may see a post.
    let members = use_state(Vec::<MemberView>::new);
    {
        let members = members.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(mut all) =
                    ipc::call::<_, Vec<MemberView>>("members", &serde_json::json!({ "text": null }))
                        .await
                {
                    all.retain(|m| !m.own);
                    all.sort_by(|a, b| a.org.name.cmp(&b.org.name));
                    members.set(all);
                }
            });
        });
    }

    // Load the post (when editing) and any draft kept for this editor.
    {
        let draft = draft.clone();
        let loaded = loaded.clone();
        let restored = restored.clone();
        use_effect_with(props.id.clone(), move |id| {
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(id) = id {
                    if let Ok(d) =
                        ipc::call::<_, PostDetail>("post_detail", &serde_json::json!({ "id": id }))
                            .await
                    {
                        draft.form.set(PostForm::from_post(&d.view.post, lang));
                    }
                }
                if let Some(kept) = draft
                    .stored_draft()
                    .await
                    .as_deref()
                    .and_then(PostForm::from_draft)
                {
                    draft.form.set(kept);
                    restored.set(true);
                }
                loaded.set(true);
            });
        });
    }

    let on_kind = {
        let draft = draft.clone();
        Callback::from(move |code: String| draft.update(Some("kind"), |f| f.kind = code))
    };
    let on_anonymous = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let on = checked(&e);
            draft.update(None, |f| f.anonymous = on);
        })
    };
    let on_named = {
        let draft = draft.clone();
        Callback::from(move |org: String| {
            draft.update(Some("visible_to"), |f| f.toggle_named(&org))
        })
    };
    let add_window = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            draft.update(None, |f| f.windows.push(WindowForm::default()))
        })
    };

    let discard = {
        let app = props.app.clone();
        let draft = draft.clone();
        let id = props.id.clone();
        Callback::from(move |_: MouseEvent| {
            let app = app.clone();
            let draft = draft.clone();
            let id = id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                draft.discard_draft().await;
                app.navigate(match id {
                    Some(id) => View::Post(id),
                    None => View::Board,
                });
            });
        })
    };

    let save = {
        let app = props.app.clone();
        let draft = draft.clone();
        let busy = busy.clone();
        let id = props.id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let form = (*draft.form).clone();
            let request = match &id {
                Some(id) => form.to_patch(lang).map(|patch| {
                    (
                        "edit_post",
                        serde_json::to_value(EditArgs {
                            id: id.clone(),
                            patch,
                        }),
                    )
                }),
                None => form
                    .to_input(lang)
                    .map(|input| ("create_post", serde_json::to_value(CreateArgs { input }))),
            };
            let (cmd, args) = match request {
                Ok((cmd, Ok(args))) => (cmd, args),
                Ok((_, Err(_))) => return,
                Err(fields) => {
                    draft.error.set(Some(local_errors(fields)));
                    return;
                }
            };
            let (app, draft, busy) = (app.clone(), draft.clone(), busy.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, Post>(cmd, &args).await {
                    Ok(post) => {
                        draft.discard_draft().await;
                        app.reload();
                        app.navigate(View::Post(post.id));
                    }
                    Err(e) => {
                        draft.error.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        })
    };

    if !*loaded {
        return html! { <p class="muted">{ tr(lang, "loading") }</p> };
    }
    let f = &*draft.form;
    let err = draft.error.as_ref();
    let text = |field, set| draft.text(field, set);
    let choice = |field, set| draft.choice(field, set);
    let editing = props.id.is_some();
    html! {
        <form class="editor panel" id="post-editor" onsubmit={save}>
            <h1>{ tr(lang, if editing { "editor-edit-title" } else { "editor-new-title" }) }</h1>
            if *restored {
                <div class="notice" id="draft-restored">{ tr(lang, "editor-draft-restored") }</div>
            }
            <div class="row">
                <div>
                    <label for="post-direction">{ tr(lang, "editor-direction") }</label>
                    <select id="post-direction" disabled={editing} onchange={choice("direction", |f, v| f.direction = Direction::from_code(&v).unwrap_or(Direction::Offer))}>
                        <option value="offer" selected={f.direction == Direction::Offer}>{ tr(lang, "direction-offer-long") }</option>
                        <option value="need" selected={f.direction == Direction::Need}>{ tr(lang, "direction-need-long") }</option>
                    </select>
                </div>
                <div>
                    <label for="post-kind">{ tr(lang, "editor-kind") }</label>
                    <KindPicker id="post-kind" {lang} value={f.kind.clone()} onchange={on_kind} empty_label={tr(lang, "editor-choose-kind")} groups_selectable={false} />
                    { error_for(lang, err, "kind") }
                </div>
            </div>
            <label for="post-title">{ tr(lang, "editor-title") }</label>
            <input id="post-title" value={f.title.clone()} oninput={text("title", |f, v| f.title = v)} placeholder={tr(lang, "editor-title-placeholder")} />
            { error_for(lang, err, "title") }
            <label for="post-body">{ tr(lang, "editor-body") }</label>
            <textarea id="post-body" rows="5" value={f.body.clone()} oninput={text("body", |f, v| f.body = v)} />
            { error_for(lang, err, "body") }
            <div class="row">
                <div>
                    <label for="post-amount">{ tr(lang, "editor-amount") }</label>
                    <input id="post-amount" inputmode="decimal" value={f.amount.clone()} oninput={text("quantity.amount", |f, v| f.amount = v)} />
                    { error_for(lang, err, "quantity.amount") }
                </div>
                <div>
                    <label for="post-unit">{ tr(lang, "editor-unit") }</label>
                    <input id="post-unit" value={f.unit.clone()} oninput={text("quantity.unit", |f, v| f.unit = v)} placeholder={tr(lang, "editor-unit-placeholder")} />
                    { error_for(lang, err, "quantity.unit") }
                </div>
            </div>
            <fieldset>
                <legend>{ tr(lang, "editor-availability") }</legend>
                { for f.windows.iter().enumerate().map(|(i, w)| {
                    let set = |part: u8| {
                        let draft = draft.clone();
                        Callback::from(move |e: Event| {
                            let v = value_of(&e);
                            draft.update(Some(&format!("availability.{i}")), |f| if let Some(w) = f.windows.get_mut(i) {
                                match part { 0 => w.from = v, 1 => w.to = v, _ => w.recurrence = v }
                            });
                        })
                    };
                    let remove = {
                        let draft = draft.clone();
                        Callback::from(move |_: MouseEvent| draft.update(None, |f| { if i < f.windows.len() { f.windows.remove(i); } }))
                    };
                    html! {
                        <div class="row window">
                            <div><label>{ tr(lang, "editor-from") }</label><input type="date" class="window-from" value={w.from.clone()} onchange={set(0)} />
                                { error_for(lang, err, &format!("availability.{i}.from")) }</div>
                            <div><label>{ tr(lang, "editor-to") }</label><input type="date" class="window-to" value={w.to.clone()} onchange={set(1)} />
                                { error_for(lang, err, &format!("availability.{i}.to")) }</div>
                            <div><label>{ tr(lang, "editor-recurrence") }</label>
                                <select class="window-recurrence" onchange={set(2)}>
                                    <option value="" selected={w.recurrence.is_empty()}>{ tr(lang, "recurrence-once") }</option>
                                    <option value="weekly" selected={w.recurrence == "weekly"}>{ tr(lang, "recurrence-weekly") }</option>
                                    <option value="monthly" selected={w.recurrence == "monthly"}>{ tr(lang, "recurrence-monthly") }</option>
                                </select></div>
                            <button type="button" class="link remove-window" onclick={remove}>{ tr(lang, "editor-remove") }</button>
                        </div>
                    }
                }) }
                <button type="button" class="secondary" id="add-window" onclick={add_window}>{ tr(lang, "editor-add-window") }</button>
            </fieldset>
            <div class="row">
                <div>
                    <label for="post-price">{ tr(lang, "post-price") }</label>
                    <select id="post-price" onchange={choice("price", |f, v| if let Some(p) = PriceModel::ALL.into_iter().find(|p| p.code() == v) { f.price = p })}>
                        { for PriceModel::ALL.iter().map(|p| html! { <option value={p.code()} selected={f.price == *p}>{ tr(lang, &format!("price-{}", p.code())) }</option> }) }
                    </select>
                </div>
                <div>
                    <label for="post-visibility">{ tr(lang, "post-visibility") }</label>
                    <select id="post-visibility" onchange={choice("visibility", |f, v| if let Some(x) = Visibility::ALL.into_iter().find(|x| x.code() == v) { f.visibility = x })}>
                        { for [Visibility::Street, Visibility::Named, Visibility::Facilitator, Visibility::Private].iter().map(|x| html! {
                            <option value={x.code()} selected={f.visibility == *x}>{ tr(lang, &format!("visibility-{}", x.code())) }</option>
                        }) }
                    </select>
                    { error_for(lang, err, "visibility") }
                </div>
            </div>
            if f.visibility == Visibility::Named {
                <fieldset id="post-named">
                    <legend>{ tr(lang, "editor-named") }</legend>
                    if members.is_empty() {
                        <p class="muted">{ tr(lang, "editor-named-none") }</p>
                    }
                    { for members.iter().map(|m| {
                        let id = m.org.id.clone();
                        let on_named = on_named.clone();
                        html! {
                            <label class="inline">
                                <input type="checkbox" class="post-named-member" value={id.clone()}
                                    checked={f.visible_to.contains(&id)}
                                    onchange={Callback::from(move |_: Event| on_named.emit(id.clone()))} />
                                { m.org.name.clone() }
                            </label>
                        }
                    }) }
                    { error_for(lang, err, "visible_to") }
                </fieldset>
            }
            if f.can_be_anonymous() {
                <label class="inline"><input type="checkbox" id="post-anonymous" checked={f.anonymous} onchange={on_anonymous} />{ tr(lang, "editor-anonymous") }</label>
            }
            { general_error(lang, err) }
            <div class="actions">
                <button id="post-save" type="submit" disabled={*busy}>{ tr(lang, if editing { "editor-save" } else { "editor-publish" }) }</button>
                <button id="post-discard" type="button" class="secondary" onclick={discard}>{ tr(lang, "editor-discard") }</button>
            </div>
        </form>
    }
}
