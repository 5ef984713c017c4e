//! The facilitator's meetings: series, the meeting screen, minutes, actions, captures, and
//! the calendar.

use ivej_model::ipc::{MeetingRow, MeetingView};
use ivej_model::{
    ActionItem, ApiError, Collaboration, CollaborationInput, Date, Decision, ErrorCode, Meeting,
    MeetingState, Post, PostInput, SeriesInput,
};
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn meeting_list(shell: State<'_, Shell>) -> Result<Vec<MeetingRow>, ApiError> {
    api(shell.node()?.meeting_rows())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn plan_series(shell: State<'_, Shell>, input: SeriesInput) -> Result<Vec<Meeting>, ApiError> {
    api(shell.node()?.plan_series(input)).map(|(_, meetings)| meetings)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn meeting_view(shell: State<'_, Shell>, id: String) -> Result<MeetingView, ApiError> {
    api(shell.node()?.meeting_view(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_meeting_state(
    shell: State<'_, Shell>,
    id: String,
    state: MeetingState,
) -> Result<Meeting, ApiError> {
    api(shell.node()?.set_meeting_state(&id, state))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_meeting_host(
    shell: State<'_, Shell>,
    id: String,
    org_id: String,
) -> Result<Meeting, ApiError> {
    api(shell.node()?.set_meeting_host(&id, &org_id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_agenda_minutes(
    shell: State<'_, Shell>,
    meeting_id: String,
    item_id: String,
    minutes: u32,
) -> Result<Meeting, ApiError> {
    api(shell
        .node()?
        .set_agenda_item(&meeting_id, &item_id, None, Some(minutes)))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_challenge(
    shell: State<'_, Shell>,
    meeting_id: String,
    text: String,
) -> Result<Meeting, ApiError> {
    api(shell.node()?.set_challenge(&meeting_id, &text))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn record_attendance(
    shell: State<'_, Shell>,
    meeting_id: String,
    org_id: String,
    present: bool,
) -> Result<Meeting, ApiError> {
    api(shell
        .node()?
        .record_attendance(&meeting_id, &org_id, present, 1))
}

/// The minutes as typed here (`text`), from the minutes as this screen last had them
/// (`base`); what others typed since is kept. Answers with the minutes as they are now.
#[tauri::command(async, rename_all = "snake_case")]
pub fn edit_minutes(
    shell: State<'_, Shell>,
    meeting_id: String,
    base: String,
    text: String,
) -> Result<String, ApiError> {
    api(shell.node()?.edit_minutes(&meeting_id, &base, &text)).map(|v| v.text)
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn set_minutes_in_confidence(
    shell: State<'_, Shell>,
    meeting_id: String,
    flag: bool,
) -> Result<(), ApiError> {
    api(shell.node()?.set_minutes_in_confidence(&meeting_id, flag)).map(|_| ())
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn add_decision(
    shell: State<'_, Shell>,
    meeting_id: String,
    text: String,
) -> Result<Decision, ApiError> {
    api(shell.node()?.add_decision(&meeting_id, &text))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn add_action(
    shell: State<'_, Shell>,
    meeting_id: String,
    text: String,
    owner: Option<String>,
    due: Option<Date>,
) -> Result<ActionItem, ApiError> {
    let owner = owner.filter(|o| !o.is_empty());
    api(shell
        .node()?
        .add_action(&meeting_id, &text, owner.as_deref(), due))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn complete_action(shell: State<'_, Shell>, id: String) -> Result<ActionItem, ApiError> {
    api(shell.node()?.complete_action(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn capture_post(
    shell: State<'_, Shell>,
    meeting_id: String,
    input: PostInput,
) -> Result<Post, ApiError> {
    api(shell.node()?.capture_post(&meeting_id, input))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn capture_introduction(
    shell: State<'_, Shell>,
    meeting_id: String,
    a: String,
    b: String,
    note: String,
) -> Result<ActionItem, ApiError> {
    api(shell
        .node()?
        .capture_introduction(&meeting_id, &a, &b, &note))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn capture_collaboration(
    shell: State<'_, Shell>,
    meeting_id: String,
    input: CollaborationInput,
) -> Result<Collaboration, ApiError> {
    api(shell.node()?.capture_collaboration(&meeting_id, input))
}

/// Writes the meetings to come as an iCalendar file in the user's downloads (or home)
/// folder and answers with its path.
#[tauri::command(async, rename_all = "snake_case")]
pub fn export_calendar(shell: State<'_, Shell>) -> Result<String, ApiError> {
    let ics = api(shell.node()?.meetings_ics())?;
    let dir = dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join("industrivej-meetings.ics");
    std::fs::write(&path, ics).map_err(|e| ApiError {
        code: ErrorCode::Storage,
        message: format!("cannot write {}: {e}", path.display()),
        fields: Vec::new(),
    })?;
    Ok(path.display().to_string())
}
