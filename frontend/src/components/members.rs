use ivej_model::ipc::{InviteView, MemberView};
use ivej_model::{reference, OrgProfile, StreetSummary};
use serde::Serialize;
use yew::prelude::*;

use crate::components::csv_import::CsvImport;
use crate::components::devices::Devices;
use crate::dom::value_of;
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr, tr_args};
use crate::ipc::{self, NoArgs};
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct MembersProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
}

#[derive(Serialize, Clone, PartialEq)]
struct TextArgs {
    text: Option<String>,
}

/// The industry of an organisation by name, in the user's language.
pub fn industry_name(lang: ivej_model::Lang, codes: &[String]) -> String {
    codes
        .first()
        .and_then(|c| reference::industry(reference::division_of(c).unwrap_or(c)))
        .map(|i| i.labels.get(lang).to_string())
        .unwrap_or_default()
}

/// The members directory: industry and distance, each opening to its CV and posts, and
/// the devices in the street with their roles. The facilitator invites new members and
/// revokes devices from here.
#[function_component]
pub fn Members(props: &MembersProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let text = use_state(String::new);
    let invite = use_state(|| None::<Result<InviteView, ivej_model::ApiError>>);
    let args = TextArgs {
        text: Some(text.trim().to_string()).filter(|t| !t.is_empty()),
    };
    let members =
        use_query::<_, Vec<MemberView>, _>("members", args.clone(), (args, state.revision));
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| text.set(value_of(&e)))
    };
    let facilitator = props.summary.is_facilitator();
    let make_invite = {
        let invite = invite.clone();
        Callback::from(move |_: MouseEvent| {
            let invite = invite.clone();
            wasm_bindgen_futures::spawn_local(async move {
                invite.set(Some(
                    ipc::call::<_, InviteView>("create_invite", &NoArgs {}).await,
                ));
            });
        })
    };
    html! {
        <section class="members">
            <div class="heading-row">
                <h1>{ tr(lang, "members-title") }</h1>
                if facilitator {
                    <button id="invite-member" class="secondary" onclick={make_invite}>{ tr(lang, "members-invite") }</button>
                }
            </div>
            { match &*invite {
                Some(Ok(v)) => html! {
                    <div class="panel invite" id="invite-panel">
                        <p>{ tr(lang, "members-invite-text") }</p>
                        <code id="invite-code" class="invite-code">{ &v.code }</code>
                        <div class="qr">{ Html::from_html_unchecked(AttrValue::from(v.qr_svg.clone())) }</div>
                    </div>
                },
                Some(Err(e)) => html! { <p class="error">{ error_text(lang, e) }</p> },
                None => html! {},
            } }
            if facilitator {
                <CsvImport<OrgProfile>
                    {lang}
                    input_id="members-import"
                    label={tr(lang, "members-import")}
                    preview="preview_member_import"
                    import="import_members"
                    fields="import-member"
                    row={Callback::from(|p: OrgProfile| p.name)}
                />
            }
            <input id="member-search" type="search" value={(*text).clone()} {oninput} placeholder={tr(lang, "members-search")} />
            { match &*members {
                Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
                Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
                Loaded::Ready(list) => html! {
                    <table class="member-list">
                        <thead><tr>
                            <th>{ tr(lang, "members-name") }</th><th>{ tr(lang, "members-industry") }</th>
                            <th>{ tr(lang, "members-distance") }</th><th>{ tr(lang, "members-open-posts") }</th>
                        </tr></thead>
                        <tbody>
                        { for list.iter().map(|m| {
                            let app = props.app.clone();
                            let id = m.org.id.clone();
                            let onclick = Callback::from(move |_: MouseEvent| app.navigate(View::Member(id.clone())));
                            html! {
                                <tr class="member-row" data-id={m.org.id.clone()} {onclick}>
                                    <td><strong>{ &m.org.name }</strong>
                                        if m.own { <span class="muted">{ format!(" ({})", tr(lang, "members-you")) }</span> }
                                        if !m.org.municipality.is_empty() { <div class="muted">{ &m.org.municipality }</div> }</td>
                                    <td>{ industry_name(lang, &m.org.industries) }</td>
                                    <td>{ m.distance_km.map(|km| format::distance(lang, km)).unwrap_or_default() }</td>
                                    <td>{ tr_args(lang, "members-posts-count", &[("n", (m.open_posts as f64).into())]) }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                },
            } }
            <Devices app={props.app.clone()} {facilitator} />
        </section>
    }
}
