use ivej_model::ipc::{DeviceRole, DeviceView};
use serde::Serialize;
use yew::prelude::*;

use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::ipc::{self, NoArgs};

#[derive(Properties, PartialEq)]
pub struct DevicesProps {
    pub app: AppHandle,
    /// Whether this device may revoke others (a facilitator's).
    pub facilitator: bool,
}

#[derive(Serialize)]
struct RevokeArgs {
    device_id: String,
}

/// A role as people read it.
pub fn role_name(lang: ivej_model::Lang, role: DeviceRole) -> String {
    tr(
        lang,
        match role {
            DeviceRole::Facilitator => "role-facilitator",
            DeviceRole::Member => "role-member",
            DeviceRole::Observer => "role-observer",
        },
    )
}

/// The devices in the street, by organisation, with each one's role: everyone sees who
/// facilitates and who only observes. The facilitator revokes a device here (a lost
/// laptop), after a plain warning that what it received cannot be recalled.
#[function_component]
pub fn Devices(props: &DevicesProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let devices = use_query::<_, Vec<DeviceView>, _>("devices", NoArgs {}, state.revision);
    let confirming = use_state(|| None::<String>);
    let error = use_state(|| None::<ivej_model::ApiError>);
    let list = match &*devices {
        Loaded::Pending => return html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => return html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(list) => list.clone(),
    };
    let today = ivej_model::Date::from_unix_ms(js_sys::Date::now() as i64);
    html! {
        <div class="devices">
            <h2>{ tr(lang, "devices-title") }</h2>
            <table class="device-list" id="device-list">
                <thead><tr>
                    <th>{ tr(lang, "devices-org") }</th><th>{ tr(lang, "devices-role") }</th>
                    <th>{ tr(lang, "devices-name") }</th><th>{ tr(lang, "devices-enrolled") }</th><th></th>
                </tr></thead>
                <tbody>
                { for list.iter().map(|d| {
                    let id = d.device_id.clone();
                    let ask = {
                        let confirming = confirming.clone();
                        let id = id.clone();
                        Callback::from(move |_: MouseEvent| confirming.set(Some(id.clone())))
                    };
                    let enrolled = ivej_model::Date::from_unix_ms(d.enrolled_at);
                    html! {
                        <tr class={classes!("device-row", d.revoked.is_some().then_some("revoked"))} data-id={id.clone()}>
                            <td><strong>{ d.org_name.clone().unwrap_or_else(|| tr(lang, "sync-unknown-org")) }</strong>
                                if d.this_device { <span class="muted">{ format!(" ({})", tr(lang, "devices-this")) }</span> }</td>
                            <td class={classes!("role", format!("role-{}", d.role.name()))}>{ role_name(lang, d.role) }</td>
                            <td class="muted">{ if d.label.is_empty() { id.chars().take(12).collect::<String>() } else { d.label.clone() } }</td>
                            <td>{ if enrolled > today { String::new() } else { format::date(lang, enrolled) } }</td>
                            <td>{
                                if d.revoked.is_some() {
                                    html! { <span class="error revoked-mark">{ tr(lang, "devices-revoked") }</span> }
                                } else if props.facilitator && !d.this_device {
                                    html! { <button class="secondary revoke" onclick={ask}>{ tr(lang, "devices-revoke") }</button> }
                                } else { html! {} }
                            }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            if let Some(id) = (*confirming).clone() {
                <div class="panel warning" id="revoke-confirm">
                    <p>{ tr(lang, "devices-revoke-confirm") }</p>
                    <button class="danger" id="revoke-yes" onclick={{
                        let (confirming, error) = (confirming.clone(), error.clone());
                        Callback::from(move |_: MouseEvent| {
                            let (confirming, error, id) = (confirming.clone(), error.clone(), id.clone());
                            wasm_bindgen_futures::spawn_local(async move {
                                match ipc::call::<_, ()>("revoke_device", &RevokeArgs { device_id: id }).await {
                                    Ok(()) => { error.set(None); confirming.set(None); }
                                    Err(e) => error.set(Some(e)),
                                }
                            });
                        })
                    }}>{ tr(lang, "devices-revoke-yes") }</button>
                    <button class="secondary" onclick={{
                        let confirming = confirming.clone();
                        Callback::from(move |_: MouseEvent| confirming.set(None))
                    }}>{ tr(lang, "cancel") }</button>
                    if let Some(e) = &*error { <p class="error">{ error_text(lang, e) }</p> }
                </div>
            }
        </div>
    }
}
