//! The embedded store: one SQLite file (WAL), one process. Calls run on tokio's blocking
//! threads, one at a time (a relay for one street puts a few bundles a second).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::broadcast;

use crate::proto::Entry;
use crate::store::{Announcement, Listing, Store, StoreError};

/// What one topic may hold, unless told otherwise.
pub const DEFAULT_TOPIC_QUOTA: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    db: Arc<Mutex<Connection>>,
    announce: broadcast::Sender<Announcement>,
    quota: u64,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS topics (
    topic BLOB PRIMARY KEY,
    next_seq INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    pruned_through INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    topic BLOB NOT NULL,
    seq INTEGER NOT NULL,
    covers INTEGER,
    hash BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    bundle BLOB NOT NULL,
    PRIMARY KEY (topic, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_hash ON entries (topic, hash);
";

fn entry_of(seq: i64, len: i64, covers: Option<i64>) -> Entry {
    Entry {
        seq: seq as u64,
        len: len as u32,
        snapshot: covers.is_some(),
        covers: covers.unwrap_or(0) as u64,
    }
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with_quota(path, DEFAULT_TOPIC_QUOTA)
    }

    pub fn open_with_quota(path: &Path, quota: u64) -> Result<SqliteStore, StoreError> {
        let db = Connection::open(path).map_err(backend)?;
        db.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(backend)?;
        db.execute_batch(SCHEMA).map_err(backend)?;
        let (announce, _) = broadcast::channel(1024);
        Ok(SqliteStore {
            db: Arc::new(Mutex::new(db)),
            announce,
            quota,
        })
    }

    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut db = db.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut db)
        })
        .await
        .map_err(backend)?
    }
}

fn hash_of(bundle: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bundle).to_vec()
}

