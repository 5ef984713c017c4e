use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ReadDoc, ROOT};
use autosurgeon::{Hydrate, Reconcile};
use ivej_model::Validate;

use crate::error::DocError;
use crate::record::Record;
use crate::schema;

/// A value directly under the root, `None` when the key is absent (autosurgeon treats an
/// absent key as an error even for `Option`).
pub(crate) fn root_value<T: Hydrate>(doc: &AutoCommit, key: &str) -> Result<Option<T>, DocError> {
    if doc.get(ROOT, key)?.is_none() {
        return Ok(None);
    }
    Ok(Some(autosurgeon::hydrate_prop(doc, ROOT, key)?))
}

/// The three kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Street,
    Minutes,
    Private,
    /// Posts one organisation shares with the facilitator only, or with named
    /// organisations: only their devices hold the document.
    Scoped,
}

impl DocKind {
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Street => "street",
            DocKind::Minutes => "minutes",
            DocKind::Private => "private",
            DocKind::Scoped => "scoped",
        }
    }

    /// The maps under the root that hold this kind's records.
    pub(crate) fn collections(self) -> &'static [&'static str] {
        match self {
            DocKind::Street => &[
                "organisations",
                "posts",
                "interests",
                "series",
                "meetings",
                "actions",
                "collaborations",
                "relationships",
                "services",
            ],
            DocKind::Minutes => &["decisions"],
            DocKind::Private => &["drafts", "notes", "posts"],
            // Posts for some; interest the facilitator brokers to and from them.
            DocKind::Scoped => &["posts", "interests"],
        }
    }

    /// Root keys no peer may change once they hold something: the document's identity and
    /// the objects its records live in. Replacing one would make a node refuse to open
    /// (`schema_version`), misread the document (`kind`), or hide every record of a
    /// collection behind an empty map. (`street` is the street record: peers update its
    /// fields in place, but never replace or delete it.)
    pub(crate) fn guarded_root_keys(self) -> Vec<&'static str> {
        let mut keys = vec!["kind", "schema_version"];
        keys.extend(self.collections());
        keys.extend(match self {
            DocKind::Street => &["street"][..],
            DocKind::Minutes => &["text", "meeting_id"],
            DocKind::Private => &["org_id"],
            DocKind::Scoped => &["scope"],
        });
        keys
    }

    /// A fixed actor for the skeleton change. Every replica that creates an empty document
    /// of this kind makes the very same first change (same actor, time and operations, so
    /// the same hash): collections created offline on two devices are then one object
    /// after a merge, instead of two conflicting maps of which one would hide the other.
    fn skeleton_actor(self) -> ActorId {
        let mut bytes = *b"industrivej-sk-0";
        bytes[15] = match self {
            DocKind::Street => b'S',
            DocKind::Minutes => b'M',
            DocKind::Private => b'P',
            DocKind::Scoped => b'C',
        };
        ActorId::from(bytes.as_slice())
    }
}

/// What one guarded root key holds: a value, or the identity of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RootSlot {
    Scalar(automerge::ScalarValue),
    Object(automerge::ObjId),
}

/// Runs automerge on a peer's data: a panic inside it (automerge 0.12 has some on crafted
/// input) becomes an error instead of unwinding through the caller's locks.
pub(crate) fn caught<T>(what: &'static str, f: impl FnOnce() -> T) -> Result<T, DocError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| DocError::Panicked(what))
}

/// An automerge document of one [`DocKind`] with typed access to its records.
#[derive(Debug)]
pub struct Document {
    kind: DocKind,
    doc: AutoCommit,
    /// The heads already written out by `save`/`save_incremental` (automerge's own cursor
    /// starts empty after a load, which would re-save the whole history once).
    saved_heads: Vec<ChangeHash>,
}

impl Document {
    /// A new, empty document: the shared skeleton, then a fresh random actor for this device.
    pub fn new(kind: DocKind) -> Result<Self, DocError> {
        Self::new_owned(kind, None)
    }

    /// A new document of `kind`; for minutes and private documents, owned by `owner` (the
    /// meeting or the organisation). The owner is written by a second fixed change, the
    /// same on every device that creates the document: who created it first does not
    /// matter, and it needs no author ([`Document::creation_hashes`]).
    pub fn new_owned(kind: DocKind, owner: Option<&str>) -> Result<Self, DocError> {
        let mut doc = AutoCommit::new().with_actor(kind.skeleton_actor());
        doc.put(ROOT, "kind", kind.name())?;
        doc.put(ROOT, "schema_version", schema::CURRENT_VERSION)?;
        for collection in kind.collections() {
            doc.put_object(ROOT, *collection, ObjType::Map)?;
        }
        if kind == DocKind::Minutes {
            doc.put_object(ROOT, "text", ObjType::Text)?;
        }
        doc.commit_with(CommitOptions::default().with_time(0));
        if let Some(owner) = owner {
            match kind {
                DocKind::Minutes => {
                    doc.put(ROOT, "meeting_id", owner)?;
                    doc.put(ROOT, "in_confidence", false)?;
                }
                DocKind::Private => doc.put(ROOT, "org_id", owner)?,
                DocKind::Scoped => doc.put(ROOT, "scope", owner)?,
                DocKind::Street => {}
            }
            doc.commit_with(CommitOptions::default().with_time(0));
        }
        doc.set_actor(ActorId::random());
        Ok(Document {
            kind,
            doc,
            saved_heads: Vec::new(),
        })
    }

