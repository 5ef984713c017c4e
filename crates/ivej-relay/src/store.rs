//! Where a relay keeps bundles: behind a trait, so one process can keep them in SQLite
//! and several stateless instances can share one PostgreSQL.
//!
//! Every backend keeps the same promises:
//! - **Gapless cursors.** A topic's entries are numbered 1, 2, 3 ... in the order they
//!   were committed, each number taken inside the transaction that stores the entry, so a
//!   reader that has seen number `n` has seen every entry up to `n` that will ever exist
//!   (a global sequence commits out of order and would let a reader skip one).
//! - **Idempotent puts.** The same bundle put twice into a topic keeps its first number.
//! - **Pruning only behind a snapshot.** Entries are deleted only when a snapshot covers
//!   them and the snapshot is older than the grace period; a reader behind them is sent
//!   the snapshot first.

use std::future::Future;

use crate::proto::Entry;

/// Why a store refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the topic holds as much as this relay keeps for one")]
    TopicFull,
    #[error("a snapshot cannot cover entries the topic does not have")]
    BadCovers,
    #[error("storage: {0}")]
    Backend(String),
}

/// What a listing answers (see [`crate::proto::Reply::Listed`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub snapshot: Option<Entry>,
    pub entries: Vec<Entry>,
    pub last_seq: u64,
}

/// A new entry, as every instance over the same storage hears of it.
pub type Announcement = ([u8; 32], u64);

/// The storage of a relay.
pub trait Store: Send + Sync + 'static {
    /// Files `bundle` in `topic` (a snapshot when `covers` is given); returns its number.
    fn put(
        &self,
        topic: [u8; 32],
        bundle: Vec<u8>,
        covers: Option<u64>,
        now_ms: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Entries after `after`, at most `max`.
    fn list(
        &self,
        topic: [u8; 32],
        after: u64,
        max: u16,
    ) -> impl Future<Output = Result<Listing, StoreError>> + Send;

    fn get(
        &self,
        topic: [u8; 32],
        seq: u64,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;

    /// The newest entry's number (0 for a topic with none).
    fn last_seq(&self, topic: [u8; 32]) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes entries covered by snapshots made before `cutoff_ms`; returns how many.
    fn prune(&self, cutoff_ms: i64) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// New entries, from this instance and from every other over the same storage.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Announcement>;
}
