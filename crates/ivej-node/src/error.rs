use ivej_doc::DocError;
use ivej_model::{ApiError, ErrorCode, ValidationErrors};
use ivej_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    #[error("no street yet: create one, join one or open the demo street")]
    NoStreet,
    #[error("joined: waiting for the first sync with a member of the street")]
    AwaitingFirstSync,
    #[error("{0}")]
    AlreadyExists(String),
    #[error("no {what} with id `{id}`")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    NotAllowed(String),
    /// What a peer sent (a certificate, a message that does not decode) is not taken.
    #[error("refused: {0}")]
    Refused(String),
    /// A session with a device that a newer one with the same device replaced: what it
    /// carries would mix with the newer one's sync state.
    #[error("a newer session with this device took over")]
    Superseded,
    #[error(transparent)]
    Store(Box<StoreError>),
    #[error(transparent)]
    Doc(Box<DocError>),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DocError> for NodeError {
    fn from(e: DocError) -> Self {
        match e {
            DocError::Invalid(v) => NodeError::Invalid(v),
            DocError::NotFound { collection, id } => NodeError::NotFound {
                what: collection,
                id,
            },
            other => NodeError::Doc(Box::new(other)),
        }
    }
}

impl From<StoreError> for NodeError {
    fn from(e: StoreError) -> Self {
        NodeError::Store(Box::new(e))
    }
}

impl NodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            NodeError::Invalid(_) => ErrorCode::Validation,
            NodeError::NoStreet => ErrorCode::NoStreet,
            NodeError::AwaitingFirstSync => ErrorCode::AwaitingFirstSync,
            NodeError::AlreadyExists(_) => ErrorCode::AlreadyExists,
            NodeError::NotFound { .. } => ErrorCode::NotFound,
            NodeError::NotAllowed(_) | NodeError::Refused(_) | NodeError::Superseded => {
                ErrorCode::NotAllowed
            }
            NodeError::Store(e) if matches!(**e, StoreError::NewerVersion { .. }) => {
                ErrorCode::NewerVersion
            }
            NodeError::Doc(e) if matches!(**e, DocError::NewerSchema { .. }) => {
                ErrorCode::NewerVersion
            }
            NodeError::Store(_) => ErrorCode::Storage,
            NodeError::Doc(_) => ErrorCode::Document,
            NodeError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The error as the UI receives it.
    pub fn to_api(&self) -> ApiError {
        ApiError {
            code: self.code(),
            message: self.to_string(),
            fields: match self {
                NodeError::Invalid(v) => v.0.clone(),
                _ => Vec::new(),
            },
        }
    }
}

pub type NodeResult<T> = Result<T, NodeError>;
