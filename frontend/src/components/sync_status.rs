use ivej_model::ipc::{RefusalView, SyncStatus};
use ivej_model::ApiError;
use yew::prelude::*;

use crate::components::field::error_for;
use crate::dom::{checked, value_of};
use crate::format;
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr};
use crate::ipc::{self, NoArgs};

#[derive(Properties, PartialEq)]
pub struct SyncStatusProps {
    pub app: AppHandle,
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Peers, when each was last seen and synced, what is pending; "sync now"; LAN discovery.
#[function_component]
pub fn SyncStatusView(props: &SyncStatusProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    // Peers come and go without node events: look again every few seconds too.
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with(*tick, move |n| {
            let n = *n;
            let alive = std::rc::Rc::new(std::cell::Cell::new(true));
            let still = alive.clone();
            wasm_bindgen_futures::spawn_local(async move {
                ipc::sleep(3000).await;
                if still.get() {
                    tick.set(n.wrapping_add(1));
                }
            });
            move || alive.set(false)
        });
    }
    let status = use_query::<_, SyncStatus, _>("sync_status", NoArgs {}, (state.revision, *tick));
    let refusals = use_query::<_, Vec<RefusalView>, _>("refusals", NoArgs {}, state.revision);
    let address = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let relay_address = use_state(String::new);
    let relay_key = use_state(String::new);
    let relay_error = use_state(|| None::<ApiError>);
    let asked = use_state(|| false);

