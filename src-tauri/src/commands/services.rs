//! The service directory: list and find, one service, list or edit one, and a regional
//! directory imported from a CSV file (checked first, then stored whole or not at all).

use ivej_model::{ApiError, Imported, Service, ServiceFilter, ServiceInput, ServiceView};
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn services(
    shell: State<'_, Shell>,
    filter: ServiceFilter,
) -> Result<Vec<ServiceView>, ApiError> {
    api(shell.node()?.services(&filter))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn service(shell: State<'_, Shell>, id: String) -> Result<ServiceView, ApiError> {
    api(shell.node()?.service(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn add_service(shell: State<'_, Shell>, input: ServiceInput) -> Result<Service, ApiError> {
    api(shell.node()?.add_service(input))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn edit_service(
    shell: State<'_, Shell>,
    id: String,
    input: ServiceInput,
) -> Result<Service, ApiError> {
    api(shell.node()?.edit_service(&id, input))
}

/// What a CSV file would import, or every problem with its line; stores nothing.
#[tauri::command(async, rename_all = "snake_case")]
pub fn preview_service_import(
    shell: State<'_, Shell>,
    bytes: Vec<u8>,
) -> Result<Vec<ServiceInput>, ApiError> {
    api(shell.node()?.preview_service_import(&bytes))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn import_services(shell: State<'_, Shell>, bytes: Vec<u8>) -> Result<Imported, ApiError> {
    api(shell.node()?.import_services(&bytes, None))
}
