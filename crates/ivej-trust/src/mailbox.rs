//! The relay's mailbox, end to end: what the relay stores is sealed here and opened here,
//! and the relay holds no key that opens it.
//!
//! - An [`EpochKey`] is what every member of the street holds for one epoch; the first is
//!   derived from the street secret, a later one replaces it when a member is removed.
//! - A [`Topic`] is one document's mailbox in one epoch: its id is an Ed25519 public key
//!   derived from the epoch key and the document id, so the relay can check that whoever
//!   opens the topic holds the key ([`Topic::open_proof`]) without being able to derive
//!   the id itself or tell which document or street it is.
//! - A bundle is a document's changes (the body, a `SignedSync` envelope to the node),
//!   signed by the device that put it, padded to a power of two and sealed with
//!   XChaCha20-Poly1305 under the topic's key, with the header (kind, epoch, topic, nonce)
//!   as associated data: a bundle moved to another topic or epoch does not open.

use blake2::digest::{KeyInit, Mac};
use blake2::Blake2sMac256;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, VerifyingKey};

use crate::codec::{Reader, Writer};
use crate::keys::SigningSecret;
use crate::TrustError;

const BUNDLE_MAGIC: &[u8; 4] = b"IVB1";
const HEADER_LEN: usize = 4 + 1 + 4 + 32 + 24;
/// Signer, time, body length, and the signature.
const FIXED_PLAIN: usize = 32 + 8 + 4 + 64;
const TAG_LEN: usize = 16;
/// The smallest padded plaintext: a one-line post and a short burst look the same.
pub const MIN_PADDED: usize = 1024;
/// The largest body a bundle carries (a snapshot of a large street is a few MiB).
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// The largest sealed bundle: [`MAX_BODY`] padded, with header and tag.
pub const MAX_SEALED: usize = MAX_BODY + MAX_BODY / 8 + 4096 + HEADER_LEN + TAG_LEN;
/// Up to this size plaintexts are padded to a power of two; above, with Padmé.
const POWER_OF_TWO_UP_TO: usize = 1024 * 1024;

const DOMAIN_EPOCH: &[u8] = b"industrivej epoch v1\0";
const DOMAIN_TOPIC_ID: &[u8] = b"industrivej topic id v1\0";
const DOMAIN_TOPIC_KEY: &[u8] = b"industrivej topic key v1\0";
const DOMAIN_RENDEZVOUS: &[u8] = b"industrivej rendezvous v1\0";
const DOMAIN_OPEN: &[u8] = b"industrivej relay open v1\0";
const DOMAIN_BUNDLE: &[u8] = b"industrivej bundle v1\0";

/// A keyed hash, for deriving one key from another.
pub(crate) fn derive(key: &[u8; 32], domain: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Blake2sMac256 as KeyInit>::new(key.into());
    mac.update(domain);
    mac.update(&(data.len() as u64).to_be_bytes());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// What a bundle holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// Changes made or learnt since the last bundle this device put.
    Changes,
    /// A whole document: lets the relay prune the bundles it covers.
    Snapshot,
}

impl BundleKind {
    fn code(self) -> u8 {
        match self {
            BundleKind::Changes => 1,
            BundleKind::Snapshot => 2,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(BundleKind::Changes),
            2 => Some(BundleKind::Snapshot),
            _ => None,
        }
    }
}

/// The key every member holds in one epoch of the street.
#[derive(Clone, PartialEq, Eq)]
pub struct EpochKey {
    pub epoch: u32,
    key: [u8; 32],
}

impl std::fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("EpochKey")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl EpochKey {
    /// The first epoch's key, derived from the street secret every invite carries.
    pub fn first(street_secret: &[u8; 32]) -> EpochKey {
        EpochKey {
            epoch: 0,
            key: derive(street_secret, DOMAIN_EPOCH, &0u32.to_be_bytes()),
        }
    }

