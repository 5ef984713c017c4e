use std::cell::Cell;
use std::rc::Rc;

use ivej_model::ApiError;
use serde::Serialize;
use yew::prelude::*;

use crate::dom::value_of;
use crate::ipc;

/// A form kept as a draft: a moment after each change its content is saved under `key` in
/// the company's private document, and editing a field takes that field's error away.
#[derive(Clone)]
pub struct DraftForm<F: 'static> {
    pub form: UseStateHandle<F>,
    pub error: UseStateHandle<Option<ApiError>>,
    key: Rc<String>,
    generation: Rc<Cell<u64>>,
    to_draft: fn(&F) -> String,
}

#[derive(Serialize)]
struct SaveDraftArgs {
    key: String,
    content: String,
}

#[derive(Serialize)]
struct KeyArgs {
    key: String,
}

impl<F: Clone + 'static> DraftForm<F> {
    /// Changes the form (and forgets the error of `field`), then keeps it as a draft once
    /// typing has paused for 400 ms.
    pub fn update(&self, field: Option<&str>, change: impl FnOnce(&mut F)) {
        if let Some(field) = field {
            self.forget(field);
        }
        let mut next = (*self.form).clone();
        change(&mut next);
        self.form.set(next.clone());
        let mine = self.generation.get() + 1;
        self.generation.set(mine);
        let generation = self.generation.clone();
        let key = (*self.key).clone();
        let to_draft = self.to_draft;
        wasm_bindgen_futures::spawn_local(async move {
            ipc::sleep(400).await;
            if generation.get() != mine {
                return;
            }
            let content = to_draft(&next);
            let _ = ipc::call::<_, ()>("save_draft", &SaveDraftArgs { key, content }).await;
        });
    }

    /// The errors of the last save, without those of `field` (and its sub-fields).
    pub fn forget(&self, field: &str) {
        if let Some(mut e) = (*self.error).clone() {
            let before = e.fields.len();
            e.fields.retain(|f| !f.field.starts_with(field));
            if e.fields.len() != before {
                self.error.set((!e.fields.is_empty()).then_some(e));
            }
        }
    }

    /// An input or text area bound to the form.
    pub fn text(&self, field: &'static str, set: fn(&mut F, String)) -> Callback<InputEvent> {
        let this = self.clone();
        Callback::from(move |e: InputEvent| {
            let v = value_of(&e);
            this.update(Some(field), |f| set(f, v));
        })
    }

    /// A select, date or checkbox bound to the form.
    pub fn choice(&self, field: &'static str, set: fn(&mut F, String)) -> Callback<Event> {
        let this = self.clone();
        Callback::from(move |e: Event| {
            let v = value_of(&e);
            this.update(Some(field), |f| set(f, v));
        })
    }

    /// The form was saved or thrown away: no pending autosave may bring the draft back, and
    /// the stored draft goes.
    pub async fn discard_draft(&self) {
        self.generation.set(self.generation.get() + 1);
        let key = (*self.key).clone();
        let _ = ipc::call::<_, ()>("discard_draft", &KeyArgs { key }).await;
    }

    /// The draft kept under this form's key, if any.
    pub async fn stored_draft(&self) -> Option<String> {
        let key = (*self.key).clone();
        ipc::call::<_, Option<String>>("draft", &KeyArgs { key })
            .await
            .ok()
            .flatten()
    }
}

#[hook]
pub fn use_draft_form<F: Default + Clone + 'static>(
    key: String,
    to_draft: fn(&F) -> String,
) -> DraftForm<F> {
    let form = use_state(F::default);
    let error = use_state(|| None::<ApiError>);
    let generation = use_mut_ref(|| Rc::new(Cell::new(0u64)));
    let generation = generation.borrow().clone();
    DraftForm {
        form,
        error,
        key: Rc::new(key),
        generation,
        to_draft,
    }
}
