//! The automerge sync protocol for one document and one peer, sans IO: the caller carries
//! the bytes. Also tells which records a peer's changes touched, so the caller can update
//! its query tables and notify the UI without re-reading everything.

use std::collections::BTreeSet;

use automerge::sync::{Message, SyncDoc};
use automerge::{PatchAction, Prop, ROOT};

pub use automerge::sync::State as SyncState;

use crate::document::Document;
use crate::error::DocError;

/// What a peer's changes touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// `(collection, key)` of each record that changed, appeared or went away.
    pub records: BTreeSet<(String, String)>,
    /// Keys directly under the root that changed (`street`, `text`, `in_confidence` ...).
    pub root_keys: BTreeSet<String>,
    /// Whether the document gained any change at all (it may touch nothing listed above).
    pub changed: bool,
}

impl Touched {
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.root_keys.is_empty()
    }

    pub fn keys_in<'a>(&'a self, collection: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.records
            .iter()
            .filter(move |(c, _)| c == collection)
            .map(|(_, k)| k.as_str())
    }
}

fn map_key(prop: &Prop) -> Option<String> {
    match prop {
        Prop::Map(key) => Some(key.clone()),
        Prop::Seq(_) => None,
    }
}

impl Document {
    /// The next message for the peer whose state is `state`, if there is anything to say.
    pub fn generate_sync_message(&mut self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.automerge_mut()
            .sync()
            .generate_sync_message(state)
            .map(Message::encode)
    }

    /// Applies a peer's message. Bytes that are not a valid message, or changes automerge
    /// refuses, are an error and leave the document as it was.
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<Touched, DocError> {
        let message = Message::decode(bytes).map_err(|e| DocError::BadMessage(e.to_string()))?;
        let doc = self.automerge_mut();
        let before = doc.get_heads();
        doc.sync().receive_sync_message(state, message)?;
        let after = doc.get_heads();
        if before == after {
            return Ok(Touched::default());
        }
        Ok(touched_between(doc, &before, &after))
    }

    /// What is still to go to (`.0`) or come from (`.1`) the peer whose state is `state`.
    pub fn pending_with(&mut self, state: &SyncState) -> (bool, bool) {
        let mut ours = self.heads();
        ours.sort();
        let mut shared = state.shared_heads.clone();
        shared.sort();
        let doc = self.automerge_mut();
        let incoming = state.their_heads.as_ref().is_some_and(|heads| {
            heads
                .iter()
                .any(|h| doc.get_change_meta_by_hash(h).is_none())
        });
        (ours != shared, incoming)
    }

    /// Applies bytes another process saved (snapshot and changes) and says what they touched.
    pub fn apply_saved(&mut self, bytes: &[u8]) -> Result<Touched, DocError> {
        let doc = self.automerge_mut();
        let before = doc.get_heads();
        doc.load_incremental(bytes)?;
        let after = doc.get_heads();
        self.mark_saved();
        if before == after {
            return Ok(Touched::default());
        }
        Ok(touched_between(self.automerge_mut(), &before, &after))
    }
}

/// The records and root keys that changed between two sets of heads.
fn touched_between(
    doc: &mut automerge::AutoCommit,
    before: &[automerge::ChangeHash],
    after: &[automerge::ChangeHash],
) -> Touched {
    let mut touched = Touched {
        changed: true,
        ..Touched::default()
    };
    for patch in doc.diff(before, after) {
        match patch.path.as_slice() {
            [] if patch.obj == ROOT => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    touched.root_keys.insert(key.clone());
                }
                _ => {}
            },
            [(_, collection)] => {
                let Some(collection) = map_key(collection) else {
                    continue;
                };
                match &patch.action {
                    PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                        touched.records.insert((collection, key.clone()));
                    }
                    // A change inside a root text or list (the minutes text).
                    _ => {
                        touched.root_keys.insert(collection);
                    }
                }
            }
            [(_, collection), (_, key), ..] => {
                if let (Some(collection), Some(key)) = (map_key(collection), map_key(key)) {
                    touched.records.insert((collection, key));
                }
            }
            _ => {}
        }
    }
    touched
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocKind, MinutesDoc};
    use ivej_model::PrivateNote;

    fn note(id: &str) -> PrivateNote {
        PrivateNote {
            id: id.into(),
            about: None,
            text: "call the laser shop".into(),
            created_at: 1,
            updated_at: 1,
        }
    }

    /// Exchanges messages until both sides are quiet; returns what `b` saw touched.
    fn sync(a: &mut Document, b: &mut Document) -> Touched {
        let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
        let mut touched = Touched::default();
        for _ in 0..20 {
            let mut quiet = true;
            if let Some(m) = a.generate_sync_message(&mut sa) {
                let t = b.receive_sync_message(&mut sb, &m).unwrap();
                touched.records.extend(t.records);
                touched.root_keys.extend(t.root_keys);
                quiet = false;
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, &m).unwrap();
                quiet = false;
            }
            if quiet {
                break;
            }
        }
        touched
    }

    #[test]
    fn a_new_replica_receives_everything_and_learns_what_changed() {
        let mut a = Document::new(DocKind::Private).unwrap();
        a.put(&note("n1")).unwrap();
        let mut b = Document::new(DocKind::Private).unwrap();
        let touched = sync(&mut a, &mut b);
        assert_eq!(b.keys::<PrivateNote>(), vec!["n1"]);
        assert!(touched.records.contains(&("notes".into(), "n1".into())));
        let mut edited = note("n1");
        edited.text = "call the laser shop on Monday".into();
        a.put(&edited).unwrap();
        let touched = sync(&mut a, &mut b);
        assert_eq!(touched.keys_in("notes").collect::<Vec<_>>(), vec!["n1"]);
        assert_eq!(a.heads_hex(), b.heads_hex());
    }

    #[test]
    fn minutes_typing_touches_the_text() {
        let mut a = MinutesDoc::create("m1").unwrap();
        let mut b = Document::new(DocKind::Minutes).unwrap();
        sync(&mut a, &mut b);
        a.set_text("Hansen presented").unwrap();
        let touched = sync(&mut a, &mut b);
        assert!(touched.root_keys.contains("text"), "{touched:?}");
    }

    #[test]
    fn garbage_is_refused_without_harm() {
        let mut a = Document::new(DocKind::Private).unwrap();
        a.put(&note("n1")).unwrap();
        let heads = a.heads_hex();
        let mut state = SyncState::new();
        for bytes in [
            &b""[..],
            b"\x42\x00\x01",
            &[0xff; 64],
            b"not a message at all",
        ] {
            assert!(a.receive_sync_message(&mut state, bytes).is_err());
        }
        assert_eq!(a.heads_hex(), heads);
        assert_eq!(a.keys::<PrivateNote>(), vec!["n1"]);
    }
}
