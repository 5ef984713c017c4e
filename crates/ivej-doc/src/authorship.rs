//! What a change touched and who may touch it: the document's side of authorised writes.
//! The node decides the rules (who may write what); this reads what each change did, the
//! parties a record names, and gives each device its own actor.

use automerge::{ActorId, ChangeHash, ObjType, Prop, ReadDoc, Value};

use crate::document::{caught, Document};
use crate::error::DocError;

/// Where one operation of a change wrote.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Touch {
    /// A key directly under the root, or anything inside a root object that is not a
    /// collection (the street record, the minutes text).
    Root(String),
    /// A record of a collection, or anything inside it: `field` is the record's field
    /// the operation wrote in (or under), `None` when it set or deleted the record whole.
    Record {
        collection: String,
        key: String,
        field: Option<String>,
    },
}

/// A change of this document: its hash, author and place in the author's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    pub hash: [u8; 32],
    pub actor: Vec<u8>,
    pub seq: u64,
}

fn prop_key(prop: &Prop) -> Option<String> {
    match prop {
        Prop::Map(key) => Some(key.clone()),
        Prop::Seq(_) => None,
    }
}

/// The most known hashes [`Document::heads_among`] reduces.
const MAX_HEADS_AMONG: usize = 16;

impl Document {
    /// From now on this document's changes carry `key` (a device's signing key) followed
    /// by 16 random bytes as their actor: a change names the device that made it, and two
    /// processes of one device never share a sequence of changes.
    pub fn use_actor_key(&mut self, key: &[u8; 32]) {
        let mut actor = key.to_vec();
        actor.extend_from_slice(ActorId::random().to_bytes().get(..16).unwrap_or(&[0; 16]));
        self.automerge_mut().set_actor(ActorId::from(actor));
    }

