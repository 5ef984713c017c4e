//! The members directory, one's own organisation, and invites.

use ivej_model::ipc::{DeviceView, InviteView, MemberDetail, MemberView};
use ivej_model::{ApiError, ErrorCode, OrgPatch, Organisation};
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn members(shell: State<'_, Shell>, text: Option<String>) -> Result<Vec<MemberView>, ApiError> {
    api(shell.node()?.members(text.as_deref()))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn member(shell: State<'_, Shell>, id: String) -> Result<MemberDetail, ApiError> {
    api(shell.node()?.member(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn own_organisation(shell: State<'_, Shell>) -> Result<Organisation, ApiError> {
    api(shell.node()?.own_organisation())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn update_own_organisation(
    shell: State<'_, Shell>,
    patch: OrgPatch,
) -> Result<Organisation, ApiError> {
    api(shell.node()?.update_own_organisation(patch))
}

/// The devices in the street, with their organisation and role.
#[tauri::command(async, rename_all = "snake_case")]
pub fn devices(shell: State<'_, Shell>) -> Result<Vec<DeviceView>, ApiError> {
    api(shell.node()?.devices())
}

/// Revokes a device (facilitator only). What it already received cannot be recalled.
#[tauri::command(async, rename_all = "snake_case")]
pub fn revoke_device(shell: State<'_, Shell>, device_id: String) -> Result<(), ApiError> {
    api(shell.node()?.revoke_device(&device_id))
}

/// Removes an organisation from the street and revokes all its devices (facilitator only).
#[tauri::command(async, rename_all = "snake_case")]
pub fn remove_member(shell: State<'_, Shell>, org_id: String) -> Result<Organisation, ApiError> {
    api(shell.node()?.remove_member(&org_id))
}

/// A new member's invite (facilitator only), with this device's LAN address when it has
/// one, so the new member can reach it even where multicast is blocked.
#[tauri::command(async, rename_all = "snake_case")]
pub fn create_invite(shell: State<'_, Shell>) -> Result<InviteView, ApiError> {
    let node = shell.node()?;
    let address = invite_address(lan_ip(), shell.listening_on().as_deref());
    let invite = api(node.create_invite(ivej_node::InviteRequest {
        address,
        ..Default::default()
    }))?;
    let code = invite.to_code();
    let qr_svg = qrcode::QrCode::new(code.as_bytes())
        .map(|qr| {
            qr.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build()
        })
        .map_err(|e| ApiError {
            code: ErrorCode::Internal,
            message: format!("the invite does not fit in a QR code: {e}"),
            fields: Vec::new(),
        })?;
    Ok(InviteView { code, qr_svg })
}

/// This machine's address on the LAN: the one it would use to reach the wider network. A
/// UDP "connect" only picks a route; nothing is sent.
fn lan_ip() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// `ip:port` for an invite, so the new member can dial this device where multicast is
/// blocked; nothing when there is no usable address or the network side is not running.
fn invite_address(ip: Option<std::net::IpAddr>, listening: Option<&str>) -> Option<String> {
    let ip = ip.filter(|ip| !ip.is_loopback() && !ip.is_unspecified())?;
    let port = listening?.rsplit(':').next()?.parse::<u16>().ok()?;
    Some(std::net::SocketAddr::new(ip, port).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_carries_a_lan_address_only_when_there_is_one() {
        let lan: std::net::IpAddr = "192.168.1.20".parse().unwrap();
        assert_eq!(
            invite_address(Some(lan), Some("0.0.0.0:7117")).as_deref(),
            Some("192.168.1.20:7117")
        );
        assert_eq!(invite_address(Some(lan), None), None, "not serving");
        let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(invite_address(Some(loopback), Some("0.0.0.0:7117")), None);
        assert_eq!(invite_address(None, Some("0.0.0.0:7117")), None);
    }
}

/// What a member list (CSV) would add, or every problem with its line; stores nothing.
#[tauri::command(async, rename_all = "snake_case")]
pub fn preview_member_import(
    shell: State<'_, Shell>,
    bytes: Vec<u8>,
) -> Result<Vec<ivej_model::OrgProfile>, ApiError> {
    api(shell.node()?.preview_member_import(&bytes))
}

/// Adds every member of a list, or none (the facilitator's).
#[tauri::command(async, rename_all = "snake_case")]
pub fn import_members(
    shell: State<'_, Shell>,
    bytes: Vec<u8>,
) -> Result<ivej_model::Imported, ApiError> {
    api(shell.node()?.import_members(&bytes))
}
