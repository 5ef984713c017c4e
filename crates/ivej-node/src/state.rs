//! What a node holds in memory, and the one path by which document changes reach disk.

use std::collections::HashMap;
use std::path::Path;

use ivej_doc::{DocKind, Document, MinutesDoc, PostsDoc, PrivateDoc, StreetDoc};
use ivej_model::{Organisation, Post, Service, StreetSummary, Validate, ValidationErrors};
use ivej_store::{Store, StoreError, Writer};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::CreateStreet;

/// After this many appended change chunks a document is saved whole and the chunks dropped,
/// which keeps opening fast.
pub const COMPACT_AFTER_CHANGES: usize = 256;

const SETTING_STREET: &str = "street_id";
const SETTING_OWN_ORG: &str = "own_org_id";
const SETTING_DEVICE: &str = "device_id";
/// The street's shared secret (hex): the Noise pre-shared key; travels only in invites.
pub(crate) const SETTING_STREET_SECRET: &str = "street_secret";
/// Peers to dial directly (`host:port`, one per line).
pub(crate) const SETTING_PEER_ADDRESSES: &str = "peer_addresses";

pub(crate) fn street_doc_id(street_id: &str) -> String {
    format!("street:{street_id}")
}

pub(crate) fn private_doc_id(org_id: &str) -> String {
    format!("private:{org_id}")
}

pub(crate) fn minutes_doc_id(meeting_id: &str) -> String {
    format!("minutes:{meeting_id}")
}

#[derive(Debug)]
pub(crate) struct State {
    pub store: Store,
    pub device_id: String,
    pub street_id: Option<String>,
    pub own_org: Option<String>,
    pub street: Option<StreetDoc>,
    pub private: Option<PrivateDoc>,
    /// Minutes documents loaded so far (they are loaded on first use).
    pub minutes: HashMap<String, MinutesDoc>,
    /// Sync state per (peer device, document), loaded from the store on first use.
    pub sync_states: HashMap<(String, String), ivej_doc::SyncState>,
    /// The store's data version last looked at (see `Node::refresh_from_disk`).
    pub seen_data_version: Option<i64>,
    /// Peers talked to, by device id.
    pub peers: std::collections::BTreeMap<String, crate::peers::PeerRecord>,
    /// When each peer's status was last stored, and what was pending then (see
    /// `State::store_status_if_due`).
    pub status_stored: HashMap<String, (i64, (bool, bool))>,
    /// This device's keys.
    pub keys: crate::trust::DeviceKeys,
    /// Who is in the street (`None` before a street, or for one from before certificates).
    pub trust: Option<crate::trust::StreetTrust>,
    /// Scoped documents (posts for the facilitator only, or named organisations) held here.
    pub scoped: HashMap<String, ivej_doc::ScopedDoc>,
}

/// Loads a stored document's chunks into one automerge document. When they do not load
/// (a damaged disk, a bug of an older version), the node still opens: the chunks that load
/// are kept, the others are moved aside into the store's quarantine
/// ([`recover_chunks`]), and what went missing comes back with the next sync.
pub(crate) fn load_chunks<T: std::ops::DerefMut<Target = Document>>(
    store: &mut Store,
    doc_id: &str,
    kind: ivej_doc::DocKind,
    actor: &[u8; 32],
    load: impl Fn(&[u8]) -> Result<T, ivej_doc::DocError>,
) -> NodeResult<Option<T>> {
    let loaded = load_chunks_as_stored(store, doc_id, kind, load)?;
    Ok(loaded.map(|mut doc| {
        doc.use_actor_key(actor);
        doc
    }))
}

fn load_chunks_as_stored<T>(
    store: &mut Store,
    doc_id: &str,
    kind: ivej_doc::DocKind,
    load: impl Fn(&[u8]) -> Result<T, ivej_doc::DocError>,
) -> NodeResult<Option<T>> {
    let Some(stored) = store.load_document(doc_id)? else {
        return Ok(None);
    };
    match load(&stored.chunks.concat()) {
        Ok(doc) => return Ok(Some(doc)),
        // Whole, but not for this version (a newer one wrote it) or not this kind: say so,
        // never "recover" a document that is not damaged.
        Err(
            e @ (ivej_doc::DocError::NewerSchema { .. } | ivej_doc::DocError::WrongKind { .. }),
        ) => return Err(e.into()),
        Err(_) => {}
    }
    let (good, bad) = recover_chunks(kind, &stored);
    store.write(|w| w.quarantine(doc_id, kind.name(), &bad, &good))?;
    Ok(Some(load(&good)?))
}

