use std::ops::{Deref, DerefMut};

use automerge::ROOT;
use ivej_model::{Street, Validate};

use crate::document::{DocKind, Document};
use crate::error::DocError;

/// The document every member of a street shares: the street itself, its organisations,
/// posts, interests, meetings' metadata, actions, collaborations, relationships, services.
#[derive(Debug)]
pub struct StreetDoc(Document);

impl StreetDoc {
    pub fn create(street: &Street) -> Result<Self, DocError> {
        street.validate()?;
        let mut doc = StreetDoc(Document::new(DocKind::Street)?);
        doc.set_street(street)?;
        Ok(doc)
    }

    /// A street document with no content yet, for a device that joins a street: the first
    /// sync with a member fills it.
    pub fn empty() -> Result<Self, DocError> {
        Ok(StreetDoc(Document::new(DocKind::Street)?))
    }

    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Ok(StreetDoc(Document::load(DocKind::Street, bytes)?))
    }

    pub fn street(&self) -> Result<Street, DocError> {
        let street: Option<Street> = crate::document::root_value(self.0.automerge(), "street")?;
        street.ok_or(DocError::MissingField("street"))
    }

    pub fn set_street(&mut self, street: &Street) -> Result<(), DocError> {
        street.validate()?;
        let doc = self.0.automerge_mut();
        if let Err(e) = autosurgeon::reconcile_prop(doc, ROOT, "street", street) {
            doc.rollback();
            return Err(e.into());
        }
        doc.commit();
        Ok(())
    }
}

impl Deref for StreetDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl DerefMut for StreetDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}
