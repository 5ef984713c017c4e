//! The relay, sans IO: which relay this device uses, which documents go through its
//! mailbox, the bundles this device puts, taking the bundles others put, where each
//! topic's cursor stands, and whom to call for a live session. The transport
//! (`ivej-net`) carries the bytes.
//!
//! - **What goes there.** Every document this device holds. The street document and the
//!   minutes not held in confidence (what every member reads) are sealed under the
//!   epoch's topic keys, which every member holds; documents only some may read (the
//!   private document, posts for some, minutes in confidence) under keys only their
//!   readers hold (`scope_keys`).
//! - **What is put.** Every change the mailbox is not known to hold, with its author's
//!   signature and certificates, whoever made it: a change learnt on the LAN reaches
//!   members who were not there, and every change in the mailbox has its dependencies
//!   there too.
//! - **What is taken.** A bundle is opened (AEAD and the putting device's signature), the
//!   device must hold a certificate that stands, and the changes inside then meet every
//!   check a peer's sync message meets (signatures, write rule, records), before
//!   automerge sees a byte.
//! - **Cursors never skip.** A topic's cursor moves past an entry only when every change in
//!   it is stored (or refused); an entry whose changes wait for others holds it.

use ivej_model::{NodeEvent, RelayRef};
use ivej_trust::mailbox::{BundleHeader, BundleKind, EpochKey, Topic};
use ivej_trust::{ChangeSignature, SignedSync};

use crate::state::{minutes_doc_id, private_doc_id, street_doc_id, State};
use crate::sync::Target;
use crate::{clock, Node, NodeError, NodeResult};

/// About how many bytes of changes one bundle carries: a first sync streams in pieces
/// and a burst of typing pads to a small size class.
const BUNDLE_BYTES: usize = 256 * 1024;
/// Entries after which a device up to date puts a snapshot, so the relay can prune.
pub const SNAPSHOT_EVERY: u64 = 256;
const RELAY_SETTING: &str = "relay";
/// The current epoch's number; `epoch.N` holds epoch N's key.
const SETTING_EPOCH: &str = "epoch";
/// The control topic of each epoch: where the next epoch's rekey is put.
pub const CONTROL: &str = "control";
/// Who a refused bundle is noted as coming from: the relay's mailbox.
pub const MAILBOX: &str = "relay mailbox";
const RELAY_LIVE_SETTING: &str = "relay.live_until";

/// One document's mailbox (one topic of it) as this device sees it.
#[derive(Debug, Clone)]
pub struct MailboxDoc {
    pub doc_id: String,
    /// What this device notes the topic's cursor under: the document's id for the epoch's
    /// topic, with the key's tag for a key only some hold.
    pub row: String,
    pub topic: Topic,
    /// Every entry up to this number is taken.
    pub cursor: u64,
    /// The newest entry the relay reported.
    pub last_seq: u64,
}

/// Bundles to put, and the document's heads they bring the mailbox to.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub bundles: Vec<Vec<u8>>,
    pub heads: Vec<[u8; 32]>,
}

/// What this device knows of the mailbox, for the status screen and `ivej peers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxStatus {
    /// Documents with changes the mailbox does not hold yet.
    pub pending_out: usize,
    /// Entries the relay reported that this device has not taken yet.
    pub pending_in: u64,
}

impl State {
    /// The key of the street's current epoch: the first is derived from the street secret
    /// every invite carries; each removal of a member begins another.
    pub(crate) fn epoch_key(&self) -> NodeResult<EpochKey> {
        let current = self
            .store
            .setting(SETTING_EPOCH)?
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        self.epoch_key_of(current)
    }

