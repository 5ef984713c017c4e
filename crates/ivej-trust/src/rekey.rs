//! A new epoch, when a member is removed: the street authority's signed word that epoch
//! `epoch` begins, with its key sealed to each device that stays, so a removed device
//! (which holds the old epoch's key, and sees the rekey in the old epoch's control topic)
//! can read no topic of the new one.
//!
//! Each grant seals the 32-byte epoch key to one device's X25519 key (its Noise static
//! key, which its certificate binds), with one ephemeral key per rekey and the rekey's
//! epoch and both public keys as the context ([`crate::sealed_to`]).

use ed25519_dalek::{Signature, VerifyingKey};

use crate::codec::{Reader, Writer};
use crate::keys::SigningSecret;
use crate::mailbox::EpochKey;
use crate::TrustError;

const MAGIC: &[u8; 4] = b"IVK1";
const DOMAIN_SIGN: &[u8] = b"industrivej rekey v1\0";
const DOMAIN_WRAP: &[u8] = b"industrivej epoch wrap v1\0";
/// Devices one rekey can carry (a street of a few hundred devices fits many times).
pub const MAX_GRANTS: usize = 10_000;
const GRANT_LEN: usize = 32 + 48;

/// The new epoch's key, sealed to one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The device's Noise (X25519) public key, as its certificate names it.
    pub device: [u8; 32],
    pub sealed: [u8; 48],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rekey {
    pub street_id: String,
    pub epoch: u32,
    /// How many revocations the authority had issued when it began the epoch: a device
    /// that knows of more waits for the next epoch before it puts anything in the mailbox
    /// (the removed device could still read what it put in this one).
    pub revocations: u32,
    pub issued_ms: i64,
    /// The ephemeral X25519 public key every grant was sealed with.
    pub ephemeral: [u8; 32],
    pub grants: Vec<Grant>,
    pub issuer: [u8; 32],
    pub signature: [u8; 64],
}

fn wrap_context(epoch: u32, ephemeral: &[u8; 32], device: &[u8; 32]) -> Vec<u8> {
    let mut context = Vec::with_capacity(68);
    context.extend_from_slice(&epoch.to_be_bytes());
    context.extend_from_slice(ephemeral);
    context.extend_from_slice(device);
    context
}

struct Body<'a> {
    street_id: &'a str,
    epoch: u32,
    revocations: u32,
    issued_ms: i64,
    ephemeral: &'a [u8; 32],
    grants: &'a [Grant],
}

fn body(w: &mut Writer, b: &Body<'_>) {
    let Body {
        street_id,
        epoch,
        revocations,
        issued_ms,
        ephemeral,
        grants,
    } = *b;
    w.raw(MAGIC);
    w.str(street_id);
    w.u32(epoch);
    w.u32(revocations);
    w.i64(issued_ms);
    w.raw(ephemeral);
    w.u32(grants.len().min(MAX_GRANTS) as u32);
    for g in grants.iter().take(MAX_GRANTS) {
        w.raw(&g.device);
        w.raw(&g.sealed);
    }
}

impl Rekey {
    /// Makes epoch `key.epoch` known to `devices` (their X25519 keys), signed by the
    /// street authority. `ephemeral_secret` must be fresh random bytes.
    pub fn new(
        authority: &SigningSecret,
        street_id: &str,
        key: &EpochKey,
        revocations: u32,
        devices: &[[u8; 32]],
        issued_ms: i64,
        ephemeral_secret: [u8; 32],
    ) -> Rekey {
        let ephemeral = crate::sealed_to::ephemeral_public(ephemeral_secret);
        let grants = devices
            .iter()
            .take(MAX_GRANTS)
            .map(|device| {
                let sealed = crate::sealed_to::seal(
                    device,
                    ephemeral_secret,
                    DOMAIN_WRAP,
                    &wrap_context(key.epoch, &ephemeral, device),
                    key.key(),
                );
                let mut out = [0u8; 48];
                if sealed.len() == 48 {
                    out.copy_from_slice(&sealed);
                }
                Grant {
                    device: *device,
                    sealed: out,
                }
            })
            .collect::<Vec<_>>();
        let mut w = Writer::new();
        w.raw(DOMAIN_SIGN);
        body(
            &mut w,
            &Body {
                street_id,
                epoch: key.epoch,
                revocations,
                issued_ms,
                ephemeral: &ephemeral,
                grants: &grants,
            },
        );
        Rekey {
            street_id: street_id.to_string(),
            epoch: key.epoch,
            revocations,
            issued_ms,
            ephemeral,
            grants,
            issuer: authority.public(),
            signature: authority.sign(&w.0),
        }
    }

