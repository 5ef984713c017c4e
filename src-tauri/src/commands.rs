//! The commands the frontend may invoke, one module per feature. Each is one call into
//! the node (or the shell's network side); errors go out as `{code, message, fields}`.

pub mod board;
pub mod meetings;
pub mod members;
pub mod ready;
pub mod results;
pub mod services;
pub mod settings;
pub mod street;
pub mod sync;

use ivej_model::ApiError;

/// A node error as the UI receives it.
pub(crate) fn api<T>(result: ivej_node::NodeResult<T>) -> Result<T, ApiError> {
    result.map_err(|e| e.to_api())
}