    /// A later epoch's key (random, made when a member is removed).
    pub fn new(epoch: u32, key: [u8; 32]) -> EpochKey {
        EpochKey { epoch, key }
    }

    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The mailbox of document `doc_id` in this epoch.
    pub fn topic(&self, doc_id: &str) -> Topic {
        let signing =
            SigningSecret::from_seed(derive(&self.key, DOMAIN_TOPIC_ID, doc_id.as_bytes()));
        Topic {
            id: signing.public(),
            epoch: self.epoch,
            signing,
            key: derive(&self.key, DOMAIN_TOPIC_KEY, doc_id.as_bytes()),
        }
    }

    /// Where the relay finds a device for a live session: a name only members of this
    /// epoch can compute, which tells the relay nothing of the device.
    pub fn rendezvous(&self, device_id: &str) -> [u8; 32] {
        derive(&self.key, DOMAIN_RENDEZVOUS, device_id.as_bytes())
    }
}

/// One document's mailbox in one epoch.
#[derive(Clone)]
pub struct Topic {
    /// What the relay files bundles under: an Ed25519 public key.
    pub id: [u8; 32],
    pub epoch: u32,
    signing: SigningSecret,
    key: [u8; 32],
}

impl std::fmt::Debug for Topic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Topic")
            .field("id", &crate::membership::short(&self.id))
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

/// What a relay checks before it lets a connection list or write a topic.
pub fn open_message(handshake_hash: &[u8]) -> Vec<u8> {
    let mut m = DOMAIN_OPEN.to_vec();
    m.extend_from_slice(handshake_hash);
    m
}

/// Whether `proof` shows that the connection with `handshake_hash` holds topic `id`'s key.
pub fn verify_open(id: &[u8; 32], handshake_hash: &[u8], proof: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(id).is_ok_and(|vk| {
        vk.verify_strict(&open_message(handshake_hash), &Signature::from_bytes(proof))
            .is_ok()
    })
}

/// A bundle, opened: who put it, when, and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBundle {
    pub kind: BundleKind,
    /// The signing key of the device that put it (its certificate is the node's to check).
    pub signer: [u8; 32],
    pub created_ms: i64,
    pub body: Vec<u8>,
}

/// The header of a sealed bundle: what the relay may read, and all it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleHeader {
    pub kind: BundleKind,
    pub epoch: u32,
    pub topic: [u8; 32],
    pub nonce: [u8; 24],
}

impl BundleHeader {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..4].copy_from_slice(BUNDLE_MAGIC);
        out[4] = self.kind.code();
        out[5..9].copy_from_slice(&self.epoch.to_be_bytes());
        out[9..41].copy_from_slice(&self.topic);
        out[41..].copy_from_slice(&self.nonce);
        out
    }

    /// Reads the header of a sealed bundle (also what a relay does to learn its kind).
    pub fn decode(sealed: &[u8]) -> Result<BundleHeader, TrustError> {
        let mut r = Reader::new(sealed, "bundle header");
        if r.take(4)? != BUNDLE_MAGIC {
            return Err(TrustError::Malformed("bundle header"));
        }
        let kind = BundleKind::from_code(r.u8()?).ok_or(TrustError::Malformed("bundle header"))?;
        Ok(BundleHeader {
            kind,
            epoch: r.u32()?,
            topic: r.array()?,
            nonce: r.array()?,
        })
    }
}

fn signed_part(header: &[u8], signer: &[u8; 32], created_ms: i64, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN_BUNDLE.len() + header.len() + 44 + body.len());
    m.extend_from_slice(DOMAIN_BUNDLE);
    m.extend_from_slice(header);
    m.extend_from_slice(signer);
    m.extend_from_slice(&created_ms.to_be_bytes());
    m.extend_from_slice(&(body.len() as u64).to_be_bytes());
    m.extend_from_slice(body);
    m
}

/// The padded size of a plaintext of `len` bytes, so the relay learns a size class, not a
/// size: a power of two of at least [`MIN_PADDED`] up to 1 MiB (a post and a short burst
/// look the same), and above that Padmé (Nikitin et al., "Reducing metadata leakage from
/// encrypted files and communication with PURBs", 2019), which costs at most 12 % where a
/// power of two would cost up to 100 % on a snapshot.
pub fn padded_len(len: usize) -> usize {
    if len <= POWER_OF_TWO_UP_TO {
        return len.max(MIN_PADDED).next_power_of_two();
    }
    let e = usize::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let mask = (1usize << (e - s)) - 1;
    (len + mask) & !mask
}

