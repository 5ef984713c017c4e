use std::ops::{Deref, DerefMut};

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, Value, ROOT};
use autosurgeon::{Hydrate, Reconcile};
use ivej_model::{Dismissal, Post, Problem, Validate, ValidationErrors};

use crate::document::{DocKind, Document};
use crate::error::DocError;

/// An unsaved editor's content, kept so nothing typed is lost across a restart or an error.
/// The content is the editor's own serialized state; this crate does not read it.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Draft {
    pub content: String,
    pub updated_at: i64,
}

impl Validate for Draft {
    fn validate(&self) -> Result<(), ValidationErrors> {
        if self.content.len() > 256 * 1024 {
            return Err(ValidationErrors::single(
                "content",
                Problem::TooLong {
                    max: 256 * 1024,
                    actual: self.content.len(),
                },
            ));
        }
        Ok(())
    }
}

/// What only one company's own devices share: drafts and private notes.
#[derive(Debug)]
pub struct PrivateDoc(Document);

impl PrivateDoc {
    pub fn create(org_id: &str) -> Result<Self, DocError> {
        Ok(PrivateDoc(Document::new_owned(
            DocKind::Private,
            Some(org_id),
        )?))
    }

    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Ok(PrivateDoc(Document::load(DocKind::Private, bytes)?))
    }

    pub fn org_id(&self) -> Result<String, DocError> {
        let id: Option<String> = crate::document::root_value(self.0.automerge(), "org_id")?;
        id.ok_or(DocError::MissingField("org_id"))
    }

    pub fn put_draft(&mut self, key: &str, draft: &Draft) -> Result<(), DocError> {
        self.0.put_in("drafts", key, draft)
    }

    pub fn draft(&self, key: &str) -> Result<Option<Draft>, DocError> {
        self.0.get_in("drafts", key)
    }

    pub fn remove_draft(&mut self, key: &str) -> Result<bool, DocError> {
        self.0.remove_in("drafts", key)
    }

    /// Sets a suggestion aside for good (see [`Dismissal`]).
    pub fn dismiss(&mut self, dismissal: &Dismissal) -> Result<(), DocError> {
        dismissal.validate()?;
        let key = Dismissal::key(&dismissal.post_id, &dismissal.suggested_id);
        let doc = self.0.automerge_mut();
        let map = match doc.get(ROOT, DISMISSED)? {
            Some((Value::Object(ObjType::Map), id)) => id,
            _ => doc.put_object(ROOT, DISMISSED, ObjType::Map)?,
        };
        if let Err(e) = autosurgeon::reconcile_prop(doc, &map, key.as_str(), dismissal) {
            doc.rollback();
            return Err(e.into());
        }
        doc.commit();
        Ok(())
    }

    /// Every dismissal, from every copy of the map (see [`DISMISSED`]); entries that do
    /// not read back, or sit under another pair's key, are left out.
    pub fn dismissals(&self) -> Vec<Dismissal> {
        let doc = self.0.automerge();
        let Ok(maps) = doc.get_all(ROOT, DISMISSED) else {
            return Vec::new();
        };
        let mut found = std::collections::BTreeMap::new();
        for (value, map) in maps {
            if !matches!(value, Value::Object(ObjType::Map)) {
                continue;
            }
            for key in doc.keys(&map) {
                let Ok(d) =
                    autosurgeon::hydrate_prop::<_, Dismissal, _, _>(doc, &map, key.as_str())
                else {
                    continue;
                };
                if d.validate().is_ok() && key == Dismissal::key(&d.post_id, &d.suggested_id) {
                    found.insert(key, d);
                }
            }
        }
        found.into_values().collect()
    }

    /// Shows a dismissed suggestion again; whether it was dismissed.
    pub fn undismiss(&mut self, post_id: &str, suggested_id: &str) -> Result<bool, DocError> {
        let key = Dismissal::key(post_id, suggested_id);
        let doc = self.0.automerge_mut();
        let maps: Vec<automerge::ObjId> = doc
            .get_all(ROOT, DISMISSED)?
            .into_iter()
            .filter(|(value, _)| matches!(value, Value::Object(ObjType::Map)))
            .map(|(_, map)| map)
            .collect();
        let mut removed = false;
        for map in maps {
            if doc.get(&map, key.as_str())?.is_some() {
                if let Err(e) = doc.delete(&map, key.as_str()) {
                    // Not half restored: from every copy or from none.
                    doc.rollback();
                    return Err(e.into());
                }
                removed = true;
            }
        }
        if removed {
            doc.commit();
        }
        Ok(removed)
    }
}

