//! Schema versions of the documents and the path from older ones.
//!
//! `schema_version` at the root says which shape the records have. A document from an older
//! version is migrated on load, one step at a time; one from a newer version is refused with
//! a clear error instead of being misread. Version 1 is the first released shape, so there
//! are no steps yet; [`migrate`] is exercised by tests with steps of their own.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};

use crate::document::DocKind;
use crate::error::DocError;

/// The schema version this build writes.
pub const CURRENT_VERSION: u64 = 1;

/// One step: migrates a document at version `n` to `n + 1` (`n` is the step's index + 1).
pub type Migration = fn(&mut AutoCommit) -> Result<(), DocError>;

/// The steps from version 1 up to [`CURRENT_VERSION`] for a kind of document.
pub fn migrations(kind: DocKind) -> &'static [Migration] {
    match kind {
        DocKind::Street | DocKind::Minutes | DocKind::Private | DocKind::Scoped => &[],
    }
}

pub fn version_of(doc: &AutoCommit) -> Result<u64, DocError> {
    let version: Option<u64> = crate::document::root_value(doc, "schema_version")?;
    version.ok_or(DocError::MissingField("schema_version"))
}

/// Brings `doc` to the version reached after `steps`; refuses a newer document.
/// Returns whether anything changed.
pub fn migrate(doc: &mut AutoCommit, steps: &[Migration]) -> Result<bool, DocError> {
    let supported = steps.len() as u64 + 1;
    let found = version_of(doc)?;
    if found > supported {
        return Err(DocError::NewerSchema { found, supported });
    }
    for version in found..supported {
        let step = steps
            .get((version - 1) as usize)
            .ok_or(DocError::MissingField("schema_version"))?;
        step(doc)?;
        doc.put(ROOT, "schema_version", version + 1)?;
        doc.commit();
    }
    Ok(found < supported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;
    use automerge::{ObjType, ReadDoc};

    fn add_widgets(doc: &mut AutoCommit) -> Result<(), DocError> {
        doc.put_object(ROOT, "widgets", ObjType::Map)?;
        Ok(())
    }

    #[test]
    fn an_older_document_is_migrated_step_by_step() {
        let mut d = Document::new(DocKind::Street).unwrap();
        let doc = d.automerge_mut();
        assert!(migrate(doc, &[add_widgets]).unwrap());
        assert_eq!(version_of(doc).unwrap(), 2);
        assert!(doc.get(ROOT, "widgets").unwrap().is_some());
        // Already current: nothing to do.
        assert!(!migrate(doc, &[add_widgets]).unwrap());
    }

    #[test]
    fn a_newer_document_is_refused() {
        let mut d = Document::new(DocKind::Street).unwrap();
        d.automerge_mut()
            .put(ROOT, "schema_version", CURRENT_VERSION + 1)
            .unwrap();
        let bytes = d.save();
        match Document::load(DocKind::Street, &bytes) {
            Err(DocError::NewerSchema { found, supported }) => {
                assert_eq!((found, supported), (CURRENT_VERSION + 1, CURRENT_VERSION));
            }
            other => panic!("expected NewerSchema, got {other:?}"),
        }
    }
}