    /// The key of epoch `epoch`, if this device holds it.
    pub(crate) fn epoch_key_of(&self, epoch: u32) -> NodeResult<EpochKey> {
        if epoch == 0 {
            return Ok(EpochKey::first(&self.street_secret()?));
        }
        let key = self
            .store
            .setting(&format!("{SETTING_EPOCH}.{epoch}"))?
            .and_then(|hex| ivej_model::hex::decode(&hex))
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| NodeError::Internal(format!("the key of epoch {epoch} is missing")))?;
        Ok(EpochKey::new(epoch, key))
    }

    /// How many revocations had been issued when `epoch` began.
    pub(crate) fn epoch_revocations(&self, epoch: u32) -> NodeResult<u32> {
        Ok(self
            .store
            .setting(&format!("{SETTING_EPOCH}.{epoch}.revocations"))?
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Whether this device knows of a revocation the current epoch did not follow: the
    /// next epoch is coming, and until it does nothing goes into the mailbox, which the
    /// removed device can still read.
    pub(crate) fn awaiting_rekey(&mut self) -> NodeResult<bool> {
        let epoch = self.epoch_key()?.epoch;
        let known = self.trust_mut()?.membership.revocations().len();
        Ok(known > self.epoch_revocations(epoch)? as usize)
    }

    /// Makes `key` the current epoch (only ever forward), begun after `revocations`
    /// revocations, with `rekey` to pass on when this device began it.
    pub(crate) fn enter_epoch(
        &mut self,
        key: &EpochKey,
        revocations: u32,
        rekey: Option<&[u8]>,
    ) -> NodeResult<bool> {
        if key.epoch <= self.epoch_key()?.epoch {
            return Ok(false);
        }
        let hex = ivej_model::hex::encode(key.key());
        self.store.write(|w| {
            w.set_setting(&format!("{SETTING_EPOCH}.{}", key.epoch), &hex)?;
            w.set_setting(
                &format!("{SETTING_EPOCH}.{}.revocations", key.epoch),
                &revocations.to_string(),
            )?;
            w.set_setting(SETTING_EPOCH, &key.epoch.to_string())?;
            if let Some(rekey) = rekey {
                w.put_rekey(key.epoch, rekey, false)?;
            }
            Ok(())
        })?;
        Ok(true)
    }

    /// Begins a new epoch after a removal (a device with the street authority's key): a
    /// new random key, sealed to every device whose certificate still stands.
    pub(crate) fn begin_epoch(&mut self) -> NodeResult<()> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        let next = self.epoch_key()?.epoch + 1;
        let key = EpochKey::new(next, rand::random());
        let trust = self.trust_mut()?;
        let Some(authority) = trust.authority.clone() else {
            return Ok(());
        };
        let devices: Vec<[u8; 32]> = trust
            .membership
            .devices()
            .into_iter()
            .filter(|(_, revoked, _)| revoked.is_none())
            .map(|(identity, _, _)| identity.noise_key)
            .collect();
        let revocations = trust.membership.revocations().len() as u32;
        let rekey = ivej_trust::Rekey::new(
            &authority,
            &street_id,
            &key,
            revocations,
            &devices,
            clock::now_ms(),
            rand::random(),
        );
        self.enter_epoch(&key, revocations, Some(&rekey.encode()))?;
        Ok(())
    }

    /// What `doc_id` is, if it goes through the mailbox and this device may hold it.
    fn mailbox_target(&mut self, doc_id: &str) -> NodeResult<Option<Target>> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        if doc_id == street_doc_id(&street_id) {
            return Ok(Some(Target::Street));
        }
        if let Some(meeting) = doc_id.strip_prefix("minutes:") {
            if self.street()?.contains::<ivej_model::Meeting>(meeting) {
                return Ok(Some(Target::Minutes(meeting.to_string())));
            }
        }
        if self.own_org.as_deref().map(private_doc_id).as_deref() == Some(doc_id) {
            return Ok(Some(Target::Private));
        }
        if crate::scoped::parse_scope(doc_id).is_some() && self.holds_scope(doc_id) {
            return Ok(Some(Target::Scoped(doc_id.to_string())));
        }
        Ok(None)
    }
}

/// Fails with [`NodeError::Superseded`] when the street moved on from `epoch` (a rekey
/// came meanwhile): what was fetched or put for the old one says nothing of the new.
fn require_epoch(st: &State, epoch: u32) -> NodeResult<()> {
    if st.epoch_key()?.epoch == epoch {
        Ok(())
    } else {
        Err(NodeError::Superseded)
    }
}

fn refused(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Refused(format!("{what}: {e}"))
}

/// A bundle opened and its sender found.
struct Opened {
    identity: ivej_trust::Identity,
    body: Vec<u8>,
    /// The changes it carries, and those of them nothing else in it was built on.
    hashes: Vec<[u8; 32]>,
    heads: Vec<[u8; 32]>,
}

