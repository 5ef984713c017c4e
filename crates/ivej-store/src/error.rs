use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the data directory was written by a newer version of Industrivej (database schema {found}; this version knows up to {supported})")]
    NewerVersion { found: u32, supported: u32 },
    #[error("a stored record could not be read: {0}")]
    Json(#[from] serde_json::Error),
}
