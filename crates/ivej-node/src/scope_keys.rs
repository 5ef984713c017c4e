//! The mailbox of documents only some may read: the company's private document (its own
//! devices), posts for some (`scope:` documents), and minutes held in confidence (the
//! facilitator and the organisations present). Each goes into the mailbox under a key of
//! its own in each epoch ([`ScopeKey`]), which only its readers hold.
//!
//! - **Who makes a key.** A device that holds such a document, has another device to
//!   share it with, and holds no key for it in this epoch. Two readers may make one each
//!   while apart: every device reads the topics of all the keys it holds for a document
//!   and puts under the least, so readers settle on one, and nothing put under another is
//!   lost.
//! - **Who is given it.** Every device whose certificate stands and that may read the
//!   document (the same rule a session follows: `State::target`), sealed to its X25519 key
//!   and put in the epoch's control topic. A device that holds a key gives it to each
//!   reader no device has yet said it gave it to: a device a reader enrols later gets it
//!   at the holder's next round.
//! - **Whose key is taken.** A key counts only while the device that gave it may read the
//!   document itself (checked when it comes, and again whenever keys are used): a member
//!   who may not read a company's posts for some cannot slip in a key of its own choosing
//!   and then read what the readers put under it.
//! - **Epochs.** Keys are per epoch: removing a member begins a new epoch, and each
//!   document gets a new key its removed devices never see.

use std::collections::BTreeMap;

use ivej_model::NodeEvent;
use ivej_store::StoredScopeKey;
use ivej_trust::mailbox::{BundleKind, Topic};
use ivej_trust::{Identity, KeyGrants, ScopeKey, SignedSync};

use crate::state::{private_doc_id, State};
use crate::sync::Target;
use crate::{clock, Node, NodeError, NodeResult};

/// Keys of one document a device keeps in an epoch (more come only when readers made
/// keys while apart; more than this is someone's flood).
const MAX_KEYS_PER_DOC: usize = 8;
/// Keys one device may give this device in an epoch (a facilitator's device gives one per
/// document for some: a few hundred).
const MAX_KEYS_PER_GIVER: usize = 4096;
/// Holders devices may name in one epoch (each a few dozen bytes on disk).
const MAX_HOLDERS: usize = 200_000;

/// Keys to give, sealed for the current epoch's control topic.
#[derive(Debug, Clone)]
pub struct KeyGrantsToPut {
    pub epoch: u32,
    pub bundle: Vec<u8>,
    /// (key tag, device) for each grant in the bundle: they hold the key once it is put.
    holders: Vec<([u8; 16], [u8; 32])>,
}

impl State {
    /// Whether `target` is a document only some may read (minutes only while held in
    /// confidence).
    pub(crate) fn read_by_some(&mut self, target: &Target) -> NodeResult<bool> {
        Ok(match target {
            Target::Street => false,
            Target::Minutes(meeting) => self.minutes_mut(meeting)?.in_confidence().unwrap_or(true),
            Target::Private | Target::Scoped(_) => true,
        })
    }

    /// The documents this device holds that only some may read.
    fn held_by_some(&mut self) -> NodeResult<Vec<(String, Target)>> {
        let mut docs = Vec::new();
        if let (Some(own), true) = (self.own_org.clone(), self.private.is_some()) {
            docs.push((private_doc_id(&own), Target::Private));
        }
        for id in self.load_scoped()? {
            docs.push((id.clone(), Target::Scoped(id)));
        }
        for meeting in self.street()?.keys::<ivej_model::Meeting>() {
            let doc_id = crate::state::minutes_doc_id(&meeting);
            let stored =
                self.minutes.contains_key(&meeting) || self.store.load_document(&doc_id)?.is_some();
            let target = Target::Minutes(meeting);
            if stored && self.read_by_some(&target)? {
                docs.push((doc_id, target));
            }
        }
        Ok(docs)
    }

    /// The other devices, certificates standing, that may read `doc_id`.
    fn readers_of(&mut self, doc_id: &str) -> NodeResult<Vec<Identity>> {
        let own = self.keys.sign.public();
        let devices: Vec<Identity> = self
            .trust_mut()?
            .membership
            .devices()
            .into_iter()
            .filter(|(identity, revoked, _)| revoked.is_none() && identity.sign_key != own)
            .map(|(identity, _, _)| identity)
            .collect();
        let mut readers = Vec::new();
        for device in devices {
            if self.target(doc_id, &device).is_ok() {
                readers.push(device);
            }
        }
        Ok(readers)
    }

