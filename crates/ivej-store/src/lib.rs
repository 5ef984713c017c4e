//! SQLite storage for one company's data directory.
//!
//! It keeps the automerge documents as bytes (a snapshot plus the changes appended since),
//! and query tables (*projections*) of posts, organisations and services with FTS5 search.
//! The documents are the source of truth: projections can always be rebuilt from them, and
//! record which document heads they reflect.
//!
//! Every write is one SQLite transaction in WAL mode with `synchronous=FULL`: when
//! [`Store::write`] returns, the data survives a crash of the process or the machine.
//! This crate knows nothing of automerge; it stores bytes and model types.

mod documents;
mod error;
mod migrations;
mod projections;
mod search;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

pub use documents::{QuarantinedChunk, StoredDocument, StoredPeer};
pub use error::StoreError;
pub use migrations::CURRENT_VERSION;
pub use projections::{PostHit, PostQuery};
pub use search::fts_query;

/// The database file inside a data directory.
pub const DB_FILE: &str = "industrivej.sqlite3";

/// An open data directory.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, migrating an older schema.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let conn = Connection::open(&path)?;
        Self::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // WAL lets readers go on while a write commits; FULL makes each commit durable
        // before it returns, which is the promise the node makes to the user.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store { conn, path };
        migrations::migrate(&mut store.conn, CURRENT_VERSION)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Changes whenever another connection (another process on this data directory)
    /// commits; cheap to poll.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::version(&self.conn)
    }

    /// Runs `f` in one immediate transaction; commits when it returns `Ok`.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut writer = Writer { tx };
        let value = f(&mut writer)?;
        writer.tx.commit()?;
        Ok(value)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|w| w.set_setting(key, value))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// The writes of one transaction.
#[derive(Debug)]
pub struct Writer<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Writer<'_> {
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}
