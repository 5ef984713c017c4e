//! What this device knows of the relay's mailbox, per epoch and document.

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
