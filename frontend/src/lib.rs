//! The Industrivej user interface: a yew app compiled to wasm32 and hosted by the Tauri
//! shell. It knows only the shared model types and talks to the node only through the
//! shell's IPC commands; it never touches storage or the network itself.
//!
//! State lives in reducers (`state`), one function component per file (`components/`),
//! hooks in `hooks/`. Reducers and formatting are plain Rust and tested natively.

mod app;
pub mod charts;
mod components;
mod dom;
pub mod format;
pub mod forms;
mod hooks;
pub mod i18n;
mod ipc;
pub mod state;

/// Mounts the app into the page's body.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
