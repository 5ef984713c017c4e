//! The automerge sync protocol for one document and one peer, sans IO: the caller carries
//! the bytes. Also tells which records a peer's changes touched, so the caller can update
//! its query tables and notify the UI without re-reading everything.

use std::collections::BTreeSet;

use automerge::sync::{Message, SyncDoc};
use automerge::{PatchAction, Prop, ROOT};

pub use automerge::sync::State as SyncState;

use crate::document::{caught, DocKind, Document};
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

/// More changes waiting for dependencies than any honest exchange leaves behind.
pub const MAX_MISSING_DEPS: usize = 1_000;

/// Changes for a mailbox: one sync message (as a peer would send them, so a receiver
/// checks them the same way) and the hashes it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBatch {
    pub message: Vec<u8>,
    pub hashes: Vec<[u8; 32]>,
}

/// A change on its way into a batch: its bytes, hash and dependencies.
type Pending = (Vec<u8>, [u8; 32], Vec<[u8; 32]>);

impl Document {
    /// Every change not built into `since` (heads this document holds; others are
    /// ignored), in causal order, as sync messages of at most about `max_bytes` of changes
    /// each (a larger change goes alone). Each message claims as heads the changes in it
    /// that nothing else in it builds on.
    pub fn change_batches(&mut self, since: &[[u8; 32]], max_bytes: usize) -> Vec<ChangeBatch> {
        let since: Vec<automerge::ChangeHash> = since
            .iter()
            .filter(|h| self.has_change(h))
            .map(|h| automerge::ChangeHash(*h))
            .collect();
        let changes: Vec<Pending> = self
            .automerge_mut()
            .get_changes(&since)
            .into_iter()
            .map(|c| {
                (
                    c.raw_bytes().to_vec(),
                    c.hash().0,
                    c.deps().iter().map(|d| d.0).collect(),
                )
            })
            .collect();
        let mut batches = Vec::new();
        let mut current: Vec<Pending> = Vec::new();
        let mut size = 0;
        let finish = |batch: &mut Vec<Pending>| {
            let built_on: std::collections::HashSet<[u8; 32]> = batch
                .iter()
                .flat_map(|(_, _, deps)| deps.iter().copied())
                .collect();
            let mut heads: Vec<automerge::ChangeHash> = batch
                .iter()
                .filter(|(_, h, _)| !built_on.contains(h))
                .map(|(_, h, _)| automerge::ChangeHash(*h))
                .collect();
            heads.sort_unstable();
            let hashes = batch.iter().map(|(_, h, _)| *h).collect();
            let message = Message {
                heads,
                need: Vec::new(),
                have: Vec::new(),
                changes: batch
                    .drain(..)
                    .map(|(bytes, _, _)| bytes)
                    .collect::<Vec<_>>()
                    .into(),
                flags: None,
                version: automerge::sync::MessageVersion::V1,
            };
            ChangeBatch {
                message: message.encode(),
                hashes,
            }
        };
        for change in changes {
            if !current.is_empty() && size + change.0.len() > max_bytes {
                batches.push(finish(&mut current));
                size = 0;
            }
            size += change.0.len();
            current.push(change);
        }
        if !current.is_empty() {
            batches.push(finish(&mut current));
        }
        batches
    }

    /// The next message for the peer whose state is `state`, if there is anything to say.
    /// An error means automerge failed on what the peer told it earlier: start that peer's
    /// state afresh.
    pub fn generate_sync_message(
        &mut self,
        state: &mut SyncState,
    ) -> Result<Option<Vec<u8>>, DocError> {
        // Without the peer's capabilities automerge sends changes one by one, never the
        // whole document: a receiver checks each change's author (`inbound::change_headers`).
        state.their_capabilities = None;
        let doc = self.automerge_mut();
        caught("answering a peer", || {
            doc.sync().generate_sync_message(state).map(Message::encode)
        })
    }

    /// Applies a peer's message. Bytes that are not a valid message, a message automerge
    /// would choke on ([`crate::inbound`]), changes automerge refuses, and changes to what
    /// no peer may change (the document's kind, schema version, owner, or the maps that
    /// hold its records) are errors. On an error `state` is as it was, but the in-memory
    /// document may hold part of the message: the caller reloads it from storage.
    pub fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<Touched, DocError> {
        let message = caught("reading a sync message", || Message::decode(bytes))?
            .map_err(|e| DocError::BadMessage(e.to_string()))?;
        crate::inbound::check_message(&message)?;
        let identity = self.root_identity();
        let mut next = state.clone();
        let doc = self.automerge_mut();
        let before = doc.get_heads();
        caught("applying a sync message", || {
            doc.sync().receive_sync_message(&mut next, message)
        })??;
        // Changes whose dependencies never came wait in automerge's queue, in memory. An
        // honest peer causes a few (a Bloom filter's false positive, asked for next); a
        // flood of them is refused.
        let missing = caught("counting missing changes", || {
            doc.get_missing_deps(&[]).len()
        })?;
        if missing > MAX_MISSING_DEPS {
            return Err(DocError::Refused(format!(
                "{missing} changes whose dependencies never came"
            )));
        }
        let after = doc.get_heads();
        if before == after {
            *state = next;
            return Ok(Touched::default());
        }
        let now = self.root_identity();
        if let Some((key, _)) = identity
            .iter()
            .zip(&now)
            .find(|((_, was), (_, is))| was.is_some() && was != is)
            .map(|(was, _)| was)
        {
            return Err(DocError::Refused(format!(
                "a change to `{key}` at the root of the {} document",
                self.kind().name()
            )));
        }
        let doc = self.automerge_mut();
        let touched = caught("reading what changed", || {
            touched_between(doc, &before, &after)
        })?;
        caught("checking a peer's records", || self.check_touched(&touched))?.map_err(
            |e| match e {
                DocError::Invalid(problems) => {
                    DocError::Refused(format!("a record that is not valid: {problems}"))
                }
                other => other,
            },
        )?;
        *state = next;
        Ok(touched)
    }

