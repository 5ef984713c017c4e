use serde::{Deserialize, Serialize};

/// Text that people write at length (a company CV, a post's body) and that two people may
/// edit at once. In the documents it is an automerge text object, so concurrent edits to
/// different parts both survive a merge; here it is just a string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LongText(pub String);

impl LongText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for LongText {
    fn from(s: &str) -> Self {
        LongText(s.to_string())
    }
}

impl From<String> for LongText {
    fn from(s: String) -> Self {
        LongText(s)
    }
}

#[cfg(feature = "automerge")]
impl autosurgeon::Reconcile for LongText {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        use autosurgeon::reconcile::TextReconciler;
        // `update` diffs against the text in the document and applies only the difference,
        // which is what keeps a concurrent edit elsewhere in the text.
        let mut text = r.text()?;
        text.update(&self.0)
    }
}

#[cfg(feature = "automerge")]
impl autosurgeon::Hydrate for LongText {
    fn hydrate_text<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        Ok(LongText(doc.text(obj)?))
    }

    fn hydrate_string(text: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(LongText(text.to_string()))
    }
}