/// What of a damaged document still loads, chunk by chunk: the snapshot if it loads (else
/// the empty skeleton every replica starts from), then each change chunk that applies.
/// Returns a full save of that, and the chunks that did not load with the reason.
pub(crate) fn recover_chunks(
    kind: ivej_doc::DocKind,
    stored: &ivej_store::StoredDocument,
) -> (Vec<u8>, Vec<(Vec<u8>, String)>) {
    let mut bad = Vec::new();
    let mut chunks = stored.chunks.iter();
    let snapshot = if stored.has_snapshot {
        chunks.next()
    } else {
        None
    };
    let loaded = snapshot.map(|bytes| (bytes, Document::load(kind, bytes)));
    let mut doc = match loaded {
        Some((_, Ok(doc))) => doc,
        other => {
            if let Some((bytes, Err(e))) = other {
                bad.push((bytes.clone(), e.to_string()));
            }
            match Document::new(kind) {
                Ok(doc) => doc,
                // Creating an empty document does not fail; if it did, keep nothing.
                Err(e) => return (Vec::new(), vec![(Vec::new(), e.to_string())]),
            }
        }
    };
    let mut loaded = Vec::new();
    for chunk in chunks {
        // `load_incremental` skips a chunk it cannot read without a word: check it first.
        let applied = match ivej_doc::inbound::check_integrity(chunk) {
            Ok(()) => doc.load_incremental(chunk).map(drop),
            Err(e) => Err(e),
        };
        match applied {
            Ok(()) => loaded.push(chunk),
            Err(e) => bad.push((chunk.clone(), e.to_string())),
        }
    }
    // Changes that depend on a damaged chunk wait in automerge's queue and would not be
    // saved: the chunks that loaded are then kept aside too, so nothing is ever deleted.
    if !doc.automerge_mut().get_missing_deps(&[]).is_empty() {
        for chunk in loaded {
            bad.push((chunk.clone(), "depends on a damaged chunk".into()));
        }
    }
    (doc.save(), bad)
}

impl State {
    pub fn open(dir: &Path) -> NodeResult<State> {
        let mut store = Store::open(dir)?;
        let street_id = store.setting(SETTING_STREET)?;
        let own_org = store.setting(SETTING_OWN_ORG)?;
        let keys = crate::trust::device_keys(&mut store)?;
        // The device's id derives from its signing key, so no certificate can carry another
        // device's id. A directory from before certificates that holds no street yet takes
        // the derived id now; one with a street keeps its old id (it cannot sync anyway).
        let derived = ivej_trust::derived_device_id(&keys.sign.public());
        let device_id = match store.setting(SETTING_DEVICE)? {
            Some(id) if id == derived || street_id.is_some() => id,
            _ => {
                store.set_setting(SETTING_DEVICE, &derived)?;
                derived
            }
        };
        let trust = match &street_id {
            Some(id) => crate::trust::StreetTrust::load(&store, id)?,
            None => None,
        };
        let actor = keys.sign.public();
        let mut state = State {
            store,
            device_id,
            street_id,
            own_org,
            street: None,
            private: None,
            minutes: HashMap::new(),
            sync_states: HashMap::new(),
            seen_data_version: None,
            peers: Default::default(),
            status_stored: HashMap::new(),
            keys,
            trust,
            scoped: HashMap::new(),
        };
        state.load_peers()?;
        state.load_scoped()?;
        if let Some(org) = state.own_org.clone() {
            state.private = load_chunks(
                &mut state.store,
                &private_doc_id(&org),
                DocKind::Private,
                &actor,
                PrivateDoc::load,
            )?;
        }
        if let Some(id) = state.street_id.clone() {
            state.street = load_chunks(
                &mut state.store,
                &street_doc_id(&id),
                DocKind::Street,
                &actor,
                StreetDoc::load,
            )?;
            if state.street.is_none() {
                return Err(NodeError::Internal(format!(
                    "the data directory names street {id}, but its document is missing"
                )));
            }
            state.ensure_projections()?;
        }
        Ok(state)
    }

    pub fn street(&self) -> NodeResult<&StreetDoc> {
        self.street.as_ref().ok_or(NodeError::NoStreet)
    }

