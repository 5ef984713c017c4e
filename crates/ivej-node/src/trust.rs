//! Trust in the node: this device's keys, the street's membership (certificates and
//! revocations, kept in the store), signing what this device writes, checking who sent and
//! who made what a peer sends, invites, joining, devices, revocation and removal.
//!
//! Keys: the street authority's (facilitator devices only), each device's signing key (its
//! changes' actor starts with it) and transport key (Noise), all in the data directory's
//! settings, which only the user can read (`ivej_store`). A damaged key is reported, never
//! silently replaced: a new key would be a different device.

use std::collections::{HashMap, HashSet};

use ivej_doc::{DocKind, Document};
use ivej_model::ipc::{DeviceRole, DeviceView, RefusalView};
use ivej_model::{Invite, NodeEvent, OrgProfile, Problem, ValidationErrors};
use ivej_store::{Refusal, Store};
use ivej_trust::{
    CertKind, Certificate, CertificateFields, ChangeSignature, Identity, Membership, Revocation,
    RevocationTarget, Role, SigningSecret,
};

use crate::error::{NodeError, NodeResult};

#[cfg(test)]
mod tests;
use crate::state::{hex, street_doc_id, unhex, State};
use crate::{clock, Node};

/// The street authority's public key (hex): the root every certificate leads to.
pub(crate) const SETTING_AUTHORITY: &str = "street_authority";
const SETTING_SIGN_SEED: &str = "local.sign_seed";
const SETTING_AUTHORITY_SEED: &str = "local.authority_seed";
const SETTING_NOISE_PRIVATE: &str = "local.noise_private";
const SETTING_NOISE_PUBLIC: &str = "local.noise_public";

/// How long an invite is good for unless the facilitator says otherwise.
pub const DEFAULT_INVITE_DAYS: u32 = 14;
const DAY_MS: i64 = 24 * 3600 * 1000;
/// Signatures of changes that wait for their dependencies, at most.
const MAX_PENDING: usize = 20_000;

/// This device's keys.
pub(crate) struct DeviceKeys {
    pub sign: SigningSecret,
    pub noise_private: [u8; 32],
    pub noise_public: [u8; 32],
}

impl std::fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeys")
            .field("sign", &self.sign)
            .finish_non_exhaustive()
    }
}

fn damaged(what: &str) -> NodeError {
    NodeError::Internal(format!(
        "the stored {what} is damaged. It is never replaced on its own, since a new key would \
         make this a different device: restore the data directory from a backup, or join the \
         street again from a new one"
    ))
}

fn stored_key(store: &Store, key: &str, what: &str) -> NodeResult<Option<[u8; 32]>> {
    match store.setting(key)? {
        None => Ok(None),
        Some(text) => unhex(&text)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Some)
            .ok_or_else(|| damaged(what)),
    }
}

/// The device's keys, created on first use.
pub(crate) fn device_keys(store: &mut Store) -> NodeResult<DeviceKeys> {
    let seed = match stored_key(store, SETTING_SIGN_SEED, "device signing key")? {
        Some(seed) => seed,
        None => {
            let seed: [u8; 32] = rand::random();
            store.set_setting(SETTING_SIGN_SEED, &hex(&seed))?;
            seed
        }
    };
    let noise_private = match stored_key(store, SETTING_NOISE_PRIVATE, "device transport key")? {
        Some(key) => key,
        None => {
            let key: [u8; 32] = rand::random();
            store.set_setting(SETTING_NOISE_PRIVATE, &hex(&key))?;
            key
        }
    };
    let noise_public = ivej_trust::noise_public_key(&noise_private);
    match stored_key(store, SETTING_NOISE_PUBLIC, "device transport key")? {
        Some(stored) if stored != noise_public => return Err(damaged("device transport key")),
        Some(_) => {}
        None => store.set_setting(SETTING_NOISE_PUBLIC, &hex(&noise_public))?,
    }
    Ok(DeviceKeys {
        sign: SigningSecret::from_seed(seed),
        noise_private,
        noise_public,
    })
}

/// A peer's change this node will not take, and why.
#[derive(Debug, Clone)]
pub(crate) struct RefusedChange {
    pub hash: [u8; 32],
    pub deps: Vec<[u8; 32]>,
    /// The first bytes of the author's device key, as the refusals list shows them.
    pub author: String,
    pub why: String,
}

/// Refused changes, each with its dependencies.
pub(crate) type Refused = HashMap<[u8; 32], Vec<[u8; 32]>>;

/// The most refused changes and dependencies remembered, over all peers and documents.
/// Past it the memory starts afresh: a forgotten change is refused again when it comes
/// again, and what was built on it waits in automerge's queue for a dependency that never
/// arrives.
const MAX_REFUSED: usize = 100_000;

