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
}

#[derive(Serialize, Clone, PartialEq)]
struct IdArgs {
    id: String,
}

/// One member: its CV and its open offers and needs.
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
