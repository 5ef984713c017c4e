//! A form field's error, shown under it in the user's language.

use ivej_model::{ApiError, Lang};
use yew::prelude::*;

use crate::i18n::problem;
use crate::state::field_error;

/// The problem with `field` in `error`, if any, as a line under the field.
pub fn error_for(lang: Lang, error: Option<&ApiError>, field: &str) -> Html {
    match field_error(error, field) {
        Some(p) => {
            html! { <div class="field-error" data-field={field.to_string()}>{ problem(lang, p) }</div> }
        }
        None => html! {},
    }
}

/// An error that names no field (the node could not save, say), above the buttons.
pub fn general_error(lang: Lang, error: Option<&ApiError>) -> Html {
    match error {
        Some(e) if e.fields.is_empty() => html! {
            <div class="error" role="alert">{ crate::i18n::error_text(lang, e) }</div>
        },
        Some(_) => {
            html! { <div class="error" role="alert">{ crate::i18n::tr(lang, "form-has-problems") }</div> }
        }
        None => html! {},
    }
}
