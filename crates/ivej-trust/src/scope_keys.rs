//! Keys of the documents only some members may read (a company's private document, posts
//! for some, minutes in confidence), for the relay's mailbox: the epoch key opens what
//! every member reads, a [`ScopeKey`] what the readers of one document read.
//!
//! A scope key is random, made by a reader when the document first goes into the mailbox
//! in an epoch, and sealed to each other reader device's X25519 key ([`KeyGrants`]).
//! Grants travel in the epoch's control topic, inside a bundle the granting device signs:
//! whether that device may read the document (and so grant its key) is the node's to
//! check, since only the node knows who reads what.
//!
//! Each grant carries the key's [`ScopeKey::tag`] in the open (to members of the epoch; the
//! relay sees only the sealed bundle): a device holding the key can tell which devices
//! were granted it and grant it only to those that were not. The document's id is sealed
//! with the key, so a member without the key does not learn which document a grant is for.

use crate::codec::{Reader, Writer};
use crate::mailbox::{derive, EpochKey, Topic};
use crate::TrustError;

const MAGIC: &[u8; 4] = b"IVG1";
const DOMAIN_WRAP: &[u8] = b"industrivej scope key wrap v1\0";
const DOMAIN_TAG: &[u8] = b"industrivej scope key tag v1\0";
/// Grants one bundle carries.
pub const MAX_KEY_GRANTS: usize = 10_000;
/// The longest document id a grant names: a post's document for 20 named organisations
/// (`scope:` and 21 ids of 36 characters with separators) is about 790 bytes.
pub const MAX_DOC_ID: usize = 1024;
/// Device, tag, ephemeral key, and the sealed part's length.
const GRANT_MIN: usize = 32 + 16 + 32 + 2;
const SEALED_MAX: usize = 2 + MAX_DOC_ID + 32 + 16;

/// The key of one document's mailbox in one epoch, held only by its readers.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopeKey {
    pub epoch: u32,
    key: [u8; 32],
}

impl std::fmt::Debug for ScopeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("ScopeKey")
            .field("epoch", &self.epoch)
            .field("tag", &hex(&self.tag()[..4]))
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ScopeKey {
    /// `key` must be fresh random bytes (or a key a grant brought).
    pub fn new(epoch: u32, key: [u8; 32]) -> ScopeKey {
        ScopeKey { epoch, key }
    }

    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The document's mailbox under this key.
    pub fn topic(&self, doc_id: &str) -> Topic {
        EpochKey::new(self.epoch, self.key).topic(doc_id)
    }

    /// What names the key among its grants: one-way, so it shows nothing of the key.
    pub fn tag(&self) -> [u8; 16] {
        let full = derive(&self.key, DOMAIN_TAG, &self.epoch.to_be_bytes());
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        tag
    }
}

/// One document's key, sealed to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    /// The device's Noise (X25519) public key, as its certificate names it.
    pub device: [u8; 32],
    /// The key's [`ScopeKey::tag`].
    pub tag: [u8; 16],
    pub ephemeral: [u8; 32],
    /// The document's id and the key.
    pub sealed: Vec<u8>,
}

/// Keys of documents only some may read, sealed to devices that may read them: the body
/// of a bundle in an epoch's control topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrants {
    pub street_id: String,
    pub epoch: u32,
    pub grants: Vec<KeyGrant>,
}

/// A grant opened: the document and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedKey {
    pub doc_id: String,
    pub key: ScopeKey,
}

fn wrap_context(street_id: &str, epoch: u32, ephemeral: &[u8; 32], device: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.str(street_id);
    w.u32(epoch);
    w.raw(ephemeral);
    w.raw(device);
    w.0
}

impl KeyGrants {
    /// Whether a control bundle's body is grants (and not a rekey).
    pub fn is_grants(body: &[u8]) -> bool {
        body.starts_with(MAGIC)
    }