impl Topic {
    /// Proves to a relay, for the connection whose Noise handshake hash is
    /// `handshake_hash`, that this device holds the topic's key.
    pub fn open_proof(&self, handshake_hash: &[u8]) -> [u8; 64] {
        self.signing.sign(&open_message(handshake_hash))
    }

    /// Seals `body`, signed by `signer`; `nonce` must be fresh random bytes.
    pub fn seal(
        &self,
        kind: BundleKind,
        signer: &SigningSecret,
        created_ms: i64,
        body: &[u8],
        nonce: [u8; 24],
    ) -> Result<Vec<u8>, TrustError> {
        if body.len() > MAX_BODY {
            return Err(TrustError::Malformed("bundle too large"));
        }
        let header = BundleHeader {
            kind,
            epoch: self.epoch,
            topic: self.id,
            nonce,
        }
        .encode();
        let signer_vk = signer.public();
        let signature = signer.sign(&signed_part(&header, &signer_vk, created_ms, body));
        let mut plain = Writer::new();
        plain.raw(&signer_vk);
        plain.i64(created_ms);
        plain.u32(body.len() as u32);
        plain.raw(body);
        plain.raw(&signature);
        let mut plain = plain.0;
        plain.resize(padded_len(plain.len()), 0);
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &header,
                },
            )
            .map_err(|_| TrustError::Malformed("bundle"))?;
        let mut out = header.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Seals a plaintext built elsewhere, unchecked: the fuzz target's way past the AEAD to
    /// the plaintext's reader. Never used to put a bundle.
    #[doc(hidden)]
    pub fn seal_plaintext(&self, kind: BundleKind, plain: &[u8], nonce: [u8; 24]) -> Vec<u8> {
        let header = BundleHeader {
            kind,
            epoch: self.epoch,
            topic: self.id,
            nonce,
        }
        .encode();
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &header,
                },
            )
            .unwrap_or_default();
        let mut out = header.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a bundle of this topic: the header must name this topic and epoch, the AEAD
    /// must hold, and the signature must hold for the signer it names. Whether the signer
    /// is a certified device of the street is the caller's to check.
    pub fn open(&self, sealed: &[u8]) -> Result<OpenedBundle, TrustError> {
        if sealed.len() > MAX_SEALED {
            return Err(TrustError::Malformed("bundle too large"));
        }
        let header = BundleHeader::decode(sealed)?;
        if header.topic != self.id || header.epoch != self.epoch {
            return Err(TrustError::BadSignature("bundle of another topic"));
        }
        let (aad, ciphertext) = sealed.split_at(HEADER_LEN);
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&header.nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| TrustError::BadSignature("bundle encryption"))?;
        if plain.len() < FIXED_PLAIN {
            return Err(TrustError::Malformed("bundle"));
        }
        let mut r = Reader::new(&plain, "bundle");
        let signer: [u8; 32] = r.array()?;
        let created_ms = r.i64()?;
        let len = r.u32()? as usize;
        if len > MAX_BODY {
            return Err(TrustError::Malformed("bundle"));
        }
        let body = r.take(len)?;
        let signature: [u8; 64] = r.array()?;
        if r.rest.iter().any(|b| *b != 0) {
            return Err(TrustError::Malformed("bundle padding"));
        }
        VerifyingKey::from_bytes(&signer)
            .map_err(|_| TrustError::BadSignature("bundle signer"))?
            .verify_strict(
                &signed_part(aad, &signer, created_ms, body),
                &Signature::from_bytes(&signature),
            )
            .map_err(|_| TrustError::BadSignature("bundle"))?;
        Ok(OpenedBundle {
            kind: header.kind,
            signer,
            created_ms,
            body: body.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch() -> EpochKey {
        EpochKey::first(&[7; 32])
    }

    #[test]
    fn a_sealed_bundle_opens_under_its_topic_and_names_its_signer() {
        let topic = epoch().topic("street:s");
        let device = SigningSecret::from_seed([1; 32]);
        let sealed = topic
            .seal(BundleKind::Changes, &device, 42, b"changes", [3; 24])
            .unwrap();
        let opened = topic.open(&sealed).unwrap();
        assert_eq!(opened.body, b"changes");
        assert_eq!(opened.signer, device.public());
        assert_eq!(opened.created_ms, 42);
        assert_eq!(opened.kind, BundleKind::Changes);
    }

    #[test]
    fn sizes_are_padded_to_a_power_of_two() {
        let topic = epoch().topic("street:s");
        let device = SigningSecret::from_seed([1; 32]);
        let small = topic
            .seal(BundleKind::Changes, &device, 0, &[1; 10], [0; 24])
            .unwrap();
        let larger = topic
            .seal(BundleKind::Changes, &device, 0, &[1; 800], [0; 24])
            .unwrap();
        assert_eq!(small.len(), larger.len());
        assert_eq!(small.len(), HEADER_LEN + 1024 + TAG_LEN);
        let big = topic
            .seal(BundleKind::Changes, &device, 0, &[1; 5000], [0; 24])
            .unwrap();
        assert_eq!(big.len(), HEADER_LEN + 8192 + TAG_LEN);
        // Above 1 MiB: Padmé, at most 12 % more, and never less than asked.
        for len in [1024 * 1024 + 1, 3_300_000, MAX_BODY + FIXED_PLAIN] {
            let padded = padded_len(len);
            assert!(
                padded >= len && padded <= len + len / 8,
                "{len} -> {padded}"
            );
            assert!(padded + HEADER_LEN + TAG_LEN <= MAX_SEALED);
        }
        assert_eq!(padded_len(3_300_000), padded_len(3_300_001));
    }

    #[test]
    fn a_flipped_byte_a_forged_signer_or_another_topic_does_not_open() {
        let key = epoch();
        let topic = key.topic("street:s");
        let device = SigningSecret::from_seed([1; 32]);
        let other = SigningSecret::from_seed([2; 32]);
        let sealed = topic
            .seal(BundleKind::Changes, &device, 0, b"changes", [3; 24])
            .unwrap();
        for i in [0, 5, 20, HEADER_LEN + 3, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(topic.open(&bad).is_err(), "flipped byte {i}");
        }
        // Replayed into another document's topic, or another epoch's.
        assert!(key.topic("minutes:m").open(&sealed).is_err());
        assert!(EpochKey::new(1, [9; 32])
            .topic("street:s")
            .open(&sealed)
            .is_err());
        // Signed by one device but naming another (someone who holds the topic key could
        // try): the signature does not hold.
        let mut plain = Writer::new();
        plain.raw(&device.public());
        plain.i64(0);
        plain.u32(7);
        plain.raw(b"changes");
        let header = BundleHeader {
            kind: BundleKind::Changes,
            epoch: 0,
            topic: topic.id,
            nonce: [4; 24],
        }
        .encode();
        plain.raw(&other.sign(&signed_part(&header, &device.public(), 0, b"changes")));
        let mut plain = plain.0;
        plain.resize(1024, 0);
        let cipher = XChaCha20Poly1305::new((&topic.key).into());
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&[4; 24]),
                Payload {
                    msg: &plain,
                    aad: &header,
                },
            )
            .unwrap();
        let mut forged = header.to_vec();
        forged.extend(ct);
        assert_eq!(topic.open(&forged), Err(TrustError::BadSignature("bundle")));
    }

    #[test]
    fn topics_differ_by_document_and_epoch_and_an_open_proof_binds_the_connection() {
        let key = epoch();
        let a = key.topic("street:s");
        assert_ne!(a.id, key.topic("minutes:m").id);
        assert_ne!(a.id, EpochKey::new(1, [9; 32]).topic("street:s").id);
        assert_eq!(a.id, epoch().topic("street:s").id);
        let proof = a.open_proof(b"hash one");
        assert!(verify_open(&a.id, b"hash one", &proof));
        assert!(!verify_open(&a.id, b"hash two", &proof));
        assert!(!verify_open(
            &key.topic("minutes:m").id,
            b"hash one",
            &proof
        ));
        assert_ne!(key.rendezvous("d1"), key.rendezvous("d2"));
    }
}
