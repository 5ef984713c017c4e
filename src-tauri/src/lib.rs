//! The Industrivej desktop app: a thin Tauri 2 shell.
//!
//! It opens the node for the data directory and exposes the node's use cases to the
//! frontend as commands, one module per feature under `commands/`. It holds no logic of
//! its own: every command is one call into `ivej-node`, and every error reaches the UI as
//! `{code, message, fields}` ([`ivej_model::ApiError`]).

mod commands;
mod shell;

use tauri::Manager;

pub use shell::{Shell, ShellOptions};

/// Starts the app with options from the command line and environment.
pub fn run() {
    let options = ShellOptions::from_env(std::env::args().skip(1));
    let shell = Shell::open(options);
    let result = tauri::Builder::default()
        .manage(shell)
        .setup(|app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<Shell>().start_network().await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::street::street_summary,
            commands::street::open_demo_street,
            commands::street::create_street,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("Industrivej could not start: {e}");
        std::process::exit(1);
    }
}
