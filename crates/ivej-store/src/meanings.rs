//! The multilingual model's embeddings of texts, kept so a text is read once.

use rusqlite::params;

use crate::{Store, StoreError, Writer};

/// An embedding kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMeaning {
    /// Of the model and the text.
    pub hash: [u8; 32],
    /// The text's language as guessed (a code, or empty).
    pub lang: String,
    pub vector: Vec<f32>,
}

impl Store {
    /// Every embedding kept.
    pub fn meanings(&self) -> Result<Vec<StoredMeaning>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT hash, lang, vector FROM meanings")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, lang, bytes) = row?;
            // A row this build did not write is skipped, not trusted.
            let Ok(hash) = <[u8; 32]>::try_from(hash.as_slice()) else {
                continue;
            };
            if bytes.len() % 4 != 0 {
                continue;
            }
            let vector = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            out.push(StoredMeaning { hash, lang, vector });
        }
        Ok(out)
    }
}

impl Writer<'_> {
    pub fn put_meaning(&mut self, meaning: &StoredMeaning) -> Result<(), StoreError> {
        let bytes: Vec<u8> = meaning
            .vector
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        self.tx.execute(
            "INSERT OR REPLACE INTO meanings(hash, lang, vector) VALUES (?1, ?2, ?3)",
            params![meaning.hash.as_slice(), meaning.lang, bytes],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::StoredMeaning;
    use crate::Store;

    #[test]
    fn a_meaning_is_kept_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let meaning = StoredMeaning {
            hash: [7; 32],
            lang: "fi".into(),
            vector: vec![0.5, -1.25, 3.0],
        };
        store.write(|w| w.put_meaning(&meaning)).unwrap();
        assert_eq!(store.meanings().unwrap(), [meaning]);
    }
}
