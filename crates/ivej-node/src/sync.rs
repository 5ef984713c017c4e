//! Sync with peers, sans IO: which documents a peer may have, the next message for it, and
//! what to do with its messages. The transport (LAN, relay, or a test's loop) carries the
//! bytes. Every received change is stored, with the sync state and the updated query tables,
//! in one transaction before the call returns.

use ivej_doc::{StreetDoc, SyncState, Touched};
use ivej_model::{
    DeviceOf, Invite, NodeEvent, OrgId, Organisation, Post, Problem, Service, ValidationErrors,
};
use ivej_store::{StoreError, Writer};

use crate::error::{NodeError, NodeResult};
use crate::state::{
    hex, minutes_doc_id, private_doc_id, street_doc_id, unhex, State, SETTING_ORG_SECRET,
    SETTING_PEER_ADDRESSES, SETTING_STREET_SECRET,
};
use crate::{clock, Node};
use ivej_model::OrgProfile;

/// Which document a doc id names, as far as this node is concerned.
enum Target {
    Street,
    Minutes(String),
    Private,
}

impl State {
    /// Most messages (acks, have/need) bring no change: their sync state stays in memory,
    /// sparing the disk; it is stored with the next change or when the session ends.
    fn keep_quiet_state(&mut self, peer: &str, doc_id: &str, state: SyncState) -> NodeResult<()> {
        *self.sync_state(peer, doc_id)? = state;
        self.note_peer(peer);
        self.store_status_if_due(peer)
    }

    /// What `doc_id` is, if this node shares it with a device of `peer_org`.
    fn target(&self, doc_id: &str, peer_org: Option<&str>) -> NodeResult<Target> {
        let street_id = self.street_id.as_deref().ok_or(NodeError::NoStreet)?;
        if doc_id == street_doc_id(street_id) {
            return Ok(Target::Street);
        }
        if let Some(meeting) = doc_id.strip_prefix("minutes:") {
            // Only the minutes of a meeting the street knows: a peer cannot make this node
            // create, store and spread documents of its own invention.
            if self.street()?.contains::<ivej_model::Meeting>(meeting) {
                return Ok(Target::Minutes(meeting.to_string()));
            }
        }
        if let Some(own) = self.own_org.as_deref() {
            // The private document goes only to the company's own devices.
            if doc_id == private_doc_id(own) && peer_org == Some(own) {
                return Ok(Target::Private);
            }
        }
        Err(NodeError::NotAllowed(format!(
            "document `{doc_id}` is not shared with this peer"
        )))
    }

    /// The document a target names.
    fn document_mut(&mut self, target: &Target) -> NodeResult<&mut ivej_doc::Document> {
        Ok(match target {
            Target::Street => self.street_mut()?,
            Target::Minutes(meeting) => self.minutes_mut(meeting)?,
            Target::Private => self.private.as_mut().ok_or(NodeError::NoStreet)?,
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
        }
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
            _ => continue,
        });
    }
    if touched.root_keys.contains("street") {
        events.push(NodeEvent::StreetChanged);
    }
    events
}

impl Node {
    /// Joins a street as a new member: an empty street document that the first sync with
    /// any member fills, with this device's organisation already in it.
    pub fn join_street(
        &self,
        street_id: &str,
        secret: &[u8; 32],
        profile: OrgProfile,
    ) -> NodeResult<OrgId> {
        let mut st = self.lock()?;
        if st.street.is_some() {
            return Err(NodeError::AlreadyExists(
                "this data directory already holds a street".into(),
            ));
        }
        st.store.set_setting(SETTING_STREET_SECRET, &hex(secret))?;
        let now = clock::now_ms();
        let org = profile.into_organisation(clock::new_id(), now);
        let mut doc = StreetDoc::empty()?;
        doc.put(&org)?;
        let private = ivej_doc::PrivateDoc::create(&org.id)?;
        st.adopt(street_id.to_string(), org.id.clone(), doc, private)?;
        Ok(org.id)
    }

