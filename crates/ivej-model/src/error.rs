use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// Stable error codes that cross the IPC boundary; the UI translates them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Input failed validation; see the field errors.
    Validation,
    NotFound,
    /// No street has been created or joined in this data directory yet.
    NoStreet,
    /// The street was joined, but no member has synced its records to this device yet.
    AwaitingFirstSync,
    AlreadyExists,
    /// The action needs another role (for example, only the facilitator plans meetings).
    NotAllowed,
    /// The data directory was written by a newer version of Industrivej.
    NewerVersion,
    Storage,
    Document,
    Internal,
}

/// An error as the UI receives it: `{code, message, fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    /// English text for logs and the CLI; the UI builds its own from code and fields.
    pub message: String,
    #[serde(default)]
    pub fields: Vec<FieldError>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}
