//! The user's preferences on this device.

use ivej_model::ipc::UiSettings;
use ivej_model::{ApiError, Lang};
use tauri::State;

use super::api;
use crate::shell::Shell;

const LANGUAGE: &str = "ui.language";

#[tauri::command(async, rename_all = "snake_case")]
pub fn ui_settings(shell: State<'_, Shell>) -> Result<UiSettings, ApiError> {
    let node = shell.node()?;
    let language = api(node.local_setting(LANGUAGE))?
        .and_then(|code| Lang::ALL.into_iter().find(|l| l.code() == code));
    Ok(UiSettings { language })
}

/// `None` follows the system's language again.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_language(shell: State<'_, Shell>, language: Option<Lang>) -> Result<(), ApiError> {
    let code = language.map(Lang::code).unwrap_or("system");
    api(shell.node()?.set_local_setting(LANGUAGE, code))
}
