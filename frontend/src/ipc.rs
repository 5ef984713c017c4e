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