    /// The changes made since `heads` (all of them for no heads), oldest first.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<ChangeInfo> {
        self.automerge_mut()
            .get_changes(heads)
            .into_iter()
            .map(|c| ChangeInfo {
                hash: c.hash().0,
                actor: c.actor_id().to_bytes().to_vec(),
                seq: c.seq(),
            })
            .collect()
    }

    /// The changes not yet written out by `save`/`save_incremental`.
    pub fn unsaved_changes(&mut self) -> Vec<ChangeInfo> {
        self.automerge_mut().commit();
        let saved = self.saved_heads().to_vec();
        self.changes_since(&saved)
    }

    /// Of `hashes`, those none of the others was built on, and those this document does not
    /// hold: what a set of dependencies comes to as heads. (A change's dependencies list
    /// its author's previous change beside the heads it saw, which may be an ancestor of
    /// another of them.)
    pub fn heads_among(&mut self, hashes: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let known: Vec<[u8; 32]> = hashes
            .iter()
            .copied()
            .filter(|h| self.has_change(h))
            .collect();
        // Each one costs a walk over what came after it: a handful is what honest heads
        // come to; past that (a peer's making), the set goes as it is.
        if known.len() > MAX_HEADS_AMONG {
            let mut all = hashes.to_vec();
            all.sort_unstable();
            all.dedup();
            return all;
        }
        let mut redundant = std::collections::HashSet::new();
        for b in &known {
            // Everything not before `b`: an `a` missing from it is `b` or an ancestor.
            let not_before: std::collections::HashSet<[u8; 32]> = self
                .automerge_mut()
                .get_changes(&[ChangeHash(*b)])
                .into_iter()
                .map(|c| c.hash().0)
                .collect();
            for a in &known {
                if a != b && !not_before.contains(a) {
                    redundant.insert(*a);
                }
            }
        }
        let mut heads: Vec<[u8; 32]> = hashes
            .iter()
            .copied()
            .filter(|h| !redundant.contains(h))
            .collect();
        heads.sort_unstable();
        heads.dedup();
        heads
    }

    /// The change `hash` as a chunk `load_incremental` takes, if the document holds it.
    pub fn change_bytes(&mut self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        self.automerge_mut()
            .get_change_by_hash(&ChangeHash(*hash))
            .map(|c| c.raw_bytes().to_vec())
    }

    /// Whether the document holds the change `hash`.
    pub fn has_change(&mut self, hash: &[u8; 32]) -> bool {
        self.automerge_mut()
            .get_change_meta_by_hash(&ChangeHash(*hash))
            .is_some()
    }

    /// Where the change `hash` (already applied) wrote: each record it created, changed or
    /// deleted, and each root key.
    pub fn change_touches(&mut self, hash: &[u8; 32]) -> Result<Vec<Touch>, DocError> {
        let collections = self.kind().collections();
        let doc = self.automerge_mut();
        let change = doc
            .get_change_by_hash(&ChangeHash(*hash))
            .ok_or_else(|| DocError::Refused("a change that is not there".into()))?;
        let expanded = caught("reading a change", || change.decode())?;
        let mut touches = Vec::new();
        for op in &expanded.operations {
            let key = match &op.key {
                automerge::legacy::Key::Map(k) => Some(k.to_string()),
                automerge::legacy::Key::Seq(_) => None,
            };
            let touch = match &op.obj {
                automerge::legacy::ObjectId::Root => Touch::Root(
                    key.ok_or_else(|| DocError::Refused("a list op at the root".into()))?,
                ),
                automerge::legacy::ObjectId::Id(id) => {
                    let obj = doc.import_obj(&id.to_string()).map_err(|_| {
                        DocError::Refused("an op on an object that is not there".into())
                    })?;
                    let path = doc
                        .parents(&obj)
                        .map_err(|e| DocError::Refused(format!("an op on an unknown object: {e}")))?
                        .path();
                    let top = path.first().and_then(|(_, p)| prop_key(p));
                    let Some(top) = top else {
                        return Err(DocError::Refused("an op outside any root key".into()));
                    };
                    if !collections.contains(&top.as_str()) {
                        Touch::Root(top)
                    } else {
                        let (record, field) = match (path.get(1), path.get(2)) {
                            (Some((_, record)), Some((_, field))) => {
                                (prop_key(record), prop_key(field))
                            }
                            // An op on the record's map: its key is the field.
                            (Some((_, record)), None) => (prop_key(record), key),
                            // An op on the collection map itself: its key is the record's.
                            (None, _) => (key, None),
                        };
                        match record {
                            Some(key) => Touch::Record {
                                collection: top,
                                key,
                                field,
                            },
                            None => {
                                return Err(DocError::Refused("a list op on a collection".into()))
                            }
                        }
                    }
                }
            };
            if !touches.contains(&touch) {
                touches.push(touch);
            }
        }
        Ok(touches)
    }

    /// The changes the change `hash` depends on: the document as its author saw it.
    pub fn change_deps(&mut self, hash: &[u8; 32]) -> Result<Vec<ChangeHash>, DocError> {
        self.automerge_mut()
            .get_change_meta_by_hash(&ChangeHash(*hash))
            .map(|c| c.deps.clone())
            .ok_or_else(|| DocError::Refused("a change that is not there".into()))
    }

    /// The organisations a record names in `fields` (a text field, or each text of a list,
    /// or each key of a map), as it is now or as it was at `heads`. Nothing when the record
    /// is not there.
    pub fn parties(
        &self,
        collection: &'static str,
        key: &str,
        fields: &[&str],
        heads: Option<&[ChangeHash]>,
    ) -> Vec<String> {
        let doc = self.automerge();
        let Ok(map) = self.collection(collection) else {
            return Vec::new();
        };
        let get = |obj: &automerge::ObjId, prop: &str| match heads {
            Some(h) => doc.get_at(obj, prop, h),
            None => doc.get(obj, prop),
        };
        let Ok(Some((Value::Object(_), record))) = get(&map, key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for field in fields {
            match get(&record, field) {
                Ok(Some((Value::Scalar(s), _))) => {
                    if let automerge::ScalarValue::Str(s) = s.as_ref() {
                        out.push(s.to_string());
                    }
                }
                Ok(Some((Value::Object(ObjType::Map), obj))) => match heads {
                    Some(h) => out.extend(doc.keys_at(&obj, h)),
                    None => out.extend(doc.keys(&obj)),
                },
                Ok(Some((Value::Object(ObjType::List), obj))) => {
                    let len = match heads {
                        Some(h) => doc.length_at(&obj, h),
                        None => doc.length(&obj),
                    };
                    for i in 0..len {
                        let item = match heads {
                            Some(h) => doc.get_at(&obj, i, h),
                            None => doc.get(&obj, i),
                        };
                        if let Ok(Some((Value::Scalar(s), _))) = item {
                            if let automerge::ScalarValue::Str(s) = s.as_ref() {
                                out.push(s.to_string());
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocKind, StreetDoc};
    use automerge::transaction::Transactable;

    /// A bare record with an owner, written as a peer's automerge would.
    fn put_owned(doc: &mut Document, key: &str, org: &str) {
        let posts = doc.collection("posts").unwrap();
        let am = doc.automerge_mut();
        let record = am.put_object(&posts, key, ObjType::Map).unwrap();
        am.put(&record, "org_id", org).unwrap();
        am.commit();
    }

    #[test]
    fn a_change_names_the_records_it_touched_and_a_record_its_parties() {
        let mut doc = StreetDoc::empty().unwrap();
        doc.use_actor_key(&[7; 32]);
        let before = doc.heads();
        put_owned(&mut doc, "p1", "o1");
        let changes = doc.changes_since(&before);
        assert_eq!(changes.len(), 1);
        assert_eq!(&changes[0].actor[..32], &[7; 32]);
        assert_eq!(changes[0].actor.len(), 48);
        let touches = doc.change_touches(&changes[0].hash).unwrap();
        let p1 = |field: Option<&str>| Touch::Record {
            collection: "posts".into(),
            key: "p1".into(),
            field: field.map(str::to_string),
        };
        assert_eq!(touches, vec![p1(None), p1(Some("org_id"))]);
        assert_eq!(doc.parties("posts", "p1", &["org_id"], None), vec!["o1"]);
        assert!(doc
            .parties("posts", "p1", &["org_id"], Some(&before))
            .is_empty());
        let mid = doc.heads();
        let posts = doc.collection("posts").unwrap();
        let record = match doc.automerge().get(&posts, "p1").unwrap() {
            Some((_, id)) => id,
            None => panic!("no record"),
        };
        doc.automerge_mut().put(&record, "org_id", "o2").unwrap();
        doc.automerge_mut().commit();
        assert_eq!(
            doc.parties("posts", "p1", &["org_id"], Some(&mid)),
            vec!["o1"]
        );
        assert_eq!(doc.parties("posts", "p1", &["org_id"], None), vec!["o2"]);
        let last = doc.changes_since(&mid);
        assert_eq!(
            doc.change_touches(&last[0].hash).unwrap(),
            vec![p1(Some("org_id"))]
        );
        assert_eq!(doc.change_deps(&last[0].hash).unwrap(), mid);
        assert_eq!(doc.kind(), DocKind::Street);
    }

    #[test]
    fn a_sync_message_carries_changes_one_by_one_and_their_authors_read_before_automerge() {
        let mut a = StreetDoc::empty().unwrap();
        a.use_actor_key(&[7; 32]);
        for i in 0..3 {
            put_owned(&mut a, &format!("p{i}"), "o1");
        }
        let mut b = StreetDoc::empty().unwrap();
        let (mut sa, mut sb) = (crate::SyncState::new(), crate::SyncState::new());
        let mut carried = Vec::new();
        for _ in 0..6 {
            if let Some(m) = a.generate_sync_message(&mut sa).unwrap() {
                carried.extend(crate::inbound::change_headers(&m).unwrap());
                // Raw automerge: these bare records are not valid posts, only owned ones.
                let message = automerge::sync::Message::decode(&m).unwrap();
                automerge::sync::SyncDoc::receive_sync_message(
                    &mut b.automerge_mut().sync(),
                    &mut sb,
                    message,
                )
                .unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb).unwrap() {
                a.receive_sync_message(&mut sa, &m).unwrap();
            }
        }
        assert_eq!(a.heads_hex(), b.heads_hex());
        let made: Vec<ChangeInfo> = a
            .changes_since(&[])
            .into_iter()
            .filter(|c| c.actor.len() == 48)
            .collect();
        assert_eq!(made.len(), 3);
        for change in &made {
            let header = carried.iter().find(|h| h.hash == change.hash).unwrap();
            assert_eq!((&header.actor, header.seq), (&change.actor, change.seq));
        }
        // A whole document hides who made what: refused.
        let whole = automerge::sync::Message {
            heads: vec![],
            need: vec![],
            have: vec![],
            changes: vec![a.save()].into(),
            flags: None,
            version: automerge::sync::MessageVersion::V2,
        };
        assert!(crate::inbound::change_headers(&whole.encode()).is_err());
    }
}