    pub fn street_mut(&mut self) -> NodeResult<&mut StreetDoc> {
        self.street.as_mut().ok_or(NodeError::NoStreet)
    }

    pub fn own_org_id(&self) -> NodeResult<&str> {
        self.own_org.as_deref().ok_or(NodeError::NoStreet)
    }

    /// Whether this device is a facilitator's: its certificate says so (in a street from
    /// before certificates, its organisation is the street's facilitator organisation).
    pub fn is_facilitator(&self) -> NodeResult<bool> {
        if self.trust.is_some() {
            return Ok(self
                .own_identity()
                .is_some_and(|id| id.role == ivej_trust::Role::Facilitator));
        }
        // A device that joined and has not synced yet does not know the street: not facilitator.
        let Ok(street) = self.street()?.street() else {
            return Ok(false);
        };
        Ok(self.own_org.as_deref() == Some(street.facilitator_org.as_str()))
    }

    /// The street's shared secret: what a device must know to talk to the others.
    pub fn street_secret(&self) -> NodeResult<[u8; 32]> {
        let text = self
            .store
            .setting(SETTING_STREET_SECRET)?
            .ok_or(NodeError::NoStreet)?;
        unhex(&text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| NodeError::Internal("the stored street secret is damaged".into()))
    }

    /// Makes this device the authority of a street it founds (a new street, the demo): the
    /// authority's key, and this device's certificate from it as facilitator of `org_id`.
    pub fn found_trust(&mut self, street_id: &str, org_id: &str) -> NodeResult<()> {
        let authority = ivej_trust::SigningSecret::from_seed(rand::random());
        let cert = ivej_trust::CertificateFields {
            kind: ivej_trust::CertKind::Device,
            street_id: street_id.to_string(),
            subject: self.keys.sign.public(),
            noise_key: self.keys.noise_public,
            device_id: self.device_id.clone(),
            org_id: org_id.to_string(),
            role: ivej_trust::Role::Facilitator,
            uses: 0,
            issued_ms: clock::now_ms(),
            expires_ms: 0,
            label: crate::trust::device_label(),
        }
        .sign(&authority);
        let mut membership = ivej_trust::Membership::new(street_id, authority.public());
        membership
            .add_certificate(cert.clone(), clock::now_ms())
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        self.store.write(|w| {
            w.set_setting(crate::trust::SETTING_AUTHORITY, &hex(&authority.public()))?;
            w.set_setting("local.authority_seed", &hex(&authority.seed()))?;
            w.put_certificate(&cert.subject(), &cert.encode())
        })?;
        self.trust = Some(
            crate::trust::StreetTrust::load(&self.store, street_id)?
                .ok_or_else(|| NodeError::Internal("the street's trust did not store".into()))?,
        );
        Ok(())
    }

    /// The organisations that may write a meeting's minutes: its host and those present.
    pub fn minutes_parties(&self, meeting_id: &str) -> Vec<String> {
        let Some(meeting) = self
            .street
            .as_ref()
            .and_then(|s| s.get::<ivej_model::Meeting>(meeting_id).ok().flatten())
        else {
            return Vec::new();
        };
        meeting
            .host_org
            .into_iter()
            .chain(meeting.attendance.into_keys())
            .collect()
    }

    pub fn require_facilitator(&self, what: &str) -> NodeResult<()> {
        if self.is_facilitator()? {
            Ok(())
        } else {
            Err(NodeError::NotAllowed(format!(
                "only the street's facilitator can {what}"
            )))
        }
    }

    pub fn org_name(&self, org_id: &str) -> Option<String> {
        self.street
            .as_ref()
            .and_then(|s| s.get::<Organisation>(org_id).ok().flatten())
            .map(|o| o.name)
    }

