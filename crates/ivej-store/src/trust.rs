//! What the trust layer keeps: certificates and revocations as the bytes peers sent (the
//! node decodes and checks them), the signature of every change, and refusals.

use rusqlite::params;

use crate::{Store, StoreError, Writer};

/// A change refused from a peer, for the sync screen and `ivej refused`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub at: i64,
    /// The device that sent it.
    pub device_id: String,
    /// Who made it, as far as known (a device id or key), else empty.
    pub author: String,
    pub doc_id: String,
    pub reason: String,
}

/// Refusals kept; older ones go.
const MAX_REFUSALS: i64 = 1_000;

impl Store {
    pub fn certificates(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT bytes FROM certificates ORDER BY rowid")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn revocations(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT bytes FROM revocations ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The stored signature of each of `hashes` in `doc_id` (absent ones are left out).
    pub fn change_signatures(
        &self,
        doc_id: &str,
        hashes: &[[u8; 32]],
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT signature FROM change_signatures WHERE doc_id = ?1 AND hash = ?2",
        )?;
        let mut out = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let mut rows = stmt.query(params![doc_id, &hash[..]])?;
            if let Some(row) = rows.next()? {
                out.push(row.get(0)?);
            }
        }
        Ok(out)
    }

    pub fn refusals(&self) -> Result<Vec<Refusal>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT at, device_id, author, doc_id, reason FROM refusals ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Refusal {
                at: r.get(0)?,
                device_id: r.get(1)?,
                author: r.get(2)?,
                doc_id: r.get(3)?,
                reason: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Writer<'_> {
    pub fn put_certificate(&mut self, subject: &[u8; 32], bytes: &[u8]) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO certificates(subject, bytes) VALUES (?1, ?2)",
            params![&subject[..], bytes],
        )?;
        Ok(())
    }

    pub fn put_revocation(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO revocations(bytes) VALUES (?1)",
            [bytes],
        )?;
        Ok(())
    }

    pub fn put_change_signature(
        &mut self,
        doc_id: &str,
        hash: &[u8; 32],
        signature: &[u8],
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO change_signatures(doc_id, hash, signature) VALUES (?1, ?2, ?3)",
            params![doc_id, &hash[..], signature],
        )?;
        Ok(())
    }

    pub fn put_refusal(&mut self, refusal: &Refusal) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO refusals(at, device_id, author, doc_id, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                refusal.at,
                refusal.device_id,
                refusal.author,
                refusal.doc_id,
                refusal.reason
            ],
        )?;
        self.tx.execute(
            "DELETE FROM refusals WHERE id <= (SELECT MAX(id) FROM refusals) - ?1",
            [MAX_REFUSALS],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_certificates_and_refusals_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .write(|w| {
                w.put_change_signature("d", &[1; 32], &[9; 128])?;
                w.put_change_signature("d", &[1; 32], &[8; 128])?;
                w.put_certificate(&[2; 32], b"cert")?;
                w.put_revocation(b"rev")?;
                w.put_revocation(b"rev")?;
                for i in 0..(MAX_REFUSALS + 5) {
                    w.put_refusal(&Refusal {
                        at: i,
                        device_id: "dev".into(),
                        author: String::new(),
                        doc_id: "d".into(),
                        reason: "no".into(),
                    })?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(
            store.change_signatures("d", &[[1; 32], [3; 32]]).unwrap(),
            vec![vec![9u8; 128]]
        );
        assert_eq!(store.certificates().unwrap(), vec![b"cert".to_vec()]);
        assert_eq!(store.revocations().unwrap(), vec![b"rev".to_vec()]);
        let refusals = store.refusals().unwrap();
        assert_eq!(refusals.len() as i64, MAX_REFUSALS);
        assert_eq!(refusals[0].at, MAX_REFUSALS + 4);
    }
}