    /// Whether the device with signing key `granter` may give a key of `doc_id`: this
    /// device itself, or a device whose certificate stands and that may read it.
    fn may_give(&mut self, granter: &[u8; 32], doc_id: &str) -> NodeResult<bool> {
        if *granter == self.keys.sign.public() {
            return Ok(true);
        }
        let Ok(identity) = self.trust_mut()?.membership.identity(granter) else {
            return Ok(false);
        };
        Ok(self.target(doc_id, &identity).is_ok())
    }

    /// The keys of the current epoch this device holds and may use, least first, by
    /// document.
    pub(crate) fn scope_keys(&mut self) -> NodeResult<BTreeMap<String, Vec<ScopeKey>>> {
        let epoch = self.epoch_key()?.epoch;
        let stored = self.store.scope_keys(epoch)?;
        self.usable_keys(epoch, stored)
    }

    /// The keys of `doc_id` this device may use in the current epoch, least first.
    pub(crate) fn keys_of(&mut self, doc_id: &str) -> NodeResult<Vec<ScopeKey>> {
        let epoch = self.epoch_key()?.epoch;
        let stored: Vec<StoredScopeKey> = self
            .store
            .scope_keys(epoch)?
            .into_iter()
            .filter(|k| k.doc_id == doc_id)
            .collect();
        Ok(self
            .usable_keys(epoch, stored)?
            .remove(doc_id)
            .unwrap_or_default())
    }

    fn usable_keys(
        &mut self,
        epoch: u32,
        stored: Vec<StoredScopeKey>,
    ) -> NodeResult<BTreeMap<String, Vec<ScopeKey>>> {
        let mut keys: BTreeMap<String, Vec<ScopeKey>> = BTreeMap::new();
        for stored in stored {
            if self.may_give(&stored.granter, &stored.doc_id)? {
                keys.entry(stored.doc_id)
                    .or_default()
                    .push(ScopeKey::new(epoch, stored.key));
            }
        }
        for list in keys.values_mut() {
            list.sort();
            list.dedup();
        }
        Ok(keys)
    }

    /// Where this device puts `doc_id`'s changes: the epoch's topic for what every member
    /// reads, the least key's topic for a document only some read (`None` before it has
    /// one).
    pub(crate) fn put_topic(&mut self, doc_id: &str, target: &Target) -> NodeResult<Option<Topic>> {
        if !self.read_by_some(target)? {
            return Ok(Some(self.epoch_key()?.topic(doc_id)));
        }
        Ok(self
            .keys_of(doc_id)?
            .into_iter()
            .next()
            .map(|key| key.topic(doc_id)))
    }

    /// The topic named `id` among those of `doc_id` this device reads.
    pub(crate) fn topic_of(&mut self, doc_id: &str, id: &[u8; 32]) -> NodeResult<Option<Topic>> {
        let epoch_topic = self.epoch_key()?.topic(doc_id);
        if epoch_topic.id == *id {
            return Ok(Some(epoch_topic));
        }
        Ok(self
            .keys_of(doc_id)?
            .into_iter()
            .map(|key| key.topic(doc_id))
            .find(|topic| topic.id == *id))
    }

    /// Whether a document only some read waits for its key (it has readers besides this
    /// device and no key yet).
    pub(crate) fn awaits_key(&mut self, doc_id: &str) -> NodeResult<bool> {
        Ok(self.keys_of(doc_id)?.is_empty() && !self.readers_of(doc_id)?.is_empty())
    }

