//! The store for a street network that outgrows one machine: several stateless relay
//! instances over one PostgreSQL. Every instance hears of every new entry through
//! `LISTEN`/`NOTIFY` (sent inside the transaction that stores the entry, so it is heard
//! only once the entry is there).

use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::proto::Entry;
use crate::sqlite::DEFAULT_TOPIC_QUOTA;
use crate::store::{Announcement, Listing, Store, StoreError};

const CHANNEL: &str = "ivej_relay";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS relay_topics (
    topic BYTEA PRIMARY KEY,
    next_seq BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    pruned_through BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS relay_entries (
    topic BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    covers BIGINT,
    hash BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    bundle BYTEA NOT NULL,
    PRIMARY KEY (topic, seq),
    UNIQUE (topic, hash)
);
";

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Bundles in PostgreSQL.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    announce: broadcast::Sender<Announcement>,
    quota: u64,
    /// The connection that listens for other instances' entries.
    _listener: Arc<ListenerTask>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

struct ListenerTask {
    task: tokio::task::JoinHandle<()>,
    _client: tokio_postgres::Client,
}

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn parse_notice(payload: &str) -> Option<Announcement> {
    let (topic, seq) = payload.split_once(':')?;
    if topic.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(topic.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some((out, seq.parse().ok()?))
}

fn entry_of(seq: i64, len: i32, covers: Option<i64>) -> Entry {
    Entry {
        seq: seq as u64,
        len: len as u32,
        snapshot: covers.is_some(),
        covers: covers.unwrap_or(0) as u64,
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db` or `host=... port=...`), creates
    /// the tables if they are not there, and listens for other instances' entries.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with_quota(url, DEFAULT_TOPIC_QUOTA).await
    }

    pub async fn connect_with_quota(url: &str, quota: u64) -> Result<PostgresStore, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(backend)?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(backend)?;
        {
            let client = pool.get().await.map_err(backend)?;
            // Two instances starting together must not both create the tables.
            client
                .batch_execute("SELECT pg_advisory_lock(7117)")
                .await
                .map_err(backend)?;
            let created = client.batch_execute(SCHEMA).await;
            client
                .batch_execute("SELECT pg_advisory_unlock(7117)")
                .await
                .map_err(backend)?;
            created.map_err(backend)?;
        }
        let (announce, _) = broadcast::channel(4096);
        let (client, mut connection) = config.connect(NoTls).await.map_err(backend)?;
        let tx = announce.clone();
        let task = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(message) = messages.next().await {
                match message {
                    Ok(AsyncMessage::Notification(n)) => {
                        if let Some(notice) = parse_notice(n.payload()) {
                            let _ = tx.send(notice);
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        // Members poll every 30 s: they still get what is new, later.
                        tracing::warn!(error = %e, "lost PostgreSQL notifications");
                        break;
                    }
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(backend)?;
        let store = PostgresStore {
            pool,
            announce,
            quota,
            _listener: Arc::new(ListenerTask {
                task,
                _client: client,
            }),
        };
        Ok(store)
    }
}

impl Store for PostgresStore {
    async fn put(
        &self,
        topic: [u8; 32],
        bundle: Vec<u8>,
        covers: Option<u64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(&bundle).to_vec();
        let len = bundle.len() as i64;
        if len as u64 > self.quota {
            return Err(StoreError::TopicFull);
        }
        let mut client = self.pool.get().await.map_err(backend)?;
        for _attempt in 0..3 {
            let tx = client.transaction().await.map_err(backend)?;
            if let Some(row) = tx
                .query_opt(
                    "SELECT seq FROM relay_entries WHERE topic = $1 AND hash = $2",
                    &[&&topic[..], &hash],
                )
                .await
                .map_err(backend)?
            {
                return Ok(row.get::<_, i64>(0) as u64);
            }
            // The topic's row lock orders concurrent puts: numbers are taken in commit order.
            let row = tx
                .query_opt(
                    "INSERT INTO relay_topics (topic, next_seq, bytes) VALUES ($1, 2, $2)
                     ON CONFLICT (topic) DO UPDATE
                        SET next_seq = relay_topics.next_seq + 1,
                            bytes = relay_topics.bytes + EXCLUDED.bytes
                        WHERE relay_topics.bytes + EXCLUDED.bytes <= $3
                     RETURNING next_seq - 1",
                    &[&&topic[..], &len, &(self.quota as i64)],
                )
                .await
                .map_err(backend)?;
            let Some(row) = row else {
                return Err(StoreError::TopicFull);
            };
            let seq: i64 = row.get(0);
            if covers.is_some_and(|c| c as i64 >= seq) {
                return Err(StoreError::BadCovers);
            }
            let inserted = tx
                .execute(
                    "INSERT INTO relay_entries (topic, seq, covers, hash, created_ms, bundle)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (topic, hash) DO NOTHING",
                    &[
                        &&topic[..],
                        &seq,
                        &covers.map(|c| c as i64),
                        &hash,
                        &now_ms,
                        &bundle,
                    ],
                )
                .await
                .map_err(backend)?;
            if inserted == 0 {
                // The same bundle, put at the same moment through another instance: take
                // the number it got (this transaction's goes back, leaving no gap).
                drop(tx);
                continue;
            }
            let notice = format!(
                "{}:{seq}",
                topic.iter().map(|b| format!("{b:02x}")).collect::<String>()
            );
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &notice])
                .await
                .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            return Ok(seq as u64);
        }
        Err(StoreError::Backend(
            "the same bundle kept arriving at once".into(),
        ))
    }

    async fn list(&self, topic: [u8; 32], after: u64, max: u16) -> Result<Listing, StoreError> {
        let client = self.pool.get().await.map_err(backend)?;
        let Some(row) = client
            .query_opt(
                "SELECT next_seq, pruned_through FROM relay_topics WHERE topic = $1",
                &[&&topic[..]],
            )
            .await
            .map_err(backend)?
        else {
            return Ok(Listing::default());
        };
        let (next_seq, pruned_through): (i64, i64) = (row.get(0), row.get(1));
        let mut from = after as i64;
        let mut snapshot = None;
        if from < pruned_through {
            let found = client
                .query_opt(
                    "SELECT seq, length(bundle), covers FROM relay_entries
                     WHERE topic = $1 AND covers >= $2 ORDER BY seq DESC LIMIT 1",
                    &[&&topic[..], &pruned_through],
                )
                .await
                .map_err(backend)?
                .ok_or_else(|| StoreError::Backend("pruned without a snapshot".into()))?;
            let entry = entry_of(found.get(0), found.get(1), found.get(2));
            from = entry.covers as i64;
            snapshot = Some(entry);
        }
        let rows = client
            .query(
                "SELECT seq, length(bundle), covers FROM relay_entries
                 WHERE topic = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&&topic[..], &from, &i64::from(max)],
            )
            .await
            .map_err(backend)?;
        Ok(Listing {
            snapshot,
            entries: rows
                .iter()
                .map(|r| entry_of(r.get(0), r.get(1), r.get(2)))
                .collect(),
            last_seq: (next_seq - 1) as u64,
        })
    }

    async fn get(&self, topic: [u8; 32], seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let client = self.pool.get().await.map_err(backend)?;
        Ok(client
            .query_opt(
                "SELECT bundle FROM relay_entries WHERE topic = $1 AND seq = $2",
                &[&&topic[..], &(seq as i64)],
            )
            .await
            .map_err(backend)?
            .map(|r| r.get(0)))
    }

    async fn last_seq(&self, topic: [u8; 32]) -> Result<u64, StoreError> {
        let client = self.pool.get().await.map_err(backend)?;
        Ok(client
            .query_opt(
                "SELECT next_seq FROM relay_topics WHERE topic = $1",
                &[&&topic[..]],
            )
            .await
            .map_err(backend)?
            .map_or(0, |r| (r.get::<_, i64>(0) - 1) as u64))
    }

    async fn prune(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        let mut client = self.pool.get().await.map_err(backend)?;
        let tx = client.transaction().await.map_err(backend)?;
        let snapshots = tx
            .query(
                "SELECT topic, MAX(covers) FROM relay_entries
                 WHERE covers IS NOT NULL AND created_ms < $1 GROUP BY topic",
                &[&cutoff_ms],
            )
            .await
            .map_err(backend)?;
        let mut deleted = 0u64;
        for row in snapshots {
            let topic: Vec<u8> = row.get(0);
            let covers: i64 = row.get(1);
            let freed = tx
                .query_one(
                    "WITH gone AS (
                        DELETE FROM relay_entries WHERE topic = $1 AND seq <= $2
                        RETURNING length(bundle) AS len)
                     SELECT COUNT(*), COALESCE(SUM(len), 0)::BIGINT FROM gone",
                    &[&topic, &covers],
                )
                .await
                .map_err(backend)?;
            let (n, bytes): (i64, i64) = (freed.get(0), freed.get(1));
            tx.execute(
                "UPDATE relay_topics SET bytes = bytes - $2,
                    pruned_through = GREATEST(pruned_through, $3) WHERE topic = $1",
                &[&topic, &bytes, &covers],
            )
            .await
            .map_err(backend)?;
            deleted += n as u64;
        }
        tx.commit().await.map_err(backend)?;
        Ok(deleted)
    }

    fn subscribe(&self) -> broadcast::Receiver<Announcement> {
        self.announce.subscribe()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_notice_names_a_topic_and_a_number() {
        let topic = [0xab; 32];
        let text = format!("{}:42", "ab".repeat(32));
        assert_eq!(super::parse_notice(&text), Some((topic, 42)));
        assert_eq!(super::parse_notice("ab:42"), None);
        assert_eq!(super::parse_notice(&format!("{}:x", "ab".repeat(32))), None);
    }
}