    /// Joins another device of one's own organisation: the company's private document comes
    /// with the first sync from a device that has it.
    pub fn join_as_device(
        &self,
        street_id: &str,
        secret: &[u8; 32],
        org_id: &str,
        org_secret: &[u8; 32],
    ) -> NodeResult<()> {
        let mut st = self.lock()?;
        if st.street.is_some() {
            return Err(NodeError::AlreadyExists(
                "this data directory already holds a street".into(),
            ));
        }
        st.store.set_setting(SETTING_STREET_SECRET, &hex(secret))?;
        st.store.set_setting(SETTING_ORG_SECRET, &hex(org_secret))?;
        let doc = StreetDoc::empty()?;
        let mut private = ivej_doc::PrivateDoc::create(org_id)?;
        // The org id is also written by the first device; same value, so no conflict.
        private.save_incremental();
        st.adopt(street_id.to_string(), org_id.to_string(), doc, private)
    }

    /// The street's shared secret: what a device must know to talk to the others.
    pub fn street_secret(&self) -> NodeResult<[u8; 32]> {
        let st = self.lock()?;
        let text = st
            .store
            .setting(SETTING_STREET_SECRET)?
            .ok_or(NodeError::NoStreet)?;
        unhex(&text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| NodeError::Internal("the stored street secret is damaged".into()))
    }

    /// The secret this organisation's devices share; proves to each other that they belong
    /// to the same company (for its private document).
    pub fn org_secret(&self) -> NodeResult<[u8; 32]> {
        let st = self.lock()?;
        let text = st
            .store
            .setting(SETTING_ORG_SECRET)?
            .ok_or(NodeError::NoStreet)?;
        unhex(&text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| NodeError::Internal("the stored organisation secret is damaged".into()))
    }

    /// An invite for a new member (facilitator) or for another device of one's own
    /// organisation. `inviter_key` is this device's public transport key.
    pub fn create_invite(
        &self,
        inviter_key: [u8; 32],
        own_device: bool,
        address: Option<String>,
    ) -> NodeResult<Invite> {
        if !own_device && !self.is_facilitator()? {
            return Err(NodeError::NotAllowed(
                "only the street's facilitator can invite new members".into(),
            ));
        }
        let street_id = self.lock()?.street_id.clone().ok_or(NodeError::NoStreet)?;
        let device_of = if own_device {
            Some(DeviceOf {
                org_id: self.own_org_id()?,
                org_secret: self.org_secret()?,
            })
        } else {
            None
        };
        Ok(Invite {
            street_id,
            secret: self.street_secret()?,
            inviter_key,
            device_of,
            address,
        })
    }

