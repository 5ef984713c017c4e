use ivej_model::ValidationErrors;

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("invalid record: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("the document is damaged: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("a record in the document has an unexpected shape: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("could not write the record: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
    #[error("the document has schema version {found}; this version of Industrivej reads up to {supported}")]
    NewerSchema { found: u64, supported: u64 },
    #[error("expected a {expected} document, found {found}")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("a peer sent a message that is not an automerge sync message: {0}")]
    BadMessage(String),
    /// A peer's message that this node will not apply: malformed in a way automerge would
    /// choke on, too large once inflated, or changing what no peer may change.
    #[error("refused a peer's changes: {0}")]
    Refused(String),
    /// A peer's changes left a record (or, with `collection` empty, a root value; the
    /// street record is collection `street`) that does not read back or is not valid: the
    /// changes that touched it can be left out and the rest taken.
    #[error("refused a peer's changes: {why}")]
    BadRecord {
        collection: String,
        key: String,
        why: String,
    },
    /// automerge panicked on a peer's data; the panic was caught. The in-memory document
    /// may hold part of what was being applied and must be reloaded.
    #[error("automerge failed while {0}")]
    Panicked(&'static str),
    #[error("the document has no `{0}`")]
    MissingField(&'static str),
    #[error("no {collection} record with id `{id}`")]
    NotFound {
        collection: &'static str,
        id: String,
    },
}
