use std::path::PathBuf;

/// Why a model file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The file could not be read.
    #[error("cannot read the model file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the magic `E5S1`: it is not a packed e5 model.
    #[error("not a packed e5 model (the file does not start with \"E5S1\")")]
    NotAModel,
    /// A packed e5 model of a format version this engine does not read.
    #[error("unsupported model format version {0} (this engine reads version 1)")]
    UnsupportedVersion(u32),
    /// The file ends before a part it declares.
    #[error(
        "model file truncated: {what} needs {needed} bytes at offset {offset}, the file has {len}"
    )]
    Truncated {
        what: &'static str,
        offset: u64,
        needed: u64,
        len: u64,
    },
    /// A field holds a value that cannot be right.
    #[error("malformed model file: {0}")]
    Malformed(String),
    /// A tensor the encoder needs is not in the file's directory.
    #[error("malformed model file: tensor `{0}` is missing")]
    MissingTensor(String),
}
