//! The main window opens at the size it had when last closed or resized.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{LogicalSize, Manager, WebviewWindow, WindowEvent};

use crate::shell::Shell;

const SETTING: &str = "ui.window_size";

/// `"1200x800"`, within sane bounds, or `None`.
pub fn parse(text: &str) -> Option<(f64, f64)> {
    let (w, h) = text.split_once('x')?;
    let (w, h): (f64, f64) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    let sane = |v: f64, min: f64| v.is_finite() && (min..=16_384.0).contains(&v);
    (sane(w, 720.0) && sane(h, 480.0)).then_some((w, h))
}

pub fn format(width: f64, height: f64) -> String {
    format!("{}x{}", width.round(), height.round())
}

/// Restores the stored size and keeps it up to date, written once resizing has paused.
pub fn remember(window: &WebviewWindow) {
    let app = window.app_handle().clone();
    let stored = app
        .state::<Shell>()
        .node()
        .ok()
        .and_then(|node| node.local_setting(SETTING).ok().flatten())
        .and_then(|text| parse(&text));
    if let Some((w, h)) = stored {
        let _ = window.set_size(LogicalSize::new(w, h));
    }
    let generation = Arc::new(AtomicU64::new(0));
    let handle = window.clone();
    window.on_window_event(move |event| {
        let WindowEvent::Resized(size) = event else {
            return;
        };
        let Ok(scale) = handle.scale_factor() else {
            return;
        };
        let logical = size.to_logical::<f64>(scale);
        if parse(&format(logical.width, logical.height)).is_none() {
            return; // minimised, or mid-way through an odd resize
        }
        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
        let generation = generation.clone();
        let app = handle.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            if generation.load(Ordering::SeqCst) != mine {
                return;
            }
            if let Ok(node) = app.state::<Shell>().node() {
                let _ = node.set_local_setting(SETTING, &format(logical.width, logical.height));
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_trip_and_odd_ones_are_ignored() {
        assert_eq!(parse(&format(1280.4, 860.6)), Some((1280.0, 861.0)));
        assert_eq!(parse("100x100"), None, "too small to use");
        assert_eq!(parse("1200"), None);
        assert_eq!(parse("NaNx800"), None);
        assert_eq!(parse("99999x800"), None);
    }
}