/// The map of dismissed suggestions. It is made when the first is dismissed, not in the
/// skeleton: documents made before had none, and the skeleton's hash must stay the one every
/// version makes. Two devices apart may each make it; automerge then keeps both maps as a
/// conflict, so reads take the union of all and a removal removes from each.
const DISMISSED: &str = "dismissed";

/// A document with posts kept apart from the street's: the private one (posts of private
/// visibility, which never leave the company's devices) and the scoped ones.
pub trait PostsDoc: DerefMut<Target = Document> {
    fn put_post(&mut self, post: &Post) -> Result<(), DocError> {
        self.deref_mut().put_in("posts", &post.id, post)
    }

    fn get_post(&self, id: &str) -> Result<Option<Post>, DocError> {
        self.deref().get_in("posts", id)
    }

    fn remove_post(&mut self, id: &str) -> Result<bool, DocError> {
        self.deref_mut().remove_in("posts", id)
    }

    fn posts(&self) -> Vec<Post> {
        self.deref().all_in("posts")
    }
}

impl PostsDoc for PrivateDoc {}
impl PostsDoc for ScopedDoc {}

impl Deref for PrivateDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl DerefMut for PrivateDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

/// Posts an organisation shares with the facilitator only, or with named organisations
/// besides: held only by the devices of those it is shared with. Its id (`scope`, fixed when
/// the document is created) names them.
#[derive(Debug)]
pub struct ScopedDoc(Document);

impl ScopedDoc {
    pub fn create(scope: &str) -> Result<Self, DocError> {
        Ok(ScopedDoc(Document::new_owned(
            DocKind::Scoped,
            Some(scope),
        )?))
    }

    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Ok(ScopedDoc(Document::load(DocKind::Scoped, bytes)?))
    }
}

impl Deref for ScopedDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl DerefMut for ScopedDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dismissal(post: &str, suggested: &str) -> Dismissal {
        Dismissal {
            post_id: post.into(),
            suggested_id: suggested.into(),
            at: 1,
        }
    }

    #[test]
    fn dismissals_made_on_two_devices_apart_are_all_kept_after_they_merge() {
        let mut laptop = PrivateDoc::create("o-1").unwrap();
        let mut phone = PrivateDoc::load(&laptop.save()).unwrap();
        // Each device makes the map of dismissals while they are apart.
        laptop.dismiss(&dismissal("p-need", "p-weld")).unwrap();
        phone.dismiss(&dismissal("p-need", "s-export")).unwrap();
        laptop.merge(&mut phone).unwrap();
        phone.merge(&mut laptop).unwrap();
        let pairs = |d: &PrivateDoc| -> Vec<String> {
            d.dismissals()
                .iter()
                .map(|d| d.suggested_id.clone())
                .collect()
        };
        assert_eq!(pairs(&laptop), ["p-weld", "s-export"]);
        assert_eq!(pairs(&phone), ["p-weld", "s-export"]);

        // Restoring one takes it out of whichever copy holds it.
        assert!(phone.undismiss("p-need", "p-weld").unwrap());
        assert!(!phone.undismiss("p-need", "p-weld").unwrap());
        laptop.merge(&mut phone).unwrap();
        assert_eq!(pairs(&laptop), ["s-export"]);
    }

    #[test]
    fn a_dismissal_under_another_pairs_key_or_unreadable_is_left_out() {
        let mut doc = PrivateDoc::create("o-1").unwrap();
        doc.dismiss(&dismissal("p-1", "p-2")).unwrap();
        let am = doc.automerge_mut();
        let (_, map) = am.get(ROOT, DISMISSED).unwrap().unwrap();
        am.put(&map, "junk", 42).unwrap();
        autosurgeon::reconcile_prop(am, &map, "p-1 p-3", dismissal("p-9", "p-9")).unwrap();
        am.commit();
        assert_eq!(doc.dismissals(), [dismissal("p-1", "p-2")]);
        assert!(doc.dismiss(&dismissal("", "p-2")).is_err());
    }
}
