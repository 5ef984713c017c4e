//! The exchange board: posts, the editor's drafts, and interest.

use ivej_model::ipc::PostDetail;
use ivej_model::{ApiError, Interest, Post, PostFilter, PostInput, PostPatch, PostView};
use tauri::State;

use super::api;
use crate::shell::Shell;

#[tauri::command(async, rename_all = "snake_case")]
pub fn list_posts(shell: State<'_, Shell>, filter: PostFilter) -> Result<Vec<PostView>, ApiError> {
    api(shell.node()?.list_posts(&filter))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn post_detail(shell: State<'_, Shell>, id: String) -> Result<PostDetail, ApiError> {
    api(shell.node()?.post_detail(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn create_post(shell: State<'_, Shell>, input: PostInput) -> Result<Post, ApiError> {
    api(shell.node()?.create_post(input))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn edit_post(shell: State<'_, Shell>, id: String, patch: PostPatch) -> Result<Post, ApiError> {
    api(shell.node()?.edit_post(&id, patch))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn renew_post(shell: State<'_, Shell>, id: String) -> Result<Post, ApiError> {
    api(shell.node()?.renew_post(&id, None))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn close_post(shell: State<'_, Shell>, id: String) -> Result<Post, ApiError> {
    api(shell.node()?.close_post(&id))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn express_interest(
    shell: State<'_, Shell>,
    post_id: String,
    message: String,
) -> Result<Interest, ApiError> {
    api(shell.node()?.express_interest(&post_id, &message))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn answer_interest(
    shell: State<'_, Shell>,
    id: String,
    accept: bool,
    answer: String,
) -> Result<Interest, ApiError> {
    api(shell.node()?.answer_interest(&id, accept, &answer))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn draft(shell: State<'_, Shell>, key: String) -> Result<Option<String>, ApiError> {
    api(shell.node()?.draft(&key))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn save_draft(shell: State<'_, Shell>, key: String, content: String) -> Result<(), ApiError> {
    api(shell.node()?.save_draft(&key, &content))
}

#[tauri::command(async, rename_all = "snake_case")]
pub fn discard_draft(shell: State<'_, Shell>, key: String) -> Result<(), ApiError> {
    api(shell.node()?.discard_draft(&key))
}

/// Offers and services that may answer a need (or needs an offer may answer), with why.
#[tauri::command(async, rename_all = "snake_case")]
pub fn suggestions(
    shell: State<'_, Shell>,
    post_id: String,
    limit: usize,
) -> Result<Vec<ivej_model::matching::SuggestionView>, ApiError> {
    api(shell.node()?.suggestions(&post_id, limit))
}

/// Sets a suggestion aside for a post, on all of the company's devices.
#[tauri::command(async, rename_all = "snake_case")]
pub fn dismiss_suggestion(
    shell: State<'_, Shell>,
    post_id: String,
    suggested_id: String,
) -> Result<(), ApiError> {
    api(shell.node()?.dismiss_suggestion(&post_id, &suggested_id))
}

/// Suggests a dismissed suggestion again.
#[tauri::command(async, rename_all = "snake_case")]
pub fn restore_suggestion(
    shell: State<'_, Shell>,
    post_id: String,
    suggested_id: String,
) -> Result<(), ApiError> {
    api(shell.node()?.restore_suggestion(&post_id, &suggested_id))
}

/// What was dismissed for a post.
#[tauri::command(async, rename_all = "snake_case")]
pub fn dismissed_suggestions(
    shell: State<'_, Shell>,
    post_id: String,
) -> Result<Vec<ivej_model::matching::DismissedSuggestion>, ApiError> {
    api(shell.node()?.dismissed_suggestions(&post_id))
}

/// Whether suggestions read meaning across languages, and how far the model got.
#[tauri::command(async, rename_all = "snake_case")]
pub fn meaning_status(shell: State<'_, Shell>) -> Result<ivej_model::ipc::MeaningStatus, ApiError> {
    Ok(shell.node()?.meaning_status())
}

/// For the facilitator: the best offer for each of the street's newest needs.
#[tauri::command(async, rename_all = "snake_case")]
pub fn street_suggestions(
    shell: State<'_, Shell>,
    limit: usize,
) -> Result<Vec<ivej_model::matching::StreetSuggestion>, ApiError> {
    api(shell.node()?.street_suggestions(limit))
}

/// What a list of posts (CSV) would post, or every problem with its line; stores nothing.
#[tauri::command(async, rename_all = "snake_case")]
pub fn preview_post_import(
    shell: State<'_, Shell>,
    bytes: Vec<u8>,
) -> Result<Vec<ivej_model::PostInput>, ApiError> {
    api(shell.node()?.preview_post_import(&bytes))
}

/// Posts every row of a list, or none.
#[tauri::command(async, rename_all = "snake_case")]
pub fn import_posts(
    shell: State<'_, Shell>,
    bytes: Vec<u8>,
) -> Result<ivej_model::Imported, ApiError> {
    api(shell.node()?.import_posts(&bytes))
}