/// The street's membership as this node knows it, and what checking changes needs.
#[derive(Debug)]
pub(crate) struct StreetTrust {
    pub membership: Membership,
    /// The street authority's key, on the facilitator's devices.
    pub authority: Option<SigningSecret>,
    /// Verified signatures of changes automerge keeps waiting for their dependencies.
    pub pending: HashMap<(String, [u8; 32]), ChangeSignature>,
    /// Certificates already sent to each peer by this process.
    pub sent_certs: HashSet<(String, [u8; 32])>,
    creation: HashMap<String, Vec<[u8; 32]>>,
    /// Peers' changes refused in this process, by the peer that sent them and document,
    /// each with its dependencies. By peer, because some reasons are the sender's doing (a
    /// change relayed without its author's signature): the same change from another peer
    /// is judged afresh.
    refused: HashMap<(String, String), Refused>,
    refused_count: usize,
    /// Signing and checking changes switched off: benchmark builds only.
    #[cfg(feature = "bench-without-trust")]
    pub without_trust: bool,
}

impl StreetTrust {
    fn new(membership: Membership, authority: Option<SigningSecret>) -> Self {
        StreetTrust {
            membership,
            authority,
            pending: HashMap::new(),
            sent_certs: HashSet::new(),
            creation: HashMap::new(),
            refused: HashMap::new(),
            refused_count: 0,
            #[cfg(feature = "bench-without-trust")]
            without_trust: false,
        }
    }

    /// The street's trust as stored, or `None` for a street from before certificates.
    pub fn load(store: &Store, street_id: &str) -> NodeResult<Option<StreetTrust>> {
        let Some(authority_key) = stored_key(store, SETTING_AUTHORITY, "street authority key")?
        else {
            return Ok(None);
        };
        let authority = stored_key(store, SETTING_AUTHORITY_SEED, "street authority key")?
            .map(SigningSecret::from_seed);
        let mut membership = Membership::new(street_id, authority_key);
        let now = clock::now_ms();
        // Stored in the order they were taken: issuers first. One that no longer passes
        // (a rule tightened by a newer version) is left out, not fatal.
        for bytes in store.certificates()? {
            if let Ok(cert) = Certificate::decode(&bytes) {
                let _ = membership.add_certificate(cert, now);
            }
        }
        for bytes in store.revocations()? {
            if let Ok(rev) = Revocation::decode(&bytes) {
                let _ = membership.add_revocation(rev);
            }
        }
        Ok(Some(StreetTrust::new(membership, authority)))
    }

    /// The fixed changes any device makes when it creates `doc_id`: they need no author.
    pub fn creation_hashes(&mut self, doc_id: &str) -> &[[u8; 32]] {
        self.creation.entry(doc_id.to_string()).or_insert_with(|| {
            let (kind, owner) = if let Some(m) = doc_id.strip_prefix("minutes:") {
                (DocKind::Minutes, Some(m))
            } else if let Some(o) = doc_id.strip_prefix("private:") {
                (DocKind::Private, Some(o))
            } else if doc_id.starts_with("scope:") {
                (DocKind::Scoped, Some(doc_id))
            } else {
                (DocKind::Street, None)
            };
            Document::creation_hashes(kind, owner)
        })
    }

    /// Whether changes go unsigned and unchecked: never, but in a benchmark build that
    /// measures what trust costs.
    pub fn checks_off(&self) -> bool {
        #[cfg(feature = "bench-without-trust")]
        {
            self.without_trust
        }
        #[cfg(not(feature = "bench-without-trust"))]
        {
            false
        }
    }

    /// Remembers changes `peer` sent in `doc_id` that were refused, so that what is built
    /// on them is refused too and its messages that carry them again are taken without them.
    pub fn refuse(&mut self, peer: &str, doc_id: &str, changes: &[RefusedChange]) {
        if changes.is_empty() {
            return;
        }
        let size: usize = changes.iter().map(|c| 1 + c.deps.len()).sum();
        if self.refused_count + size > MAX_REFUSED {
            self.refused.clear();
            self.refused_count = 0;
        }
        let known = self
            .refused
            .entry((peer.to_string(), doc_id.to_string()))
            .or_default();
        for change in changes {
            if known.insert(change.hash, change.deps.clone()).is_none() {
                self.refused_count += 1 + change.deps.len();
            }
        }
    }

    pub fn is_refused(&self, peer: &str, doc_id: &str, hash: &[u8; 32]) -> bool {
        self.refused_in(peer, doc_id).contains_key(hash)
    }

    /// The changes refused from `peer` in `doc_id`, each with its dependencies.
    pub fn refused_in(&self, peer: &str, doc_id: &str) -> &Refused {
        static NONE: std::sync::OnceLock<Refused> = std::sync::OnceLock::new();
        self.refused
            .get(&(peer.to_string(), doc_id.to_string()))
            .unwrap_or_else(|| NONE.get_or_init(HashMap::new))
    }

