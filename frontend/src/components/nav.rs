use ivej_model::StreetSummary;
use yew::prelude::*;

use crate::hooks::use_app_state::AppHandle;
use crate::i18n::tr;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct NavProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
}

/// The sidebar: the street, the screens, and "new post".
#[function_component]
pub fn Nav(props: &NavProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let section = state.view.section();
    let entry = |id: &'static str, view: View, label: &str| {
        let app = props.app.clone();
        let target = view.clone();
        let onclick = Callback::from(move |_: MouseEvent| app.navigate(target.clone()));
        let class = if section == view {
            "nav-entry current"
        } else {
            "nav-entry"
        };
        html! { <button {id} {class} {onclick}>{ label.to_string() }</button> }
    };
    let new_post = {
        let app = props.app.clone();
        Callback::from(move |_: MouseEvent| app.navigate(View::NewPost))
    };
    let s = &props.summary;
    html! {
        <nav class="sidebar">
            <div class="street-title">
                <strong id="street-title">{ &s.street.name }</strong>
                if let Some(org) = &s.own_org {
                    <span class="muted" id="own-org-name">{ &org.name }</span>
                }
                // Who this device is in the street, when it is not a plain member.
                if let Some(role) = s.role.filter(|r| *r != ivej_model::ipc::DeviceRole::Member) {
                    <span class="muted role" id="own-role">{ crate::components::devices::role_name(lang, role) }</span>
                }
            </div>
            <button id="new-post" class="primary" onclick={new_post} title="Ctrl+N">{ tr(lang, "nav-new-post") }</button>
            { entry("nav-board", View::Board, &tr(lang, "nav-board")) }
            { entry("nav-members", View::Members, &tr(lang, "nav-members")) }
            { entry("nav-meetings", View::Meetings, &tr(lang, "nav-meetings")) }
            { entry("nav-services", View::Services, &tr(lang, "nav-services")) }
            { entry("nav-results", View::Results, &tr(lang, "nav-results")) }
            { entry("nav-profile", View::Profile, &tr(lang, "nav-profile")) }
            { entry("nav-sync", View::Sync, &tr(lang, "nav-sync")) }
            { entry("nav-settings", View::Settings, &tr(lang, "nav-settings")) }
            <div class="figures-small muted">
                <div><strong id="members">{ s.members }</strong>{ " " }{ tr(lang, "home-members") }</div>
                <div><strong id="active-posts">{ s.active_posts }</strong>{ " " }{ tr(lang, "home-active-posts") }</div>
                <div><strong id="meetings">{ s.meetings }</strong>{ " " }{ tr(lang, "home-meetings") }</div>
            </div>
            if s.damaged_chunks > 0 {
                <p class="warning-small" id="damaged-chunks">{
                    crate::i18n::tr_args(lang, "damaged-chunks", &[("n", f64::from(s.damaged_chunks).into())])
                }</p>
            }
        </nav>
    }
}
