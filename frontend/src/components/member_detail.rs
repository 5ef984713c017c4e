use ivej_model::ipc::MemberDetail;
use serde::Serialize;
use yew::prelude::*;

use crate::components::members::industry_name;
use crate::components::post_card::PostCard;
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct MemberDetailProps {
    pub app: AppHandle,
    pub id: String,
    /// Whether this device may remove members (a facilitator's).
    pub facilitator: bool,
}

#[derive(Serialize, Clone, PartialEq)]
struct IdArgs {
    id: String,
}

#[derive(Serialize)]
struct OrgArgs {
    org_id: String,
}

/// One member: its CV and its open offers and needs. The facilitator removes a member
/// here, after a plain warning that what it received cannot be recalled.
#[function_component]
pub fn MemberDetailView(props: &MemberDetailProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let detail = use_query::<_, MemberDetail, _>(
        "member",
        IdArgs {
            id: props.id.clone(),
        },
        (props.id.clone(), state.revision),
    );
    let back = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::Members))
    };
    let open = {
        let app = props.app.clone();
        Callback::from(move |id: String| app.navigate(View::Post(id)))
    };
    let confirming = use_state(|| false);
    let error = use_state(|| None::<ivej_model::ApiError>);
    let facilitator = props.facilitator;
    let remove = {
        let (app, error, id) = (props.app.clone(), error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (app, error, id) = (app.clone(), error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match crate::ipc::call::<_, ivej_model::Organisation>(
                    "remove_member",
                    &OrgArgs { org_id: id },
                )
                .await
                {
                    Ok(_) => app.navigate(View::Members),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let body = match &*detail {
        Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(d) => {
            let o = &d.member.org;
            html! {
                <>
                    <h1 id="member-name">{ &o.name }</h1>
                    <p class="muted">{ industry_name(lang, &o.industries) }
                        { if o.address.is_empty() { String::new() } else { format!(" · {}", o.address) } }
                        { if o.municipality.is_empty() { String::new() } else { format!(", {}", o.municipality) } }
                        { d.member.distance_km.map(|km| format!(" · {}", format::distance(lang, km))).unwrap_or_default() }</p>
                    <h2>{ tr(lang, "member-cv") }</h2>
                    <p class="cv" id="member-cv">{ if o.cv.as_str().is_empty() { tr(lang, "cv-empty") } else { o.cv.as_str().to_string() } }</p>
                    if !o.languages.is_empty() {
                        <p class="muted">{ format!("{}: {}", tr(lang, "profile-languages"), o.languages.join(", ")) }</p>
                    }
                    if o.left_at.is_some() {
                        <p class="muted" id="member-left">{ tr(lang, "member-left") }</p>
                    } else if facilitator && !d.member.own {
                        if *confirming {
                            <div class="panel warning" id="remove-confirm">
                                <p>{ crate::i18n::tr_args(lang, "member-remove-confirm", &[("name", o.name.clone().into())]) }</p>
                                <button class="danger" id="remove-yes" onclick={remove.clone()}>{ tr(lang, "member-remove-yes") }</button>
                                <button class="secondary" onclick={{
                                    let confirming = confirming.clone();
                                    Callback::from(move |_: MouseEvent| confirming.set(false))
                                }}>{ tr(lang, "cancel") }</button>
                                if let Some(e) = &*error { <p class="error">{ error_text(lang, e) }</p> }
                            </div>
                        } else {
                            <button class="secondary" id="remove-member" onclick={{
                                let confirming = confirming.clone();
                                Callback::from(move |_: MouseEvent| confirming.set(true))
                            }}>{ tr(lang, "member-remove") }</button>
                        }
                    }
                    <h2>{ tr(lang, "member-posts") }</h2>
                    if d.posts.is_empty() { <p class="muted">{ tr(lang, "member-no-posts") }</p> }
                    <div class="cards">
                        { for d.posts.iter().map(|v| html! { <PostCard key={v.post.id.clone()} view={v.clone()} {lang} onopen={open.clone()} /> }) }
                    </div>
                </>
            }
        }
    };
    html! {
        <section class="member-detail">
            <button class="link" onclick={back}>{ tr(lang, "back-to-members") }</button>
            { body }
        </section>
    }
}
