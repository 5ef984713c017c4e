//! The Industrivej desktop app: a thin Tauri 2 shell.
//!
//! It opens the node for the data directory and exposes the node's use cases to the
//! frontend as commands, one module per feature under `commands/`. It holds no logic of
//! its own: every command is one call into `ivej-node` (or the network side), and every
//! error reaches the UI as `{code, message, fields}` ([`ivej_model::ApiError`]). It must
//! never hold state the node does not have: the UI can always ask again.

mod commands;
mod events;
mod shell;
mod window_size;

use tauri::Manager;

pub use shell::{Shell, ShellOptions};

/// When the process started, for the launch benchmark's `board shown` line.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Starts the app with options from the command line and environment.
pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    let options = ShellOptions::from_env(std::env::args().skip(1));
    let shell = Shell::open(options);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .manage(shell)
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                window_size::remember(&window);
            }
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let shell = handle.state::<Shell>();
                if let Some(node) = shell.shared_node() {
                    tauri::async_runtime::spawn(events::forward(handle.clone(), node.clone()));
                    tauri::async_runtime::spawn(events::read_meanings(node));
                }
                shell.start_network().await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::street::street_summary,
            commands::street::open_demo_street,
            commands::street::create_street,
            commands::street::join_street,
            commands::street::invite_from_image,
            commands::board::list_posts,
            commands::board::post_detail,
            commands::board::create_post,
            commands::board::edit_post,
            commands::board::renew_post,
            commands::board::close_post,
            commands::board::express_interest,
            commands::board::answer_interest,
            commands::board::draft,
            commands::board::save_draft,
            commands::board::discard_draft,
            commands::members::members,
            commands::board::suggestions,
            commands::board::street_suggestions,
            commands::board::dismiss_suggestion,
            commands::board::restore_suggestion,
            commands::board::dismissed_suggestions,
            commands::board::meaning_status,
            commands::board::preview_post_import,
            commands::board::import_posts,
            commands::members::preview_member_import,
            commands::members::import_members,
            commands::services::services,
            commands::services::service,
            commands::services::add_service,
            commands::services::edit_service,
            commands::services::preview_service_import,
            commands::services::import_services,
            commands::members::member,
            commands::members::own_organisation,
            commands::members::update_own_organisation,
            commands::members::create_invite,
            commands::members::devices,
            commands::members::revoke_device,
            commands::members::remove_member,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::sync::set_lan_discovery,
            commands::sync::add_peer,
            commands::sync::set_relay,
            commands::sync::refusals,
            commands::settings::ui_settings,
            commands::settings::set_language,
            commands::ready::board_shown,
            commands::meetings::meeting_list,
            commands::meetings::plan_series,
            commands::meetings::meeting_view,
            commands::meetings::set_meeting_state,
            commands::meetings::set_meeting_host,
            commands::meetings::set_agenda_minutes,
            commands::meetings::set_challenge,
            commands::meetings::record_attendance,
            commands::meetings::edit_minutes,
            commands::meetings::set_minutes_in_confidence,
            commands::meetings::add_decision,
            commands::meetings::add_action,
            commands::meetings::complete_action,
            commands::meetings::capture_post,
            commands::meetings::capture_introduction,
            commands::meetings::capture_collaboration,
            commands::meetings::export_calendar,
            commands::results::collaborations,
            commands::results::set_collaboration_stage,
            commands::results::report,
            commands::results::own_baseline,
            commands::results::set_knew_before,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Industrivej could not start: {e}");
        std::process::exit(1);
    }
}