    /// Remembers a verified signature until its change is applied.
    pub fn keep_pending(&mut self, doc_id: &str, sig: ChangeSignature) {
        if self.pending.len() >= MAX_PENDING {
            // Changes that never got their dependencies: their signatures come again with
            // them when a peer sends them again.
            self.pending.clear();
        }
        self.pending.insert((doc_id.to_string(), sig.hash), sig);
    }
}

/// Signatures for the changes this device made and has not stored yet (and, where
/// `vouch` and the authority's key allow, the authority's for changes of no device: a new
/// street's or the demo's first content). Also checks each against the write rule, so this
/// device never stores a change its peers would refuse.
pub(crate) fn sign_unsaved(
    keys: &DeviceKeys,
    trust: Option<&mut StreetTrust>,
    doc_id: &str,
    doc: &mut Document,
    scope: crate::authorise::Scope<'_>,
    vouch: bool,
) -> NodeResult<Signatures> {
    let before = doc.saved_heads().to_vec();
    let changes: Vec<(Vec<u8>, [u8; 32])> = doc
        .unsaved_changes()
        .into_iter()
        .map(|c| (c.actor, c.hash))
        .collect();
    sign_changes(keys, trust, doc_id, doc, scope, vouch, &changes, &before)
}

/// Changes about to be stored: each one's actor and hash.
pub(crate) type NewChanges = [(Vec<u8>, [u8; 32])];
/// Signatures to store beside changes: hash, encoded signature.
pub(crate) type Signatures = Vec<([u8; 32], [u8; 128])>;

/// What `persist` calls to sign (and check) the changes it is about to store in `doc_id`.
pub(crate) fn signer<'a>(
    keys: &'a DeviceKeys,
    trust: Option<&'a mut StreetTrust>,
    doc_id: &'a str,
    scope: crate::authorise::Scope<'a>,
) -> impl FnOnce(
    &mut Document,
    &NewChanges,
    &[ivej_doc::automerge::ChangeHash],
) -> NodeResult<Signatures>
       + 'a {
    move |doc, changes, before| {
        sign_changes(keys, trust, doc_id, doc, scope, false, changes, before)
    }
}

/// [`sign_unsaved`] for `changes` (actor, hash), made after the document was at `before`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign_changes(
    keys: &DeviceKeys,
    trust: Option<&mut StreetTrust>,
    doc_id: &str,
    doc: &mut Document,
    scope: crate::authorise::Scope<'_>,
    vouch: bool,
    changes: &NewChanges,
    before: &[ivej_doc::automerge::ChangeHash],
) -> NodeResult<Signatures> {
    let Some(trust) = trust else {
        // A street from before certificates: nothing to sign with.
        return Ok(Vec::new());
    };
    if trust.checks_off() {
        return Ok(Vec::new());
    }
    let own = keys.sign.public();
    let creation = trust.creation_hashes(doc_id).to_vec();
    let identity = trust.membership.identity(&own).ok();
    let mut out = Vec::new();
    for (actor, hash) in changes {
        if creation.contains(hash) {
            continue;
        }
        if actor.get(..32) == Some(&own[..]) {
            let who = identity.as_ref().ok_or_else(|| {
                NodeError::NotAllowed(
                    "this device is not (or no longer) certified in the street".into(),
                )
            })?;
            let touches = doc.change_touches(hash)?;
            crate::authorise::may_write(doc, scope, who, &touches, before, None)
                .map_err(|why| NodeError::NotAllowed(format!("not yours to change: {why}")))?;
            let sig = ChangeSignature::sign(&keys.sign, doc_id, *hash);
            out.push((*hash, sig.to_bytes()));
        } else if vouch {
            let authority = trust.authority.as_ref().ok_or_else(|| {
                NodeError::Internal("content no device made, and no authority to vouch".into())
            })?;
            let sig = ChangeSignature::sign(authority, doc_id, *hash);
            out.push((*hash, sig.to_bytes()));
        }
    }
    Ok(out)
}

/// What a device shows a peer at the start of a session: its certificate chain (root
/// first) and every revocation it knows, encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    pub chain: Vec<Vec<u8>>,
    pub revocations: Vec<Vec<u8>>,
}

/// What a new invite is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRequest {
    /// Another device of this device's own organisation (else a new member organisation,
    /// which only the facilitator invites).
    pub own_device: bool,
    /// Devices it may enrol (at least 1).
    pub uses: u16,
    pub expires_in_days: u32,
    /// The role of who joins with it (a new member's: member or observer).
    pub role: DeviceRole,
    /// Where a peer can be reached, if multicast discovery may be blocked.
    pub address: Option<String>,
}

impl Default for InviteRequest {
    fn default() -> Self {
        InviteRequest {
            own_device: false,
            uses: 1,
            expires_in_days: DEFAULT_INVITE_DAYS,
            role: DeviceRole::Member,
            address: None,
        }
    }
}