impl Store for SqliteStore {
    async fn put(
        &self,
        topic: [u8; 32],
        bundle: Vec<u8>,
        covers: Option<u64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let quota = self.quota;
        let (seq, fresh) = self
            .with(move |db| {
                let tx = db.transaction().map_err(backend)?;
                let hash = hash_of(&bundle);
                let known: Option<i64> = tx
                    .query_row(
                        "SELECT seq FROM entries WHERE topic = ?1 AND hash = ?2",
                        params![&topic[..], hash],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(backend)?;
                if let Some(seq) = known {
                    return Ok((seq as u64, false));
                }
                let row: Option<(i64, i64)> = tx
                    .query_row(
                        "SELECT next_seq, bytes FROM topics WHERE topic = ?1",
                        params![&topic[..]],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(backend)?;
                let (seq, bytes) = row.unwrap_or((1, 0));
                if bytes as u64 + bundle.len() as u64 > quota {
                    return Err(StoreError::TopicFull);
                }
                if covers.is_some_and(|c| c >= seq as u64) {
                    return Err(StoreError::BadCovers);
                }
                tx.execute(
                    "INSERT INTO topics (topic, next_seq, bytes) VALUES (?1, ?2, ?3)
                     ON CONFLICT (topic) DO UPDATE SET next_seq = ?2, bytes = ?3",
                    params![&topic[..], seq + 1, bytes + bundle.len() as i64],
                )
                .map_err(backend)?;
                tx.execute(
                    "INSERT INTO entries (topic, seq, covers, hash, created_ms, bundle)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        &topic[..],
                        seq,
                        covers.map(|c| c as i64),
                        hash,
                        now_ms,
                        bundle
                    ],
                )
                .map_err(backend)?;
                tx.commit().map_err(backend)?;
                Ok((seq as u64, true))
            })
            .await?;
        if fresh {
            let _ = self.announce.send((topic, seq));
        }
        Ok(seq)
    }

    async fn list(&self, topic: [u8; 32], after: u64, max: u16) -> Result<Listing, StoreError> {
        self.with(move |db| {
            let row: Option<(i64, i64)> = db
                .query_row(
                    "SELECT next_seq, pruned_through FROM topics WHERE topic = ?1",
                    params![&topic[..]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
            let Some((next_seq, pruned_through)) = row else {
                return Ok(Listing::default());
            };
            let mut from = after;
            let mut snapshot = None;
            if (after as i64) < pruned_through {
                // Entries this reader has not seen are gone: the newest snapshot covering
                // them stands in for them.
                let found: Option<(i64, i64, Option<i64>)> = db
                    .query_row(
                        "SELECT seq, length(bundle), covers FROM entries
                         WHERE topic = ?1 AND covers >= ?2 ORDER BY seq DESC LIMIT 1",
                        params![&topic[..], pruned_through],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(backend)?;
                let Some((seq, len, covers)) = found else {
                    return Err(StoreError::Backend("pruned without a snapshot".into()));
                };
                let entry = entry_of(seq, len, covers);
                from = entry.covers;
                snapshot = Some(entry);
            }
            let mut stmt = db
                .prepare_cached(
                    "SELECT seq, length(bundle), covers FROM entries
                     WHERE topic = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                )
                .map_err(backend)?;
            let entries = stmt
                .query_map(params![&topic[..], from as i64, i64::from(max)], |r| {
                    Ok(entry_of(r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(backend)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(backend)?;
            Ok(Listing {
                snapshot,
                entries,
                last_seq: (next_seq - 1) as u64,
            })
        })
        .await
    }

    async fn get(&self, topic: [u8; 32], seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(move |db| {
            db.query_row(
                "SELECT bundle FROM entries WHERE topic = ?1 AND seq = ?2",
                params![&topic[..], seq as i64],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
        })
        .await
    }

    async fn last_seq(&self, topic: [u8; 32]) -> Result<u64, StoreError> {
        self.with(move |db| {
            let next: Option<i64> = db
                .query_row(
                    "SELECT next_seq FROM topics WHERE topic = ?1",
                    params![&topic[..]],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            Ok(next.map_or(0, |n| (n - 1) as u64))
        })
        .await
    }

    async fn prune(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        self.with(move |db| {
            let tx = db.transaction().map_err(backend)?;
            // Per topic, the newest snapshot past its grace period.
            let snapshots: Vec<(Vec<u8>, i64)> = {
                let mut stmt = tx
                    .prepare(
                        "SELECT topic, MAX(covers) FROM entries
                         WHERE covers IS NOT NULL AND created_ms < ?1 GROUP BY topic",
                    )
                    .map_err(backend)?;
                let rows = stmt
                    .query_map(params![cutoff_ms], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(backend)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(backend)?;
                rows
            };
            let mut deleted = 0u64;
            for (topic, covers) in snapshots {
                let freed: i64 = tx
                    .query_row(
                        "SELECT COALESCE(SUM(length(bundle)), 0) FROM entries
                         WHERE topic = ?1 AND seq <= ?2",
                        params![topic, covers],
                        |r| r.get(0),
                    )
                    .map_err(backend)?;
                let n = tx
                    .execute(
                        "DELETE FROM entries WHERE topic = ?1 AND seq <= ?2",
                        params![topic, covers],
                    )
                    .map_err(backend)?;
                tx.execute(
                    "UPDATE topics SET bytes = bytes - ?2,
                     pruned_through = MAX(pruned_through, ?3) WHERE topic = ?1",
                    params![topic, freed, covers],
                )
                .map_err(backend)?;
                deleted += n as u64;
            }
            tx.commit().map_err(backend)?;
            Ok(deleted)
        })
        .await
    }

    fn subscribe(&self) -> broadcast::Receiver<Announcement> {
        self.announce.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn entries_are_numbered_without_gaps_puts_are_idempotent_and_pruning_leaves_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("relay.sqlite")).unwrap();
        let t = [1; 32];
        assert_eq!(store.put(t, vec![1; 10], None, 0).await.unwrap(), 1);
        assert_eq!(store.put(t, vec![2; 10], None, 0).await.unwrap(), 2);
        assert_eq!(store.put(t, vec![1; 10], None, 0).await.unwrap(), 1);
        assert_eq!(store.put([2; 32], vec![1; 10], None, 0).await.unwrap(), 1);
        assert!(matches!(
            store.put(t, vec![3; 10], Some(5), 0).await,
            Err(StoreError::BadCovers)
        ));
        assert_eq!(store.put(t, vec![3; 10], Some(2), 100).await.unwrap(), 3);
        assert_eq!(store.put(t, vec![4; 10], None, 100).await.unwrap(), 4);
        // Within the grace period: nothing goes.
        assert_eq!(store.prune(50).await.unwrap(), 0);
        assert_eq!(store.list(t, 0, 100).await.unwrap().entries.len(), 4);
        assert_eq!(store.prune(200).await.unwrap(), 2);
        // A reader from the start gets the snapshot, then what came after what it covers.
        let listing = store.list(t, 0, 100).await.unwrap();
        assert_eq!(listing.snapshot.map(|s| (s.seq, s.covers)), Some((3, 2)));
        let seqs: Vec<u64> = listing.entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![3, 4]);
        assert_eq!(listing.last_seq, 4);
        // A reader past the pruned entries sees no snapshot.
        assert!(store.list(t, 2, 100).await.unwrap().snapshot.is_none());
        assert_eq!(store.get(t, 1).await.unwrap(), None);
        assert_eq!(store.get(t, 4).await.unwrap(), Some(vec![4; 10]));
        // Numbers keep counting after a prune.
        assert_eq!(store.put(t, vec![5; 10], None, 300).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_full_topic_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_with_quota(&dir.path().join("r.sqlite"), 25).unwrap();
        store.put([1; 32], vec![1; 20], None, 0).await.unwrap();
        assert!(matches!(
            store.put([1; 32], vec![2; 20], None, 0).await,
            Err(StoreError::TopicFull)
        ));
    }
}
