//! What the street achieves: the collaborations pipeline and the dashboard's report.

use ivej_model::report::Report;
use ivej_model::{ApiError, Collaboration, Stage};
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn collaborations(shell: State<'_, Shell>) -> Result<Vec<Collaboration>, ApiError> {
    api(shell.node()?.collaborations())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_collaboration_stage(
    shell: State<'_, Shell>,
    id: String,
    stage: Stage,
    note: String,
) -> Result<Collaboration, ApiError> {
    api(shell.node()?.set_collaboration_stage(&id, stage, &note))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn report(shell: State<'_, Shell>) -> Result<Report, ApiError> {
    api(shell.node()?.report())
}

/// Whom this organisation already knew when it joined.
#[tauri::command(async, rename_all = "snake_case")]
pub fn own_baseline(shell: State<'_, Shell>) -> Result<Vec<String>, ApiError> {
    api(shell.node()?.own_baseline())
}

/// Ticks (or unticks) one member as known before joining; one member at a time, so two
/// quick ticks never undo each other.
#[tauri::command(async, rename_all = "snake_case")]
pub fn set_knew_before(
    shell: State<'_, Shell>,
    org_id: String,
    knew: bool,
) -> Result<Vec<String>, ApiError> {
    api(shell.node()?.set_knew_before(&org_id, knew))
}