    /// The hashes of the fixed changes every device makes when it creates a document of
    /// `kind` owned by `owner`: the skeleton, and the owner's change. They carry no
    /// author's signature; a receiver recognises them by hash.
    pub fn creation_hashes(kind: DocKind, owner: Option<&str>) -> Vec<[u8; 32]> {
        match Self::new_owned(kind, owner) {
            Ok(mut doc) => doc.changes_since(&[]).into_iter().map(|c| c.hash).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Loads saved bytes (a full save, optionally followed by incremental saves), checks the
    /// kind and migrates an older schema version.
    pub fn load(kind: DocKind, bytes: &[u8]) -> Result<Self, DocError> {
        let doc = caught("loading a document", || AutoCommit::load(bytes))??;
        Self::from_automerge(kind, doc)
    }

    pub fn from_automerge(kind: DocKind, mut doc: AutoCommit) -> Result<Self, DocError> {
        let found: Option<String> = root_value(&doc, "kind")?;
        let found = found.ok_or(DocError::MissingField("kind"))?;
        if found != kind.name() {
            return Err(DocError::WrongKind {
                expected: kind.name(),
                found,
            });
        }
        let migrated = schema::migrate(&mut doc, schema::migrations(kind))?;
        doc.set_actor(ActorId::random());
        let saved_heads = if migrated {
            Vec::new()
        } else {
            doc.get_heads()
        };
        Ok(Document {
            kind,
            doc,
            saved_heads,
        })
    }

    pub fn saved_heads(&self) -> &[ChangeHash] {
        &self.saved_heads
    }

    pub fn kind(&self) -> DocKind {
        self.kind
    }

    pub fn schema_version(&self) -> Result<u64, DocError> {
        schema::version_of(&self.doc)
    }

    /// Validates `record` and writes it under its key. On any error the document is unchanged.
    pub fn put<R: Record>(&mut self, record: &R) -> Result<(), DocError> {
        self.expect_kind::<R>()?;
        self.put_in(R::COLLECTION, &Record::key(record), record)
    }

    pub(crate) fn put_in<R: Reconcile + Validate>(
        &mut self,
        collection: &'static str,
        key: &str,
        record: &R,
    ) -> Result<(), DocError> {
        record.validate()?;
        let map = self.collection(collection)?;
        if let Err(e) = autosurgeon::reconcile_prop(&mut self.doc, &map, key, record) {
            self.doc.rollback();
            return Err(e.into());
        }
        self.doc.commit();
        Ok(())
    }

    pub fn get<R: Record>(&self, key: &str) -> Result<Option<R>, DocError> {
        self.expect_kind::<R>()?;
        self.get_in(R::COLLECTION, key)
    }

    pub(crate) fn get_in<R: Hydrate>(
        &self,
        collection: &'static str,
        key: &str,
    ) -> Result<Option<R>, DocError> {
        let map = self.collection(collection)?;
        if self.doc.get(&map, key)?.is_none() {
            return Ok(None);
        }
        Ok(Some(autosurgeon::hydrate_prop(&self.doc, &map, key)?))
    }

    /// Like [`Document::get`], but a missing record is an error.
    pub fn require<R: Record>(&self, key: &str) -> Result<R, DocError> {
        self.get(key)?.ok_or_else(|| DocError::NotFound {
            collection: R::COLLECTION,
            id: key.to_string(),
        })
    }

    /// Every record of the collection that reads back well. A record a peer wrote in a shape
    /// this version does not understand is left out rather than failing the whole list.
    pub fn all<R: Record>(&self) -> Vec<R> {
        if self.expect_kind::<R>().is_err() {
            return Vec::new();
        }
        self.all_in(R::COLLECTION)
    }

    pub(crate) fn all_in<R: Hydrate>(&self, collection: &'static str) -> Vec<R> {
        let Ok(map) = self.collection(collection) else {
            return Vec::new();
        };
        self.doc
            .keys(&map)
            .filter_map(|key| autosurgeon::hydrate_prop(&self.doc, &map, key.as_str()).ok())
            .collect()
    }

    pub fn keys<R: Record>(&self) -> Vec<String> {
        match self.collection(R::COLLECTION) {
            Ok(map) if self.holds::<R>() => self.doc.keys(&map).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether a record with this key exists (without reading it).
    pub fn contains<R: Record>(&self, key: &str) -> bool {
        self.holds::<R>()
            && self
                .collection(R::COLLECTION)
                .is_ok_and(|map| matches!(self.doc.get(&map, key), Ok(Some(_))))
    }

    /// Removes a record; returns whether it was there.
    pub fn remove<R: Record>(&mut self, key: &str) -> Result<bool, DocError> {
        self.expect_kind::<R>()?;
        self.remove_in(R::COLLECTION, key)
    }

    pub(crate) fn remove_in(
        &mut self,
        collection: &'static str,
        key: &str,
    ) -> Result<bool, DocError> {
        let map = self.collection(collection)?;
        if self.doc.get(&map, key)?.is_none() {
            return Ok(false);
        }
        self.doc.delete(&map, key)?;
        self.doc.commit();
        Ok(true)
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        let bytes = self.doc.save();
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    /// The changes since the last call to `save`/`save_incremental`, to append to storage.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.commit();
        let bytes = self.doc.save_after(&self.saved_heads);
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    /// Records that everything in memory is on disk (after applying what another process
    /// stored), so it is not appended again.
    pub fn mark_saved(&mut self) {
        self.saved_heads = self.doc.get_heads();
    }

    /// Applies bytes from `save`/`save_incremental` (this device's or a peer's).
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocError> {
        let doc = &mut self.doc;
        Ok(caught("loading changes", || doc.load_incremental(bytes))??)
    }

    pub fn merge(&mut self, other: &mut Document) -> Result<Vec<ChangeHash>, DocError> {
        Ok(self.doc.merge(&mut other.doc)?)
    }

    /// A copy with its own actor, as another device would hold it.
    pub fn fork(&mut self) -> Document {
        let doc = self.doc.fork();
        Document {
            kind: self.kind,
            saved_heads: Vec::new(),
            doc,
        }
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The heads as sorted hex, comparable across runs (what storage records as projected).
    pub fn heads_hex(&mut self) -> String {
        let mut heads: Vec<String> = self.doc.get_heads().iter().map(|h| h.to_string()).collect();
        heads.sort();
        heads.join(",")
    }

    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// What each guarded root key holds now (see [`DocKind::guarded_root_keys`]).
    pub(crate) fn root_identity(&self) -> Vec<(&'static str, Option<RootSlot>)> {
        self.kind
            .guarded_root_keys()
            .into_iter()
            .map(|key| {
                let slot = match self.doc.get(ROOT, key) {
                    Ok(Some((automerge::Value::Scalar(v), _))) => {
                        Some(RootSlot::Scalar(v.into_owned()))
                    }
                    Ok(Some((automerge::Value::Object(_), id))) => Some(RootSlot::Object(id)),
                    _ => None,
                };
                (key, slot)
            })
            .collect()
    }

    pub(crate) fn collection(&self, name: &'static str) -> Result<automerge::ObjId, DocError> {
        match self.doc.get(ROOT, name)? {
            Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(DocError::MissingField(name)),
        }
    }

    /// Whether records of `R` live in this kind of document: the kind they belong to, or
    /// one that keeps a collection of them too (posts and brokered interest in scopes).
    fn holds<R: Record>(&self) -> bool {
        R::DOC == self.kind || self.kind.collections().contains(&R::COLLECTION)
    }

    fn expect_kind<R: Record>(&self) -> Result<(), DocError> {
        if self.holds::<R>() {
            Ok(())
        } else {
            Err(DocError::WrongKind {
                expected: R::DOC.name(),
                found: self.kind.name().to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independently_created_skeletons_merge_into_one() {
        let mut a = Document::new(DocKind::Private).unwrap();
        let mut b = Document::new(DocKind::Private).unwrap();
        let note = |id: &str| ivej_model::PrivateNote {
            id: id.into(),
            about: None,
            text: "call the laser shop".into(),
            created_at: 1,
            updated_at: 1,
        };
        a.put(&note("a")).unwrap();
        b.put(&note("b")).unwrap();
        a.merge(&mut b).unwrap();
        let mut keys = a.keys::<ivej_model::PrivateNote>();
        keys.sort();
        assert_eq!(keys, vec!["a", "b"]);
    }

    #[test]
    fn loading_checks_the_kind() {
        let mut street = Document::new(DocKind::Street).unwrap();
        let bytes = street.save();
        assert!(matches!(
            Document::load(DocKind::Minutes, &bytes),
            Err(DocError::WrongKind { .. })
        ));
        assert!(Document::load(DocKind::Street, &bytes).is_ok());
        assert!(Document::load(DocKind::Street, b"not automerge").is_err());
    }
}
