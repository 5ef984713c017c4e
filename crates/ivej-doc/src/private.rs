use std::ops::{Deref, DerefMut};

use autosurgeon::{Hydrate, Reconcile};
use ivej_model::{Post, Problem, Validate, ValidationErrors};

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
}

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