    let sync_now = {
        let asked = asked.clone();
        Callback::from(move |_: MouseEvent| {
            let asked = asked.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = ipc::call::<_, ()>("sync_now", &NoArgs {}).await;
                asked.set(true);
            });
        })
    };
    let toggle_lan = {
        let tick = tick.clone();
        Callback::from(move |e: Event| {
            let on = checked(&e);
            let tick = tick.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ =
                    ipc::call::<_, ()>("set_lan_discovery", &serde_json::json!({ "on": on })).await;
                tick.set(tick.wrapping_add(1));
            });
        })
    };
    let on_address = {
        let address = address.clone();
        Callback::from(move |e: InputEvent| address.set(value_of(&e)))
    };
    let add_peer = {
        let address = address.clone();
        let error = error.clone();
        let tick = tick.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (address, error, tick) = (address.clone(), error.clone(), tick.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match ipc::call::<_, ()>("add_peer", &serde_json::json!({ "address": *address }))
                    .await
                {
                    Ok(()) => {
                        address.set(String::new());
                        error.set(None);
                        tick.set(tick.wrapping_add(1));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_relay_address = {
        let relay_address = relay_address.clone();
        Callback::from(move |e: InputEvent| relay_address.set(value_of(&e)))
    };
    let on_relay_key = {
        let relay_key = relay_key.clone();
        Callback::from(move |e: InputEvent| relay_key.set(value_of(&e)))
    };
    let use_relay = {
        let (relay_address, relay_key, relay_error, tick) = (
            relay_address.clone(),
            relay_key.clone(),
            relay_error.clone(),
            tick.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (relay_address, relay_key, relay_error, tick) = (
                relay_address.clone(),
                relay_key.clone(),
                relay_error.clone(),
                tick.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let args = serde_json::json!({ "address": *relay_address, "key": *relay_key });
                match ipc::call::<_, ()>("set_relay", &args).await {
                    // What was typed stays on an error, to be corrected.
                    Ok(()) => {
                        relay_address.set(String::new());
                        relay_key.set(String::new());
                        relay_error.set(None);
                        tick.set(tick.wrapping_add(1));
                    }
                    Err(e) => relay_error.set(Some(e)),
                }
            });
        })
    };
    let s = match &*status {
        Loaded::Pending => return html! { <p class="muted">{ tr(lang, "loading") }</p> },
        Loaded::Failed(e) => return html! { <p class="error">{ error_text(lang, e) }</p> },
        Loaded::Ready(s) => s.clone(),
    };
    let now = now_ms();
    html! {
        <section class="sync-status">
            <h1>{ tr(lang, "sync-title") }</h1>
            <p class="muted" id="listening" data-address={s.listening_on.clone().unwrap_or_default()}>{
                match &s.listening_on {
                    Some(addr) => crate::i18n::tr_args(lang, "sync-listening", &[("port", addr.rsplit(':').next().unwrap_or_default().to_string().into())]),
                    None => tr(lang, "sync-offline"),
                }
            }</p>
            <div class="actions">
                <button id="sync-now" onclick={sync_now}>{ tr(lang, "sync-now") }</button>
                if *asked { <span class="muted" id="sync-asked">{ tr(lang, "sync-asked") }</span> }
            </div>
            <label class="inline">
                <input type="checkbox" id="lan-toggle" checked={s.lan_discovery && s.lan_allowed} disabled={!s.lan_allowed} onchange={toggle_lan} />
                { tr(lang, "sync-lan") }
            </label>
            if !s.lan_allowed { <p class="muted">{ tr(lang, "sync-lan-off-by-start") }</p> }
            <h2>{ tr(lang, "sync-peers") }</h2>
            if s.peers.is_empty() {
                <p class="muted" id="no-peers">{ tr(lang, "sync-no-peers") }</p>
            } else {
                <table class="peer-list">
                    <thead><tr><th>{ tr(lang, "sync-peer") }</th><th>{ tr(lang, "sync-state") }</th><th>{ tr(lang, "sync-last-seen") }</th><th>{ tr(lang, "sync-last-synced") }</th></tr></thead>
                    <tbody>
                    { for s.peers.iter().map(|p| {
                        let st = &p.status;
                        let state_text = if !st.connected && st.pending_out { tr(lang, "sync-state-offline-pending") }
                            else if !st.connected { tr(lang, "sync-state-offline") }
                            else if st.synced() { tr(lang, "sync-state-synced") }
                            else if st.pending_out { tr(lang, "sync-state-sending") }
                            else { tr(lang, "sync-state-receiving") };
                        html! {
                            <tr class="peer-row">
                                <td><strong>{ p.org_name.clone().unwrap_or_else(|| tr(lang, "sync-unknown-org")) }</strong>
                                    <div class="muted mono">{ st.device_id.chars().take(12).collect::<String>() }</div></td>
                                <td class={if st.synced() { "ok" } else { "" }}>{ state_text }
                                    <div class="muted via">{ tr(lang, match st.via {
                                        ivej_model::Via::Lan => "sync-via-lan",
                                        ivej_model::Via::Relay => "sync-via-relay",
                                    }) }</div></td>
                                <td>{ st.last_seen.map(|t| format::ago(lang, t, now)).unwrap_or_else(|| "–".into()) }</td>
                                <td>{ st.last_synced.map(|t| format::ago(lang, t, now)).unwrap_or_else(|| "–".into()) }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
            }
            <h2>{ tr(lang, "sync-relay") }</h2>
            <div id="relay" class="relay">
                <p class="muted">{ tr(lang, "sync-relay-explained") }</p>
                { match &s.relay.relay {
                    None => html! { <p id="relay-none">{ tr(lang, "sync-relay-none") }</p> },
                    Some(r) => {
                        let address = ("address", fluent_bundle::FluentValue::from(r.address.clone()));
                        html! {
                            <>
                            <p id="relay-state" class={ if s.relay.connected { "ok" } else { "" } }>{
                                crate::i18n::tr_args(lang, if s.relay.connected { "sync-relay-connected" } else { "sync-relay-not-connected" }, &[address])
                            }</p>
                            <p id="relay-mailbox">{
                                if s.relay.pending_out == 0 && s.relay.pending_in == 0 {
                                    tr(lang, "sync-mailbox-clear")
                                } else {
                                    crate::i18n::tr_args(lang, "sync-mailbox-pending", &[
                                        ("out", fluent_bundle::FluentValue::from(s.relay.pending_out as f64)),
                                        ("in", fluent_bundle::FluentValue::from(s.relay.pending_in as f64)),
                                    ])
                                }
                            }</p>
                            </>
                        }
                    }
                } }
                <h3>{ tr(lang, "sync-relay-other") }</h3>
                <form class="relay-form" onsubmit={use_relay}>
                    <label>{ tr(lang, "sync-relay-address") }
                        <input id="relay-address" value={(*relay_address).clone()} oninput={on_relay_address} placeholder="relay.example.dk:7118" />
                    </label>
                    { error_for(lang, relay_error.as_ref(), "relay_address") }
                    <label>{ tr(lang, "sync-relay-key") }
                        <input id="relay-key" class="mono" value={(*relay_key).clone()} oninput={on_relay_key} />
                    </label>
                    { error_for(lang, relay_error.as_ref(), "relay_key") }
                    <button id="use-relay" type="submit">{ tr(lang, "sync-relay-use") }</button>
                </form>
            </div>
            <h2>{ tr(lang, "sync-refused") }</h2>
            { match &*refusals {
                Loaded::Ready(list) if list.is_empty() => html! { <p class="muted" id="no-refused">{ tr(lang, "sync-no-refused") }</p> },
                Loaded::Ready(list) => html! {
                    <>
                    <p class="muted">{ tr(lang, "sync-refused-text") }</p>
                    <table class="refusal-list" id="refusal-list">
                        <thead><tr><th>{ tr(lang, "sync-refused-from") }</th><th>{ tr(lang, "sync-refused-why") }</th><th>{ tr(lang, "sync-refused-when") }</th></tr></thead>
                        <tbody>
                        { for list.iter().take(50).map(|r| html! {
                            <tr class="refusal-row">
                                <td><strong>{ r.org_name.clone().unwrap_or_else(|| tr(lang, "sync-unknown-org")) }</strong>
                                    <div class="muted mono">{ r.device_id.chars().take(12).collect::<String>() }</div></td>
                                <td>{ &r.reason }</td>
                                <td>{ format::ago(lang, r.at, now) }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                    </>
                },
                Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
                Loaded::Pending => html! {},
            } }
            <h2>{ tr(lang, "sync-by-address") }</h2>
            <form class="inline-form" onsubmit={add_peer}>
                <input id="peer-address" value={(*address).clone()} oninput={on_address} placeholder="192.168.1.20:7117" />
                <button id="add-peer" type="submit">{ tr(lang, "sync-add-peer") }</button>
            </form>
            { error_for(lang, error.as_ref(), "address") }
            if !s.peer_addresses.is_empty() {
                <ul class="addresses">{ for s.peer_addresses.iter().map(|a| html! { <li class="mono">{ a }</li> }) }</ul>
            }
        </section>
    }
}
