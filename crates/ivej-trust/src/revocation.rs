//! Revocations: the street authority's signed word that a device, an enrolment (and what
//! it enrolled) or a whole organisation is out. They only ever grow.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::codec::{Reader, Writer};
use crate::keys::SigningSecret;
use crate::{domain, TrustError};

/// What a revocation puts out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RevocationTarget {
    /// One device, by its signing key, and every device it enrolled.
    Device([u8; 32]),
    /// An invite's enrolment key: devices not yet enrolled with it cannot be, and those
    /// that were are out too.
    Enrolment([u8; 32]),
    /// Every device of an organisation.
    Organisation(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub street_id: String,
    pub target: RevocationTarget,
    pub issued_ms: i64,
    /// The changes of the revoked devices made before the revocation (those the
    /// facilitator held, by hash): peers still take them, so work built on them is not
    /// stranded. Anything else of theirs is refused, also a change passed off under a
    /// sequence number the cut covers.
    pub cut: Vec<[u8; 32]>,
    pub issuer: [u8; 32],
    pub signature: [u8; 64],
}

const VERSION: u8 = 1;
const MAX_CUT: usize = 100_000;

fn encode_body(
    w: &mut Writer,
    street_id: &str,
    target: &RevocationTarget,
    issued_ms: i64,
    cut: &[[u8; 32]],
) {
    w.u8(VERSION);
    w.str(street_id);
    match target {
        RevocationTarget::Device(key) => {
            w.u8(1);
            w.raw(key);
        }
        RevocationTarget::Enrolment(key) => {
            w.u8(2);
            w.raw(key);
        }
        RevocationTarget::Organisation(org) => {
            w.u8(3);
            w.str(org);
        }
    }
    w.i64(issued_ms);
    let n = cut.len().min(MAX_CUT);
    w.u32(n as u32);
    for hash in &cut[..n] {
        w.raw(hash);
    }
}

impl Revocation {
    /// Signs a revocation with the street authority's key.
    pub fn sign(
        authority: &SigningSecret,
        street_id: &str,
        target: RevocationTarget,
        issued_ms: i64,
        cut: Vec<[u8; 32]>,
    ) -> Revocation {
        let issuer = authority.public();
        let mut w = Writer::new();
        w.raw(domain::REVOCATION);
        encode_body(&mut w, street_id, &target, issued_ms, &cut);
        w.raw(&issuer);
        Revocation {
            street_id: street_id.to_string(),
            target,
            issued_ms,
            cut,
            issuer,
            signature: authority.sign(&w.0),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        encode_body(
            &mut w,
            &self.street_id,
            &self.target,
            self.issued_ms,
            &self.cut,
        );
        w.raw(&self.issuer);
        w.raw(&self.signature);
        w.0
    }

    /// Decodes a revocation and checks that its issuer signed it (whether the issuer is
    /// the street's authority is [`crate::Membership`]'s question).
    pub fn decode(bytes: &[u8]) -> Result<Revocation, TrustError> {
        let mut r = Reader::new(bytes, "revocation");
        if r.u8()? != VERSION {
            return Err(TrustError::Malformed("revocation version"));
        }
        let street_id = r.str(64)?;
        let target = match r.u8()? {
            1 => RevocationTarget::Device(r.array()?),
            2 => RevocationTarget::Enrolment(r.array()?),
            3 => RevocationTarget::Organisation(r.str(64)?),
            _ => return Err(TrustError::Malformed("revocation target")),
        };
        let issued_ms = r.i64()?;
        let n = r.count(32, MAX_CUT)?;
        let mut cut = Vec::with_capacity(n);
        for _ in 0..n {
            cut.push(r.array()?);
        }
        let issuer: [u8; 32] = r.array()?;
        let signature: [u8; 64] = r.array()?;
        r.finish()?;
        let mut w = Writer::new();
        w.raw(domain::REVOCATION);
        encode_body(&mut w, &street_id, &target, issued_ms, &cut);
        w.raw(&issuer);
        VerifyingKey::from_bytes(&issuer)
            .map_err(|_| TrustError::BadSignature("revocation issuer"))?
            .verify_strict(&w.0, &Signature::from_bytes(&signature))
            .map_err(|_| TrustError::BadSignature("revocation"))?;
        Ok(Revocation {
            street_id,
            target,
            issued_ms,
            cut,
            issuer,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_round_trips_and_a_changed_one_is_refused() {
        let authority = SigningSecret::from_seed([1; 32]);
        let rev = Revocation::sign(
            &authority,
            "s1",
            RevocationTarget::Organisation("o2".into()),
            5,
            vec![[7; 32], [8; 32]],
        );
        let bytes = rev.encode();
        assert_eq!(Revocation::decode(&bytes).unwrap(), rev);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x40;
            assert!(Revocation::decode(&bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn a_declared_count_the_bytes_cannot_hold_is_refused_before_allocating() {
        let mut w = Writer::new();
        w.u8(VERSION);
        w.str("s1");
        w.u8(3);
        w.str("o");
        w.i64(0);
        w.u32(u32::MAX);
        assert!(Revocation::decode(&w.0).is_err());
    }
}
