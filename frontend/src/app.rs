use yew::prelude::*;

use crate::components::awaiting_sync::AwaitingSync;
use crate::components::board::Board;
use crate::components::meeting::MeetingScreen;
use crate::components::meetings::Meetings;
use crate::components::member_detail::MemberDetailView;
use crate::components::members::Members;
use crate::components::nav::Nav;
use crate::components::onboarding::Onboarding;
use crate::components::post_detail::PostDetailView;
use crate::components::post_editor::PostEditor;
use crate::components::profile::Profile;
use crate::components::results::Results;
use crate::components::service_page::{ServiceEditor, ServicePage};
use crate::components::services::Services;
use crate::components::settings::Settings;
use crate::components::sync_status::SyncStatusView;
use crate::hooks::use_app_state::use_app_state;
use crate::i18n::tr;
use crate::state::{Phase, View};

#[function_component]
pub fn App() -> Html {
    let app = use_app_state();
    let lang = app.state.lang;
    match &app.state.phase {
        Phase::Loading => html! { <main><p class="muted">{ tr(lang, "app-opening") }</p></main> },
        Phase::NoStreet => html! { <Onboarding app={app.clone()} /> },
        Phase::AwaitingFirstSync => html! { <AwaitingSync app={app.clone()} /> },
        Phase::Ready(summary) => {
            let screen = match &app.state.view {
                View::Board => html! { <Board app={app.clone()} summary={(**summary).clone()} /> },
                View::Post(id) => html! { <PostDetailView app={app.clone()} id={id.clone()} /> },
                View::NewPost => html! { <PostEditor app={app.clone()} id={None::<String>} /> },
                View::EditPost(id) => {
                    html! { <PostEditor app={app.clone()} id={Some(id.clone())} /> }
                }
                View::Members => {
                    html! { <Members app={app.clone()} summary={(**summary).clone()} /> }
                }
                View::Member(id) => {
                    html! { <MemberDetailView app={app.clone()} id={id.clone()} facilitator={summary.is_facilitator()} /> }
                }
                View::Profile => html! { <Profile app={app.clone()} /> },
                View::Sync => html! { <SyncStatusView app={app.clone()} /> },
                View::Settings => html! { <Settings app={app.clone()} /> },
                View::Meetings => {
                    html! { <Meetings app={app.clone()} summary={(**summary).clone()} /> }
                }
                View::Meeting(id) => {
                    html! { <MeetingScreen app={app.clone()} summary={(**summary).clone()} id={id.clone()} /> }
                }
                View::Results => {
                    html! { <Results app={app.clone()} summary={(**summary).clone()} /> }
                }
                View::Services => html! { <Services app={app.clone()} /> },
                View::Service(id) => html! { <ServicePage app={app.clone()} id={id.clone()} /> },
                View::NewService => {
                    html! { <ServiceEditor app={app.clone()} id={None::<String>} /> }
                }
                View::EditService(id) => {
                    html! { <ServiceEditor app={app.clone()} id={Some(id.clone())} /> }
                }
            };
            html! {
                <div class="layout">
                    <Nav app={app.clone()} summary={(**summary).clone()} />
                    <main class="screen">{ screen }</main>
                </div>
            }
        }
        Phase::Failed(err) => html! {
            <main>
                <h1>{ tr(lang, "app-failed") }</h1>
                <p class="error">{ &err.message }</p>
            </main>
        },
    }
}
