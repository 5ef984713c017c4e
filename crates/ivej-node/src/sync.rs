//! Sync with peers, sans IO: which documents a peer may have, the next message for it, and
//! what to do with its messages. The transport (LAN, relay, or a test's loop) carries the
//! bytes. Every received change is stored, with the sync state and the updated query tables,
//! in one transaction before the call returns.

use ivej_doc::{PostsDoc, SyncState, Touched};
use ivej_model::{NodeEvent, Organisation, Post, Problem, Service, ValidationErrors};
use ivej_store::{StoreError, Writer};
use ivej_trust::{ChangeSignature, Identity, SignedSync};

use crate::authorise::Scope;
use crate::error::{NodeError, NodeResult};
use crate::state::{minutes_doc_id, private_doc_id, street_doc_id, State, SETTING_PEER_ADDRESSES};
use crate::trust::RefusedChange;
use crate::Node;

/// The first six bytes of the signing key an actor id starts with, in hex.
fn short_author(actor: &[u8]) -> String {
    actor
        .get(..32)
        .map(|k| k.iter().take(6).map(|b| format!("{b:02x}")).collect())
        .unwrap_or_default()
}

/// How a peer's changes came: in a session (numbered, when given), or in a bundle from
/// the relay's mailbox, which has no sync state of its own to keep.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Inbound {
    Session(Option<u64>),
    Mailbox,
}

/// Which document a doc id names, as far as this node is concerned.
pub(crate) enum Target {
    Street,
    Minutes(String),
    Private,
    /// Posts shared with some (`crate::scoped`), by document id.
    Scoped(String),
}

impl State {
    /// Most messages (acks, have/need) bring no change: their sync state stays in memory,
    /// sparing the disk; it is stored with the next change or when the session ends.
    fn keep_quiet_state(&mut self, peer: &str, doc_id: &str, state: SyncState) -> NodeResult<()> {
        *self.sync_state(peer, doc_id)? = state;
        self.note_peer(peer);
        self.store_status_if_due(peer)
    }

