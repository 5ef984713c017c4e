use rusqlite::{params, OptionalExtension};

use crate::error::StoreError;
use crate::{Store, Writer};

/// A document as stored: its kind and the byte chunks to load in order (the snapshot,
/// then every change appended since). Automerge loads the concatenation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub kind: String,
    pub chunks: Vec<Vec<u8>>,
    /// Whether `chunks[0]` is a snapshot (else every chunk is appended changes).
    pub has_snapshot: bool,
}

/// A peer as stored: what the status screen shows of it between sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPeer {
    pub device_id: String,
    pub org_id: String,
    pub via: String,
    pub last_seen: Option<i64>,
    pub last_synced: Option<i64>,
    /// Until when (Unix ms) the process holding a session with the peer vouches for it.
    pub live_until: Option<i64>,
}

/// A stored chunk that would not load, kept aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedChunk {
    pub doc_id: String,
    pub bytes: usize,
    pub reason: String,
    /// Unix seconds.
    pub at: i64,
}

impl StoredDocument {
    pub fn change_count(&self) -> usize {
        self.chunks.len().saturating_sub(1)
    }
}

impl Store {
    pub fn load_document(&self, doc_id: &str) -> Result<Option<StoredDocument>, StoreError> {
        let conn = self.conn();
        let Some((kind, snapshot)) = conn
            .query_row(
                "SELECT kind, snapshot FROM documents WHERE doc_id = ?1",
                [doc_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<Vec<u8>>>(1)?)),
            )
            .optional()?
        else {
            return Ok(None);
        };
        let has_snapshot = snapshot.is_some();
        let mut chunks: Vec<Vec<u8>> = snapshot.into_iter().collect();
        let mut stmt =
            conn.prepare_cached("SELECT bytes FROM doc_changes WHERE doc_id = ?1 ORDER BY seq")?;
        for bytes in stmt.query_map([doc_id], |r| r.get::<_, Vec<u8>>(0))? {
            chunks.push(bytes?);
        }
        Ok(Some(StoredDocument {
            kind,
            chunks,
            has_snapshot,
        }))
    }

    /// The saved sync state of a peer for a document (see `Writer::put_sync_state`).
    pub fn sync_state(&self, peer: &str, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT state FROM sync_states WHERE peer = ?1 AND doc_id = ?2",
                [peer, doc_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every peer talked to.
    pub fn peers(&self) -> Result<Vec<StoredPeer>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT device_id, org_id, via, last_seen, last_synced, live_until
             FROM peers ORDER BY device_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredPeer {
                    device_id: r.get(0)?,
                    org_id: r.get(1)?,
                    via: r.get(2)?,
                    last_seen: r.get(3)?,
                    last_synced: r.get(4)?,
                    live_until: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The documents whose sync state with `peer` is stored.
    pub fn sync_state_docs(&self, peer: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT doc_id FROM sync_states WHERE peer = ?1 ORDER BY doc_id")?;
        let docs = stmt
            .query_map([peer], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(docs)
    }

    /// The chunks kept aside because they would not load, newest first.
    pub fn quarantined(&self) -> Result<Vec<QuarantinedChunk>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT doc_id, length(bytes), reason, at FROM quarantine ORDER BY id DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(QuarantinedChunk {
                    doc_id: r.get(0)?,
                    bytes: usize::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    reason: r.get(2)?,
                    at: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The ids of the stored documents of one kind.
    pub fn document_ids(&self, kind: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT doc_id FROM documents WHERE kind = ?1 ORDER BY doc_id")?;
        let ids = stmt
            .query_map([kind], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }
}

impl Writer<'_> {
    /// Appends the bytes of new changes to a document (creating its row); returns how many
    /// change chunks the document now has beyond its snapshot.
    pub fn append_changes(
        &mut self,
        doc_id: &str,
        kind: &str,
        bytes: &[u8],
    ) -> Result<usize, StoreError> {
        self.tx.execute(
            "INSERT INTO documents(doc_id, kind) VALUES (?1, ?2)
             ON CONFLICT(doc_id) DO UPDATE SET updated_at = unixepoch()",
            params![doc_id, kind],
        )?;
        if !bytes.is_empty() {
            self.tx.execute(
                "INSERT INTO doc_changes(doc_id, seq, bytes)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_changes WHERE doc_id = ?1), ?2)",
                params![doc_id, bytes],
            )?;
        }
        let count: i64 = self.tx.query_row(
            "SELECT COUNT(*) FROM doc_changes WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    pub fn put_peer(&mut self, peer: &StoredPeer) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO peers(device_id, org_id, via, last_seen, last_synced, live_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                peer.device_id,
                peer.org_id,
                peer.via,
                peer.last_seen,
                peer.last_synced,
                peer.live_until
            ],
        )?;
        Ok(())
    }

    pub fn put_sync_state(
        &mut self,
        peer: &str,
        doc_id: &str,
        state: &[u8],
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO sync_states(peer, doc_id, state) VALUES (?1, ?2, ?3)",
            params![peer, doc_id, state],
        )?;
        Ok(())
    }

    /// Keeps `bad` (chunks of `doc_id` that would not load, with why) aside, and replaces
    /// the document with `good`, a full save of what did load: one transaction, so a crash
    /// leaves either the old rows or the new ones.
    pub fn quarantine(
        &mut self,
        doc_id: &str,
        kind: &str,
        bad: &[(Vec<u8>, String)],
        good: &[u8],
    ) -> Result<(), StoreError> {
        for (bytes, reason) in bad {
            self.tx.execute(
                "INSERT INTO quarantine(doc_id, bytes, reason) VALUES (?1, ?2, ?3)",
                params![doc_id, bytes, reason],
            )?;
        }
        self.replace_snapshot(doc_id, kind, good)
    }

    /// Replaces a document's snapshot with a full save and drops the appended changes it
    /// contains. Call it only with a save that includes every stored change.
    pub fn replace_snapshot(
        &mut self,
        doc_id: &str,
        kind: &str,
        full: &[u8],
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO documents(doc_id, kind, snapshot) VALUES (?1, ?2, ?3)
             ON CONFLICT(doc_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = unixepoch()",
            params![doc_id, kind, full],
        )?;
        self.tx
            .execute("DELETE FROM doc_changes WHERE doc_id = ?1", [doc_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[test]
    fn changes_append_in_order_and_compact_into_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .write(|w| {
                w.append_changes("d", "street", b"one")?;
                w.append_changes("d", "street", b"two")
            })
            .unwrap();
        let doc = store.load_document("d").unwrap().unwrap();
        assert_eq!(doc.chunks, vec![b"one".to_vec(), b"two".to_vec()]);
        store
            .write(|w| w.replace_snapshot("d", "street", b"full"))
            .unwrap();
        store
            .write(|w| w.append_changes("d", "street", b"three"))
            .unwrap();
        let doc = store.load_document("d").unwrap().unwrap();
        assert_eq!(doc.chunks, vec![b"full".to_vec(), b"three".to_vec()]);
        assert_eq!(doc.change_count(), 1);
        assert_eq!(store.document_ids("street").unwrap(), vec!["d"]);
        assert!(store.load_document("nope").unwrap().is_none());
    }
}
