use ivej_model::{reference, Lang};
use yew::prelude::*;

use crate::dom::value_of;

#[derive(Properties, PartialEq)]
pub struct KindPickerProps {
    pub id: AttrValue,
    pub lang: Lang,
    /// A taxonomy code, or empty.
    pub value: String,
    pub onchange: Callback<String>,
    /// The label of the empty choice ("any kind", "choose a kind").
    pub empty_label: String,
    /// Whether a group itself may be chosen (filters: yes; posts: only leaf kinds).
    #[prop_or(true)]
    pub groups_selectable: bool,
}

/// The shipped taxonomy of post kinds, by name in the user's language, grouped.
#[function_component]
pub fn KindPicker(props: &KindPickerProps) -> Html {
    let lang = props.lang;
    let kinds = reference::post_kinds();
    let onchange = {
        let cb = props.onchange.clone();
        Callback::from(move |e: Event| cb.emit(value_of(&e)))
    };
    let option = |code: &str, label: String| {
        html! { <option value={code.to_string()} selected={props.value == code}>{ label }</option> }
    };
    html! {
        <select id={props.id.clone()} {onchange}>
            { option("", props.empty_label.clone()) }
            { for kinds.iter().filter(|k| k.parent.is_none()).map(|root| {
                let children: Vec<_> = kinds.iter().filter(|k| k.parent.as_deref() == Some(root.code.as_str())).collect();
                if children.is_empty() {
                    option(&root.code, root.labels.get(lang).to_string())
                } else {
                    html! {
                        <optgroup label={root.labels.get(lang).to_string()}>
                            // A post is of one kind: a group is offered only to filter by it.
                            if props.groups_selectable {
                                { option(&root.code, format!("{} ({})", root.labels.get(lang), crate::i18n::tr(lang, "kind-all-of-group"))) }
                            }
                            { for children.iter().map(|k| option(&k.code, k.labels.get(lang).to_string())) }
                        </optgroup>
                    }
                }
            }) }
        </select>
    }
}
