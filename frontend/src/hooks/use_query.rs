use std::rc::Rc;

use ivej_model::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yew::prelude::*;

use crate::ipc;

/// What a screen loaded: nothing yet, the answer, or the error.
#[derive(Debug, Clone, PartialEq)]
pub enum Loaded<T> {
    Pending,
    Ready(Rc<T>),
    Failed(ApiError),
}

impl<T> Loaded<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loaded::Ready(v) => Some(v),
            _ => None,
        }
    }
}

/// Asks the shell `cmd` with `args` whenever `deps` change (pass the app's revision in
/// `deps` to reload live). The last answer stays shown while a new one is on its way, so
/// live updates do not flicker.
#[hook]
pub fn use_query<A, R, D>(cmd: &'static str, args: A, deps: D) -> UseStateHandle<Loaded<R>>
where
    A: Serialize + 'static,
    R: DeserializeOwned + 'static,
    D: PartialEq + 'static,
{
    let state = use_state(|| Loaded::<R>::Pending);
    let latest = use_mut_ref(|| 0u64);
    {
        let state = state.clone();
        use_effect_with(deps, move |_| {
            let ticket = {
                let mut n = latest.borrow_mut();
                *n += 1;
                *n
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = ipc::call::<A, R>(cmd, &args).await;
                // An older request answering late must not overwrite a newer one.
                if *latest.borrow() != ticket {
                    return;
                }
                state.set(match answer {
                    Ok(v) => Loaded::Ready(Rc::new(v)),
                    Err(e) => Loaded::Failed(e),
                });
            });
        });
    }
    state
}