    pub fn create_street(&mut self, input: CreateStreet) -> NodeResult<()> {
        if self.street.is_some() {
            return Err(NodeError::AlreadyExists(
                "this data directory already holds a street".into(),
            ));
        }
        let now = clock::now_ms();
        let org = input.org.into_organisation(clock::new_id(), now);
        let street = ivej_model::Street {
            id: clock::new_id(),
            name: input.name.trim().to_string(),
            kind: input.kind,
            region: input.region.trim().to_string(),
            cadence_days: input.kind.default_cadence_days(),
            meeting_minutes: 60,
            languages: input.languages,
            funders: Vec::new(),
            targets: Default::default(),
            facilitator_org: org.id.clone(),
            current_challenge: None,
            created_at: now,
        };
        // Both records are checked before anything is written, and each problem names
        // which of the two it is about (`street.name`, `org.name`).
        let street_check = street.validate().map_err(|e| e.prefixed("street"));
        let org_check = org.validate().map_err(|e| e.prefixed("org"));
        if let (Err(_), _) | (_, Err(_)) = (&street_check, &org_check) {
            let mut all = Vec::new();
            all.extend(street_check.err().map(|e| e.0).unwrap_or_default());
            all.extend(org_check.err().map(|e| e.0).unwrap_or_default());
            return Err(ValidationErrors(all).into());
        }
        self.found_trust(&street.id, &org.id)?;
        let mut doc = StreetDoc::create(&street)?;
        doc.use_actor_key(&self.keys.sign.public());
        doc.put(&org)?;
        let private = PrivateDoc::create(&org.id)?;
        self.adopt(street.id.clone(), org.id.clone(), doc, private)
    }

    /// Makes `street` and `private` this directory's documents, stored whole, with fresh
    /// projections: the path for a new street, the demo street and an imported one.
    pub fn adopt(
        &mut self,
        street_id: String,
        own_org: String,
        mut street: StreetDoc,
        mut private: PrivateDoc,
    ) -> NodeResult<()> {
        let street_doc = street_doc_id(&street_id);
        let private_doc = private_doc_id(&own_org);
        let street_sigs = crate::trust::sign_unsaved(
            &self.keys,
            self.trust.as_mut(),
            &street_doc,
            &mut street,
            crate::authorise::Scope::Street,
            true,
        )?;
        let private_sigs = crate::trust::sign_unsaved(
            &self.keys,
            self.trust.as_mut(),
            &private_doc,
            &mut private,
            crate::authorise::Scope::Private { org: &own_org },
            true,
        )?;
        let street_bytes = street.save();
        let private_bytes = private.save();
        let heads = street.heads_hex();
        let orgs: Vec<Organisation> = street.all();
        let mut posts: Vec<Post> = street.all();
        posts.extend(private.posts());
        let services: Vec<Service> = street.all();
        // A new street (or the demo) gets its secret here; a joining device brought it.
        let missing_street_secret = self.store.setting(SETTING_STREET_SECRET)?.is_none();
        self.store.write(|w| {
            if missing_street_secret {
                w.set_setting(SETTING_STREET_SECRET, &hex(&rand::random::<[u8; 32]>()))?;
            }
            w.replace_snapshot(&street_doc, "street", &street_bytes)?;
            w.replace_snapshot(&private_doc, "private", &private_bytes)?;
            for (hash, sig) in &street_sigs {
                w.put_change_signature(&street_doc, hash, sig)?;
            }
            for (hash, sig) in &private_sigs {
                w.put_change_signature(&private_doc, hash, sig)?;
            }
            project_all(w, &orgs, &posts, &services)?;
            w.set_projected_heads(&street_doc, &heads)?;
            w.set_setting(SETTING_STREET, &street_id)?;
            w.set_setting(SETTING_OWN_ORG, &own_org)
        })?;
        // From now on what this device writes carries its key.
        let actor = self.keys.sign.public();
        street.use_actor_key(&actor);
        private.use_actor_key(&actor);
        self.street_id = Some(street_id);
        self.own_org = Some(own_org);
        self.street = Some(street);
        self.private = Some(private);
        self.minutes.clear();
        self.scoped.clear();
        Ok(())
    }

    /// Adds a minutes document created elsewhere (the demo, an import) to storage.
    pub fn adopt_minutes(&mut self, meeting_id: &str, mut doc: MinutesDoc) -> NodeResult<()> {
        let doc_id = minutes_doc_id(meeting_id);
        let parties = self.minutes_parties(meeting_id);
        let sigs = crate::trust::sign_unsaved(
            &self.keys,
            self.trust.as_mut(),
            &doc_id,
            &mut doc,
            crate::authorise::Scope::Minutes { parties: &parties },
            true,
        )?;
        let bytes = doc.save();
        self.store.write(|w| {
            for (hash, sig) in &sigs {
                w.put_change_signature(&doc_id, hash, sig)?;
            }
            w.replace_snapshot(&doc_id, "minutes", &bytes)
        })?;
        doc.use_actor_key(&self.keys.sign.public());
        self.minutes.insert(meeting_id.to_string(), doc);
        Ok(())
    }

