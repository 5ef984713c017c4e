//! Documents of posts shared with some, not all: an organisation's posts for the
//! facilitator only (`scope:<org>`) or for named organisations besides
//! (`scope:<org>:<org>+<org>`). Only the devices of those the id names, and the
//! facilitator's, ever hold one: confidentiality by who receives the document, not by a
//! filter over a document everyone holds. The id names its readers, so a device can tell
//! from the id alone whether a document offered to it is its to hold.

use ivej_doc::{DocKind, ScopedDoc};
use ivej_store::{StoreError, Writer};
use ivej_trust::{Identity, Role};

use crate::error::{NodeError, NodeResult};
use crate::state::State;

const PREFIX: &str = "scope:";

/// The id of the document an organisation's posts for `readers` live in (none: the
/// facilitator only).
pub(crate) fn scope_id(owner: &str, readers: &[String]) -> String {
    let mut readers: Vec<&str> = readers
        .iter()
        .map(String::as_str)
        .filter(|r| *r != owner)
        .collect();
    readers.sort_unstable();
    readers.dedup();
    if readers.is_empty() {
        format!("{PREFIX}{owner}")
    } else {
        format!("{PREFIX}{owner}:{}", readers.join("+"))
    }
}

/// The owner and readers a scoped document's id names.
pub(crate) fn parse_scope(doc_id: &str) -> Option<(&str, Vec<&str>)> {
    let rest = doc_id.strip_prefix(PREFIX)?;
    let (owner, readers) = match rest.split_once(':') {
        Some((owner, readers)) => (owner, readers.split('+').collect::<Vec<_>>()),
        None => (rest, Vec::new()),
    };
    if owner.is_empty() || readers.iter().any(|r| r.is_empty()) {
        return None;
    }
    Some((owner, readers))
}

/// Whether a device of `org` in `role` may hold the scoped document `doc_id`.
pub(crate) fn entitled(doc_id: &str, org: &str, role: Role) -> bool {
    let Some((owner, readers)) = parse_scope(doc_id) else {
        return false;
    };
    role == Role::Facilitator || owner == org || readers.contains(&org)
}

/// Whether `peer` may have `doc_id`.
pub(crate) fn shared_with(doc_id: &str, peer: &Identity) -> bool {
    entitled(doc_id, &peer.org_id, peer.role)
}

impl State {
    /// Whether this device may hold `doc_id`.
    pub(crate) fn holds_scope(&self, doc_id: &str) -> bool {
        match (self.own_identity(), self.own_org.as_deref()) {
            (Some(me), _) => entitled(doc_id, &me.org_id, me.role),
            (None, Some(org)) => entitled(doc_id, org, Role::Member),
            _ => false,
        }
    }

    /// The scoped document `doc_id`, loading or creating it.
    pub(crate) fn scoped_mut(&mut self, doc_id: &str) -> NodeResult<&mut ScopedDoc> {
        if !self.scoped.contains_key(doc_id) {
            let actor = self.keys.sign.public();
            let doc = match crate::state::load_chunks(
                &mut self.store,
                doc_id,
                DocKind::Scoped,
                &actor,
                ScopedDoc::load,
            )? {
                Some(doc) => doc,
                None => {
                    let mut doc = ScopedDoc::create(doc_id)?;
                    doc.use_actor_key(&actor);
                    doc
                }
            };
            self.scoped.insert(doc_id.to_string(), doc);
        }
        self.scoped
            .get_mut(doc_id)
            .ok_or_else(|| NodeError::Internal("scoped document vanished".into()))
    }

    /// Every scoped document stored here, loaded.
    pub(crate) fn load_scoped(&mut self) -> NodeResult<Vec<String>> {
        let ids = self.store.document_ids(DocKind::Scoped.name())?;
        for id in &ids {
            self.scoped_mut(id)?;
        }
        Ok(ids)
    }

    /// Stores a scoped document's new changes with `project`'s updates, as the street's.
    pub(crate) fn persist_scoped(
        &mut self,
        doc_id: &str,
        project: impl FnOnce(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> NodeResult<()> {
        let owner = parse_scope(doc_id)
            .map(|(owner, _)| owner.to_string())
            .ok_or_else(|| NodeError::Internal(format!("`{doc_id}` is not a scope")))?;
        let Some(doc) = self.scoped.get_mut(doc_id) else {
            return Ok(());
        };
        let sign = crate::trust::signer(
            &self.keys,
            self.trust.as_mut(),
            doc_id,
            crate::authorise::Scope::Scoped { owner: &owner },
        );
        let result = crate::state::persist(&mut self.store, doc_id, "scoped", doc, sign, |w, _| {
            project(w)
        });
        if result.is_err() {
            self.scoped.remove(doc_id);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_names_its_readers_in_order_and_only_they_and_the_facilitator_hold_it() {
        let id = scope_id("o1", &["o3".into(), "o2".into(), "o1".into(), "o3".into()]);
        assert_eq!(id, "scope:o1:o2+o3");
        assert_eq!(parse_scope(&id), Some(("o1", vec!["o2", "o3"])));
        assert_eq!(scope_id("o1", &[]), "scope:o1");
        assert!(entitled(&id, "o2", Role::Member));
        assert!(entitled(&id, "o1", Role::Observer));
        assert!(entitled(&id, "f", Role::Facilitator));
        assert!(!entitled(&id, "o4", Role::Member));
        assert!(!entitled("scope:o1", "o2", Role::Member));
        for bad in [
            "scope:",
            "scope:o1:",
            "scope:o1:o2++o3",
            "street:s",
            "scope::o2",
        ] {
            assert!(!entitled(bad, "o2", Role::Facilitator), "{bad}");
        }
    }
}
