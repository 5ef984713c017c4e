//! The sync status screen: peers, "sync now", LAN discovery on and off, peers by address,
//! the relay.

use ivej_model::ipc::{RefusalView, SyncStatus};
use ivej_model::ApiError;
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_status(shell: State<'_, Shell>) -> Result<SyncStatus, ApiError> {
    let node = shell.node()?;
    Ok(SyncStatus {
        peers: api(node.peer_views())?,
        lan_discovery: api(node.lan_discovery_enabled())?,
        lan_allowed: node.options().lan_discovery,
        listening_on: shell.listening_on(),
        peer_addresses: api(node.peer_addresses())?,
        relay: api(node.relay_status())?,
    })
}

/// Uses another relay (a street's own), or none with an empty address.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_relay(shell: State<'_, Shell>, address: String, key: String) -> Result<(), ApiError> {
    let node = shell.node()?;
    if address.trim().is_empty() && key.trim().is_empty() {
        return api(node.set_relay(None));
    }
    api(node.use_relay(&address, &key)).map(drop)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn sync_now(shell: State<'_, Shell>) -> Result<(), ApiError> {
    shell.node()?;
    shell.sync_now();
    Ok(())
}

/// Switches LAN discovery and restarts the network side with the new setting.
#[tauri::command(async, rename_all = "snake_case")]
pub async fn set_lan_discovery(shell: State<'_, Shell>, on: bool) -> Result<(), ApiError> {
    api(shell.node()?.set_lan_discovery(on))?;
    shell.stop_network().await;
    shell.start_network().await;
    Ok(())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn add_peer(shell: State<'_, Shell>, address: String) -> Result<(), ApiError> {
    shell.add_peer(&address)
}

/// Changes refused from peers, newest first, by the device that sent them.
#[tauri::command(async, rename_all = "snake_case")]
pub fn refusals(shell: State<'_, Shell>) -> Result<Vec<RefusalView>, ApiError> {
    api(shell.node()?.refusals())
}
