//! Who may be in a street and who wrote what: the street authority's key, device
//! certificates, revocations, and signatures over document changes.
//!
//! The facilitator's street authority key (Ed25519) is the root. It certifies devices
//! directly, or certifies an *enrolment* key that an invite carries, so that a new member's
//! device certifies itself without the facilitator online; a member's device may in turn
//! enrol further devices of its own organisation. A certificate binds a device's transport
//! key (Noise) and signing key to its organisation and role ([`Role`]); every change a
//! device makes to a document is signed with that signing key ([`ChangeSignature`]), and a
//! receiver checks the signature and the author's certificate ([`Membership`]) before it
//! takes the change.
//!
//! This crate decides nothing about documents or records (the node does) and does no IO:
//! it encodes, decodes, signs and verifies. Everything it decodes comes from peers, so a
//! decoder never panics and never allocates by a length the input declares.

mod cert;
mod codec;
mod envelope;
mod keys;
pub mod mailbox;
mod membership;
mod rekey;
mod revocation;
mod scope_keys;
mod sealed_to;

pub use cert::{CertKind, Certificate, CertificateFields, Role};
pub use envelope::{ChangeSignature, SignedSync};
pub use keys::{brokered_id, derived_device_id, derived_org_id, noise_public_key, SigningSecret};
pub use membership::{Identity, Membership, MAX_CHAIN};
pub use rekey::{Grant, Rekey, MAX_GRANTS};
pub use revocation::{Revocation, RevocationTarget};
pub use scope_keys::{GrantedKey, KeyGrant, KeyGrants, ScopeKey, MAX_DOC_ID, MAX_KEY_GRANTS};

/// Why something from a peer (or a stored file) is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("a signature that does not hold ({0})")]
    BadSignature(&'static str),
    #[error("a certificate for another street")]
    OtherStreet,
    #[error("a certificate whose issuer is not known here")]
    UnknownIssuer,
    #[error("a certificate chain longer than {0} links")]
    ChainTooLong(usize),
    #[error("a certificate its issuer may not give: {0}")]
    NotPermitted(String),
    #[error("revoked: {0}")]
    Revoked(String),
    #[error("the invite has been used up ({0} uses)")]
    UsedUp(u16),
    #[error("the invite expired")]
    Expired,
    #[error("not certified: {0}")]
    NotCertified(String),
}

/// Domain separation: a signature made for one purpose never verifies for another.
pub(crate) mod domain {
    pub const CERTIFICATE: &[u8] = b"industrivej certificate v1\0";
    pub const REVOCATION: &[u8] = b"industrivej revocation v1\0";
    pub const CHANGE: &[u8] = b"industrivej change v1\0";
}