impl Node {
    /// Opens a bundle and finds who put it: the AEAD (under the key of the topic its
    /// header names, among those of the document this device reads), the signature, the
    /// certificate.
    fn open_bundle(&self, doc_id: &str, sealed: &[u8]) -> NodeResult<Opened> {
        let mut st = self.lock()?;
        let header = BundleHeader::decode(sealed).map_err(|e| refused("a bundle", e))?;
        let topic = st.topic_of(doc_id, &header.topic)?.ok_or_else(|| {
            NodeError::Refused("a bundle: of a topic this device does not read".into())
        })?;
        let opened = topic.open(sealed).map_err(|e| refused("a bundle", e))?;
        let envelope =
            SignedSync::decode(&opened.body).map_err(|e| refused("a bundle's changes", e))?;
        let headers = ivej_doc::inbound::change_headers(&envelope.payload)
            .map_err(|e| refused("a bundle's changes", e))?;
        let hashes: Vec<[u8; 32]> = headers.iter().map(|h| h.hash).collect();
        let built_on: std::collections::HashSet<[u8; 32]> = headers
            .iter()
            .flat_map(|h| h.deps.iter().copied())
            .collect();
        let heads: Vec<[u8; 32]> = hashes
            .iter()
            .copied()
            .filter(|h| !built_on.contains(h))
            .collect();
        if !st.take_certificates(envelope.certificates)?.is_empty() {
            self.emit(NodeEvent::MembershipChanged);
        }
        let identity = st
            .trust_mut()?
            .membership
            .identity(&opened.signer)
            .map_err(|e| refused("a bundle from a key no certificate stands for", e))?;
        Ok(Opened {
            identity,
            body: opened.body,
            hashes,
            heads,
        })
    }

    /// The relay this device uses, if any (an invite brings the street's; a user may set
    /// another).
    pub fn relay(&self) -> NodeResult<Option<RelayRef>> {
        let Some(text) = self.local_setting(RELAY_SETTING)? else {
            return Ok(None);
        };
        Ok(text
            .split_once(' ')
            .and_then(|(address, key)| RelayRef::parse(address, key)))
    }

    /// Uses the relay at `address` (`host:port`) with `key` (64 hexadecimal digits, as
    /// `ivej relay serve` prints it); each malformed field is named.
    pub fn use_relay(&self, address: &str, key: &str) -> NodeResult<RelayRef> {
        use ivej_model::{FieldError, Problem, ValidationErrors};
        let mut errors = Vec::new();
        if RelayRef::parse(address, &"00".repeat(32)).is_none() {
            errors.push(FieldError {
                field: "relay_address".into(),
                problem: Problem::NotAllowed {
                    value: address.trim().to_string(),
                    allowed: "host:port".into(),
                },
            });
        }
        if RelayRef::parse("relay:1", key).is_none() {
            errors.push(FieldError {
                field: "relay_key".into(),
                problem: Problem::NotAllowed {
                    value: key.trim().chars().take(16).collect(),
                    allowed: "64 hexadecimal digits".into(),
                },
            });
        }
        let relay = match RelayRef::parse(address, key) {
            Some(relay) if errors.is_empty() => relay,
            _ => return Err(ValidationErrors(errors).into()),
        };
        self.set_relay(Some(&relay))?;
        Ok(relay)
    }

    /// Sets (or, with `None`, clears) the relay this device uses. The facilitator's
    /// later invites carry it.
    pub fn set_relay(&self, relay: Option<&RelayRef>) -> NodeResult<()> {
        let value = relay
            .map(|r| format!("{} {}", r.address, r.key_hex()))
            .unwrap_or_default();
        self.set_local_setting(RELAY_SETTING, &value)?;
        self.emit(NodeEvent::RelayChanged);
        Ok(())
    }