    /// Takes key grants from the control topic, given by `granter` (its certificate
    /// stands). Keys sealed to this device are kept where the granter may read the
    /// document; the holders it names are noted (they count only while it may).
    fn take_key_grants(&mut self, granter: &Identity, grants: &KeyGrants) -> NodeResult<()> {
        let epoch = self.epoch_key()?.epoch;
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        if grants.epoch != epoch {
            return Err(NodeError::Refused("key grants of another epoch".into()));
        }
        let mine = grants.open(&street_id, &self.keys.noise_private);
        let mut keep: Vec<StoredScopeKey> = Vec::new();
        let from_giver = self
            .store
            .scope_keys(epoch)?
            .iter()
            .filter(|k| k.granter == granter.sign_key)
            .count();
        for granted in mine {
            let doc_id = granted.doc_id;
            // Only what a grant may be for, from a giver that may read it: the id itself
            // says so of a private or scoped document, the street of minutes (minutes of a
            // meeting not heard of yet are kept, and checked again whenever keys are used).
            let restricted = doc_id.starts_with("private:")
                || doc_id.starts_with("scope:")
                || doc_id.starts_with("minutes:");
            let decidable = match doc_id.strip_prefix("minutes:") {
                Some(meeting) => self.street()?.contains::<ivej_model::Meeting>(meeting),
                None => true,
            };
            if !restricted || (decidable && !self.may_give(&granter.sign_key, &doc_id)?) {
                self.record_refusal(
                    &granter.device_id,
                    &granter.device_id,
                    &doc_id,
                    "a key for a document its giver may not read",
                );
                continue;
            }
            // Bounded per giver, and per document only by keys that count: junk given
            // for a meeting not known yet never crowds out the real key.
            if from_giver + keep.len() >= MAX_KEYS_PER_GIVER {
                break;
            }
            let usable =
                self.keys_of(&doc_id)?.len() + keep.iter().filter(|k| k.doc_id == doc_id).count();
            if usable >= MAX_KEYS_PER_DOC {
                continue;
            }
            keep.push(StoredScopeKey {
                doc_id,
                key: *granted.key.key(),
                granter: granter.sign_key,
            });
        }
        let mut holders: Vec<([u8; 16], [u8; 32])> =
            grants.grants.iter().map(|g| (g.tag, g.device)).collect();
        // The giver holds what it gives.
        let mut tags: Vec<[u8; 16]> = grants.grants.iter().map(|g| g.tag).collect();
        tags.sort_unstable();
        tags.dedup();
        holders.extend(tags.into_iter().map(|tag| (tag, granter.noise_key)));
        let room = MAX_HOLDERS.saturating_sub(self.store.scope_holder_count(epoch)?);
        holders.truncate(room);
        self.store.write(|w| {
            for key in &keep {
                w.put_scope_key(epoch, key)?;
            }
            w.add_scope_holders(epoch, &granter.sign_key, &holders)
        })?;
        Ok(())
    }

    /// The devices known to hold `key` of `doc_id`: those named by a device that may give
    /// it (or by this one).
    fn holders_of(&mut self, doc_id: &str, key: &ScopeKey) -> NodeResult<Vec<[u8; 32]>> {
        let mut holders = Vec::new();
        for holder in self.store.scope_holders(key.epoch, &key.tag())? {
            if self.may_give(&holder.said_by, doc_id)? {
                holders.push(holder.device);
            }
        }
        Ok(holders)
    }
}