    /// Stores the street document's new changes together with `project`'s updates of the
    /// query tables, in one transaction. On failure the in-memory document is reloaded
    /// from disk, so memory never holds a change the disk does not.
    pub fn persist_street(
        &mut self,
        project: impl FnOnce(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> NodeResult<()> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        let doc_id = street_doc_id(&street_id);
        let doc = self.street.as_mut().ok_or(NodeError::NoStreet)?;
        let sign = crate::trust::signer(
            &self.keys,
            self.trust.as_mut(),
            &doc_id,
            crate::authorise::Scope::Street,
        );
        let result = persist(&mut self.store, &doc_id, "street", doc, sign, |w, heads| {
            project(w)?;
            w.set_projected_heads(&doc_id, heads)
        });
        if result.is_err() {
            self.reload_street()?;
        }
        result
    }

    /// Reads the street document again from storage (after a failed write or a refused
    /// message), so memory never holds a change the disk does not.
    pub fn reload_street(&mut self) -> NodeResult<()> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        let actor = self.keys.sign.public();
        self.street = load_chunks(
            &mut self.store,
            &street_doc_id(&street_id),
            DocKind::Street,
            &actor,
            StreetDoc::load,
        )?;
        Ok(())
    }

    /// Like [`State::reload_street`], for the company's private document.
    pub fn reload_private(&mut self) -> NodeResult<()> {
        let org = self.own_org.clone().ok_or(NodeError::NoStreet)?;
        let actor = self.keys.sign.public();
        self.private = load_chunks(
            &mut self.store,
            &private_doc_id(&org),
            DocKind::Private,
            &actor,
            PrivateDoc::load,
        )?;
        Ok(())
    }