    /// The topics this device reads: the street's and the minutes' of every meeting the
    /// street knows, under the epoch's key (minutes held in confidence are never put
    /// there; a device that reads the topic finds nothing), and one per key it holds of a
    /// document only some may read.
    pub fn mailbox_documents(&self) -> NodeResult<Vec<MailboxDoc>> {
        let mut st = self.lock()?;
        let key = st.epoch_key()?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let mut topics: Vec<(String, String, Topic)> = Vec::new();
        let mut ids = vec![street_doc_id(&street_id)];
        ids.extend(
            st.street()?
                .keys::<ivej_model::Meeting>()
                .iter()
                .map(|m| minutes_doc_id(m)),
        );
        for doc_id in ids {
            topics.push((doc_id.clone(), doc_id.clone(), key.topic(&doc_id)));
        }
        for (doc_id, keys) in st.scope_keys()? {
            for scope_key in keys {
                let tag = ivej_model::hex::encode(&scope_key.tag()[..8]);
                topics.push((
                    format!("{doc_id}#{tag}"),
                    doc_id.clone(),
                    scope_key.topic(&doc_id),
                ));
            }
        }
        topics
            .into_iter()
            .map(|(row, doc_id, topic)| {
                let stored = st.store.mailbox_row(key.epoch, &row)?;
                Ok(MailboxDoc {
                    topic,
                    doc_id,
                    row,
                    cursor: stored.cursor,
                    last_seq: stored.last_seq,
                })
            })
            .collect()
    }

    /// Bundles of every change of `doc_id` the mailbox is not known to hold, sealed and
    /// signed by this device, for the topic `topic` (the one this device puts the
    /// document under); `None` when there is nothing to put there.
    pub fn mailbox_outgoing(&self, doc_id: &str, topic: &[u8; 32]) -> NodeResult<Option<Outgoing>> {
        self.outgoing(doc_id, topic, BundleKind::Changes)
    }

    /// A snapshot of `doc_id` for `topic` (every change it holds, in one bundle), or
    /// `None` when the document is too large for one bundle or is not put there.
    pub fn mailbox_snapshot(&self, doc_id: &str, topic: &[u8; 32]) -> NodeResult<Option<Vec<u8>>> {
        Ok(self
            .outgoing(doc_id, topic, BundleKind::Snapshot)?
            .and_then(|o| o.bundles.into_iter().next()))
    }

    fn outgoing(
        &self,
        doc_id: &str,
        topic_id: &[u8; 32],
        kind: BundleKind,
    ) -> NodeResult<Option<Outgoing>> {
        let mut st = self.lock()?;
        let Some(target) = st.mailbox_target(doc_id)? else {
            return Ok(None);
        };
        if st.awaiting_rekey()? {
            return Ok(None);
        }
        let Some(topic) = st.put_topic(doc_id, &target)? else {
            return Ok(None);
        };
        if topic.id != *topic_id {
            return Ok(None);
        }
        let key = st.epoch_key()?;
        let (since, max) = match kind {
            BundleKind::Changes => (st.store.mailbox_row(key.epoch, doc_id)?.known, BUNDLE_BYTES),
            BundleKind::Snapshot => (Vec::new(), ivej_trust::mailbox::MAX_BODY / 2),
        };
        let doc = st.document_mut(&target)?;
        let batches = doc.change_batches(&since, max);
        if batches.is_empty() || (kind == BundleKind::Snapshot && batches.len() > 1) {
            return Ok(None);
        }
        let heads: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
        let mut bundles = Vec::with_capacity(batches.len());
        for batch in batches {
            let mut signatures = Vec::with_capacity(batch.hashes.len());
            for bytes in st.store.change_signatures(doc_id, &batch.hashes)? {
                if let Ok(sig) = ChangeSignature::from_bytes(&bytes) {
                    signatures.push(sig);
                }
            }
            let headers = ivej_doc::inbound::change_headers(&batch.message)?;
            let mut authors: Vec<[u8; 32]> = headers
                .iter()
                .filter_map(|h| h.actor.get(..32).and_then(|a| a.try_into().ok()))
                .collect();
            authors.push(st.keys.sign.public());
            authors.sort_unstable();
            authors.dedup();
            let mut certificates = Vec::new();
            if let Some(trust) = st.trust.as_ref() {
                for author in authors {
                    for cert in trust.membership.chain(&author) {
                        if !certificates.contains(&cert) {
                            certificates.push(cert);
                        }
                    }
                }
            }
            let body = SignedSync {
                payload: batch.message,
                signatures,
                certificates,
            }
            .encode();
            let nonce: [u8; 24] = rand::random();
            bundles.push(
                topic
                    .seal(kind, &st.keys.sign, clock::now_ms(), &body, nonce)
                    .map_err(|e| NodeError::Internal(e.to_string()))?,
            );
        }
        Ok(Some(Outgoing { bundles, heads }))
    }