impl Node {
    /// Keys to give: for each document only some may read that this device holds, a key
    /// (made now if it has none in this epoch), sealed to each reader device not known to
    /// hold it. `None` when there is nothing to give, or while the next epoch is awaited.
    pub fn key_grants_to_put(&self) -> NodeResult<Option<KeyGrantsToPut>> {
        let mut st = self.lock()?;
        if st.awaiting_rekey()? {
            return Ok(None);
        }
        let epoch_key = st.epoch_key()?;
        let epoch = epoch_key.epoch;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let own = st.keys.sign.public();
        let mut made = false;
        let mut items: Vec<([u8; 32], String, ScopeKey)> = Vec::new();
        let mut all_keys = st.scope_keys()?;
        for (doc_id, _) in st.held_by_some()? {
            let readers = st.readers_of(&doc_id)?;
            if readers.is_empty() {
                continue;
            }
            let mut keys = all_keys.remove(&doc_id).unwrap_or_default();
            if keys.is_empty() {
                let key = ScopeKey::new(epoch, rand::random());
                st.store.write(|w| {
                    w.put_scope_key(
                        epoch,
                        &StoredScopeKey {
                            doc_id: doc_id.clone(),
                            key: *key.key(),
                            granter: own,
                        },
                    )
                })?;
                made = true;
                keys.push(key);
            }
            // Every key of the document: a reader given only the least would miss what was
            // put under another before the readers settled on one.
            for key in keys {
                let holders = st.holders_of(&doc_id, &key)?;
                for reader in &readers {
                    if !holders.contains(&reader.noise_key) {
                        items.push((reader.noise_key, doc_id.clone(), key.clone()));
                    }
                }
            }
        }
        if made {
            drop(st);
            self.emit(NodeEvent::RelayChanged);
            st = self.lock()?;
        }
        items.truncate(ivej_trust::MAX_KEY_GRANTS);
        if items.is_empty() {
            return Ok(None);
        }
        let refs: Vec<([u8; 32], &str, &ScopeKey)> = items
            .iter()
            .map(|(device, doc_id, key)| (*device, doc_id.as_str(), key))
            .collect();
        let grants = KeyGrants::seal(&street_id, epoch, &refs, rand::random);
        let body = SignedSync {
            payload: grants.encode(),
            signatures: Vec::new(),
            certificates: st.trust_mut()?.membership.chain(&own),
        }
        .encode();
        let bundle = epoch_key
            .topic(crate::mailbox::CONTROL)
            .seal(
                BundleKind::Changes,
                &st.keys.sign,
                clock::now_ms(),
                &body,
                rand::random(),
            )
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        Ok(Some(KeyGrantsToPut {
            epoch,
            bundle,
            // Those the bundle really carries (an id too long is not sealed).
            holders: grants.grants.iter().map(|g| (g.tag, g.device)).collect(),
        }))
    }

    /// The relay holds the grants from [`Node::key_grants_to_put`]: their devices hold the
    /// keys.
    pub fn key_grants_put(&self, grants: &KeyGrantsToPut) -> NodeResult<()> {
        let mut st = self.lock()?;
        let own = st.keys.sign.public();
        st.store
            .write(|w| w.add_scope_holders(grants.epoch, &own, &grants.holders))?;
        Ok(())
    }

    /// Takes key grants (the payload of a control bundle) put by `granter`.
    pub(crate) fn take_key_grants(&self, granter: &Identity, payload: &[u8]) -> NodeResult<()> {
        let grants = KeyGrants::decode(payload)
            .map_err(|e| NodeError::Refused(format!("key grants: {e}")))?;
        self.lock()?.take_key_grants(granter, &grants)
    }
}

#[cfg(test)]
mod tests {
    use ivej_model::{Direction, PostFilter, PostInput, Visibility};
    use ivej_trust::mailbox::BundleKind;
    use ivej_trust::{KeyGrants, ScopeKey};

    use crate::tests::{member_of, new_node, street};
    use crate::Node;