    /// What `doc_id` is, if this node shares it with `peer`.
    pub(crate) fn target(&mut self, doc_id: &str, peer: &Identity) -> NodeResult<Target> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        if doc_id == street_doc_id(&street_id) {
            return Ok(Target::Street);
        }
        if let Some(meeting) = doc_id.strip_prefix("minutes:") {
            // Only the minutes of a meeting the street knows: a peer cannot make this node
            // create, store and spread documents of its own invention.
            if self.street()?.contains::<ivej_model::Meeting>(meeting)
                && self.minutes_readable_by(meeting, peer)?
            {
                return Ok(Target::Minutes(meeting.to_string()));
            }
        }
        if let Some(own) = self.own_org.as_deref() {
            // The private document goes only to the company's own devices.
            if doc_id == private_doc_id(own) && peer.org_id == own {
                return Ok(Target::Private);
            }
        }
        // Posts shared with some: only between devices both of which the id names (or
        // the facilitator's), so a document no one may give this node is never created.
        if crate::scoped::shared_with(doc_id, peer) && self.holds_scope(doc_id) {
            return Ok(Target::Scoped(doc_id.to_string()));
        }
        Err(NodeError::NotAllowed(format!(
            "document `{doc_id}` is not shared with this peer"
        )))
    }

    /// Whether `peer` may receive a meeting's minutes: always, unless they are held in
    /// confidence; then only the facilitator's devices and those of the organisations
    /// present (the host and the attendance). Minutes never stored here hold nothing.
    pub(crate) fn minutes_readable_by(
        &mut self,
        meeting: &str,
        peer: &Identity,
    ) -> NodeResult<bool> {
        if peer.role == ivej_trust::Role::Facilitator {
            return Ok(true);
        }
        let stored = self.minutes.contains_key(meeting)
            || self
                .store
                .load_document(&minutes_doc_id(meeting))?
                .is_some();
        if !stored || !self.minutes_mut(meeting)?.in_confidence().unwrap_or(true) {
            return Ok(true);
        }
        Ok(self.minutes_parties(meeting).contains(&peer.org_id))
    }

    /// The document a target names.
    pub(crate) fn document_mut(&mut self, target: &Target) -> NodeResult<&mut ivej_doc::Document> {
        Ok(match target {
            Target::Street => self.street_mut()?,
            Target::Minutes(meeting) => self.minutes_mut(meeting)?,
            Target::Private => self.private.as_mut().ok_or(NodeError::NoStreet)?,
            Target::Scoped(doc_id) => self.scoped_mut(doc_id)?,
        })
    }

    /// Hands a peer's message to the document it is about.
    fn apply_sync_message(
        &mut self,
        target: &Target,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> NodeResult<Touched> {
        Ok(self
            .document_mut(target)?
            .receive_sync_message(state, bytes)?)
    }

    /// Reads a document again from storage, dropping whatever memory holds beyond it.
    fn reload(&mut self, target: &Target) -> NodeResult<()> {
        match target {
            Target::Street => self.reload_street(),
            // Loaded again on next use.
            Target::Minutes(meeting) => {
                self.minutes.remove(meeting);
                Ok(())
            }
            Target::Private => self.reload_private(),
            Target::Scoped(doc_id) => {
                self.scoped.remove(doc_id);
                Ok(())
            }
        }
    }

    /// Before automerge sees a peer's changes: each one this document lacks is signed,
    /// by the device its actor names or by the street's authority, and that device's
    /// certificate stands (or stood, for a change the revocation's cut still covers). The
    /// document's fixed creation changes need no signature. Verified signatures wait in
    /// `pending` until their change is applied. Returns the changes refused, and those
    /// built on them; only a message that does not decode is refused as a whole.
    fn check_signatures(
        &mut self,
        peer: &str,
        target: &Target,
        doc_id: &str,
        signatures: &[ChangeSignature],
        payload: &[u8],
    ) -> NodeResult<Vec<RefusedChange>> {
        let headers = ivej_doc::inbound::change_headers(payload)
            .map_err(|e| NodeError::Refused(e.to_string()))?;
        if headers.is_empty() {
            return Ok(Vec::new());
        }
        let creation = self.trust_mut()?.creation_hashes(doc_id).to_vec();
        let mut checked = Vec::new();
        {
            let doc = self.document_mut(target)?;
            for header in headers {
                if creation.contains(&header.hash) || doc.has_change(&header.hash) {
                    continue;
                }
                checked.push(header);
            }
        }
        let trust = self.trust_mut()?;
        let authority = trust.membership.authority();
        let by_hash: std::collections::HashMap<[u8; 32], &ChangeSignature> =
            signatures.iter().map(|s| (s.hash, s)).collect();
        let mut refused = Vec::new();
        for header in &checked {
            let author = short_author(&header.actor);
            // A change carried over from an earlier message has its signature checked.
            let carried = trust
                .pending
                .get(&(doc_id.to_string(), header.hash))
                .copied();
            let verdict = match by_hash.get(&header.hash).copied().or(carried.as_ref()) {
                None => Err("a change without its author's signature".to_string()),
                Some(sig) => sig
                    .verify(doc_id)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        if sig.signer == authority {
                            Ok(*sig)
                        } else if header.actor.get(..32) != Some(&sig.signer[..]) {
                            Err("a change signed by another device than its author".to_string())
                        } else {
                            trust
                                .membership
                                .change_allowed(&header.actor, &header.hash)
                                .map(|_| *sig)
                                .map_err(|e| e.to_string())
                        }
                    }),
            };
            match verdict {
                Ok(sig) => trust.keep_pending(doc_id, sig),
                Err(why) => refused.push(RefusedChange {
                    hash: header.hash,
                    deps: header.deps.clone(),
                    author,
                    why,
                }),
            }
        }
        // What was built on a refused change goes with it, however the message orders them:
        // down the graph from each refused change, each change visited once.
        let mut out: std::collections::HashSet<[u8; 32]> = refused.iter().map(|r| r.hash).collect();
        let mut children: std::collections::HashMap<[u8; 32], Vec<usize>> =
            std::collections::HashMap::new();
        let mut frontier: Vec<[u8; 32]> = out.iter().copied().collect();
        for (i, header) in checked.iter().enumerate() {
            for dep in &header.deps {
                children.entry(*dep).or_default().push(i);
                if trust.is_refused(peer, doc_id, dep) {
                    frontier.push(*dep);
                }
            }
        }
        while let Some(hash) = frontier.pop() {
            for &i in children.get(&hash).map(Vec::as_slice).unwrap_or_default() {
                let header = &checked[i];
                if out.insert(header.hash) {
                    frontier.push(header.hash);
                    refused.push(RefusedChange {
                        hash: header.hash,
                        deps: header.deps.clone(),
                        author: short_author(&header.actor),
                        why: "a change built on a refused one".into(),
                    });
                }
            }
        }
        Ok(refused)
    }

    /// After automerge applied a peer's message in memory: each change it applied (also
    /// ones it kept waiting from earlier messages) meets the write rule for its author,
    /// judged at the change's own dependencies and at itself. Returns the signatures of
    /// those that do, to store with them, and those that do not (with what was built on
    /// them).
    fn authorise_applied(
        &mut self,
        peer: &str,
        target: &Target,
        doc_id: &str,
        before: &[ivej_doc::automerge::ChangeHash],
    ) -> NodeResult<(Vec<ChangeSignature>, Vec<RefusedChange>)> {
        let parties = match target {
            Target::Minutes(meeting) => self.minutes_parties(meeting),
            _ => Vec::new(),
        };
        let own_org = self.own_org.clone().unwrap_or_default();
        let owner = match target {
            Target::Scoped(doc_id) => crate::scoped::parse_scope(doc_id)
                .map(|(owner, _)| owner.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let scope = match target {
            Target::Street => Scope::Street,
            Target::Minutes(_) => Scope::Minutes { parties: &parties },
            Target::Private => Scope::Private { org: &own_org },
            Target::Scoped(_) => Scope::Scoped { owner: &owner },
        };
        let creation = self.trust_mut()?.creation_hashes(doc_id).to_vec();
        let applied = self.document_mut(target)?.changes_since(before);
        let mut signatures = Vec::new();
        let mut refused: Vec<RefusedChange> = Vec::new();
        let mut refused_here: std::collections::HashSet<[u8; 32]> = Default::default();
        for change in applied {
            if creation.contains(&change.hash) {
                continue;
            }
            let deps = self.document_mut(target)?.change_deps(&change.hash)?;
            let trust = self.trust_mut()?;
            let sig = trust.pending.remove(&(doc_id.to_string(), change.hash));
            let built_on_refused = deps
                .iter()
                .any(|d| refused_here.contains(&d.0) || trust.is_refused(peer, doc_id, &d.0));
            let authority = trust.membership.authority();
            let verdict: Result<ChangeSignature, String> = match sig {
                _ if built_on_refused => Err("a change built on a refused one".into()),
                None => Err("a change whose signature was not checked".into()),
                Some(sig) if sig.signer == authority => Ok(sig),
                Some(sig) => match trust.membership.change_allowed(&change.actor, &change.hash) {
                    Err(e) => Err(e.to_string()),
                    Ok(who) => {
                        let doc = self.document_mut(target)?;
                        let touches = doc.change_touches(&change.hash)?;
                        let at = [ivej_doc::automerge::ChangeHash(change.hash)];
                        crate::authorise::may_write(doc, scope, &who, &touches, &deps, Some(&at))
                            .map(|()| sig)
                            .map_err(|why| why.to_string())
                    }
                },
            };
            match verdict {
                Ok(sig) => signatures.push(sig),
                Err(why) => {
                    refused_here.insert(change.hash);
                    refused.push(RefusedChange {
                        hash: change.hash,
                        deps: deps.iter().map(|d| d.0).collect(),
                        author: short_author(&change.actor),
                        why,
                    });
                }
            }
        }
        Ok((signatures, refused))
    }

    /// Of the changes applied in memory since `before`: those that touched the record
    /// `key` of `collection` (a root value when `collection` is empty; the street record is
    /// `street`), refused for `why`, and the bytes of the others, to apply again.
    fn changes_touching(
        &mut self,
        target: &Target,
        before: &[ivej_doc::automerge::ChangeHash],
        collection: &str,
        key: &str,
        why: &str,
    ) -> NodeResult<(Vec<RefusedChange>, Vec<Vec<u8>>)> {
        use ivej_doc::Touch;
        let doc = self.document_mut(target)?;
        let (mut culprits, mut others) = (Vec::new(), Vec::new());
        let mut culprit_hashes: std::collections::HashSet<[u8; 32]> = Default::default();
        for change in doc.changes_since(before) {
            let hits = doc.change_touches(&change.hash)?.iter().any(|t| match t {
                Touch::Root(root) => {
                    (collection.is_empty() && root == key)
                        || (collection == "street" && root == "street")
                }
                Touch::Record {
                    collection: c,
                    key: k,
                    ..
                } => c == collection && k == key,
            });
            let deps: Vec<[u8; 32]> = doc.change_deps(&change.hash)?.iter().map(|d| d.0).collect();
            // automerge lists changes in causal order: what was built on one comes after.
            let built_on = deps.iter().any(|d| culprit_hashes.contains(d));
            if hits || built_on {
                culprit_hashes.insert(change.hash);
                culprits.push(RefusedChange {
                    hash: change.hash,
                    deps,
                    author: short_author(&change.actor),
                    why: if hits {
                        why.to_string()
                    } else {
                        "a change built on a refused one".into()
                    },
                });
            } else if let Some(bytes) = doc.change_bytes(&change.hash) {
                others.push(bytes);
            }
        }
        Ok((culprits, others))
    }

    pub(crate) fn sync_state(&mut self, peer: &str, doc_id: &str) -> NodeResult<&mut SyncState> {
        let key = (peer.to_string(), doc_id.to_string());
        if !self.sync_states.contains_key(&key) {
            let state = match self.store.sync_state(peer, doc_id)? {
                // A state that does not decode only costs a longer first exchange.
                Some(bytes) => ivej_doc::inbound::decode_sync_state(&bytes).unwrap_or_default(),
                None => SyncState::new(),
            };
            self.sync_states.insert(key.clone(), state);
        }
        self.sync_states
            .get_mut(&key)
            .ok_or_else(|| NodeError::Internal("sync state vanished".into()))
    }
}

/// Updates the query tables for the street records a peer's changes touched.
fn project_touched(
    w: &mut Writer<'_>,
    orgs: &[Organisation],
    posts: &[(String, Option<Post>)],
    services: &[Service],
    names: &dyn Fn(&str) -> Option<String>,
) -> Result<(), StoreError> {
    for org in orgs {
        w.upsert_organisation(org)?;
    }
    for (id, post) in posts {
        match post {
            Some(post) => w.upsert_post(post, names(&post.org_id).as_deref())?,
            None => w.remove_post(id)?,
        }
    }
    for service in services {
        w.upsert_service(service)?;
    }
    Ok(())
}

fn put_peer_row(
    w: &mut Writer<'_>,
    peer: &str,
    row: Option<&crate::peers::PeerRecord>,
) -> Result<(), StoreError> {
    match row {
        Some(r) => w.put_peer(&r.stored(peer, true)),
        None => Ok(()),
    }
}

fn events_for(touched: &Touched) -> Vec<NodeEvent> {
    let mut events = Vec::new();
    for (collection, key) in &touched.records {
        let id = key.clone();
        events.push(match collection.as_str() {
            "organisations" => NodeEvent::OrganisationChanged { id },
            "posts" => NodeEvent::PostChanged { id },
            "interests" => NodeEvent::InterestChanged { id },
            "meetings" | "series" => NodeEvent::MeetingChanged { id },
            "actions" => NodeEvent::ActionChanged { id },
            "collaborations" => NodeEvent::CollaborationChanged { id },
            "relationships" => NodeEvent::RelationshipChanged { key: id },
            "services" => NodeEvent::ServiceChanged { id },
            "dismissed" if !events.contains(&NodeEvent::SuggestionsChanged) => {
                NodeEvent::SuggestionsChanged
            }
            _ => continue,
        });
    }
    if touched.root_keys.contains("street") {
        events.push(NodeEvent::StreetChanged);
    }
    events
}

impl Node {
    /// The street's shared secret: what a device must know to talk to the others.
    pub fn street_secret(&self) -> NodeResult<[u8; 32]> {
        self.lock()?.street_secret()
    }

    /// Peers to dial directly, for networks where multicast discovery is blocked.
    pub fn peer_addresses(&self) -> NodeResult<Vec<String>> {
        Ok(self
            .lock()?
            .store
            .setting(SETTING_PEER_ADDRESSES)?
            .map(|s| {
                s.lines()
                    .map(str::to_string)
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default())
    }

    pub fn add_peer_address(&self, address: &str) -> NodeResult<()> {
        let address = address.trim();
        if address.is_empty() || address.len() > 255 || address.contains(char::is_whitespace) {
            return Err(ValidationErrors::single(
                "address",
                Problem::NotAllowed {
                    value: address.to_string(),
                    allowed: "host:port".into(),
                },
            )
            .into());
        }
        let mut all = self.peer_addresses()?;
        if !all.iter().any(|a| a == address) {
            all.push(address.to_string());
        }
        self.lock()?
            .store
            .set_setting(SETTING_PEER_ADDRESSES, &all.join("\n"))?;
        Ok(())
    }

    /// Whether this device announces itself and looks for peers on the LAN (default on).
    pub fn lan_discovery_enabled(&self) -> NodeResult<bool> {
        Ok(self.local_setting("lan_discovery")?.as_deref() != Some("off"))
    }

    pub fn set_lan_discovery(&self, on: bool) -> NodeResult<()> {
        self.set_local_setting("lan_discovery", if on { "on" } else { "off" })
    }

    /// A setting that stays on this device (keys, preferences); never synced.
    pub fn local_setting(&self, key: &str) -> NodeResult<Option<String>> {
        Ok(self.lock()?.store.setting(&format!("local.{key}"))?)
    }

    pub fn set_local_setting(&self, key: &str, value: &str) -> NodeResult<()> {
        Ok(self
            .lock()?
            .store
            .set_setting(&format!("local.{key}"), value)?)
    }

    /// The documents to sync with `peer` (an admitted device), or that this node offers
    /// (`None`): the street, the minutes of every meeting the street knows (those held in
    /// confidence only for the facilitator and the organisations present), and the private
    /// document for the company's own devices.
    pub fn documents_shared_with(&self, peer: Option<&str>) -> NodeResult<Vec<String>> {
        let peer = peer.map(|device| self.admitted(device)).transpose()?;
        let mut st = self.lock()?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let mut docs = vec![street_doc_id(&street_id)];
        for meeting in st.street()?.keys::<ivej_model::Meeting>() {
            let shared = match &peer {
                Some(peer) => st.minutes_readable_by(&meeting, peer)?,
                None => true,
            };
            if shared {
                docs.push(minutes_doc_id(&meeting));
            }
        }
        if let (Some(own), Some(peer)) = (st.own_org.as_deref(), &peer) {
            if peer.org_id == own {
                docs.push(private_doc_id(own));
            }
        }
        for scope in st.load_scoped()? {
            if peer
                .as_ref()
                .is_none_or(|p| crate::scoped::shared_with(&scope, p))
            {
                docs.push(scope);
            }
        }
        Ok(docs)
    }

    /// The documents that `events` may have changed, so that a session sends only those.
    pub fn documents_touched_by(
        &self,
        events: &[NodeEvent],
    ) -> NodeResult<std::collections::BTreeSet<String>> {
        let st = self.lock()?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let street = street_doc_id(&street_id);
        let private = st.own_org.as_deref().map(private_doc_id);
        let mut docs = std::collections::BTreeSet::new();
        for event in events {
            match event {
                NodeEvent::MinutesChanged { meeting_id } => {
                    docs.insert(minutes_doc_id(meeting_id));
                }
                NodeEvent::PrivateChanged => docs.extend(private.clone()),
                // Status only: no document changed.
                NodeEvent::PeerChanged { .. }
                | NodeEvent::RelayChanged
                | NodeEvent::SuggestionsChanged => {}
                // A post may be a private one, or one shared with some; interest in a post
                // for some (or passed on by the facilitator) lives with it.
                NodeEvent::PostChanged { .. }
                | NodeEvent::InterestChanged { .. }
                | NodeEvent::StreetOpened => {
                    docs.insert(street.clone());
                    docs.extend(private.clone());
                    docs.extend(st.scoped.keys().cloned());
                }
                _ => {
                    docs.insert(street.clone());
                }
            }
        }
        Ok(docs)
    }

    /// A new connection to `peer`: forget what was in flight on an earlier one, keeping what
    /// the peer is known to have (so a reconnect costs little). Returns the session's number:
    /// a newer session with the same device supersedes this one (two dialers, the invite's
    /// address and mDNS, can reach the same peer at once), which then ends quietly instead
    /// of mixing its sync state into the new one's.
    ///
    /// `key` is the peer's transport key, proven by the handshake: only a session with the
    /// same key may supersede a live one. A device id claimed under another key while the
    /// real device is connected is refused, so a member cannot cut another off by naming it.
    pub fn start_sync_session(&self, peer: &str, key: &[u8]) -> NodeResult<u64> {
        let mut st = self.lock()?;
        let session = {
            let mut live = self
                .sessions
                .lock()
                .map_err(|_| NodeError::Internal("session table".into()))?;
            if live.get(peer).is_some_and(|(_, k)| k.as_slice() != key) {
                return Err(NodeError::NotAllowed(format!(
                    "device {peer} is connected already, with another key"
                )));
            }
            let session = self
                .session_counter
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            live.insert(peer.to_string(), (session, key.to_vec()));
            session
        };
        st.sync_states.retain(|(p, _), _| p != peer);
        // What a broken connection may not have delivered goes again.
        if let Some(trust) = st.trust.as_mut() {
            trust.sent_certs.retain(|(p, _)| p != peer);
        }
        Ok(session)
    }

    /// Whether `session` is still the one this node syncs with `peer` over: no newer one
    /// took its place, and the peer was not revoked since it was admitted.
    pub fn is_current_session(&self, peer: &str, session: u64) -> NodeResult<bool> {
        let current = {
            let live = self
                .sessions
                .lock()
                .map_err(|_| NodeError::Internal("session table".into()))?;
            live.get(peer).is_some_and(|(s, _)| *s == session)
        };
        Ok(current && self.admitted(peer).is_ok())
    }

    /// `session` with `peer` ended: unless a newer one took its place, the peer is now
    /// disconnected (and what it is known to have is stored).
    pub fn end_sync_session(&self, peer: &str, session: u64) -> NodeResult<()> {
        {
            let mut live = self
                .sessions
                .lock()
                .map_err(|_| NodeError::Internal("session table".into()))?;
            if live.get(peer).is_none_or(|(s, _)| *s != session) {
                return Ok(());
            }
            live.remove(peer);
        }
        self.peer_disconnected(peer)
    }

    /// The next message for `peer` (an admitted device) about `doc_id`, or `None` when
    /// there is nothing to say: automerge's message in an envelope with the signature of
    /// each change it carries and the certificates of their authors.
    pub fn sync_message(&self, peer: &str, doc_id: &str) -> NodeResult<Option<Vec<u8>>> {
        self.sync_message_in(peer, None, doc_id)
    }

    /// [`Node::sync_message`] for `session` (from [`Node::start_sync_session`]): a session
    /// that a newer one with the same device replaced gets [`NodeError::Superseded`] and
    /// leaves the newer one's sync state alone.
    pub fn sync_message_in_session(
        &self,
        peer: &str,
        session: u64,
        doc_id: &str,
    ) -> NodeResult<Option<Vec<u8>>> {
        self.sync_message_in(peer, Some(session), doc_id)
    }

    fn sync_message_in(
        &self,
        peer: &str,
        session: Option<u64>,
        doc_id: &str,
    ) -> NodeResult<Option<Vec<u8>>> {
        let identity = self.admitted(peer)?;
        let mut st = self.lock()?;
        // Checked with the state held: `start_sync_session` resets the peer's sync states
        // under the same lock, so this session either ran before or sees it is replaced.
        self.require_current(peer, session)?;
        let target = st.target(doc_id, &identity)?;
        let mut state = std::mem::take(st.sync_state(peer, doc_id)?);
        let message = st.document_mut(&target)?.generate_sync_message(&mut state);
        // On an error the state (what the peer told us) is what failed: it stays fresh.
        *st.sync_state(peer, doc_id)? = if message.is_ok() {
            state
        } else {
            ivej_doc::SyncState::new()
        };
        let Some(payload) = message? else {
            return Ok(None);
        };
        if st.trust.as_ref().is_some_and(|t| t.checks_off()) {
            return Ok(Some(
                SignedSync {
                    payload,
                    signatures: Vec::new(),
                    certificates: Vec::new(),
                }
                .encode(),
            ));
        }
        let headers = ivej_doc::inbound::change_headers(&payload)?;
        let hashes: Vec<[u8; 32]> = headers.iter().map(|h| h.hash).collect();
        let mut signatures = Vec::with_capacity(hashes.len());
        for bytes in st.store.change_signatures(doc_id, &hashes)? {
            if let Ok(sig) = ChangeSignature::from_bytes(&bytes) {
                signatures.push(sig);
            }
        }
        let mut certificates = Vec::new();
        if let Some(trust) = st.trust.as_mut() {
            let mut authors: Vec<[u8; 32]> = headers
                .iter()
                .filter_map(|h| h.actor.get(..32).and_then(|a| a.try_into().ok()))
                .collect();
            authors.sort();
            authors.dedup();
            for author in authors {
                for cert in trust.membership.chain(&author) {
                    if trust.sent_certs.insert((peer.to_string(), cert.subject())) {
                        certificates.push(cert);
                    }
                }
            }
        }
        Ok(Some(
            SignedSync {
                payload,
                signatures,
                certificates,
            }
            .encode(),
        ))
    }

    /// Applies `peer`'s message about `doc_id`. Every change it carries is checked before
    /// automerge sees it (signed by its author's device, whose certificate stands), and
    /// after automerge applied it in memory against the write rule (`authorise`). Changes,
    /// their signatures, the peer's sync state and the query tables are stored together
    /// before this returns. A message that is not valid, or holds one change that is
    /// refused, is an error and changes nothing; the refusal is noted (`Node::refusals`).
    pub fn receive_sync_message(&self, peer: &str, doc_id: &str, bytes: &[u8]) -> NodeResult<()> {
        self.receive_in(peer, None, doc_id, bytes)
    }

    /// [`Node::receive_sync_message`] for `session`; see [`Node::sync_message_in_session`].
    pub fn receive_sync_message_in_session(
        &self,
        peer: &str,
        session: u64,
        doc_id: &str,
        bytes: &[u8],
    ) -> NodeResult<()> {
        self.receive_in(peer, Some(session), doc_id, bytes)
    }

    /// Fails with [`NodeError::Superseded`] when `session` is given and no longer `peer`'s.
    fn require_current(&self, peer: &str, session: Option<u64>) -> NodeResult<()> {
        let Some(session) = session else {
            return Ok(());
        };
        let live = self
            .sessions
            .lock()
            .map_err(|_| NodeError::Internal("session table".into()))?;
        if live.get(peer).is_some_and(|(s, _)| *s == session) {
            Ok(())
        } else {
            Err(NodeError::Superseded)
        }
    }

    fn receive_in(
        &self,
        peer: &str,
        session: Option<u64>,
        doc_id: &str,
        bytes: &[u8],
    ) -> NodeResult<()> {
        let sender = self.admitted(peer)?;
        self.receive_from(peer, Inbound::Session(session), &sender, doc_id, bytes)
    }

    /// Applies a message from `peer` (whose identity is `sender`), noting a refusal.
    pub(crate) fn receive_from(
        &self,
        peer: &str,
        inbound: Inbound,
        sender: &Identity,
        doc_id: &str,
        bytes: &[u8],
    ) -> NodeResult<()> {
        let result = self.receive_checked(peer, inbound, sender, doc_id, bytes);
        if let Err(NodeError::Refused(why)) = &result {
            let author = why
                .strip_prefix("device ")
                .and_then(|rest| rest.split(':').next())
                .unwrap_or("")
                .to_string();
            self.lock()?.record_refusal(peer, &author, doc_id, why);
            self.emit(NodeEvent::ChangeRefused {
                device_id: peer.to_string(),
            });
        }
        result
    }

    fn receive_checked(
        &self,
        peer: &str,
        inbound: Inbound,
        sender: &Identity,
        doc_id: &str,
        bytes: &[u8],
    ) -> NodeResult<()> {
        let envelope = SignedSync::decode(bytes)
            .map_err(|e| NodeError::Refused(format!("the message: {e}")))?;
        let mut st = self.lock()?;
        let session = match inbound {
            Inbound::Session(session) => session,
            Inbound::Mailbox => None,
        };
        // A bundle from the mailbox is no part of an exchange: it leaves the sender's sync
        // state (of a session, if one runs) alone, and its own is thrown away.
        let keep_state = matches!(inbound, Inbound::Session(_));
        self.require_current(peer, session)?;
        let target = st.target(doc_id, sender)?;
        let new_certs = st.take_certificates(envelope.certificates)?;
        if !new_certs.is_empty() {
            self.emit(NodeEvent::MembershipChanged);
        }
        // Changes refused (and what was built on them) are taken out of the message and the
        // rest is applied: a pair whose rules disagree on one change keeps syncing the rest.
        // The write rule can only be read once automerge has applied the message; what it
        // refuses is dropped by reading the document again from disk and applying the rest
        // once more (it judges every change at its own heads, so one pass finds them all).
        let mut refusals: Vec<RefusedChange> = Vec::new();
        let mut carried: Vec<Vec<u8>> = Vec::new();
        let mut outcome = None;
        let checks_off = st.trust_mut()?.checks_off();
        // A trust refusal and records that fail validation may each take a pass.
        for _attempt in 0..4 {
            let refused_now = if checks_off {
                Vec::new()
            } else {
                st.check_signatures(
                    peer,
                    &target,
                    doc_id,
                    &envelope.signatures,
                    &envelope.payload,
                )?
            };
            st.trust_mut()?.refuse(peer, doc_id, &refused_now);
            refusals.extend(refused_now);
            let payload = if st.trust_mut()?.refused_in(peer, doc_id).is_empty() {
                std::borrow::Cow::Borrowed(&envelope.payload[..])
            } else {
                let refused = st.trust_mut()?.refused_in(peer, doc_id).clone();
                let doc = st.document_mut(&target)?;
                std::borrow::Cow::Owned(
                    ivej_doc::inbound::without_changes(
                        &envelope.payload,
                        &refused,
                        &carried,
                        |h| doc.heads_among(h),
                    )
                    .map_err(|e| NodeError::Refused(e.to_string()))?,
                )
            };
            let mut state = if keep_state {
                st.sync_state(peer, doc_id)?.clone()
            } else {
                SyncState::new()
            };
            let heads_before = st.document_mut(&target)?.heads();
            let result = st
                .apply_sync_message(&target, &mut state, &payload)
                .and_then(|touched| {
                    if checks_off {
                        return Ok((touched, Vec::new(), Vec::new()));
                    }
                    let (sigs, refused) =
                        st.authorise_applied(peer, &target, doc_id, &heads_before)?;
                    Ok((touched, sigs, refused))
                });
            match result {
                Ok((touched, sigs, refused)) if refused.is_empty() => {
                    outcome = Some((touched, sigs, state));
                    break;
                }
                Ok((_, accepted, refused)) => {
                    // Memory holds what was refused: the disk is the truth. What was taken
                    // goes again with the rest of the message, with the changes automerge
                    // had kept waiting from earlier messages, which are not on disk.
                    let doc = st.document_mut(&target)?;
                    carried = accepted
                        .iter()
                        .filter_map(|sig| doc.change_bytes(&sig.hash))
                        .collect();
                    let trust = st.trust_mut()?;
                    for sig in accepted {
                        trust.keep_pending(doc_id, sig);
                    }
                    st.reload(&target)?;
                    st.trust_mut()?.refuse(peer, doc_id, &refused);
                    refusals.extend(refused);
                }
                // A record that does not read back or is not valid: the changes that touched
                // it are left out (with what was built on them) and the rest goes again, so
                // one bad record (an older version's, say) does not hold up everything else.
                Err(NodeError::Doc(d)) if matches!(*d, ivej_doc::DocError::BadRecord { .. }) => {
                    let ivej_doc::DocError::BadRecord {
                        collection,
                        key,
                        why,
                    } = *d
                    else {
                        return Err(NodeError::Internal("a bad record vanished".into()));
                    };
                    let found =
                        st.changes_touching(&target, &heads_before, &collection, &key, &why);
                    // Memory holds the whole message, checked or not: the disk is the truth,
                    // whatever `changes_touching` made of it.
                    st.reload(&target)?;
                    let (culprits, taken) = found?;
                    if culprits.is_empty() {
                        return Err(NodeError::Refused(why));
                    }
                    carried = taken;
                    st.trust_mut()?.refuse(peer, doc_id, &culprits);
                    refusals.extend(culprits);
                }
                Err(e) => {
                    if st.document_mut(&target)?.heads() != heads_before {
                        st.reload(&target)?;
                    }
                    return Err(match e {
                        NodeError::Doc(d) if matches!(*d, ivej_doc::DocError::Refused(_)) => {
                            NodeError::Refused(d.to_string())
                        }
                        other => other,
                    });
                }
            }
        }
        // One line per author and reason, not per change, and a few per message at most: a
        // burst of refused changes should not push everything else out of the list, nor cost
        // a write each.
        let mut noted: std::collections::HashSet<(&str, &str)> = Default::default();
        for r in &refusals {
            if noted.len() >= 8 {
                break;
            }
            if noted.insert((r.author.as_str(), r.why.as_str())) {
                let why = format!("device {}: {}", r.author, r.why);
                st.record_refusal(peer, &r.author, doc_id, &why);
            }
        }
        if !refusals.is_empty() {
            self.emit(NodeEvent::ChangeRefused {
                device_id: peer.to_string(),
            });
        }
        let Some((touched, signatures, state)) = outcome else {
            return Err(NodeError::Refused(
                "changes the write rule refused even once the refused ones were taken out".into(),
            ));
        };
        let put_signatures = |w: &mut Writer<'_>| -> Result<(), StoreError> {
            for sig in &signatures {
                w.put_change_signature(doc_id, &sig.hash, &sig.to_bytes())?;
            }
            Ok(())
        };
        // The peer's row and sync state go with the change, for a session's messages.
        let put_peer_state =
            |w: &mut Writer<'_>, row: Option<&crate::peers::PeerRecord>, encoded: &[u8]| {
                if keep_state {
                    put_peer_row(w, peer, row)?;
                    w.put_sync_state(peer, doc_id, encoded)
                } else {
                    Ok(())
                }
            };
        let touched = match &target {
            Target::Street => {
                if !touched.changed {
                    return if keep_state {
                        st.keep_quiet_state(peer, doc_id, state)
                    } else {
                        Ok(())
                    };
                }
                let doc = st.street()?;
                let orgs: Vec<Organisation> = touched
                    .keys_in("organisations")
                    .filter_map(|k| doc.get::<Organisation>(k).ok().flatten())
                    .collect();
                let posts: Vec<(String, Option<Post>)> = touched
                    .keys_in("posts")
                    .map(|k| (k.to_string(), st.find_post(k).ok()))
                    .collect();
                let services: Vec<Service> = touched
                    .keys_in("services")
                    .filter_map(|k| doc.get::<Service>(k).ok().flatten())
                    .collect();
                let names: Vec<(String, String)> = doc
                    .all::<Organisation>()
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect();
                let name_of = |id: &str| {
                    names
                        .iter()
                        .find(|(oid, _)| oid == id)
                        .map(|(_, n)| n.clone())
                };
                let encoded = state.encode();
                let row = if keep_state {
                    *st.sync_state(peer, doc_id)? = state.clone();
                    st.note_peer(peer)
                } else {
                    None
                };
                st.persist_street(|w| {
                    put_signatures(w)?;
                    project_touched(w, &orgs, &posts, &services, &name_of)?;
                    put_peer_state(w, row.as_ref(), &encoded)
                })?;
                touched
            }
            Target::Minutes(meeting) => {
                let meeting = meeting.clone();
                if !touched.changed {
                    return if keep_state {
                        st.keep_quiet_state(peer, doc_id, state)
                    } else {
                        Ok(())
                    };
                }
                let encoded = state.encode();
                let row = if keep_state {
                    *st.sync_state(peer, doc_id)? = state.clone();
                    st.note_peer(peer)
                } else {
                    None
                };
                st.persist_minutes(&meeting, |w| {
                    put_signatures(w)?;
                    put_peer_state(w, row.as_ref(), &encoded)
                })?;
                if !touched.is_empty() {
                    self.emit(NodeEvent::MinutesChanged {
                        meeting_id: meeting,
                    });
                }
                touched
            }
            Target::Private => {
                if !touched.changed {
                    return if keep_state {
                        st.keep_quiet_state(peer, doc_id, state)
                    } else {
                        Ok(())
                    };
                }
                // A post that left for another document shows as that one.
                let posts: Vec<(String, Option<Post>)> = touched
                    .keys_in("posts")
                    .map(|k| (k.to_string(), st.find_post(k).ok()))
                    .collect();
                let encoded = state.encode();
                let row = if keep_state {
                    *st.sync_state(peer, doc_id)? = state.clone();
                    st.note_peer(peer)
                } else {
                    None
                };
                st.persist_private(|w| {
                    put_signatures(w)?;
                    project_touched(w, &[], &posts, &[], &|_| None)?;
                    put_peer_state(w, row.as_ref(), &encoded)
                })?;
                if !touched.is_empty() {
                    self.emit(NodeEvent::PrivateChanged);
                    // Private posts are on the board: say which (drafts change nothing shown).
                    for event in events_for(&touched) {
                        self.emit(event);
                    }
                }
                touched
            }
            Target::Scoped(scope) => {
                if !touched.changed {
                    return if keep_state {
                        st.keep_quiet_state(peer, doc_id, state)
                    } else {
                        Ok(())
                    };
                }
                let posts: Vec<(String, Option<Post>)> = touched
                    .keys_in("posts")
                    .map(|k| (k.to_string(), st.find_post(k).ok()))
                    .collect();
                let names: Vec<(String, Option<String>)> = posts
                    .iter()
                    .filter_map(|(_, p)| p.as_ref())
                    .map(|p| (p.org_id.clone(), st.org_name(&p.org_id)))
                    .collect();
                let name_of = |id: &str| {
                    names
                        .iter()
                        .find(|(oid, _)| oid == id)
                        .and_then(|(_, n)| n.clone())
                };
                let encoded = state.encode();
                let row = if keep_state {
                    *st.sync_state(peer, doc_id)? = state.clone();
                    st.note_peer(peer)
                } else {
                    None
                };
                let scope = scope.clone();
                st.persist_scoped(&scope, |w| {
                    put_signatures(w)?;
                    project_touched(w, &[], &posts, &[], &name_of)?;
                    put_peer_state(w, row.as_ref(), &encoded)
                })?;
                touched
            }
        };
        if keep_state {
            *st.sync_state(peer, doc_id)? = state;
        }
        // Anonymous needs and brokered interest live in scopes: a facilitator's device
        // passes on what came in (`crate::brokered`); a need made public loses its copy.
        let brokered = match target {
            Target::Scoped(_) => true,
            Target::Street => {
                let street = st.street()?;
                touched
                    .keys_in("posts")
                    .any(|k| street.contains::<Post>(&ivej_trust::brokered_id(k)))
            }
            _ => false,
        };
        if brokered {
            for post in touched.keys_in("posts") {
                self.emit_all(st.broker_post(post)?);
            }
            for interest in touched.keys_in("interests") {
                self.emit_all(st.broker_interest(interest)?);
            }
        }
        drop(st);
        for event in events_for(&touched) {
            self.emit(event);
        }
        Ok(())
    }

    /// Before a use case acts on a record the screen showed: the screens read the query
    /// tables, which another process's write updates at once, while the documents here
    /// catch up at the next poll. Cheap when nothing changed (one `PRAGMA data_version`).
    pub(crate) fn take_in_other_writes(&self) -> NodeResult<()> {
        self.refresh_from_disk().map(drop)
    }

    /// Picks up what another process (the CLI beside the app or beside `ivej serve`) wrote
    /// to this data directory, and tells subscribers. Returns whether anything changed.
    pub fn refresh_from_disk(&self) -> NodeResult<bool> {
        let mut st = self.lock()?;
        let version = st.store.data_version()?;
        if st.seen_data_version == Some(version) {
            return Ok(false);
        }
        st.seen_data_version = Some(version);
        let mut events = Vec::new();
        if st.street_id.is_none() {
            // Another process may have created or joined a street here.
            let reopened = State::open(
                st.store
                    .path()
                    .parent()
                    .unwrap_or(std::path::Path::new(".")),
            )?;
            let found = reopened.street_id.is_some();
            *st = reopened;
            // A new connection counts data versions afresh.
            st.seen_data_version = Some(st.store.data_version()?);
            drop(st);
            if found {
                self.emit(NodeEvent::StreetOpened);
            }
            return Ok(found);
        }
        if let Some(street_id) = st.street_id.clone() {
            if let Some(stored) = st.store.load_document(&street_doc_id(&street_id))? {
                let touched = st.street_mut()?.apply_saved(&stored.chunks.concat())?;
                events.extend(events_for(&touched));
            }
        }
        if let Some(org) = st.own_org.clone() {
            if let Some(stored) = st.store.load_document(&private_doc_id(&org))? {
                if let Some(private) = st.private.as_mut() {
                    let touched = private.apply_saved(&stored.chunks.concat())?;
                    if !touched.is_empty() {
                        events.push(NodeEvent::PrivateChanged);
                        events.extend(events_for(&touched));
                    }
                }
            }
        }
        // Posts shared with some: those loaded take what the other process stored; new
        // ones load (and are announced as posts).
        let loaded: Vec<String> = st.scoped.keys().cloned().collect();
        for scope in st.store.document_ids(ivej_doc::DocKind::Scoped.name())? {
            if !loaded.contains(&scope) {
                st.scoped_mut(&scope)?;
                let posts = st.scoped.get(&scope).map(|d| d.posts()).unwrap_or_default();
                events.extend(
                    posts
                        .into_iter()
                        .map(|p| NodeEvent::PostChanged { id: p.id }),
                );
            } else if let Some(stored) = st.store.load_document(&scope)? {
                if let Some(doc) = st.scoped.get_mut(&scope) {
                    let touched = doc.apply_saved(&stored.chunks.concat())?;
                    events.extend(events_for(&touched));
                }
            }
        }
        let meetings: Vec<String> = st.minutes.keys().cloned().collect();
        for meeting in meetings {
            if let Some(stored) = st.store.load_document(&minutes_doc_id(&meeting))? {
                let doc = st.minutes_mut(&meeting)?;
                if !doc.apply_saved(&stored.chunks.concat())?.is_empty() {
                    events.push(NodeEvent::MinutesChanged {
                        meeting_id: meeting,
                    });
                }
            }
        }
        // Minutes not loaded here may be what the other process wrote: named too, so that
        // sessions (which send only what events name) pass them on; they load on demand.
        for doc_id in st.store.document_ids("minutes")? {
            if let Some(meeting) = doc_id.strip_prefix("minutes:") {
                if !st.minutes.contains_key(meeting) {
                    events.push(NodeEvent::MinutesChanged {
                        meeting_id: meeting.to_string(),
                    });
                }
            }
        }
        // What the other process says of its sessions, and whom it let in or revoked.
        st.load_peers()?;
        if st.refresh_trust()? {
            events.push(NodeEvent::MembershipChanged);
        }
        drop(st);
        let changed = !events.is_empty();
        for event in events {
            self.emit(event);
        }
        Ok(changed)
    }
}
