//! Calls into the shell (Tauri's `invoke`), typed with the model's request and error types.

use ivej_model::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

fn internal(message: String) -> ApiError {
    ApiError {
        code: ErrorCode::Internal,
        message,
        fields: Vec::new(),
    }
}

/// Calls shell command `cmd` with `args` (an object of named arguments).
pub async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, ApiError> {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&serializer)
        .map_err(|e| internal(format!("cannot send {cmd}: {e}")))?;
    match tauri_invoke(cmd, args).await {
        Ok(value) => serde_wasm_bindgen::from_value(value)
            .map_err(|e| internal(format!("unexpected answer to {cmd}: {e}"))),
        Err(err) => Err(serde_wasm_bindgen::from_value::<ApiError>(err.clone())
            .unwrap_or_else(|_| internal(format!("{cmd} failed: {err:?}")))),
    }
}

/// No arguments.
#[derive(Serialize)]
pub struct NoArgs {}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(
        event: &str,
        handler: &Closure<dyn FnMut(JsValue)>,
    ) -> Result<JsValue, JsValue>;
}

/// Calls `handler` with the payload of every `event` the shell emits, for the app's
/// lifetime (the handler is leaked on purpose: the app never stops listening).
pub fn listen<T: DeserializeOwned + 'static>(
    event: &'static str,
    mut handler: impl FnMut(T) + 'static,
) {
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |message: JsValue| {
        let payload =
            js_sys::Reflect::get(&message, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(value) = serde_wasm_bindgen::from_value::<T>(payload) {
            handler(value);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = tauri_listen(event, &closure).await;
        closure.forget();
    });
}

#[derive(Serialize)]
struct NotifyArgs {
    options: NotifyOptions,
}

#[derive(Serialize)]
struct NotifyOptions {
    title: String,
    body: String,
}

/// An OS notification (the notification plugin's own command). Where the desktop has no
/// notification service, nothing happens: the app shows the interest anyway.
pub fn notify(title: String, body: String) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = call::<_, serde::de::IgnoredAny>(
            "plugin:notification|notify",
            &NotifyArgs {
                options: NotifyOptions { title, body },
            },
        )
        .await;
    });
}

/// Waits `ms` milliseconds without blocking the UI.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
