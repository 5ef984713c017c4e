//! The UI reports when the board is first on screen, for the launch benchmark: with
//! `IVEJ_REPORT_READY=1` the app prints `board shown after N ms` (since process start) once.

use std::sync::atomic::{AtomicBool, Ordering};

static REPORTED: AtomicBool = AtomicBool::new(false);

#[tauri::command]
pub fn board_shown(posts: u32) {
    if std::env::var_os("IVEJ_REPORT_READY").is_none() || REPORTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let since_start = crate::STARTED
        .get()
        .map(|t| t.elapsed().as_millis())
        .unwrap_or(0);
    eprintln!("board shown after {since_start} ms with {posts} posts");
}
