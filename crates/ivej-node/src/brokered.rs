//! Anonymous needs and brokered interest: the facilitator's device stands between the two
//! companies until the author accepts.
//!
//! The author's anonymous need lives in its organisation's scope (`scope:<org>`: its own
//! devices and the facilitator's). A facilitator's device publishes a *copy* in the street
//! document under [`ivej_trust::brokered_id`] of the post's id, naming no organisation
//! ([`BROKERED_ORG`]) and no place. Interest in the copy lives in the interested
//! organisation's scope; the facilitator's device passes it on into the author's scope
//! (without the sender) and passes the answer back. On acceptance it reveals each to the
//! other and records their relation. No member but the author ever holds a record that
//! ties the need to its author, and none but the sender one that ties the interest to it.
//!
//! Every step is a function of the documents a facilitator's device holds, run after each
//! change it takes in or makes (`State::broker`): any facilitator device, online at any
//! time, brings the copies up to date, and two of them write the same records.

use std::collections::HashMap;

use ivej_model::{
    Interest, InterestStatus, NodeEvent, Post, RelationKind, Relationship, Visibility, BROKERED_ORG,
};

use crate::error::NodeResult;
use crate::state::State;

/// Whether the post goes out only as a brokered copy.
pub(crate) fn is_anonymous_need(post: &Post) -> bool {
    post.anonymous && post.visibility == Visibility::Street && post.org_id != BROKERED_ORG
}

/// Whether the post is a facilitator's copy of an anonymous need.
pub(crate) fn is_copy(post: &Post) -> bool {
    post.org_id == BROKERED_ORG
}

/// The copy of an anonymous need all members see: its content, but neither its author
/// nor its place (a distance would point at the author).
fn copy_of(post: &Post) -> Post {
    Post {
        id: ivej_trust::brokered_id(&post.id),
        org_id: BROKERED_ORG.to_string(),
        location: None,
        origin_meeting: None,
        ..post.clone()
    }
}

/// Interest passed on to the author: the message, never the sender until accepted.
fn forwarded(sent: &Interest, original_post: &str) -> Interest {
    Interest {
        id: ivej_trust::brokered_id(&sent.id),
        post_id: original_post.to_string(),
        from_org: BROKERED_ORG.to_string(),
        revealed_author: None,
        ..sent.clone()
    }
}

fn answered(i: &Interest) -> bool {
    i.status != InterestStatus::Sent
}

impl State {
    /// The ids of the brokered copies of the anonymous needs this device holds (the
    /// author's and the facilitator's devices): the board shows the post, not its copy.
    pub(crate) fn copies_of_held_needs(&self) -> std::collections::HashSet<String> {
        self.scoped
            .values()
            .flat_map(ivej_doc::PostsDoc::posts)
            .filter(is_anonymous_need)
            .map(|p| ivej_trust::brokered_id(&p.id))
            .collect()
    }