pub(crate) fn role_of(role: DeviceRole) -> Role {
    match role {
        DeviceRole::Observer => Role::Observer,
        DeviceRole::Member => Role::Member,
        DeviceRole::Facilitator => Role::Facilitator,
    }
}

pub(crate) fn device_role(role: Role) -> DeviceRole {
    match role {
        Role::Observer => DeviceRole::Observer,
        Role::Member => DeviceRole::Member,
        Role::Facilitator => DeviceRole::Facilitator,
    }
}

fn refused(problem: &str) -> NodeError {
    NodeError::Invalid(ValidationErrors::single(
        "code",
        Problem::BadInvite {
            reason: problem.into(),
        },
    ))
}

impl State {
    pub(crate) fn trust_mut(&mut self) -> NodeResult<&mut StreetTrust> {
        self.trust.as_mut().ok_or_else(|| {
            NodeError::NotAllowed(
                "this street was set up before certificates: its facilitator's device has to \
                 open it with this version first, and members join again with a new invite"
                    .into(),
            )
        })
    }

    pub(crate) fn own_identity(&self) -> Option<Identity> {
        self.trust
            .as_ref()
            .and_then(|t| t.membership.identity(&self.keys.sign.public()).ok())
    }

    /// Stores certificates and revocations the membership has taken.
    fn store_membership(
        &mut self,
        certs: &[Certificate],
        revocations: &[Revocation],
    ) -> NodeResult<()> {
        if certs.is_empty() && revocations.is_empty() {
            return Ok(());
        }
        self.store.write(|w| {
            for cert in certs {
                w.put_certificate(&cert.subject(), &cert.encode())?;
            }
            for rev in revocations {
                w.put_revocation(&rev.encode())?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Takes the certificates a peer sent (issuers first); returns the new ones. One that
    /// does not pass is skipped: a change that needs it is refused with the reason.
    pub(crate) fn take_certificates(
        &mut self,
        certs: Vec<Certificate>,
    ) -> NodeResult<Vec<Certificate>> {
        let now = clock::now_ms();
        let Some(trust) = self.trust.as_mut() else {
            return Ok(Vec::new());
        };
        let mut new = Vec::new();
        for cert in certs {
            if let Ok(true) = trust.membership.add_certificate(cert.clone(), now) {
                new.push(cert);
            }
        }
        self.store_membership(&new, &[])?;
        Ok(new)
    }

    /// Takes revocations (encoded); returns whether any was new.
    pub(crate) fn take_revocations(&mut self, encoded: &[Vec<u8>]) -> NodeResult<bool> {
        let trust = self.trust_mut()?;
        let mut new = Vec::new();
        for bytes in encoded {
            let rev = Revocation::decode(bytes)
                .map_err(|e| NodeError::Refused(format!("a revocation: {e}")))?;
            if trust
                .membership
                .add_revocation(rev.clone())
                .map_err(|e| NodeError::Refused(format!("a revocation: {e}")))?
            {
                new.push(rev);
            }
        }
        let any = !new.is_empty();
        self.store_membership(&[], &new)?;
        Ok(any)
    }

    /// Takes certificates and revocations another process (the CLI beside `ivej serve` or
    /// the app) stored; returns whether any was new.
    pub(crate) fn refresh_trust(&mut self) -> NodeResult<bool> {
        let (certs, revocations) = (self.store.certificates()?, self.store.revocations()?);
        let Some(trust) = self.trust.as_mut() else {
            return Ok(false);
        };
        let now = clock::now_ms();
        let mut changed = false;
        for bytes in certs {
            if let Ok(cert) = Certificate::decode(&bytes) {
                changed |= trust.membership.add_certificate(cert, now).unwrap_or(false);
            }
        }
        for bytes in revocations {
            if let Ok(rev) = Revocation::decode(&bytes) {
                changed |= trust.membership.add_revocation(rev).unwrap_or(false);
            }
        }
        Ok(changed)
    }

    pub(crate) fn record_refusal(
        &mut self,
        device_id: &str,
        author: &str,
        doc_id: &str,
        reason: &str,
    ) {
        let refusal = Refusal {
            at: clock::now_ms(),
            device_id: device_id.to_string(),
            author: author.to_string(),
            doc_id: doc_id.to_string(),
            reason: reason.to_string(),
        };
        // The refusal itself stands; failing to note it down changes nothing stored.
        let _ = self.store.write(|w| w.put_refusal(&refusal));
    }

    /// The cut for a revocation: every change the revoked keys made that this node holds
    /// (the facilitator's view when it revokes), so peers keep taking those.
    fn cut_for(&mut self, keys: &[[u8; 32]]) -> NodeResult<Vec<[u8; 32]>> {
        let mut cut: Vec<[u8; 32]> = Vec::new();
        let mut note = |_doc_id: &str, doc: &mut Document| {
            for change in doc.changes_since(&[]) {
                if change.actor.len() >= 32 && keys.iter().any(|k| change.actor[..32] == k[..]) {
                    cut.push(change.hash);
                }
            }
        };
        let street_id = self.street_id.clone().ok_or(NodeError::NoStreet)?;
        note(&street_doc_id(&street_id), self.street_mut()?);
        let meetings = self.street()?.keys::<ivej_model::Meeting>();
        for meeting in meetings {
            let doc_id = crate::state::minutes_doc_id(&meeting);
            if self.store.load_document(&doc_id)?.is_some() {
                note(&doc_id, self.minutes_mut(&meeting)?);
            }
        }
        // Posts shared with the facilitator, and the facilitator's own private document.
        for (doc_id, doc) in self.scoped.iter_mut() {
            note(doc_id, doc);
        }
        if let (Some(org), Some(private)) = (self.own_org.clone(), self.private.as_mut()) {
            note(&crate::state::private_doc_id(&org), private);
        }
        cut.sort_unstable();
        cut.dedup();
        Ok(cut)
    }
}

impl Node {
    /// This device's transport (Noise) key pair: private, public.
    pub fn noise_keys(&self) -> NodeResult<([u8; 32], [u8; 32])> {
        let st = self.lock()?;
        Ok((st.keys.noise_private, st.keys.noise_public))
    }

    /// This device's signing key (public): the first 32 bytes of its changes' actor.
    pub fn signing_key(&self) -> NodeResult<[u8; 32]> {
        Ok(self.lock()?.keys.sign.public())
    }

    /// What this device presents to a peer: its certificate chain, root first, and every
    /// revocation it knows.
    pub fn presentation(&self) -> NodeResult<Presentation> {
        let mut st = self.lock()?;
        let own = st.keys.sign.public();
        let trust = st.trust_mut()?;
        let chain = trust.membership.chain(&own);
        if chain.is_empty() {
            return Err(NodeError::NotAllowed(
                "this device has no certificate in the street".into(),
            ));
        }
        Ok(Presentation {
            chain: chain.iter().map(Certificate::encode).collect(),
            revocations: trust
                .membership
                .revocations()
                .iter()
                .map(Revocation::encode)
                .collect(),
        })
    }

    /// Admits a peer that presented `chain` (root first) and `revocations` over a transport
    /// that proved it holds `transport_key`: the peer is who its certificate says, only if
    /// the certificate binds that very key and it and everything above it stand. From then
    /// on `sync_message` and `receive_sync_message` know the peer by its device id.
    pub fn admit_peer(
        &self,
        chain: &[Vec<u8>],
        revocations: &[Vec<u8>],
        transport_key: &[u8],
    ) -> NodeResult<Identity> {
        // Bounded before anything is decoded (each certificate costs a signature check).
        if chain.len() > ivej_trust::MAX_CHAIN + 1 {
            return Err(NodeError::Refused(format!(
                "a certificate chain of {} links",
                chain.len()
            )));
        }
        let mut st = self.lock()?;
        // Revocations first: a peer cannot get in on a certificate the facilitator revoked,
        // whichever of the two it sends.
        let membership_changed = st.take_revocations(revocations)?;
        let certs = chain
            .iter()
            .map(|bytes| Certificate::decode(bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NodeError::Refused(format!("the peer's certificate: {e}")))?;
        let subject = certs
            .last()
            .map(Certificate::subject)
            .ok_or_else(|| NodeError::Refused("a peer without a certificate".into()))?;
        let now = clock::now_ms();
        let trust = st.trust_mut()?;
        let mut new = Vec::new();
        for cert in certs {
            match trust.membership.add_certificate(cert.clone(), now) {
                Ok(true) => new.push(cert),
                Ok(false) => {}
                Err(e) => return Err(NodeError::Refused(format!("the peer's certificate: {e}"))),
            }
        }
        let identity = trust
            .membership
            .identity(&subject)
            .map_err(|e| NodeError::Refused(format!("the peer: {e}")))?;
        if identity.noise_key[..] != *transport_key {
            return Err(NodeError::Refused(
                "the peer's certificate is for another transport key".into(),
            ));
        }
        st.store_membership(&new, &[])?;
        drop(st);
        self.admitted
            .lock()
            .map_err(|_| NodeError::Internal("admitted peers".into()))?
            .insert(identity.device_id.clone(), identity.clone());
        if membership_changed || !new.is_empty() {
            self.emit(NodeEvent::MembershipChanged);
        }
        Ok(identity)
    }

    /// Admits `other`, a node in this same process, as a peer (and is admitted by it),
    /// exactly as a transport that proved each side's key would: for in-process transports
    /// (tests, benchmarks).
    pub fn admit_each_other(&self, other: &Node) -> NodeResult<()> {
        let theirs = other.presentation()?;
        self.admit_peer(&theirs.chain, &theirs.revocations, &other.noise_keys()?.1)?;
        let ours = self.presentation()?;
        other.admit_peer(&ours.chain, &ours.revocations, &self.noise_keys()?.1)?;
        Ok(())
    }

    /// The identity a peer was admitted with, if it still stands (not revoked since).
    pub fn admitted(&self, device_id: &str) -> NodeResult<Identity> {
        let identity = self
            .admitted
            .lock()
            .map_err(|_| NodeError::Internal("admitted peers".into()))?
            .get(device_id)
            .cloned()
            .ok_or_else(|| NodeError::Refused(format!("device {device_id} was not admitted")))?;
        let st = self.lock()?;
        let trust = st.trust.as_ref().ok_or(NodeError::NoStreet)?;
        if let Some(why) = trust.membership.revoked(&identity.sign_key) {
            return Err(NodeError::Refused(format!("device {device_id}: {why}")));
        }
        Ok(identity)
    }

    /// Takes revocations a peer passed on during a session.
    pub fn add_revocations(&self, revocations: &[Vec<u8>]) -> NodeResult<bool> {
        let changed = self.lock()?.take_revocations(revocations)?;
        if changed {
            self.emit(NodeEvent::MembershipChanged);
        }
        Ok(changed)
    }

    /// This device's role in the street (`None` before it has a certificate).
    pub fn own_role(&self) -> NodeResult<Option<DeviceRole>> {
        Ok(self.lock()?.own_identity().map(|i| device_role(i.role)))
    }

    /// An invite: for a new member organisation (the facilitator's), or for another device
    /// of this device's own organisation.
    pub fn create_invite(&self, request: InviteRequest) -> NodeResult<Invite> {
        if request.uses == 0 {
            return Err(ValidationErrors::single("uses", Problem::TooSmall { min: 1 }).into());
        }
        if request.expires_in_days == 0 {
            return Err(
                ValidationErrors::single("expires_in", Problem::TooSmall { min: 1 }).into(),
            );
        }
        if request.expires_in_days > 365 {
            return Err(
                ValidationErrors::single("expires_in", Problem::TooLarge { max: 365 }).into(),
            );
        }
        let mut st = self.lock()?;
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let secret = st.street_secret()?;
        let own = st.own_identity().ok_or_else(|| {
            NodeError::NotAllowed("this device has no certificate in the street".into())
        })?;
        let own_key = st.keys.sign.public();
        let now = clock::now_ms();
        let enrolment = SigningSecret::from_seed(rand::random());
        let trust = st.trust_mut()?;
        let role = role_of(request.role);
        let (org_id, issuer, issuers, authority_seed) = if request.own_device {
            // The same role as this device's, for a facilitator with the authority's key.
            let seed = (own.role == Role::Facilitator)
                .then(|| trust.authority.as_ref().map(SigningSecret::seed))
                .flatten();
            let chain: Vec<Vec<u8>> = trust
                .membership
                .chain(&own_key)
                .iter()
                .map(Certificate::encode)
                .collect();
            (own.org_id.clone(), None, chain, seed)
        } else {
            let authority = trust.authority.clone().ok_or_else(|| {
                NodeError::NotAllowed("only the street's facilitator can invite new members".into())
            })?;
            if role == Role::Facilitator {
                return Err(NodeError::NotAllowed(
                    "a new organisation joins as member or observer".into(),
                ));
            }
            (String::new(), Some(authority), Vec::new(), None)
        };
        let fields = CertificateFields {
            kind: CertKind::Enrolment,
            street_id: street_id.clone(),
            subject: enrolment.public(),
            noise_key: [0; 32],
            device_id: String::new(),
            org_id,
            role: if request.own_device { own.role } else { role },
            uses: request.uses,
            issued_ms: now,
            expires_ms: now.saturating_add(i64::from(request.expires_in_days) * DAY_MS),
            label: String::new(),
        };
        let cert = match &issuer {
            Some(authority) => fields.sign(authority),
            None => fields.sign(&st.keys.sign),
        };
        let trust = st.trust_mut()?;
        trust
            .membership
            .add_certificate(cert.clone(), now)
            .map_err(|e| NodeError::Internal(format!("the new invite: {e}")))?;
        st.store_membership(std::slice::from_ref(&cert), &[])?;
        let authority_key = st.trust_mut()?.membership.authority();
        drop(st);
        self.emit(NodeEvent::MembershipChanged);
        // The street's relay, as this device uses it, and the mailbox's current epoch.
        let relay = self.relay()?;
        let epoch = {
            let st = self.lock()?;
            let key = st.epoch_key()?;
            let revocations = st.epoch_revocations(key.epoch)?;
            (key.epoch > 0).then(|| ivej_model::InviteEpoch {
                number: key.epoch,
                key: *key.key(),
                revocations,
            })
        };
        Ok(Invite {
            street_id,
            secret,
            authority_key,
            enrolment_seed: enrolment.seed(),
            enrolment: cert.encode(),
            issuers,
            authority_seed,
            address: request.address,
            relay,
            epoch,
        })
    }

    /// Joins with an invite: as a new member organisation with `profile`, or as another
    /// device of the organisation the invite names. The device certifies itself with the
    /// invite's enrolment key; peers check that certificate and how many the invite allows.
    pub fn join(&self, invite: &Invite, profile: Option<OrgProfile>) -> NodeResult<()> {
        let enrolment_key = SigningSecret::from_seed(invite.enrolment_seed);
        let enrolment = Certificate::decode(&invite.enrolment).map_err(|_| refused("damaged"))?;
        if enrolment.subject() != enrolment_key.public()
            || enrolment.fields.kind != CertKind::Enrolment
            || enrolment.fields.street_id != invite.street_id
        {
            return Err(refused("damaged"));
        }
        let now = clock::now_ms();
        if enrolment.fields.expires_ms != 0 && enrolment.fields.expires_ms < now {
            return Err(refused("expired"));
        }
        let mut st = self.lock()?;
        if st.street.is_some() {
            return Err(NodeError::AlreadyExists(
                "this data directory already holds a street".into(),
            ));
        }
        let device = st.keys.sign.public();
        let new_org = enrolment.fields.org_id.is_empty();
        let org_id = if new_org {
            ivej_trust::derived_org_id(&enrolment_key.public(), &device)
        } else {
            enrolment.fields.org_id.clone()
        };
        let org = match (new_org, profile) {
            (true, Some(profile)) => Some(profile.into_organisation(org_id.clone(), now)),
            (true, None) => {
                return Err(ValidationErrors::single("org.name", Problem::Empty).into());
            }
            (false, _) => None,
        };
        if let Some(org) = &org {
            ivej_model::Validate::validate(org).map_err(|e| e.prefixed("org"))?;
        }
        let mut membership = Membership::new(&invite.street_id, invite.authority_key);
        let mut certs = Vec::new();
        for bytes in &invite.issuers {
            let cert = Certificate::decode(bytes).map_err(|_| refused("damaged"))?;
            membership
                .add_certificate(cert.clone(), now)
                .map_err(|_| refused("damaged"))?;
            certs.push(cert);
        }
        membership
            .add_certificate(enrolment.clone(), now)
            .map_err(|_| refused("damaged"))?;
        certs.push(enrolment.clone());
        let own = CertificateFields {
            kind: CertKind::Device,
            street_id: invite.street_id.clone(),
            subject: device,
            noise_key: st.keys.noise_public,
            device_id: st.device_id.clone(),
            org_id: org_id.clone(),
            role: enrolment.fields.role,
            uses: 0,
            issued_ms: now,
            expires_ms: 0,
            label: device_label(),
        }
        .sign(&enrolment_key);
        membership
            .add_certificate(own.clone(), now)
            .map_err(|e| NodeError::NotAllowed(format!("the invite: {e}")))?;
        certs.push(own);
        st.store.write(|w| {
            w.set_setting(crate::state::SETTING_STREET_SECRET, &hex(&invite.secret))?;
            w.set_setting(SETTING_AUTHORITY, &hex(&invite.authority_key))?;
            if let Some(seed) = &invite.authority_seed {
                w.set_setting(SETTING_AUTHORITY_SEED, &hex(seed))?;
            }
            for cert in &certs {
                w.put_certificate(&cert.subject(), &cert.encode())?;
            }
            Ok(())
        })?;
        let authority = invite.authority_seed.map(SigningSecret::from_seed);
        st.trust = Some(StreetTrust::new(membership, authority));
        let mut doc = ivej_doc::StreetDoc::empty()?;
        doc.use_actor_key(&device);
        if let Some(org) = &org {
            doc.put(org)?;
        }
        let private = ivej_doc::PrivateDoc::create(&org_id)?;
        st.adopt(invite.street_id.clone(), org_id, doc, private)?;
        drop(st);
        if let Some(relay) = &invite.relay {
            self.set_relay(Some(relay))?;
        }
        if let Some(epoch) = &invite.epoch {
            self.lock()?.enter_epoch(
                &ivej_trust::mailbox::EpochKey::new(epoch.number, epoch.key),
                epoch.revocations,
                None,
            )?;
        }
        if let Some(address) = &invite.address {
            self.add_peer_address(address)?;
        }
        Ok(())
    }

    /// The devices whose certificates this node knows, with their organisation and role.
    pub fn devices(&self) -> NodeResult<Vec<DeviceView>> {
        let mut st = self.lock()?;
        let own = st.keys.sign.public();
        let trust = st.trust_mut()?;
        let devices = trust.membership.devices();
        Ok(devices
            .into_iter()
            .map(|(id, revoked, issued)| DeviceView {
                org_name: st.org_name(&id.org_id),
                this_device: id.sign_key == own,
                device_id: id.device_id,
                org_id: id.org_id,
                role: device_role(id.role),
                label: id.label,
                enrolled_at: issued,
                revoked,
            })
            .collect())
    }

    /// Revokes a device (the facilitator's): every peer refuses it from the moment it
    /// learns of the revocation, and its later changes; what it enrolled goes with it.
    /// What it already received cannot be recalled.
    pub fn revoke_device(&self, device_id: &str) -> NodeResult<()> {
        let mut st = self.lock()?;
        let trust = st.trust_mut()?;
        let Some((identity, _, _)) = trust
            .membership
            .devices()
            .into_iter()
            .find(|(id, _, _)| id.device_id == device_id)
        else {
            return Err(NodeError::NotFound {
                what: "device",
                id: device_id.to_string(),
            });
        };
        let target = RevocationTarget::Device(identity.sign_key);
        let keys = trust.membership.descendants(&identity.sign_key);
        self.revoke(st, target, &keys)
    }

    /// Removes an organisation from the street (the facilitator's): it is marked as having
    /// left, and all its devices are revoked. What it already received cannot be recalled.
    pub fn remove_member(&self, org_id: &str) -> NodeResult<ivej_model::Organisation> {
        let org = self.mark_left(org_id)?;
        let mut st = self.lock()?;
        if st.trust.is_some() {
            let trust = st.trust_mut()?;
            let keys: Vec<[u8; 32]> = trust
                .membership
                .devices()
                .into_iter()
                .filter(|(id, _, _)| id.org_id == org_id)
                .flat_map(|(id, _, _)| trust.membership.descendants(&id.sign_key))
                .collect();
            self.revoke(
                st,
                RevocationTarget::Organisation(org_id.to_string()),
                &keys,
            )?;
        }
        Ok(org)
    }

    fn revoke(
        &self,
        mut st: std::sync::MutexGuard<'_, State>,
        target: RevocationTarget,
        keys: &[[u8; 32]],
    ) -> NodeResult<()> {
        if keys.contains(&st.keys.sign.public()) {
            return Err(NodeError::NotAllowed(
                "a device cannot revoke itself".into(),
            ));
        }
        let street_id = st.street_id.clone().ok_or(NodeError::NoStreet)?;
        let cut = st.cut_for(keys)?;
        let trust = st.trust_mut()?;
        let authority = trust.authority.clone().ok_or_else(|| {
            NodeError::NotAllowed("only the street's facilitator can revoke".into())
        })?;
        let rev = Revocation::sign(&authority, &street_id, target, clock::now_ms(), cut);
        trust
            .membership
            .add_revocation(rev.clone())
            .map_err(|e| NodeError::Internal(e.to_string()))?;
        st.store_membership(&[], &[rev])?;
        // A new epoch, its key sealed to the devices that stay: what is put in the relay's
        // mailbox from now on, the removed device cannot read.
        st.begin_epoch()?;
        drop(st);
        self.emit(NodeEvent::MembershipChanged);
        self.emit(NodeEvent::RelayChanged);
        Ok(())
    }

    /// Changes refused from peers, newest first.
    pub fn refusals(&self) -> NodeResult<Vec<RefusalView>> {
        let st = self.lock()?;
        let devices: HashMap<String, String> = st
            .trust
            .as_ref()
            .map(|t| {
                t.membership
                    .devices()
                    .into_iter()
                    .map(|(id, _, _)| (id.device_id, id.org_id))
                    .collect()
            })
            .unwrap_or_default();
        Ok(st
            .store
            .refusals()?
            .into_iter()
            .map(|r| RefusalView {
                org_name: devices.get(&r.device_id).and_then(|org| st.org_name(org)),
                at: r.at,
                device_id: r.device_id,
                author: r.author,
                doc_id: r.doc_id,
                reason: r.reason,
            })
            .collect())
    }
}

/// Whether joining with `invite` founds a new organisation (and so needs its profile), or
/// adds a device to an existing one.
pub fn invite_founds_organisation(invite: &Invite) -> bool {
    Certificate::decode(&invite.enrolment).is_ok_and(|c| c.fields.org_id.is_empty())
}

/// A name for this device in lists: the host's name, if it has one.
pub(crate) fn device_label() -> String {
    let name = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let name: String = name.trim().chars().filter(|c| !c.is_control()).collect();
    let mut label = String::new();
    for c in name.chars() {
        if label.len() + c.len_utf8() > 64 {
            break;
        }
        label.push(c);
    }
    label
}

#[cfg(feature = "bench-without-trust")]
impl Node {
    /// Benchmark builds only: this node neither signs what it writes nor checks what it
    /// receives, so that one run can set the cost of trust against the same work without.
    pub fn bench_without_trust(&self) -> NodeResult<()> {
        self.lock()?.trust_mut()?.without_trust = true;
        Ok(())
    }
}