    /// Every record and root value a peer's changes touched reads back and passes the same
    /// validation as a local write: a peer cannot store a record that breaks a screen
    /// (`street.name = 42`), nor one no local write could make (minutes past their limit,
    /// a meeting of `u32::MAX` minutes).
    fn check_touched(&self, touched: &Touched) -> Result<(), DocError> {
        use ivej_model::*;
        fn check<R: crate::Record>(doc: &Document, key: &str) -> Result<(), DocError> {
            match doc.get::<R>(key) {
                Ok(Some(record)) => Ok(record.validate()?),
                Ok(None) => Ok(()),
                Err(e) => Err(DocError::Refused(format!(
                    "a {} record `{key}` that does not read back: {e}",
                    R::COLLECTION
                ))),
            }
        }
        let bad = |collection: &str, key: &str, e: DocError| DocError::BadRecord {
            collection: collection.to_string(),
            key: key.to_string(),
            why: match e {
                DocError::Invalid(problems) => {
                    format!("a {collection} record `{key}` that is not valid: {problems}")
                }
                DocError::Refused(why) => why,
                other => format!("a {collection} record `{key}`: {other}"),
            },
        };
        for (collection, key) in &touched.records {
            let checked = (|| -> Result<(), DocError> {
                match (self.kind(), collection.as_str()) {
                    (DocKind::Street, "organisations") => check::<Organisation>(self, key)?,
                    (DocKind::Street, "posts") => check::<Post>(self, key)?,
                    (DocKind::Street | DocKind::Scoped, "interests") => {
                        check::<Interest>(self, key)?
                    }
                    (DocKind::Street, "series") => check::<MeetingSeries>(self, key)?,
                    (DocKind::Street, "meetings") => check::<Meeting>(self, key)?,
                    (DocKind::Street, "actions") => check::<ActionItem>(self, key)?,
                    (DocKind::Street, "collaborations") => check::<Collaboration>(self, key)?,
                    (DocKind::Street, "relationships") => check::<Relationship>(self, key)?,
                    (DocKind::Street, "services") => check::<Service>(self, key)?,
                    (DocKind::Minutes, "decisions") => check::<Decision>(self, key)?,
                    (DocKind::Private, "notes") => check::<PrivateNote>(self, key)?,
                    (DocKind::Private | DocKind::Scoped, "posts") => {
                        if let Some(post) = self.get_in::<Post>("posts", key)? {
                            post.validate()?;
                        }
                    }
                    (DocKind::Private, "drafts") => {
                        if let Some(draft) = self.get_in::<crate::Draft>("drafts", key)? {
                            draft.validate()?;
                        }
                    }
                    // A map this version does not know (a newer peer's): nothing here reads it.
                    _ => {}
                }
                Ok(())
            })();
            checked.map_err(|e| bad(collection, key, e))?;
        }
        // A field changed inside the street record shows as a "record" of a collection
        // named `street`; the record replaced whole, as a root key.
        let street_touched = self.kind() == DocKind::Street
            && (touched.root_keys.contains("street") || touched.keys_in("street").next().is_some());
        if street_touched {
            match crate::document::root_value::<Street>(self.automerge(), "street") {
                Ok(Some(street)) => street
                    .validate()
                    .map_err(|e| bad("street", "", DocError::Invalid(e)))?,
                Ok(None) => {}
                Err(e) => {
                    return Err(bad(
                        "street",
                        "",
                        DocError::Refused(format!("a street record that does not read back: {e}")),
                    ))
                }
            }
        }
        for key in &touched.root_keys {
            match (self.kind(), key.as_str()) {
                (DocKind::Minutes, "text") => {
                    // The text object itself cannot be replaced (see `guarded_root_keys`).
                    let len = match automerge::ReadDoc::get(self.automerge(), ROOT, "text")? {
                        Some((_, obj)) => automerge::ReadDoc::length(self.automerge(), &obj),
                        None => 0,
                    };
                    if len > crate::minutes::MAX_MINUTES_CHARS {
                        return Err(bad(
                            "",
                            "text",
                            DocError::Refused(format!(
                                "minutes of {len} characters (at most {})",
                                crate::minutes::MAX_MINUTES_CHARS
                            )),
                        ));
                    }
                }
                (DocKind::Minutes, "in_confidence") => {
                    crate::document::root_value::<bool>(self.automerge(), "in_confidence")
                        .map_err(|e| bad("", "in_confidence", e))?;
                }
                _ => {}
            }
        }
        Ok(())
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
        caught("applying saved changes", || doc.load_incremental(bytes))??;
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
            if let Some(m) = a.generate_sync_message(&mut sa).unwrap() {
                let t = b.receive_sync_message(&mut sb, &m).unwrap();
                touched.records.extend(t.records);
                touched.root_keys.extend(t.root_keys);
                quiet = false;
            }
            if let Some(m) = b.generate_sync_message(&mut sb).unwrap() {
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
