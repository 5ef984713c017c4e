use ivej_model::reference::{self, NaceLevel};
use ivej_model::Lang;
use yew::prelude::*;

use crate::dom::value_of;

#[derive(Properties, PartialEq)]
pub struct IndustryPickerProps {
    pub id: AttrValue,
    pub lang: Lang,
    /// A NACE division code, or empty.
    pub value: String,
    pub onchange: Callback<String>,
}

/// An industry picked by name from the shipped NACE list: type part of a name to narrow
/// the list, then choose. Codes are shown beside names but never typed.
#[function_component]
pub fn IndustryPicker(props: &IndustryPickerProps) -> Html {
    let lang = props.lang;
    let search = use_state(String::new);
    let oninput = {
        let search = search.clone();
        Callback::from(move |e: InputEvent| search.set(value_of(&e)))
    };
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| cb.emit(value_of(&e)))
    };
    let text = search.trim();
    let divisions: Vec<&reference::Industry> = if text.is_empty() {
        reference::industries()
            .iter()
            .filter(|i| i.level == NaceLevel::Division)
            .collect()
    } else {
        reference::find_industries(text, lang)
            .into_iter()
            .filter(|i| i.level == NaceLevel::Division)
            .collect()
    };
    let current = reference::industry(&props.value);
    let shows_current = divisions.iter().any(|i| i.code == props.value);
    html! {
        <div class="industry-picker">
            <input id={format!("{}-search", props.id)} type="search" value={(*search).clone()} {oninput}
                placeholder={crate::i18n::tr(lang, "industry-search")} />
            <select id={props.id.clone()} {onchange} size="6">
                if let (Some(cur), false) = (current, shows_current) {
                    <option value={cur.code.clone()} selected=true>{ format!("{} · {}", cur.labels.get(lang), cur.code) }</option>
                }
                { for divisions.iter().map(|i| html! {
                    <option value={i.code.clone()} selected={i.code == props.value}>{ format!("{} · {}", i.labels.get(lang), i.code) }</option>
                }) }
            </select>
        </div>
    }
}
