//! Unsaved editor content, kept in the company's private document so that nothing typed
//! is lost across a restart, a crash or a failed save, and so that the company's other
//! devices can pick it up.

use ivej_doc::Draft;
use ivej_model::{NodeEvent, Validate};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::Node;

impl Node {
    /// Keeps `content` (the editor's own serialized state) under `key` (`post:new`,
    /// `post:<id>`, `org:cv` ...).
    pub fn save_draft(&self, key: &str, content: &str) -> NodeResult<()> {
        let draft = Draft {
            content: content.to_string(),
            updated_at: clock::now_ms(),
        };
        draft.validate()?;
        let mut st = self.lock()?;
        let private = st.private.as_mut().ok_or(NodeError::NoStreet)?;
        if private
            .draft(key)?
            .is_some_and(|d| d.content == draft.content)
        {
            return Ok(());
        }
        private.put_draft(key, &draft)?;
        st.persist_private(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::PrivateChanged);
        Ok(())
    }

    /// The draft kept under `key`, if any.
    pub fn draft(&self, key: &str) -> NodeResult<Option<String>> {
        let st = self.lock()?;
        let private = st.private.as_ref().ok_or(NodeError::NoStreet)?;
        Ok(private.draft(key)?.map(|d| d.content))
    }

    /// Forgets the draft under `key` (after it was saved for real, or thrown away).
    pub fn discard_draft(&self, key: &str) -> NodeResult<()> {
        let mut st = self.lock()?;
        let private = st.private.as_mut().ok_or(NodeError::NoStreet)?;
        if private.remove_draft(key)? {
            st.persist_private(|_| Ok(()))?;
            drop(st);
            self.emit(NodeEvent::PrivateChanged);
        }
        Ok(())
    }
}