    /// Like [`State::persist_street`], for the company's private document.
    pub fn persist_private(
        &mut self,
        project: impl FnOnce(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> NodeResult<()> {
        let org = self.own_org.clone().ok_or(NodeError::NoStreet)?;
        let doc_id = private_doc_id(&org);
        let doc = self.private.as_mut().ok_or(NodeError::NoStreet)?;
        let sign = crate::trust::signer(
            &self.keys,
            self.trust.as_mut(),
            &doc_id,
            crate::authorise::Scope::Private { org: &org },
        );
        let result = persist(&mut self.store, &doc_id, "private", doc, sign, |w, _| {
            project(w)
        });
        if result.is_err() {
            self.reload_private()?;
        }
        result
    }

    /// The minutes document of a meeting, loading or creating it.
    pub fn minutes_mut(&mut self, meeting_id: &str) -> NodeResult<&mut MinutesDoc> {
        if !self.minutes.contains_key(meeting_id) {
            let actor = self.keys.sign.public();
            let doc = match load_chunks(
                &mut self.store,
                &minutes_doc_id(meeting_id),
                DocKind::Minutes,
                &actor,
                MinutesDoc::load,
            )? {
                Some(doc) => doc,
                None => {
                    let mut doc = MinutesDoc::create(meeting_id)?;
                    doc.use_actor_key(&actor);
                    doc
                }
            };
            self.minutes.insert(meeting_id.to_string(), doc);
        }
        self.minutes
            .get_mut(meeting_id)
            .ok_or_else(|| NodeError::Internal("minutes vanished".into()))
    }

    pub fn persist_minutes(
        &mut self,
        meeting_id: &str,
        project: impl FnOnce(&mut Writer<'_>) -> Result<(), StoreError>,
    ) -> NodeResult<()> {
        let doc_id = minutes_doc_id(meeting_id);
        let parties = self.minutes_parties(meeting_id);
        let Some(doc) = self.minutes.get_mut(meeting_id) else {
            return Ok(());
        };
        let sign = crate::trust::signer(
            &self.keys,
            self.trust.as_mut(),
            &doc_id,
            crate::authorise::Scope::Minutes { parties: &parties },
        );
        let result = persist(&mut self.store, &doc_id, "minutes", doc, sign, |w, _| {
            project(w)
        });
        if result.is_err() {
            self.minutes.remove(meeting_id);
        }
        result
    }

    /// Rebuilds the query tables when they do not reflect the stored street document
    /// (after a migration, a crash between versions, or changes merged from elsewhere).
    pub fn ensure_projections(&mut self) -> NodeResult<bool> {
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        let doc_id = street_doc_id(&street_id);
        let doc = self.street.as_mut().ok_or(NodeError::NoStreet)?;
        let heads = doc.heads_hex();
        if self.store.projected_heads(&doc_id)?.as_deref() == Some(heads.as_str()) {
            return Ok(false);
        }
        let orgs: Vec<Organisation> = doc.all();
        let mut posts: Vec<Post> = doc.all();
        // Private posts are on the board of their own company's devices too, and posts
        // shared with some on the boards of those.
        let services: Vec<Service> = doc.all();
        posts.extend(self.private.iter().flat_map(|p| p.posts()));
        posts.extend(self.scoped.values().flat_map(|d| d.posts()));
        self.store.write(|w| {
            w.clear_projections()?;
            project_all(w, &orgs, &posts, &services)?;
            w.set_projected_heads(&doc_id, &heads)
        })?;
        Ok(true)
    }

    pub fn summary(&self) -> NodeResult<StreetSummary> {
        let doc = self.street()?;
        let street = match doc.street() {
            Ok(street) => street,
            Err(ivej_doc::DocError::MissingField("street")) => {
                return Err(NodeError::AwaitingFirstSync)
            }
            Err(e) => return Err(e.into()),
        };
        let own_org = match self.own_org.as_deref() {
            Some(id) => doc.get::<Organisation>(id)?,
            None => None,
        };
        // Counted from the query tables: hydrating every post would cost a large street
        // most of a second.
        let today = clock::today().to_string();
        Ok(StreetSummary {
            street,
            own_org,
            members: count(self.store.member_count()?),
            active_posts: count(self.store.active_post_count(&today)?),
            meetings: count(doc.keys::<ivej_model::Meeting>().len()),
            damaged_chunks: count(self.store.quarantined()?.len()),
            role: self
                .own_identity()
                .map(|id| crate::trust::device_role(id.role)),
        })
    }
}

pub(crate) use ivej_model::hex::{decode as unhex, encode as hex};

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Writes every record's projection (after a clear, or into a fresh store).
fn project_all(
    w: &mut Writer<'_>,
    orgs: &[Organisation],
    posts: &[Post],
    services: &[Service],
) -> Result<(), StoreError> {
    for org in orgs {
        w.upsert_organisation(org)?;
    }
    for post in posts {
        let name = orgs
            .iter()
            .find(|o| o.id == post.org_id)
            .map(|o| o.name.as_str());
        w.upsert_post(post, name)?;
    }
    for service in services {
        w.upsert_service(service)?;
    }
    Ok(())
}

/// Appends a document's new changes and runs `project` in the same transaction; compacts
/// the document into a snapshot once enough changes have piled up.
pub(crate) fn persist(
    store: &mut Store,
    doc_id: &str,
    kind: &str,
    doc: &mut Document,
    sign: impl FnOnce(
        &mut Document,
        &crate::trust::NewChanges,
        &[ivej_doc::automerge::ChangeHash],
    ) -> NodeResult<crate::trust::Signatures>,
    project: impl FnOnce(&mut Writer<'_>, &str) -> Result<(), StoreError>,
) -> NodeResult<()> {
    let before = doc.saved_heads().to_vec();
    let bytes = doc.save_incremental();
    // What is about to be stored, read from the bytes: cheap, however long the history.
    let changes: Vec<(Vec<u8>, [u8; 32])> = ivej_doc::inbound::chunk_headers(&bytes)?
        .into_iter()
        .map(|h| (h.actor, h.hash))
        .collect();
    let signatures = sign(doc, &changes, &before)?;
    let heads = doc.heads_hex();
    let changes = store.write(|w| {
        for (hash, sig) in &signatures {
            w.put_change_signature(doc_id, hash, sig)?;
        }
        let n = w.append_changes(doc_id, kind, &bytes)?;
        project(w, &heads)?;
        Ok(n)
    })?;
    if changes >= COMPACT_AFTER_CHANGES {
        // The change is durable already: a failed compaction must not report the write as
        // failed (a retry would write it twice). The chunks stay and are compacted later.
        let full = doc.save();
        let _ = store.write(|w| w.replace_snapshot(doc_id, kind, &full));
    }
    Ok(())
}
