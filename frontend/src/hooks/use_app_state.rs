use ivej_model::ipc::UiSettings;
use ivej_model::{NodeEvent, StreetSummary};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::i18n::{system_language, tr, tr_args};
use crate::ipc::{self, NoArgs};
use crate::state::{AppAction, AppState, View};

/// The app's state and the actions that talk to the node.
#[derive(Clone, PartialEq)]
pub struct AppHandle {
    pub state: UseReducerHandle<AppState>,
}

/// Sent by the shell when another organisation shows interest in one of ours.
#[derive(Debug, Clone, Deserialize)]
struct InterestReceived {
    post_title: String,
    from: Option<String>,
}

impl AppHandle {
    /// Runs a shell command that answers with the street's summary.
    pub fn act<A: Serialize + 'static>(&self, cmd: &'static str, args: A) {
        let state = self.state.clone();
        state.dispatch(AppAction::Started);
        wasm_bindgen_futures::spawn_local(async move {
            match ipc::call::<A, StreetSummary>(cmd, &args).await {
                Ok(summary) => state.dispatch(AppAction::Loaded(Box::new(summary))),
                Err(err) => state.dispatch(AppAction::ActionFailed(err)),
            }
        });
    }

    pub fn navigate(&self, view: View) {
        self.state.dispatch(AppAction::Navigate(view));
    }

    /// Asks for the summary again (after the profile or a post changed).
    pub fn reload(&self) {
        let state = self.state.clone();
        wasm_bindgen_futures::spawn_local(async move {
            match ipc::call::<NoArgs, StreetSummary>("street_summary", &NoArgs {}).await {
                Ok(summary) => state.dispatch(AppAction::Loaded(Box::new(summary))),
                Err(err) => state.dispatch(AppAction::LoadFailed(err)),
            }
        });
    }
}

/// Keyboard shortcuts: Ctrl+N a new post, Ctrl+F or `/` the search box.
fn shortcut(state: &UseReducerHandle<AppState>, now: &AppState, e: &web_sys::KeyboardEvent) {
    if !matches!(now.phase, crate::state::Phase::Ready(_)) {
        return;
    }
    let typing = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    let ctrl = e.ctrl_key() || e.meta_key();
    match e.key().as_str() {
        "n" | "N" if ctrl => {
            e.prevent_default();
            state.dispatch(AppAction::Navigate(View::NewPost));
        }
        "f" | "F" if ctrl => {
            e.prevent_default();
            state.dispatch(AppAction::FocusSearch);
        }
        "/" if !typing && !ctrl => {
            e.prevent_default();
            state.dispatch(AppAction::FocusSearch);
        }
        _ => {}
    }
}

#[hook]
pub fn use_app_state() -> AppHandle {
    let state = use_reducer(|| AppState {
        lang: system_language(),
        ..AppState::default()
    });
    // Long-lived listeners read the state as it is now, not as it was when they started.
    let current = use_mut_ref(AppState::default);
    *current.borrow_mut() = (*state).clone();
    {
        let state = state.clone();
        let current = current.clone();
        use_effect_with((), move |_| {
            let handle = AppHandle {
                state: state.clone(),
            };
            {
                let state = state.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(settings) =
                        ipc::call::<NoArgs, UiSettings>("ui_settings", &NoArgs {}).await
                    {
                        state
                            .dispatch(AppAction::SetLanguage(settings.language, system_language()));
                    }
                });
            }
            handle.reload();
            {
                // Events come in bursts (a first sync brings thousands): one reload per
                // quarter second at most.
                let state = state.clone();
                let pending = std::rc::Rc::new(std::cell::Cell::new(false));
                ipc::listen::<NodeEvent>("node-event", move |event| {
                    // Drafts are saved while typing; they change nothing shown elsewhere.
                    if event == NodeEvent::PrivateChanged || pending.replace(true) {
                        return;
                    }
                    let state = state.clone();
                    let pending = pending.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        ipc::sleep(250).await;
                        pending.set(false);
                        AppHandle {
                            state: state.clone(),
                        }
                        .reload();
                        state.dispatch(AppAction::NodeChanged);
                    });
                });
            }
            {
                let current = current.clone();
                ipc::listen::<InterestReceived>("interest-received", move |r| {
                    let lang = current.borrow().lang;
                    let from = r.from.unwrap_or_else(|| tr(lang, "interest-someone"));
                    ipc::notify(
                        tr(lang, "notify-interest-title"),
                        tr_args(
                            lang,
                            "notify-interest-body",
                            &[("org", from.into()), ("post", r.post_title.into())],
                        ),
                    );
                });
            }
            {
                let current = current.clone();
                ipc::listen::<ivej_model::matching::SuggestionNotice>(
                    "suggestion-received",
                    move |n| {
                        let lang = current.borrow().lang;
                        ipc::notify(
                            tr(lang, "notify-suggestion-title"),
                            tr_args(
                                lang,
                                "notify-suggestion-body",
                                &[
                                    ("suggested", n.suggestion.title.into()),
                                    ("post", n.post_title.into()),
                                ],
                            ),
                        );
                    },
                );
            }
            let keydown = Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new({
                let state = state.clone();
                let current = current.clone();
                move |e: web_sys::KeyboardEvent| shortcut(&state, &current.borrow(), &e)
            });
            if let Some(window) = web_sys::window() {
                let _ = window
                    .add_event_listener_with_callback("keydown", keydown.as_ref().unchecked_ref());
            }
            keydown.forget();
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
