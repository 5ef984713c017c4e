use ivej_model::StreetSummary;
use yew::prelude::*;

use crate::components::onboarding::Onboarding;
use crate::components::street_home::StreetHome;
use crate::hooks::use_app_state::use_app_state;
use crate::i18n::tr;
use crate::state::Phase;

#[function_component]
pub fn App() -> Html {
    let app = use_app_state();
    let lang = app.state.lang;
    match &app.state.phase {
        Phase::Loading => html! { <main><p class="muted">{ tr(lang, "app-opening") }</p></main> },
        Phase::NoStreet => html! { <Onboarding app={app.clone()} /> },
        Phase::Ready(summary) => {
            html! { <StreetHome summary={StreetSummary::clone(summary)} {lang} /> }
        }
        Phase::Failed(err) => html! {
            <main>
                <h1>{ tr(lang, "app-failed") }</h1>
                <p class="error">{ &err.message }</p>
            </main>
        },
    }
}