    /// The bundles from [`Node::mailbox_outgoing`] are stored by the relay: the mailbox
    /// holds everything up to `heads`.
    pub fn mailbox_put(&self, epoch: u32, doc_id: &str, heads: &[[u8; 32]]) -> NodeResult<()> {
        let mut st = self.lock()?;
        require_epoch(&st, epoch)?;
        self.note_known(&mut st, doc_id, heads)
    }

    fn note_known(&self, st: &mut State, doc_id: &str, hashes: &[[u8; 32]]) -> NodeResult<()> {
        let Some(target) = st.mailbox_target(doc_id)? else {
            return Ok(());
        };
        let epoch = st.epoch_key()?.epoch;
        let mut known = st.store.mailbox_row(epoch, doc_id)?.known;
        known.extend_from_slice(hashes);
        let known = st.document_mut(&target)?.heads_among(&known);
        st.store
            .write(|w| w.set_mailbox_known(epoch, doc_id, &known))?;
        Ok(())
    }

    /// Takes a bundle fetched from the mailbox of `doc_id`. It must open under the topic's
    /// key, be signed by a device whose certificate stands, and its changes must pass every
    /// check a peer's message passes. Returns whether the entry is settled: each of its
    /// changes is stored (or refused); an entry whose changes wait for others is not. A
    /// bundle refused whole is an error ([`NodeError::Refused`]) and settles its entry.
    pub fn mailbox_take(&self, epoch: u32, doc_id: &str, sealed: &[u8]) -> NodeResult<bool> {
        require_epoch(&*self.lock()?, epoch)?;
        let opened = self.open_bundle(doc_id, sealed);
        if let Err(NodeError::Refused(why)) = &opened {
            // Noted for the sync screen and `ivej refused`, as a refused peer's change is
            // (changes refused inside a bundle that opened are noted with their sender).
            self.lock()?.record_refusal(MAILBOX, "", doc_id, why);
            self.emit(NodeEvent::ChangeRefused {
                device_id: MAILBOX.into(),
            });
        }
        let Opened {
            identity,
            body,
            hashes,
            heads,
        } = opened?;
        let device = identity.device_id.clone();
        match self.receive_from(
            &device,
            crate::sync::Inbound::Mailbox,
            &identity,
            doc_id,
            &body,
        ) {
            Ok(()) => {}
            // Minutes of a meeting this device has not heard of yet: later.
            Err(NodeError::NotAllowed(_)) => return Ok(false),
            Err(e) => return Err(e),
        }
        let mut st = self.lock()?;
        let Some(target) = st.mailbox_target(doc_id)? else {
            return Ok(false);
        };
        let (held, held_heads): (Vec<[u8; 32]>, Vec<[u8; 32]>) = {
            let doc = st.document_mut(&target)?;
            (
                hashes
                    .iter()
                    .copied()
                    .filter(|h| doc.has_change(h))
                    .collect(),
                heads
                    .iter()
                    .copied()
                    .filter(|h| doc.has_change(h))
                    .collect(),
            )
        };
        let trust = st.trust_mut()?;
        let settled = hashes
            .iter()
            .all(|h| held.contains(h) || trust.is_refused(&device, doc_id, h));
        // What the mailbox holds: what came from it is there (with all it was built on:
        // every device puts a change's dependencies with it or before it).
        self.note_known(&mut st, doc_id, &held_heads)?;
        Ok(settled)
    }

    /// Entries of a topic up to `cursor` are taken (`row`: its [`MailboxDoc::row`]); the
    /// relay's newest is `last_seq`.
    pub fn mailbox_advance(
        &self,
        epoch: u32,
        row: &str,
        cursor: u64,
        last_seq: u64,
    ) -> NodeResult<()> {
        let mut st = self.lock()?;
        st.store
            .write(|w| w.set_mailbox_cursor(epoch, row, cursor, last_seq))?;
        Ok(())
    }