    /// Joins with an invite: as a new member with `profile`, or as another device of the
    /// organisation the invite names.
    pub fn join(&self, invite: &Invite, profile: Option<OrgProfile>) -> NodeResult<()> {
        match (&invite.device_of, profile) {
            (Some(d), _) => {
                self.join_as_device(&invite.street_id, &invite.secret, &d.org_id, &d.org_secret)?
            }
            (None, Some(profile)) => {
                self.join_street(&invite.street_id, &invite.secret, profile)?;
            }
            (None, None) => {
                return Err(ValidationErrors::single("org.name", Problem::Empty).into());
            }
        }
        if let Some(address) = &invite.address {
            self.add_peer_address(address)?;
        }
        Ok(())
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

    /// The documents to sync with a device of organisation `peer_org`: the street, the
    /// minutes of every meeting the street knows, and the private document for the
    /// company's own devices.
    pub fn shared_documents(&self, peer_org: Option<&str>) -> NodeResult<Vec<String>> {
        let st = self.lock()?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let mut docs = vec![street_doc_id(&street_id)];
        docs.extend(
            st.street()?
                .keys::<ivej_model::Meeting>()
                .iter()
                .map(|id| minutes_doc_id(id)),
        );
        if let Some(own) = st.own_org.as_deref() {
            if peer_org == Some(own) {
                docs.push(private_doc_id(own));
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
                NodeEvent::PeerChanged { .. } => {}
                // A post may be a private one.
                NodeEvent::PostChanged { .. } | NodeEvent::StreetOpened => {
                    docs.insert(street.clone());
                    docs.extend(private.clone());
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
        Ok(session)
    }

    /// Whether `session` is still the one this node syncs with `peer` over.
    pub fn is_current_session(&self, peer: &str, session: u64) -> NodeResult<bool> {
        let live = self
            .sessions
            .lock()
            .map_err(|_| NodeError::Internal("session table".into()))?;
        Ok(live.get(peer).is_some_and(|(s, _)| *s == session))
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

    /// The next message for `peer` about `doc_id`, or `None` when there is nothing to say.
    pub fn sync_message(
        &self,
        peer: &str,
        peer_org: Option<&str>,
        doc_id: &str,
    ) -> NodeResult<Option<Vec<u8>>> {
        let mut st = self.lock()?;
        let target = st.target(doc_id, peer_org)?;
        let mut state = std::mem::take(st.sync_state(peer, doc_id)?);
        let message = match &target {
            Target::Street => st.street_mut()?.generate_sync_message(&mut state),
            Target::Minutes(meeting) => st.minutes_mut(meeting)?.generate_sync_message(&mut state),
            Target::Private => st
                .private
                .as_mut()
                .ok_or(NodeError::NoStreet)?
                .generate_sync_message(&mut state),
        };
        // On an error the state (what the peer told us) is what failed: it stays fresh.
        *st.sync_state(peer, doc_id)? = if message.is_ok() {
            state
        } else {
            ivej_doc::SyncState::new()
        };
        Ok(message?)
    }

    /// Applies `peer`'s message about `doc_id`. Changes, the peer's sync state and the query
    /// tables are stored together before this returns. A message that is not valid is an
    /// error and changes nothing.
    pub fn receive_sync_message(
        &self,
        peer: &str,
        peer_org: Option<&str>,
        doc_id: &str,
        bytes: &[u8],
    ) -> NodeResult<()> {
        let mut st = self.lock()?;
        let target = st.target(doc_id, peer_org)?;
        let mut state = st.sync_state(peer, doc_id)?.clone();
        let heads_before = st.document_mut(&target)?.heads();
        let result = st.apply_sync_message(&target, &mut state, bytes);
        let touched = match result {
            Ok(touched) => touched,
            Err(e) => {
                // Memory may hold part of what was refused: the disk is the truth. (Most
                // refusals come before automerge applied anything: nothing to reload.)
                if st.document_mut(&target)?.heads() != heads_before {
                    st.reload(&target)?;
                }
                return Err(e);
            }
        };
        let touched = match &target {
            Target::Street => {
                if !touched.changed {
                    return st.keep_quiet_state(peer, doc_id, state);
                }
                let doc = st.street()?;
                let orgs: Vec<Organisation> = touched
                    .keys_in("organisations")
                    .filter_map(|k| doc.get::<Organisation>(k).ok().flatten())
                    .collect();
                let posts: Vec<(String, Option<Post>)> = touched
                    .keys_in("posts")
                    .map(|k| (k.to_string(), doc.get::<Post>(k).ok().flatten()))
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
                *st.sync_state(peer, doc_id)? = state.clone();
                let row = st.note_peer(peer);
                st.persist_street(|w| {
                    project_touched(w, &orgs, &posts, &services, &name_of)?;
                    put_peer_row(w, peer, row.as_ref())?;
                    w.put_sync_state(peer, doc_id, &encoded)
                })?;
                touched
            }
            Target::Minutes(meeting) => {
                let meeting = meeting.clone();
                if !touched.changed {
                    return st.keep_quiet_state(peer, doc_id, state);
                }
                let encoded = state.encode();
                *st.sync_state(peer, doc_id)? = state.clone();
                let row = st.note_peer(peer);
                st.persist_minutes(&meeting, |w| {
                    put_peer_row(w, peer, row.as_ref())?;
                    w.put_sync_state(peer, doc_id, &encoded)
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
                    return st.keep_quiet_state(peer, doc_id, state);
                }
                let private = st.private.as_ref().ok_or(NodeError::NoStreet)?;
                let posts: Vec<(String, Option<Post>)> = touched
                    .keys_in("posts")
                    .map(|k| (k.to_string(), private.get_post(k).ok().flatten()))
                    .collect();
                let encoded = state.encode();
                *st.sync_state(peer, doc_id)? = state.clone();
                let row = st.note_peer(peer);
                st.persist_private(|w| {
                    project_touched(w, &[], &posts, &[], &|_| None)?;
                    put_peer_row(w, peer, row.as_ref())?;
                    w.put_sync_state(peer, doc_id, &encoded)
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
        };
        *st.sync_state(peer, doc_id)? = state;
        drop(st);
        for event in events_for(&touched) {
            self.emit(event);
        }
        Ok(())
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
        // What the other process says of its sessions.
        st.load_peers()?;
        drop(st);
        let changed = !events.is_empty();
        for event in events {
            self.emit(event);
        }
        Ok(changed)
    }
}