    fn admit_all(nodes: &[&Node]) {
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                a.admit_each_other(b).unwrap();
            }
        }
    }

    fn titles(node: &Node) -> Vec<String> {
        node.list_posts(&PostFilter::default())
            .unwrap()
            .into_iter()
            .map(|p| p.post.title)
            .collect()
    }

    /// Takes every control bundle of `from` (its key grants) at `to`.
    fn give(from: &Node, to: &[&Node]) -> usize {
        let Some(grants) = from.key_grants_to_put().unwrap() else {
            return 0;
        };
        for node in to {
            assert!(!node.control_take(&grants.bundle).unwrap());
        }
        from.key_grants_put(&grants).unwrap();
        let topic = from
            .lock()
            .unwrap()
            .epoch_key()
            .unwrap()
            .topic(crate::CONTROL);
        let body = topic.open(&grants.bundle).unwrap().body;
        let payload = ivej_trust::SignedSync::decode(&body).unwrap().payload;
        KeyGrants::decode(&payload).unwrap().grants.len()
    }

    /// A control bundle of key grants `from` puts as itself, whatever it may read: what a
    /// hostile member can send.
    fn grants_from(from: &Node, items: &[([u8; 32], &str, &ScopeKey)]) -> Vec<u8> {
        let grants = KeyGrants::seal(&from.street_id().unwrap(), 0, items, rand::random);
        let body = ivej_trust::SignedSync {
            payload: grants.encode(),
            signatures: Vec::new(),
            certificates: Vec::new(),
        }
        .encode();
        let st = from.lock().unwrap();
        st.epoch_key()
            .unwrap()
            .topic(crate::CONTROL)
            .seal(BundleKind::Changes, &st.keys.sign, 0, &body, rand::random())
            .unwrap()
    }

    /// Carries `doc_id` from `from` to `to` through its mailbox topics, as the relay would.
    fn carry(from: &Node, to: &Node, doc_id: &str) -> usize {
        let mut taken = 0;
        for topic in from.mailbox_documents().unwrap() {
            if topic.doc_id != doc_id {
                continue;
            }
            let Some(out) = from.mailbox_outgoing(doc_id, &topic.topic.id).unwrap() else {
                continue;
            };
            for bundle in out.bundles {
                if to.mailbox_take(0, doc_id, &bundle).is_ok() {
                    taken += 1;
                }
            }
        }
        taken
    }

    #[test]
    fn a_key_given_by_a_member_who_may_not_read_the_document_is_never_used() {
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        let b = member_of(&f, dirs[2].path(), "Beta Plast");
        let m = member_of(&f, dirs[3].path(), "Mallory ApS");
        admit_all(&[&f, &a, &b, &m]);
        let mut post = PostInput::new(Direction::Offer, "CAP.EQUIP", "For Beta: spare welder");
        post.visibility = Visibility::Named;
        post.visible_to = vec![b.own_org_id().unwrap()];
        a.create_post(post).unwrap();
        let doc = crate::scoped::scope_id(&a.own_org_id().unwrap(), &[b.own_org_id().unwrap()]);

        // Mallory, a member the post is not for, gives Alfa and Beta a key of its own
        // choosing for the post's document (the least key there is, so it would be the
        // one put under), in the control topic, signed as itself.
        let forged = ScopeKey::new(0, [0; 32]);
        let noise = |n: &Node| n.noise_keys().unwrap().1;
        let bundle = grants_from(
            &m,
            &[
                (noise(&a), doc.as_str(), &forged),
                (noise(&b), doc.as_str(), &forged),
            ],
        );
        for reader in [&a, &b] {
            assert!(!reader.control_take(&bundle).unwrap());
            assert!(reader
                .refusals()
                .unwrap()
                .iter()
                .any(|r| r.reason.contains("may not read")));
        }
        // Alfa makes its own key and gives it to Beta and the facilitator, not Mallory.
        assert_eq!(give(&a, &[&b, &f, &m]), 2);
        let forged_topic = forged.topic(&doc).id;
        for reader in [&a, &b] {
            let topics = reader.mailbox_documents().unwrap();
            assert!(topics.iter().any(|t| t.doc_id == doc));
            assert!(!topics.iter().any(|t| t.topic.id == forged_topic));
        }
        assert!(a.mailbox_outgoing(&doc, &forged_topic).unwrap().is_none());
        assert!(!m
            .mailbox_documents()
            .unwrap()
            .iter()
            .any(|t| t.doc_id == doc));

        // What Alfa puts opens for Beta and the facilitator, and not for Mallory.
        assert!(carry(&a, &b, &doc) > 0);
        assert!(carry(&a, &f, &doc) > 0);
        assert_eq!(carry(&a, &m, &doc), 0);
        assert_eq!(titles(&b), vec!["For Beta: spare welder".to_string()]);
        assert_eq!(titles(&f), vec!["For Beta: spare welder".to_string()]);
        assert!(titles(&m).is_empty());
        // Given once: nothing more to give until a reader enrols a device.
        assert_eq!(give(&a, &[&b, &f]), 0);
        assert_eq!(give(&b, &[&a, &f]), 0);
        assert_eq!(give(&f, &[&a, &b]), 0);
    }

    #[test]
    fn a_device_a_reader_enrols_later_is_given_the_keys_it_may_read() {
        let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        admit_all(&[&f, &a]);
        let mut post = PostInput::new(Direction::Need, "KNOW", "Facilitator only: cash");
        post.visibility = Visibility::Facilitator;
        a.create_post(post).unwrap();
        let mut private = PostInput::new(Direction::Offer, "CAP.EQUIP", "Our own note");
        private.visibility = Visibility::Private;
        a.create_post(private).unwrap();
        // One device: its private document has no one to go to; the facilitator's scope has.
        assert_eq!(give(&a, &[&f]), 1);
        let private_doc = format!("private:{}", a.own_org_id().unwrap());
        assert!(!a
            .mailbox_documents()
            .unwrap()
            .iter()
            .any(|t| t.doc_id == private_doc));

        // Alfa enrols a second device: it is given both documents' keys, once.
        let invite = a
            .create_invite(crate::InviteRequest {
                own_device: true,
                ..Default::default()
            })
            .unwrap();
        let a2 = new_node(dirs[2].path());
        a2.join(&invite, None).unwrap();
        admit_all(&[&f, &a, &a2]);
        assert_eq!(give(&a, &[&a2, &f]), 2);
        assert_eq!(give(&a, &[&a2, &f]), 0);
        // The facilitator, a holder of the scope's key, knows a2 was given it.
        assert_eq!(give(&f, &[&a, &a2]), 0);
        let scope = format!("scope:{}", a.own_org_id().unwrap());
        assert!(carry(&a, &a2, &scope) > 0);
        assert!(carry(&a, &a2, &private_doc) > 0);
        let mut seen = titles(&a2);
        seen.sort();
        assert_eq!(seen, vec!["Facilitator only: cash", "Our own note"]);
    }

    #[test]
    fn a_post_for_many_named_members_still_has_its_key_given() {
        let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        let named: Vec<String> = (0..8)
            .map(|i| {
                f.add_organisation(ivej_model::OrgProfile {
                    name: format!("Member {i}"),
                    ..Default::default()
                })
                .unwrap()
                .id
            })
            .collect();
        crate::tests::sync_pair(&f, &a);
        let mut post = PostInput::new(Direction::Offer, "CAP.EQUIP", "For eight members");
        post.visibility = Visibility::Named;
        post.visible_to = named;
        a.create_post(post).unwrap();
        // Its document's id is some 330 bytes long: the grant to the facilitator is made.
        assert_eq!(give(&a, &[&f]), 1);
        let doc = f
            .mailbox_documents()
            .unwrap()
            .into_iter()
            .find(|t| t.doc_id.starts_with("scope:"))
            .map(|t| t.doc_id)
            .unwrap();
        assert!(doc.len() > 255);
        assert!(carry(&a, &f, &doc) > 0);
        assert_eq!(titles(&f), vec!["For eight members".to_string()]);
    }

    #[test]
    fn keys_for_minutes_in_confidence_from_a_member_who_was_not_there_are_refused() {
        let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        let m = member_of(&f, dirs[2].path(), "Mallory ApS");
        for n in [&a, &m] {
            crate::tests::sync_pair(&f, n);
        }
        let meeting = f
            .plan_meeting(crate::MeetingInput {
                starts_at: "2026-12-03T15:00".parse().unwrap(),
                duration_minutes: None,
                host_org: Some(a.own_org_id().unwrap()),
                location: None,
                challenge: None,
                series_id: None,
            })
            .unwrap();
        f.set_minutes_in_confidence(&meeting.id, true).unwrap();
        for n in [&a, &m] {
            crate::tests::sync_pair(&f, n);
        }
        admit_all(&[&f, &a, &m]);
        let doc = format!("minutes:{}", meeting.id);
        // Mallory, not present, gives the host eight keys of its own for those minutes.
        let junk: Vec<ScopeKey> = (0..8).map(|i| ScopeKey::new(0, [i; 32])).collect();
        let noise = a.noise_keys().unwrap().1;
        let items: Vec<([u8; 32], &str, &ScopeKey)> =
            junk.iter().map(|k| (noise, doc.as_str(), k)).collect();
        let bundle = grants_from(&m, &items);
        assert!(!a.control_take(&bundle).unwrap());
        assert!(a.lock().unwrap().keys_of(&doc).unwrap().is_empty());
        // The facilitator's real key is kept.
        assert!(give(&f, &[&a]) >= 1);
        assert_eq!(a.lock().unwrap().keys_of(&doc).unwrap().len(), 1);
    }
}
