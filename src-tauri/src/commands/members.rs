//! The members directory, one's own organisation, and invites.

use ivej_model::ipc::{InviteView, MemberDetail, MemberView};
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

/// A new member's invite (facilitator only), with this device's address so the new member
/// can reach it even where multicast is blocked.
#[tauri::command(async, rename_all = "snake_case")]
pub fn create_invite(shell: State<'_, Shell>) -> Result<InviteView, ApiError> {
    let node = shell.node()?;
    let keys = ivej_net::DeviceKeys::load_or_create(node).map_err(|e| ApiError {
        code: ErrorCode::Storage,
        message: e.to_string(),
        fields: Vec::new(),
    })?;
    let mut inviter_key = [0u8; 32];
    if keys.public.len() == 32 {
        inviter_key.copy_from_slice(&keys.public);
    }
    let invite = api(node.create_invite(inviter_key, false, None))?;
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