    /// Seals each `(device, document id, key)`; `fresh` gives fresh random bytes (one
    /// ephemeral key per grant). Keys of another epoch and ids longer than [`MAX_DOC_ID`] bytes are
    /// left out, and at most [`MAX_KEY_GRANTS`] are sealed.
    pub fn seal(
        street_id: &str,
        epoch: u32,
        items: &[([u8; 32], &str, &ScopeKey)],
        mut fresh: impl FnMut() -> [u8; 32],
    ) -> KeyGrants {
        let grants = items
            .iter()
            .filter(|(_, doc_id, key)| key.epoch == epoch && doc_id.len() <= MAX_DOC_ID)
            .take(MAX_KEY_GRANTS)
            .map(|(device, doc_id, key)| {
                let secret = fresh();
                let ephemeral = crate::sealed_to::ephemeral_public(secret);
                let mut plain = Writer::new();
                plain.str(doc_id);
                plain.raw(key.key());
                KeyGrant {
                    device: *device,
                    tag: key.tag(),
                    ephemeral,
                    sealed: crate::sealed_to::seal(
                        device,
                        secret,
                        DOMAIN_WRAP,
                        &wrap_context(street_id, epoch, &ephemeral, device),
                        &plain.0,
                    ),
                }
            })
            .collect();
        KeyGrants {
            street_id: street_id.to_string(),
            epoch,
            grants,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(MAGIC);
        w.str(&self.street_id);
        w.u32(self.epoch);
        let grants = &self.grants[..self.grants.len().min(MAX_KEY_GRANTS)];
        w.u32(grants.len() as u32);
        for g in grants {
            w.raw(&g.device);
            w.raw(&g.tag);
            w.raw(&g.ephemeral);
            w.bytes(&g.sealed);
        }
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<KeyGrants, TrustError> {
        let mut r = Reader::new(bytes, "key grants");
        if r.take(4)? != MAGIC {
            return Err(TrustError::Malformed("key grants"));
        }
        let street_id = r.str(64)?;
        let epoch = r.u32()?;
        let n = r.count(GRANT_MIN, MAX_KEY_GRANTS)?;
        let mut grants = Vec::with_capacity(n);
        for _ in 0..n {
            let device = r.array()?;
            let tag = r.array()?;
            let ephemeral = r.array()?;
            let sealed = r.bytes()?;
            if sealed.len() > SEALED_MAX {
                return Err(TrustError::Malformed("key grants"));
            }
            grants.push(KeyGrant {
                device,
                tag,
                ephemeral,
                sealed: sealed.to_vec(),
            });
        }
        r.finish()?;
        Ok(KeyGrants {
            street_id,
            epoch,
            grants,
        })
    }

    /// The keys granted to the device whose X25519 private key is `private`, for
    /// `street_id`: each grant that names it, opens, and whose key's tag is the one shown.
    pub fn open(&self, street_id: &str, private: &[u8; 32]) -> Vec<GrantedKey> {
        if self.street_id != street_id {
            return Vec::new();
        }
        let device = crate::noise_public_key(private);
        self.grants
            .iter()
            .filter(|g| g.device == device)
            .filter_map(|g| {
                let plain = crate::sealed_to::open(
                    private,
                    &g.ephemeral,
                    DOMAIN_WRAP,
                    &wrap_context(street_id, self.epoch, &g.ephemeral, &device),
                    &g.sealed,
                )?;
                let mut r = Reader::new(&plain, "key grant");
                let doc_id = r.str(MAX_DOC_ID).ok()?;
                let key = ScopeKey::new(self.epoch, r.array().ok()?);
                r.finish().ok()?;
                (key.tag() == g.tag).then_some(GrantedKey { doc_id, key })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> [u8; 32] {
        let mut n = 0u8;
        move || {
            n = n.wrapping_add(1);
            [n; 32]
        }
    }

    #[test]
    fn a_key_opens_for_the_devices_it_was_sealed_to_and_no_other() {
        let (reader, other_reader, outsider) = ([2u8; 32], [3u8; 32], [4u8; 32]);
        let key = ScopeKey::new(1, [9; 32]);
        let minutes = ScopeKey::new(1, [8; 32]);
        let grants = KeyGrants::seal(
            "street",
            1,
            &[
                (crate::noise_public_key(&reader), "scope:o1:o2", &key),
                (crate::noise_public_key(&other_reader), "scope:o1:o2", &key),
                (crate::noise_public_key(&reader), "minutes:m", &minutes),
            ],
            counter(),
        );
        let decoded = KeyGrants::decode(&grants.encode()).unwrap();
        assert_eq!(decoded, grants);
        assert!(KeyGrants::is_grants(&grants.encode()));
        let opened = decoded.open("street", &reader);
        assert_eq!(
            opened,
            vec![
                GrantedKey {
                    doc_id: "scope:o1:o2".into(),
                    key: key.clone()
                },
                GrantedKey {
                    doc_id: "minutes:m".into(),
                    key: minutes
                }
            ]
        );
        assert_eq!(decoded.open("street", &other_reader).len(), 1);
        assert!(decoded.open("street", &outsider).is_empty());
        // For another street, nothing opens.
        assert!(decoded.open("other", &reader).is_empty());
        // Each grant shows the key's tag, not the key; the document's id is sealed.
        let bytes = grants.encode();
        assert!(!bytes.windows(32).any(|w| w == key.key()));
        assert!(!bytes.windows(11).any(|w| w == b"scope:o1:o2"));
        assert_eq!(decoded.grants[0].tag, key.tag());
        assert_ne!(key.tag(), ScopeKey::new(2, [9; 32]).tag());
    }

    #[test]
    fn a_grant_moved_to_another_device_altered_or_of_another_epoch_does_not_open() {
        let (reader, outsider) = ([2u8; 32], [4u8; 32]);
        let key = ScopeKey::new(1, [9; 32]);
        let grants = KeyGrants::seal(
            "street",
            1,
            &[(crate::noise_public_key(&reader), "private:o1", &key)],
            counter(),
        );
        let mut moved = grants.clone();
        moved.grants[0].device = crate::noise_public_key(&outsider);
        assert!(moved.open("street", &outsider).is_empty());
        let mut altered = grants.clone();
        altered.grants[0].sealed[3] ^= 1;
        assert!(altered.open("street", &reader).is_empty());
        let mut other_epoch = grants.clone();
        other_epoch.epoch = 2;
        assert!(other_epoch.open("street", &reader).is_empty());
        // A tag that is not the key's: refused, so no one can make a holder look like
        // it holds another key.
        let mut wrong_tag = grants;
        wrong_tag.grants[0].tag = [0; 16];
        assert!(wrong_tag.open("street", &reader).is_empty());
        // A key of another epoch is never sealed.
        let stale = ScopeKey::new(0, [9; 32]);
        let none = KeyGrants::seal(
            "street",
            1,
            &[(crate::noise_public_key(&reader), "private:o1", &stale)],
            counter(),
        );
        assert!(none.grants.is_empty());
    }

    #[test]
    fn lies_about_counts_and_lengths_are_refused() {
        let mut lie = MAGIC.to_vec();
        lie.extend(1u16.to_be_bytes());
        lie.push(b's');
        lie.extend(1u32.to_be_bytes());
        lie.extend(u32::MAX.to_be_bytes());
        assert!(KeyGrants::decode(&lie).is_err());
        let mut long = MAGIC.to_vec();
        long.extend(1u16.to_be_bytes());
        long.push(b's');
        long.extend(1u32.to_be_bytes());
        long.extend(1u32.to_be_bytes());
        long.extend([0; 80]);
        long.extend(4000u16.to_be_bytes());
        long.extend(vec![0; 4000]);
        assert!(KeyGrants::decode(&long).is_err());
        assert!(KeyGrants::decode(b"IVG").is_err());
        assert!(!KeyGrants::is_grants(b"IVK1"));
    }
}
