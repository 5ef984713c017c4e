//! What this device knows of the relay's mailbox, per epoch and document, and the keys of
//! the documents only some may read.

use rusqlite::{params, OptionalExtension};

use crate::{Store, StoreError, Writer};

/// One document's mailbox as this device last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxRow {
    /// Every entry up to this number is taken (its changes stored, or refused).
    pub cursor: u64,
    /// The newest entry the relay reported.
    pub last_seq: u64,
    /// Heads of what the mailbox is known to hold.
    pub known: Vec<[u8; 32]>,
}

fn heads_of(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok())
        .collect()
}

impl Store {
    pub fn mailbox_row(&self, epoch: u32, doc_id: &str) -> Result<MailboxRow, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT cursor, last_seq, known FROM mailbox WHERE epoch = ?1 AND doc_id = ?2",
                params![epoch, doc_id],
                |r| {
                    Ok(MailboxRow {
                        cursor: r.get::<_, i64>(0)? as u64,
                        last_seq: r.get::<_, i64>(1)? as u64,
                        known: heads_of(&r.get::<_, Vec<u8>>(2)?),
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_default())
    }
}

impl Store {
    /// Rekeys this device began that the relay does not hold yet, oldest first.
    pub fn unsent_rekeys(&self) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT epoch, bytes FROM rekeys WHERE put = 0 ORDER BY epoch")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Writer<'_> {
    pub fn put_rekey(&mut self, epoch: u32, bytes: &[u8], put: bool) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO rekeys (epoch, bytes, put) VALUES (?1, ?2, ?3)
             ON CONFLICT (epoch) DO UPDATE SET put = MAX(put, ?3)",
            params![epoch, bytes, put],
        )?;
        Ok(())
    }

    /// Entries up to `cursor` are taken; the relay's newest is `last_seq`. The cursor
    /// never moves back.
    pub fn set_mailbox_cursor(
        &mut self,
        epoch: u32,
        doc_id: &str,
        cursor: u64,
        last_seq: u64,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO mailbox (epoch, doc_id, cursor, last_seq) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (epoch, doc_id) DO UPDATE SET
                cursor = MAX(cursor, ?3), last_seq = MAX(last_seq, ?4)",
            params![epoch, doc_id, cursor as i64, last_seq as i64],
        )?;
        Ok(())
    }

    pub fn set_mailbox_known(
        &mut self,
        epoch: u32,
        doc_id: &str,
        known: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        let bytes: Vec<u8> = known.iter().flatten().copied().collect();
        self.tx.execute(
            "INSERT INTO mailbox (epoch, doc_id, known) VALUES (?1, ?2, ?3)
             ON CONFLICT (epoch, doc_id) DO UPDATE SET known = ?3",
            params![epoch, doc_id, bytes],
        )?;
        Ok(())
    }
}

/// A document's key in one epoch, as stored: who granted it (its signing key; this
/// device's own when it made the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScopeKey {
    pub doc_id: String,
    pub key: [u8; 32],
    pub granter: [u8; 32],
}

/// A device said to hold a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeHolder {
    /// The holder's X25519 key.
    pub device: [u8; 32],
    /// The signing key of the device that said so.
    pub said_by: [u8; 32],
}

impl Store {
    /// The keys of documents only some may read, of `epoch`.
    pub fn scope_keys(&self, epoch: u32) -> Result<Vec<StoredScopeKey>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT doc_id, key, granter FROM scope_keys WHERE epoch = ?1 ORDER BY doc_id, key",
        )?;
        let rows = stmt.query_map(params![epoch], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (doc_id, key, granter) = row?;
            if let (Ok(key), Ok(granter)) = (key.try_into(), granter.try_into()) {
                out.push(StoredScopeKey {
                    doc_id,
                    key,
                    granter,
                });
            }
        }
        Ok(out)
    }

    /// How many keys of `doc_id` this device holds in `epoch`.
    pub fn scope_key_count(&self, epoch: u32, doc_id: &str) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM scope_keys WHERE epoch = ?1 AND doc_id = ?2",
            params![epoch, doc_id],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Who holds the key tagged `tag` in `epoch`, as devices said.
    pub fn scope_holders(
        &self,
        epoch: u32,
        tag: &[u8; 16],
    ) -> Result<Vec<ScopeHolder>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT device, granter FROM scope_holders WHERE epoch = ?1 AND tag = ?2")?;
        let rows = stmt.query_map(params![epoch, tag.as_slice()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (device, granter) = row?;
            if let (Ok(device), Ok(said_by)) = (device.try_into(), granter.try_into()) {
                out.push(ScopeHolder { device, said_by });
            }
        }
        Ok(out)
    }

    /// How many holders devices have named in `epoch`.
    pub fn scope_holder_count(&self, epoch: u32) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM scope_holders WHERE epoch = ?1",
            params![epoch],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }
}

impl Writer<'_> {
    pub fn put_scope_key(&mut self, epoch: u32, key: &StoredScopeKey) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO scope_keys (epoch, doc_id, key, granter) VALUES (?1, ?2, ?3, ?4)",
            params![epoch, key.doc_id, key.key.as_slice(), key.granter.as_slice()],
        )?;
        Ok(())
    }

    /// The device with signing key `granter` says each `(tag, device)`: the device holds
    /// the key tagged so.
    pub fn add_scope_holders(
        &mut self,
        epoch: u32,
        granter: &[u8; 32],
        holders: &[([u8; 16], [u8; 32])],
    ) -> Result<(), StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO scope_holders (epoch, tag, device, granter)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (tag, device) in holders {
            stmt.execute(params![
                epoch,
                tag.as_slice(),
                device.as_slice(),
                granter.as_slice()
            ])?;
        }
        Ok(())
    }
}
