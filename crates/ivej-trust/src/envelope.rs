//! Signed changes, and the envelope a sync message travels in: the automerge message, a
//! signature for each change it carries, and the certificates of their authors (so a peer
//! can check changes that reached it through a third device).

use ed25519_dalek::{Signature, VerifyingKey};

use crate::cert::Certificate;
use crate::codec::{Reader, Writer};
use crate::keys::SigningSecret;
use crate::{domain, TrustError};

/// One change's signature: by its author's device key, or by the street authority (which
/// vouches for changes made before the street had certificates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeSignature {
    pub hash: [u8; 32],
    pub signer: [u8; 32],
    pub signature: [u8; 64],
}

fn signed_bytes(doc_id: &str, hash: &[u8; 32]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(domain::CHANGE);
    w.str(doc_id);
    w.raw(hash);
    w.0
}

impl ChangeSignature {
    /// Signs the change `hash` of document `doc_id` (bound to it, so a signature cannot be
    /// replayed in another document).
    pub fn sign(key: &SigningSecret, doc_id: &str, hash: [u8; 32]) -> Self {
        ChangeSignature {
            hash,
            signer: key.public(),
            signature: key.sign(&signed_bytes(doc_id, &hash)),
        }
    }

    pub fn verify(&self, doc_id: &str) -> Result<(), TrustError> {
        VerifyingKey::from_bytes(&self.signer)
            .map_err(|_| TrustError::BadSignature("change signer"))?
            .verify_strict(
                &signed_bytes(doc_id, &self.hash),
                &Signature::from_bytes(&self.signature),
            )
            .map_err(|_| TrustError::BadSignature("change"))
    }

    pub const ENCODED_LEN: usize = 128;

    pub fn to_bytes(&self) -> [u8; 128] {
        let mut out = [0u8; 128];
        out[..32].copy_from_slice(&self.hash);
        out[32..64].copy_from_slice(&self.signer);
        out[64..].copy_from_slice(&self.signature);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TrustError> {
        let mut r = Reader::new(bytes, "change signature");
        let sig = ChangeSignature {
            hash: r.array()?,
            signer: r.array()?,
            signature: r.array()?,
        };
        r.finish()?;
        Ok(sig)
    }
}

/// A sync message with what a receiver needs to check its changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedSync {
    /// The automerge sync message.
    pub payload: Vec<u8>,
    pub signatures: Vec<ChangeSignature>,
    /// Certificates of the authors (root first), encoded.
    pub certificates: Vec<Certificate>,
}

const MAGIC: &[u8; 4] = b"IVS1";
/// A first sync of a large street carries a few thousand changes.
const MAX_SIGNATURES: usize = 1_000_000;
const MAX_CERTIFICATES: usize = 10_000;

impl SignedSync {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(MAGIC);
        let n = self.signatures.len().min(MAX_SIGNATURES);
        w.u32(n as u32);
        for s in &self.signatures[..n] {
            w.raw(&s.to_bytes());
        }
        let n = self.certificates.len().min(MAX_CERTIFICATES);
        w.u32(n as u32);
        for c in &self.certificates[..n] {
            w.bytes(&c.encode());
        }
        w.raw(&self.payload);
        w.0
    }

    /// Decodes an envelope. Certificates are decoded (and their signatures checked);
    /// change signatures are checked by the caller, which knows the document.
    pub fn decode(bytes: &[u8]) -> Result<SignedSync, TrustError> {
        let mut r = Reader::new(bytes, "signed sync message");
        if r.take(4)? != MAGIC {
            return Err(TrustError::Malformed("signed sync message"));
        }
        let n = r.count(ChangeSignature::ENCODED_LEN, MAX_SIGNATURES)?;
        let mut signatures = Vec::with_capacity(n);
        for _ in 0..n {
            signatures.push(ChangeSignature::from_bytes(
                r.take(ChangeSignature::ENCODED_LEN)?,
            )?);
        }
        let n = r.count(2, MAX_CERTIFICATES)?;
        let mut certificates = Vec::with_capacity(n);
        for _ in 0..n {
            certificates.push(Certificate::decode(r.bytes()?)?);
        }
        Ok(SignedSync {
            payload: r.rest.to_vec(),
            signatures,
            certificates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_signature_holds_only_for_its_document_and_hash() {
        let key = SigningSecret::from_seed([5; 32]);
        let sig = ChangeSignature::sign(&key, "street:s", [1; 32]);
        assert!(sig.verify("street:s").is_ok());
        assert!(sig.verify("private:o").is_err());
        let mut other = sig;
        other.hash[0] ^= 1;
        assert!(other.verify("street:s").is_err());
        assert_eq!(ChangeSignature::from_bytes(&sig.to_bytes()).unwrap(), sig);
    }

    #[test]
    fn an_envelope_round_trips_and_lies_about_counts_are_refused() {
        let key = SigningSecret::from_seed([5; 32]);
        let env = SignedSync {
            payload: vec![1, 2, 3],
            signatures: vec![ChangeSignature::sign(&key, "d", [1; 32])],
            certificates: vec![],
        };
        assert_eq!(SignedSync::decode(&env.encode()).unwrap(), env);
        let mut lie = b"IVS1".to_vec();
        lie.extend(u32::MAX.to_be_bytes());
        assert!(SignedSync::decode(&lie).is_err());
        assert!(SignedSync::decode(b"IVS").is_err());
        assert!(SignedSync::decode(b"XXXX\0\0\0\0\0\0\0\0").is_err());
    }
}
