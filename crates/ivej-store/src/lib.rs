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
mod mailbox;
mod meanings;
mod migrations;
mod projections;
mod search;
mod trust;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

pub use documents::{QuarantinedChunk, StoredDocument, StoredPeer};
pub use error::StoreError;
pub use mailbox::{MailboxRow, ScopeHolder, StoredScopeKey};
pub use meanings::StoredMeaning;
pub use migrations::CURRENT_VERSION;
pub use projections::{PostHit, PostQuery};
pub use search::fts_query;
pub use trust::Refusal;

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
        keep_private(dir, &path)?;
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

/// The data directory holds the street's secrets and every device key: only the user may
/// read it. The directory is made 0700 and the database 0600 before SQLite opens it (SQLite
/// gives its `-wal` and `-shm` files the database's mode), also when an older version left
/// them readable by others.
#[cfg(unix)]
fn keep_private(dir: &Path, db: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io(dir))?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(db)
        .map_err(io(db))?;
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", db.display()));
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(io(&file))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_private(_dir: &Path, _db: &Path) -> Result<(), StoreError> {
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_its_database_are_readable_only_by_the_user() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut store = Store::open(&dir).unwrap();
        store.set_setting("local.k", "secret").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for name in [
            DB_FILE,
            "industrivej.sqlite3-wal",
            "industrivej.sqlite3-shm",
        ] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        drop(store);
        // A database an older version left readable by others is closed up on open.
        std::fs::set_permissions(dir.join(DB_FILE), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        Store::open(&dir).unwrap();
        assert_eq!(mode(&dir.join(DB_FILE)), 0o600);
    }
}
