//! The database schema, one step per version, tracked in `PRAGMA user_version`.
//! Opening an older data directory runs the missing steps in one transaction.

use rusqlite::Connection;

use crate::error::StoreError;

/// Step `i` brings the schema from version `i` to `i + 1`.
const STEPS: &[&str] = &[
    // 1: document storage and settings.
    "CREATE TABLE documents (
        doc_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        snapshot BLOB,
        updated_at INTEGER NOT NULL DEFAULT (unixepoch())
     );
     CREATE TABLE doc_changes (
        doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (doc_id, seq)
     );
     CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: query projections of the street document, with full-text search.
    "CREATE TABLE projection_state (doc_id TEXT PRIMARY KEY, heads TEXT NOT NULL);
     CREATE TABLE organisations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        lat REAL,
        lon REAL,
        is_member INTEGER NOT NULL,
        json TEXT NOT NULL
     );
     CREATE TABLE org_industries (
        org_id TEXT NOT NULL,
        code TEXT NOT NULL,
        division TEXT,
        section TEXT
     );
     CREATE INDEX org_industries_by_section ON org_industries(section);
     CREATE INDEX org_industries_by_division ON org_industries(division);
     CREATE INDEX org_industries_by_org ON org_industries(org_id);
     CREATE TABLE posts (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        kind TEXT NOT NULL,
        root_kind TEXT NOT NULL,
        status TEXT NOT NULL,
        expires_on TEXT,
        anonymous INTEGER NOT NULL,
        lat REAL,
        lon REAL,
        created_at INTEGER NOT NULL,
        json TEXT NOT NULL
     );
     CREATE INDEX posts_by_created ON posts(created_at DESC);
     CREATE INDEX posts_by_org ON posts(org_id);
     CREATE TABLE services (
        id TEXT PRIMARY KEY,
        provider_org TEXT NOT NULL,
        json TEXT NOT NULL
     );
     CREATE VIRTUAL TABLE posts_fts USING fts5(
        post_id UNINDEXED, title, body, kind_label, org_name,
        tokenize = 'unicode61 remove_diacritics 2'
     );
     CREATE VIRTUAL TABLE organisations_fts USING fts5(
        org_id UNINDEXED, name, cv, place, industries,
        tokenize = 'unicode61 remove_diacritics 2'
     );
     CREATE VIRTUAL TABLE services_fts USING fts5(
        service_id UNINDEXED, name, description, target_group,
        tokenize = 'unicode61 remove_diacritics 2'
     );",
    // 3: what each peer is known to have of each document, so a reconnect costs little.
    "CREATE TABLE sync_states (
        peer TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        state BLOB NOT NULL,
        PRIMARY KEY (peer, doc_id)
     );",
    // 4: the peers this device has talked to, for the sync status screen.
    "CREATE TABLE peers (
        device_id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        via TEXT NOT NULL,
        last_seen INTEGER,
        last_synced INTEGER
     );",
    // 5: stored chunks that would not load, kept aside (never deleted) so the node opens
    // without them and the user can be told.
    "CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        doc_id TEXT NOT NULL,
        bytes BLOB NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL DEFAULT (unixepoch())
     );",
    // 6: until when (Unix ms) the process holding a session with a peer vouches for it, so
    // another process (`ivej peers` beside `ivej serve`) can tell it is connected.
    "ALTER TABLE peers ADD COLUMN live_until INTEGER;",
    // 7: trust. Certificates (by subject key) and revocations this node has checked and
    // taken; each change's signature, passed on with the change; and what was refused, by
    // the device that sent it.
    "CREATE TABLE certificates (
        subject BLOB PRIMARY KEY,
        bytes BLOB NOT NULL,
        seen_at INTEGER NOT NULL DEFAULT (unixepoch())
     );
     CREATE TABLE revocations (
        id INTEGER PRIMARY KEY,
        bytes BLOB NOT NULL UNIQUE
     );
     CREATE TABLE change_signatures (
        doc_id TEXT NOT NULL,
        hash BLOB NOT NULL,
        signature BLOB NOT NULL,
        PRIMARY KEY (doc_id, hash)
     ) WITHOUT ROWID;
     CREATE TABLE refusals (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        device_id TEXT NOT NULL,
        author TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        reason TEXT NOT NULL
     );",
    // 8: the relay's mailbox, per epoch and document: the entries taken (a cursor that
    // only moves past entries whose changes are stored), the newest entry the relay
    // reported, and the heads of what the mailbox is known to hold (concatenated hashes).
    "CREATE TABLE mailbox (
        epoch INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0,
        last_seq INTEGER NOT NULL DEFAULT 0,
        known BLOB NOT NULL DEFAULT x'',
        PRIMARY KEY (epoch, doc_id)
     );
     -- Each new epoch this device began (a rekey, put in the previous epoch's control
     -- topic), or took.
     CREATE TABLE rekeys (
        epoch INTEGER PRIMARY KEY,
        bytes BLOB NOT NULL,
        put INTEGER NOT NULL DEFAULT 0
     );",
    // 9: keys of the documents only some may read, per epoch (each as it came: from the
    // device that granted it, or made here), and which devices a device said hold a key
    // (by its tag), so a key is granted to each reader device once.
    "CREATE TABLE scope_keys (
        epoch INTEGER NOT NULL,
        doc_id TEXT NOT NULL,
        key BLOB NOT NULL,
        granter BLOB NOT NULL,
        PRIMARY KEY (epoch, doc_id, key)
     ) WITHOUT ROWID;
     CREATE TABLE scope_holders (
        epoch INTEGER NOT NULL,
        tag BLOB NOT NULL,
        device BLOB NOT NULL,
        granter BLOB NOT NULL,
        PRIMARY KEY (epoch, tag, device, granter)
     ) WITHOUT ROWID;",
    // 10: what the multilingual model made of each text it read (little-endian f32s),
    // by a hash of the model and the text, with the text's language as guessed (each
    // language's mean is taken out before comparing): worked out once, not at every start.
    "CREATE TABLE meanings (
        hash BLOB PRIMARY KEY,
        lang TEXT NOT NULL,
        vector BLOB NOT NULL
     ) WITHOUT ROWID;",
];

/// The schema version this build creates.
pub const CURRENT_VERSION: u32 = STEPS.len() as u32;

pub(crate) fn version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Runs the steps from the database's version up to `target`.
pub(crate) fn migrate(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > CURRENT_VERSION {
        return Err(StoreError::NewerVersion {
            found,
            supported: CURRENT_VERSION,
        });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    for step in &STEPS[found as usize..target as usize] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Store, DB_FILE};

    #[test]
    fn a_version_one_directory_is_migrated_and_keeps_its_documents() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            migrate(&mut conn, 1).unwrap();
            conn.execute(
                "INSERT INTO documents(doc_id, kind, snapshot) VALUES ('s', 'street', x'0102')",
                [],
            )
            .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), CURRENT_VERSION);
        let doc = store.load_document("s").unwrap().unwrap();
        assert_eq!(doc.chunks, vec![vec![1u8, 2]]);
        // The new projections are there and empty: the node rebuilds them from documents.
        assert_eq!(store.projected_heads("s").unwrap(), None);
    }

    #[test]
    fn a_newer_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
            conn.pragma_update(None, "user_version", CURRENT_VERSION + 1)
                .unwrap();
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::NewerVersion { .. })
        ));
    }
}