    /// On a facilitator's device: brings the street's copies of anonymous needs, and the
    /// interest passed between scopes, up to date with what this device holds. Returns
    /// what changed, for subscribers. On other devices, nothing.
    pub(crate) fn broker(&mut self) -> NodeResult<Vec<NodeEvent>> {
        if self.street.is_none() || !self.is_facilitator()? {
            return Ok(Vec::new());
        }
        self.load_scoped()?;
        let mut events = Vec::new();

        // The anonymous needs, by the id of their copy, with the scope each lives in.
        let mut needs: HashMap<String, (String, Post)> = HashMap::new();
        for (scope, doc) in &self.scoped {
            for post in ivej_doc::PostsDoc::posts(doc) {
                if is_anonymous_need(&post) {
                    needs.insert(ivej_trust::brokered_id(&post.id), (scope.clone(), post));
                }
            }
        }

        // Copies: one per anonymous need, as the need is now. A copy whose need this device
        // holds no longer as anonymous (made public, withdrawn from the street) goes; one
        // whose need it has not received yet stays.
        let street = self.street()?;
        let mut put: Vec<Post> = Vec::new();
        for (_, post) in needs.values() {
            let copy = copy_of(post);
            if street.get::<Post>(&copy.id)?.as_ref() != Some(&copy) {
                put.push(copy);
            }
        }
        // Posts held here that are not (or no longer) anonymous needs, by their copy's id.
        let mut street_posts = street.all::<Post>();
        let copies: Vec<Post> = street_posts
            .iter()
            .filter(|p| is_copy(p))
            .cloned()
            .collect();
        street_posts.retain(|p| !is_copy(p));
        let public: std::collections::HashSet<String> = street_posts
            .into_iter()
            .chain(self.scoped.values().flat_map(ivej_doc::PostsDoc::posts))
            .chain(self.private.iter().flat_map(ivej_doc::PostsDoc::posts))
            .filter(|p| !is_anonymous_need(p))
            .map(|p| ivej_trust::brokered_id(&p.id))
            .collect();
        let removed: Vec<String> = copies
            .into_iter()
            .filter(|c| !needs.contains_key(&c.id) && public.contains(&c.id))
            .map(|c| c.id)
            .collect();
        if !put.is_empty() || !removed.is_empty() {
            let doc = self.street_mut()?;
            for copy in &put {
                doc.put(copy)?;
            }
            for id in &removed {
                doc.remove::<Post>(id)?;
            }
            self.persist_street(|w| {
                for copy in &put {
                    w.upsert_post(copy, None)?;
                }
                for id in &removed {
                    w.remove_post(id)?;
                }
                Ok(())
            })?;
            events.extend(
                put.iter()
                    .map(|p| p.id.clone())
                    .chain(removed)
                    .map(|id| NodeEvent::PostChanged { id }),
            );
        }

        // Interest in a copy, sent from the interested organisation's scope: passed on to
        // the author's scope, and the answer (whichever side has one; the author's first)
        // passed back. Accepted: each learns the other, and the street their relation.
        let mut sent: Vec<(String, Interest)> = Vec::new();
        for (scope, doc) in &self.scoped {
            for interest in doc.all::<Interest>() {
                if interest.brokered && needs.contains_key(&interest.post_id) {
                    sent.push((scope.clone(), interest));
                }
            }
        }
        let mut related: Vec<(String, String)> = Vec::new();
        for (sender_scope, mut theirs) in sent {
            let Some((author_scope, need)) = needs.get(&theirs.post_id) else {
                continue;
            };
            let author_scope = author_scope.clone();
            let author = need.org_id.clone();
            let was_theirs = theirs.clone();
            let held = self
                .scoped_mut(&author_scope)?
                .get::<Interest>(&ivej_trust::brokered_id(&theirs.id))?;
            let mut ours = held.clone().unwrap_or_else(|| forwarded(&theirs, &need.id));
            ours.message.clone_from(&theirs.message);
            if answered(&ours) {
                theirs.status = ours.status;
                theirs.answer.clone_from(&ours.answer);
                theirs.answered_at = ours.answered_at;
            } else if answered(&theirs) {
                // Answered for the author by the facilitator.
                ours.status = theirs.status;
                ours.answer.clone_from(&theirs.answer);
                ours.answered_at = theirs.answered_at;
            }
            if ours.status == InterestStatus::Accepted {
                ours.from_org.clone_from(&theirs.from_org);
                theirs.revealed_author = Some(author.clone());
                related.push((author.clone(), theirs.from_org.clone()));
            }
            if held.as_ref() != Some(&ours) {
                self.scoped_mut(&author_scope)?.put(&ours)?;
                self.persist_scoped(&author_scope, |_| Ok(()))?;
                events.push(NodeEvent::InterestChanged {
                    id: ours.id.clone(),
                });
            }
            if theirs != was_theirs {
                self.scoped_mut(&sender_scope)?.put(&theirs)?;
                self.persist_scoped(&sender_scope, |_| Ok(()))?;
                events.push(NodeEvent::InterestChanged {
                    id: theirs.id.clone(),
                });
            }
        }
        for (a, b) in related {
            let (_, written) = self.put_relationship(&a, &b, RelationKind::MetHere, false)?;
            if written {
                events.push(NodeEvent::RelationshipChanged {
                    key: Relationship::pair_key(&a, &b),
                });
            }
        }
        Ok(events)
    }
}
