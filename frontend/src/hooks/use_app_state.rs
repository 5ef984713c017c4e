use ivej_model::StreetSummary;
use yew::prelude::*;

use crate::ipc::{self, NoArgs};
use crate::state::{AppAction, AppState};

/// The app's state and the actions that talk to the node.
#[derive(Clone, PartialEq)]
pub struct AppHandle {
    pub state: UseReducerHandle<AppState>,
}

impl AppHandle {
    /// Runs a shell command that answers with the street's summary.
    pub fn act<A: serde::Serialize + 'static>(&self, cmd: &'static str, args: A) {
        let state = self.state.clone();
        state.dispatch(AppAction::Started);
        wasm_bindgen_futures::spawn_local(async move {
            match ipc::call::<A, StreetSummary>(cmd, &args).await {
                Ok(summary) => state.dispatch(AppAction::Loaded(Box::new(summary))),
                Err(err) => state.dispatch(AppAction::ActionFailed(err)),
            }
        });
    }
}

#[hook]
pub fn use_app_state() -> AppHandle {
    let state = use_reducer(|| AppState {
        lang: crate::i18n::system_language(),
        ..AppState::default()
    });
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<NoArgs, StreetSummary>("street_summary", &NoArgs {}).await {
                    Ok(summary) => state.dispatch(AppAction::Loaded(Box::new(summary))),
                    Err(err) => state.dispatch(AppAction::LoadFailed(err)),
                }
            });
        });
    }
    AppHandle { state }
}

impl std::fmt::Debug for AppHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHandle")
            .field("state", &*self.state)
            .finish()
    }
}
