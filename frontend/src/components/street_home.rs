use ivej_model::{Lang, StreetSummary};
use yew::prelude::*;

use crate::i18n::tr;

#[derive(Properties, PartialEq)]
pub struct StreetHomeProps {
    pub summary: StreetSummary,
    pub lang: Lang,
}

/// The street at a glance (the board and the rest come with the desktop UI).
#[function_component]
pub fn StreetHome(props: &StreetHomeProps) -> Html {
    let s = &props.summary;
    let lang = props.lang;
    html! {
        <>
            <header class="street">
                <h1 id="street-name">{ &s.street.name }</h1>
                if let Some(org) = &s.own_org {
                    <span class="who">{ &org.name }</span>
                }
            </header>
            <main>
                <div class="figures">
                    <div class="figure"><strong id="members">{ s.members }</strong>{ tr(lang, "home-members") }</div>
                    <div class="figure"><strong id="active-posts">{ s.active_posts }</strong>{ tr(lang, "home-active-posts") }</div>
                    <div class="figure"><strong id="meetings">{ s.meetings }</strong>{ tr(lang, "home-meetings") }</div>
                </div>
                if let Some(challenge) = &s.street.current_challenge {
                    <div class="challenge"><strong>{ tr(lang, "home-challenge") }{ " " }</strong>{ challenge }</div>
                }
            </main>
        </>
    }
}
