use ivej_model::StreetSummary;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StreetHomeProps {
    pub summary: StreetSummary,
}

/// The street at a glance (the board and the rest come with the desktop UI).
#[function_component]
pub fn StreetHome(props: &StreetHomeProps) -> Html {
    let s = &props.summary;
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
                    <div class="figure"><strong id="members">{ s.members }</strong>{ "members" }</div>
                    <div class="figure"><strong id="active-posts">{ s.active_posts }</strong>{ "open offers and needs" }</div>
                    <div class="figure"><strong id="meetings">{ s.meetings }</strong>{ "meetings" }</div>
                </div>
                if let Some(challenge) = &s.street.current_challenge {
                    <div class="challenge"><strong>{ "Next challenge: " }</strong>{ challenge }</div>
                }
            </main>
        </>
    }
}
