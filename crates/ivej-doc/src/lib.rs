//! The automerge documents of Industrivej and the typed records inside them.
//!
//! Three kinds of document (see `ARCHITECTURE.md`): the *street* document shared by every
//! member, one *minutes* document per meeting, and one *private* document per company.
//! Records live in maps keyed by id (never in lists two peers append to), so concurrent
//! edits of different records, or of different fields of one record, all survive a merge.
//!
//! Every write validates the record first and leaves the document untouched when it fails.
//! This crate does no IO: callers load and save bytes. Data from peers is never trusted:
//! a record that does not hydrate is skipped when listing, never a panic; a sync message is
//! checked (`inbound`) before automerge sees it, every automerge call on a peer's data runs
//! under `catch_unwind`, and a message that would change a document's identity (its kind,
//! schema version, owner, or the objects holding its records) is refused.

mod authorship;
mod document;
mod error;
pub mod inbound;
mod minutes;
mod private;
mod record;
pub mod schema;
mod street;
mod sync;

pub use authorship::{ChangeInfo, Touch};
pub use automerge;
pub use document::{DocKind, Document};
pub use error::DocError;
pub use minutes::MinutesDoc;
pub use private::{Draft, PostsDoc, PrivateDoc, ScopedDoc};
pub use record::Record;
pub use street::StreetDoc;
pub use sync::{ChangeBatch, SyncState, Touched};