    /// What is pending between this device and the mailbox. Never "nothing" while the
    /// relay reported entries this device has not taken.
    pub fn mailbox_status(&self) -> NodeResult<MailboxStatus> {
        let docs = self.mailbox_documents()?;
        let mut status = MailboxStatus::default();
        let mut st = self.lock()?;
        let epoch = st.epoch_key()?.epoch;
        let mut ids: Vec<String> = Vec::new();
        for doc in docs {
            status.pending_in += doc.last_seq.saturating_sub(doc.cursor);
            ids.push(doc.doc_id);
        }
        let own_private = st.own_org.as_deref().map(private_doc_id);
        ids.extend(own_private.filter(|_| st.private.is_some()));
        ids.extend(st.load_scoped()?);
        ids.sort();
        ids.dedup();
        for doc_id in ids {
            let Some(target) = st.mailbox_target(&doc_id)? else {
                continue;
            };
            let stored = match &target {
                Target::Minutes(m) => {
                    st.minutes.contains_key(m) || st.store.load_document(&doc_id)?.is_some()
                }
                Target::Scoped(_) => st.scoped.contains_key(&doc_id),
                _ => true,
            };
            if !stored {
                continue;
            }
            if st.put_topic(&doc_id, &target)?.is_none() {
                // Only some read it and it has no key yet: pending while it has readers.
                if st.awaits_key(&doc_id)? {
                    status.pending_out += 1;
                }
                continue;
            }
            let known = st.store.mailbox_row(epoch, &doc_id)?.known;
            // Everything is in the mailbox when each of the document's heads is.
            let heads = st.document_mut(&target)?.heads();
            if !heads.iter().all(|h| known.contains(&h.0)) {
                status.pending_out += 1;
            }
        }
        Ok(status)
    }

    /// The relay this device uses and what is pending with its mailbox.
    pub fn relay_status(&self) -> NodeResult<ivej_model::ipc::RelayStatus> {
        let relay = self.relay()?;
        let pending = if relay.is_some() {
            self.mailbox_status()?
        } else {
            MailboxStatus::default()
        };
        Ok(ivej_model::ipc::RelayStatus {
            key: relay.as_ref().map(RelayRef::key_hex),
            connected: relay.is_some() && self.relay_is_connected()?,
            relay,
            pending_out: pending.pending_out,
            pending_in: pending.pending_in,
        })
    }

    /// The current epoch's number.
    pub fn epoch(&self) -> NodeResult<u32> {
        Ok(self.lock()?.epoch_key()?.epoch)
    }

    /// The current epoch's control topic (where the next epoch's rekey and keys of
    /// documents only some may read are put), and how far this device has read it.
    pub fn control_topic(&self) -> NodeResult<MailboxDoc> {
        let st = self.lock()?;
        let key = st.epoch_key()?;
        let row = st.store.mailbox_row(key.epoch, CONTROL)?;
        Ok(MailboxDoc {
            doc_id: CONTROL.into(),
            row: CONTROL.into(),
            topic: key.topic(CONTROL),
            cursor: row.cursor,
            last_seq: row.last_seq,
        })
    }

    /// Rekeys this device began that the relay does not hold yet, each sealed for the
    /// control topic of the epoch before it: (that epoch, its control topic, the bundle).
    pub fn rekeys_to_put(&self) -> NodeResult<Vec<(u32, Topic, Vec<u8>)>> {
        let st = self.lock()?;
        let mut out = Vec::new();
        for (epoch, bytes) in st.store.unsent_rekeys()? {
            let Some(previous) = epoch.checked_sub(1) else {
                continue;
            };
            let topic = st.epoch_key_of(previous)?.topic(CONTROL);
            let sealed = topic
                .seal(
                    BundleKind::Changes,
                    &st.keys.sign,
                    clock::now_ms(),
                    &bytes,
                    rand::random(),
                )
                .map_err(|e| NodeError::Internal(e.to_string()))?;
            out.push((epoch, topic, sealed));
        }
        Ok(out)
    }

