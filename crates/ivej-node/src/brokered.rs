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
//! Every step is a function of the documents a facilitator's device holds, run for each
//! post or interest a change it takes in or makes touched (`State::broker_post`,
//! `State::broker_interest`): any facilitator device, online at any time, brings the
//! copies up to date, and two of them write the same records.

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

/// Interest passed on to the author: the message, never the sender until accepted, and
/// no answer but the author's own (whatever the sender's record says of one).
fn forwarded(sent: &Interest, original_post: &str) -> Interest {
    Interest {
        id: ivej_trust::brokered_id(&sent.id),
        post_id: original_post.to_string(),
        from_org: BROKERED_ORG.to_string(),
        status: InterestStatus::Sent,
        answer: String::new(),
        answered_at: None,
        revealed_author: None,
        ..sent.clone()
    }
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

    /// On a facilitator's device: brings the street's copy of post `id` up to date with
    /// the post as this device holds it: there while it is an anonymous need, gone once it
    /// is a public post (one this device does not hold changes nothing). Returns what
    /// changed, for subscribers; on other devices, nothing.
    pub(crate) fn broker_post(&mut self, id: &str) -> NodeResult<Vec<NodeEvent>> {
        if !self.brokers()? {
            return Ok(Vec::new());
        }
        let copy_id = ivej_trust::brokered_id(id);
        let held = self.street()?.get::<Post>(&copy_id)?;
        match self.find_post(id) {
            Ok(post) if is_anonymous_need(&post) => {
                let copy = copy_of(&post);
                if held.as_ref() == Some(&copy) {
                    return Ok(Vec::new());
                }
                self.street_mut()?.put(&copy)?;
                self.persist_street(|w| w.upsert_post(&copy, None))?;
            }
            Ok(_) if held.is_some() => {
                self.street_mut()?.remove::<Post>(&copy_id)?;
                self.persist_street(|w| w.remove_post(&copy_id))?;
            }
            _ => return Ok(Vec::new()),
        }
        let mut events = vec![NodeEvent::PostChanged {
            id: copy_id.clone(),
        }];
        // Interest in the copy that came before the need did waits for it: pass it on now.
        let waiting: Vec<String> = self
            .scoped
            .values()
            .flat_map(|doc| doc.all::<Interest>())
            .filter(|i| i.brokered && i.post_id == copy_id)
            .map(|i| i.id)
            .collect();
        for interest in waiting {
            events.extend(self.broker_interest(&interest)?);
        }
        Ok(events)
    }

    /// On a facilitator's device: passes interest `id` (kept in a scope) between the
    /// interested organisation and the author of the anonymous need it is about: the
    /// message to the author (without the sender), the answer back (whichever side has
    /// one; the author's first). Accepted: each learns the other, and the street their
    /// relation. Returns what changed; on other devices, or for other interest, nothing.
    pub(crate) fn broker_interest(&mut self, id: &str) -> NodeResult<Vec<NodeEvent>> {
        if !self.brokers()? {
            return Ok(Vec::new());
        }
        // The two sides: the sender's (about the copy) and the one passed on (about the
        // need), whose id is the sender's, brokered.
        let mut sides: Vec<(String, Interest)> = Vec::new();
        let mut needs: HashMap<String, (String, Post)> = HashMap::new();
        for (scope, doc) in &self.scoped {
            for interest in doc.all::<Interest>() {
                if interest.brokered
                    && (interest.id == id || ivej_trust::brokered_id(&interest.id) == id)
                {
                    sides.push((scope.clone(), interest));
                }
            }
            for post in ivej_doc::PostsDoc::posts(doc) {
                if is_anonymous_need(&post) {
                    needs.insert(ivej_trust::brokered_id(&post.id), (scope.clone(), post));
                }
            }
        }
        let Some((sender_scope, mut theirs)) = sides
            .into_iter()
            .find(|(_, i)| needs.contains_key(&i.post_id))
        else {
            return Ok(Vec::new());
        };
        let Some((author_scope, need)) = needs.remove(&theirs.post_id) else {
            return Ok(Vec::new());
        };
        let author = need.org_id.clone();
        let was_theirs = theirs.clone();
        let held = self
            .scoped_mut(&author_scope)?
            .get::<Interest>(&ivej_trust::brokered_id(&theirs.id))?;
        let mut ours = held.clone().unwrap_or_else(|| forwarded(&theirs, &need.id));
        ours.message.clone_from(&theirs.message);
        // The answer is the author's (or the facilitator's for it), kept in the author's
        // scope; the sender's record only ever mirrors it. (The sender writes its own
        // record: an answer it wrote there itself counts for nothing.)
        theirs.status = ours.status;
        theirs.answer.clone_from(&ours.answer);
        theirs.answered_at = ours.answered_at;
        let accepted = ours.status == InterestStatus::Accepted;
        if accepted {
            ours.from_org.clone_from(&theirs.from_org);
            theirs.revealed_author = Some(author.clone());
        } else {
            theirs.revealed_author = None;
        }
        let mut events = Vec::new();
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
        if accepted {
            let (_, written) =
                self.put_relationship(&author, &theirs.from_org, RelationKind::MetHere, false)?;
            if written {
                events.push(NodeEvent::RelationshipChanged {
                    key: Relationship::pair_key(&author, &theirs.from_org),
                });
            }
        }
        Ok(events)
    }

    /// Whether this device brokers: a facilitator's, with its scopes loaded.
    fn brokers(&mut self) -> NodeResult<bool> {
        if self.street.is_none() || !self.is_facilitator()? {
            return Ok(false);
        }
        self.load_scoped()?;
        Ok(true)
    }
}
