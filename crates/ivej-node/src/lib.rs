//! The application layer of Industrivej: one method per use case.
//!
//! A [`Node`] owns one data directory: the SQLite store, the automerge documents loaded
//! from it, and an event stream of what changed. The desktop shell, the `ivej` CLI and the
//! tests all use it the same way. It knows nothing of Tauri, yew or any UI.
//!
//! Invariants:
//! - A write returns `Ok` only after its document change is durably stored; on any error
//!   the documents and the store are as they were before the call.
//! - Every record is validated before it is written.
//! - Query projections always reflect the stored document heads (rebuilt on open if not).

mod authorise;
mod brokered;
pub mod clock;
mod csv_export;
pub mod demo;
mod drafts;
mod error;
mod export;
mod imports;
mod mailbox;
pub mod meaning;
mod meetings;
mod organisations;
mod peers;
mod posts;
pub mod qr;
mod results;
mod scope_keys;
mod scoped;
mod series;
mod services;
pub mod spreadsheet;
mod state;
mod suggestions;
mod sync;
#[cfg(test)]
mod tests;
mod trust;
mod views;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use ivej_model::{NodeEvent, OrgId, StreetSummary};
use tokio::sync::broadcast;

pub use error::{NodeError, NodeResult};
pub use export::Export;
pub use imports::{read_members, read_posts};
pub use ivej_model::input::{OrgPatch, OrgProfile, PostInput, PostPatch};
pub use ivej_model::CollaborationInput;
pub use ivej_trust::Identity as PeerIdentity;
pub use mailbox::{MailboxDoc, MailboxStatus, Outgoing, CONTROL, MAILBOX, SNAPSHOT_EVERY};
pub use meetings::{MeetingInput, MinutesView};
pub use scope_keys::KeyGrantsToPut;
pub use services::{read_services, Imported, ServiceFilter, ServiceInput, ServiceView};
pub use state::COMPACT_AFTER_CHANGES;
pub use suggestions::{DismissedSuggestion, StreetSuggestion, SuggestionView};
pub use trust::{invite_founds_organisation, InviteRequest, Presentation, DEFAULT_INVITE_DAYS};

use state::State;

/// Settings for opening a node.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    pub data_dir: PathBuf,
    /// Whether to announce and look for peers on the LAN (mDNS). Off in tests that run in
    /// the default network namespace.
    pub lan_discovery: bool,
    /// The multilingual model's file (`meaning::find_model`), for suggestions by meaning
    /// across languages; `None`: words and the glossary only.
    pub meaning_model: Option<PathBuf>,
}

impl NodeOptions {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        NodeOptions {
            data_dir: data_dir.into(),
            lan_discovery: true,
            meaning_model: None,
        }
    }
}

/// Whether an environment variable such as `IVEJ_NO_LAN` says yes, in the words people
/// write (and the CLI's parser takes): 1/0, true/false, yes/no, on/off, y/n, t/f; unset,
/// empty or anything else is no.
pub fn env_says_yes(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on" | "y" | "t"
        )
    })
}

/// One company's node over its data directory.
#[derive(Debug)]
pub struct Node {
    state: Mutex<State>,
    /// The live sync session per peer device, with the peer's transport key (see
    /// `Node::start_sync_session`). Kept apart from the state, which is read again from
    /// disk after a failure: the sessions go on.
    sessions: Mutex<std::collections::HashMap<String, (u64, Vec<u8>)>>,
    session_counter: std::sync::atomic::AtomicU64,
    /// Peers admitted by their certificate (`Node::admit_peer`), by device id. Kept apart
    /// from the state, like the sessions.
    admitted: Mutex<std::collections::HashMap<String, PeerIdentity>>,
    events: broadcast::Sender<NodeEvent>,
    options: NodeOptions,
    /// The board prepared for suggestions, kept up to date by the events emitted.
    suggest_cache: Mutex<suggestions::SuggestCache>,
    /// Held while the board is prepared for suggestions (never by `emit`).
    suggest_build: Mutex<()>,
    /// The multilingual model and what it made of the texts it read.
    meanings: Mutex<meaning::Meanings>,
    /// Held while the model loads (never with the state or `meanings`).
    meaning_load: Mutex<()>,
}

/// What a new street starts with.
#[derive(Debug, Clone)]
pub struct CreateStreet {
    pub name: String,
    pub kind: ivej_model::StreetKind,
    pub region: String,
    pub languages: Vec<String>,
    /// The organisation of the person creating the street, who becomes its facilitator.
    pub org: OrgProfile,
}

impl Node {
    /// Opens (or creates) the data directory and loads its documents.
    pub fn open(options: NodeOptions) -> NodeResult<Node> {
        let state = State::open(&options.data_dir)?;
        let (events, _) = broadcast::channel(1024);
        Ok(Node {
            state: Mutex::new(state),
            sessions: Mutex::default(),
            session_counter: std::sync::atomic::AtomicU64::new(0),
            admitted: Mutex::default(),
            suggest_cache: Mutex::default(),
            suggest_build: Mutex::default(),
            meanings: Mutex::default(),
            meaning_load: Mutex::default(),
            events,
            options,
        })
    }

    pub fn options(&self) -> &NodeOptions {
        &self.options
    }

    pub fn data_dir(&self) -> &Path {
        &self.options.data_dir
    }

    /// A stream of what changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: NodeEvent) {
        self.suggest_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .note(&event);
        // No receivers is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    /// The node's state. If an operation panicked while it held the state (peer input is
    /// checked and automerge calls are caught, so this is a bug, not an attack), memory is
    /// in doubt: the state is read again from disk, which is always the truth, and the
    /// node carries on. Only when that fails too is the error returned.
    pub(crate) fn lock(&self) -> NodeResult<MutexGuard<'_, State>> {
        match self.state.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                let mut guard = poisoned.into_inner();
                *guard = State::open(&self.options.data_dir)?;
                self.state.clear_poison();
                self.suggest_cache
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .forget();
                Ok(guard)
            }
        }
    }

    pub fn has_street(&self) -> NodeResult<bool> {
        Ok(self.lock()?.street.is_some())
    }

    /// Creates a street with this device's organisation as its facilitator.
    pub fn create_street(&self, input: CreateStreet) -> NodeResult<StreetSummary> {
        let mut st = self.lock()?;
        st.create_street(input)?;
        drop(st);
        self.emit(NodeEvent::StreetOpened);
        self.summary()
    }

    /// The street at a glance.
    pub fn summary(&self) -> NodeResult<StreetSummary> {
        self.lock()?.summary()
    }

    /// This device's organisation.
    pub fn own_org_id(&self) -> NodeResult<OrgId> {
        self.lock()?.own_org_id().map(str::to_string)
    }

    /// The id of the street this data directory belongs to (known before its first sync).
    pub fn street_id(&self) -> NodeResult<String> {
        self.lock()?.street_id.clone().ok_or(NodeError::NoStreet)
    }

    /// This device's identity within the data directory.
    pub fn device_id(&self) -> NodeResult<String> {
        Ok(self.lock()?.device_id.clone())
    }

    /// Rebuilds the query tables (board, directory, search) from the documents. Opening a
    /// data directory does this by itself when they are out of date; this forces it.
    pub fn rebuild_projections(&self) -> NodeResult<()> {
        let mut st = self.lock()?;
        st.store.write(|w| w.clear_projections())?;
        st.ensure_projections()?;
        Ok(())
    }

    /// Whether this device's organisation is the street's facilitator.
    pub fn is_facilitator(&self) -> NodeResult<bool> {
        self.lock()?.is_facilitator()
    }
}