    /// The relay holds the rekey that began `epoch`.
    pub fn rekey_put(&self, epoch: u32) -> NodeResult<()> {
        let mut st = self.lock()?;
        st.store.write(|w| w.put_rekey(epoch, &[], true))?;
        Ok(())
    }

    /// Takes a bundle from the current epoch's control topic, put by a device whose
    /// certificate stands: a rekey signed by the street authority, or keys of documents
    /// only some may read (`scope_keys`). Returns whether this device entered the next
    /// epoch (a removed device finds no grant for itself and stays). A bundle that is
    /// neither is refused.
    pub fn control_take(&self, sealed: &[u8]) -> NodeResult<bool> {
        let mut st = self.lock()?;
        let current = st.epoch_key()?;
        let opened = current
            .topic(CONTROL)
            .open(sealed)
            .map_err(|e| refused("a control bundle", e))?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let noise_private = st.keys.noise_private;
        // Key grants come with their giver's certificates (a device enrolled since may
        // have put nothing else yet), as a sync message's changes do.
        let grants = match SignedSync::decode(&opened.body) {
            Ok(envelope) => {
                if !st.take_certificates(envelope.certificates)?.is_empty() {
                    self.emit(NodeEvent::MembershipChanged);
                }
                Some(envelope.payload)
            }
            Err(_) => None,
        };
        let trust = st.trust_mut()?;
        let putter = trust
            .membership
            .identity(&opened.signer)
            .map_err(|e| refused("a control bundle from a key no certificate stands for", e))?;
        if let Some(grants) = grants {
            drop(st);
            self.take_key_grants(&putter, &grants)?;
            return Ok(false);
        }
        let rekey = ivej_trust::Rekey::decode(&opened.body).map_err(|e| refused("a rekey", e))?;
        rekey
            .verify(&street_id, &trust.membership.authority())
            .map_err(|e| refused("a rekey", e))?;
        if rekey.epoch != current.epoch + 1 {
            return Ok(false);
        }
        let Some(key) = rekey.open(&noise_private) else {
            return Ok(false);
        };
        let entered = st.enter_epoch(&key, rekey.revocations, None)?;
        drop(st);
        if entered {
            self.emit(NodeEvent::RelayChanged);
        }
        Ok(entered)
    }

    /// This process holds a connection to the relay (renewed while it lasts; another
    /// process reading the status trusts it for 90 s).
    pub fn relay_connected(&self) -> NodeResult<()> {
        let until = clock::now_ms() + 90_000;
        self.set_local_setting(RELAY_LIVE_SETTING, &until.to_string())?;
        self.emit(NodeEvent::RelayChanged);
        Ok(())
    }

    /// The connection to the relay ended.
    pub fn relay_disconnected(&self) -> NodeResult<()> {
        self.set_local_setting(RELAY_LIVE_SETTING, "")?;
        self.emit(NodeEvent::RelayChanged);
        Ok(())
    }

    /// Whether a process on this data directory is connected to the relay.
    pub fn relay_is_connected(&self) -> NodeResult<bool> {
        Ok(self
            .local_setting(RELAY_LIVE_SETTING)?
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|until| until > clock::now_ms()))
    }

    /// Where the relay finds `device_id` for a live session (a name only members of the
    /// epoch can compute).
    pub fn rendezvous(&self, device_id: &str) -> NodeResult<[u8; 32]> {
        Ok(self.lock()?.epoch_key()?.rendezvous(device_id))
    }

    /// Devices this one calls through the relay for a live session: every device whose
    /// certificate stands, with no session under way, of which this device's id is the
    /// smaller (so each pair has one caller).
    pub fn devices_to_call(&self) -> NodeResult<Vec<String>> {
        let own = self.device_id()?;
        let devices: Vec<String> = {
            let st = self.lock()?;
            let trust = st.trust.as_ref().ok_or(NodeError::NoStreet)?;
            trust
                .membership
                .devices()
                .into_iter()
                .filter(|(_, revoked, _)| revoked.is_none())
                .map(|(identity, _, _)| identity.device_id)
                .filter(|d| *d > own)
                .collect()
        };
        let live = self
            .sessions
            .lock()
            .map_err(|_| NodeError::Internal("session table".into()))?;
        Ok(devices
            .into_iter()
            .filter(|d| !live.contains_key(d))
            .collect())
    }
}