    fn body(&self) -> Body<'_> {
        Body {
            street_id: &self.street_id,
            epoch: self.epoch,
            revocations: self.revocations,
            issued_ms: self.issued_ms,
            ephemeral: &self.ephemeral,
            grants: &self.grants,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        body(&mut w, &self.body());
        w.raw(&self.issuer);
        w.raw(&self.signature);
        w.0
    }

    pub fn decode(bytes: &[u8]) -> Result<Rekey, TrustError> {
        let mut r = Reader::new(bytes, "rekey");
        if r.take(4)? != MAGIC {
            return Err(TrustError::Malformed("rekey"));
        }
        let street_id = r.str(64)?;
        let epoch = r.u32()?;
        let revocations = r.u32()?;
        let issued_ms = r.i64()?;
        let ephemeral = r.array()?;
        let n = r.count(GRANT_LEN, MAX_GRANTS)?;
        let mut grants = Vec::with_capacity(n);
        for _ in 0..n {
            grants.push(Grant {
                device: r.array()?,
                sealed: r.array()?,
            });
        }
        let issuer = r.array()?;
        let signature = r.array()?;
        r.finish()?;
        Ok(Rekey {
            street_id,
            epoch,
            revocations,
            issued_ms,
            ephemeral,
            grants,
            issuer,
            signature,
        })
    }

    /// Whether the rekey is signed by `authority` for `street_id`.
    pub fn verify(&self, street_id: &str, authority: &[u8; 32]) -> Result<(), TrustError> {
        if self.street_id != street_id {
            return Err(TrustError::OtherStreet);
        }
        if &self.issuer != authority {
            return Err(TrustError::UnknownIssuer);
        }
        let mut w = Writer::new();
        w.raw(DOMAIN_SIGN);
        body(&mut w, &self.body());
        VerifyingKey::from_bytes(&self.issuer)
            .map_err(|_| TrustError::BadSignature("rekey issuer"))?
            .verify_strict(&w.0, &Signature::from_bytes(&self.signature))
            .map_err(|_| TrustError::BadSignature("rekey"))
    }

    /// The new epoch's key, for the device whose X25519 private key is `private`; `None`
    /// when the rekey holds no grant for it (it was removed) or the grant does not open.
    pub fn open(&self, private: &[u8; 32]) -> Option<EpochKey> {
        let device = crate::noise_public_key(private);
        let grant = self.grants.iter().find(|g| g.device == device)?;
        let key = crate::sealed_to::open(
            private,
            &self.ephemeral,
            DOMAIN_WRAP,
            &wrap_context(self.epoch, &self.ephemeral, &device),
            &grant.sealed,
        )?;
        Some(EpochKey::new(self.epoch, key.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_devices_that_stay_open_the_new_epoch() {
        let authority = SigningSecret::from_seed([1; 32]);
        let stays: [u8; 32] = [2; 32];
        let removed: [u8; 32] = [3; 32];
        let key = EpochKey::new(1, [9; 32]);
        let rekey = Rekey::new(
            &authority,
            "street",
            &key,
            1,
            &[crate::noise_public_key(&stays)],
            5,
            [4; 32],
        );
        let decoded = Rekey::decode(&rekey.encode()).unwrap();
        assert_eq!(decoded, rekey);
        decoded.verify("street", &authority.public()).unwrap();
        assert_eq!(decoded.open(&stays), Some(key));
        assert_eq!(decoded.open(&removed), None);
        // Signed by someone else, for another street, or altered: refused.
        assert!(decoded.verify("other", &authority.public()).is_err());
        assert!(decoded.verify("street", &[7; 32]).is_err());
        let mut altered = decoded.clone();
        altered.epoch = 2;
        assert!(altered.verify("street", &authority.public()).is_err());
        // A grant copied under the removed device's key does not open for it.
        let mut stolen = decoded;
        stolen.grants[0].device = crate::noise_public_key(&removed);
        assert_eq!(stolen.open(&removed), None);
    }

    #[test]
    fn lies_about_counts_are_refused() {
        let mut lie = MAGIC.to_vec();
        lie.extend(0u16.to_be_bytes());
        lie.extend(1u32.to_be_bytes());
        lie.extend(1u32.to_be_bytes());
        lie.extend(0i64.to_be_bytes());
        lie.extend([0; 32]);
        lie.extend(u32::MAX.to_be_bytes());
        assert!(Rekey::decode(&lie).is_err());
        assert!(Rekey::decode(b"IVK").is_err());
    }
}
