use yew::prelude::*;

use crate::components::sync_status::SyncStatusView;
use crate::hooks::use_app_state::AppHandle;
use crate::i18n::tr;

#[derive(Properties, PartialEq)]
pub struct AwaitingSyncProps {
    pub app: AppHandle,
}

/// Joined, but no member's device reached yet: what to do, and the sync screen to do it
/// with. The app moves on by itself once the street's records arrive.
#[function_component]
pub fn AwaitingSync(props: &AwaitingSyncProps) -> Html {
    let lang = props.app.state.lang;
    html! {
        <main>
            <h1 id="awaiting-sync">{ tr(lang, "awaiting-title") }</h1>
            <p>{ tr(lang, "awaiting-text") }</p>
            <SyncStatusView app={props.app.clone()} />
        </main>
    }
}
