//! Certificates: who a key belongs to, and what it may do, signed by whoever certified it.

use ed25519_dalek::{Signature, VerifyingKey};

use crate::codec::{Reader, Writer};
use crate::keys::SigningSecret;
use crate::{domain, TrustError};

/// What a device may do in a street. Ordered: a facilitator may do what a member may, a
/// member what an observer may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads what the street shares; writes nothing.
    Observer,
    /// Writes its own organisation's records.
    Member,
    /// Runs the street: settings, membership, meetings, and acting for members.
    Facilitator,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Observer => "observer",
            Role::Member => "member",
            Role::Facilitator => "facilitator",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "observer" => Some(Role::Observer),
            "member" => Some(Role::Member),
            "facilitator" => Some(Role::Facilitator),
            _ => None,
        }
    }

    fn code(self) -> u8 {
        match self {
            Role::Observer => 1,
            Role::Member => 2,
            Role::Facilitator => 3,
        }
    }

    fn from_code(code: u8) -> Option<Role> {
        match code {
            1 => Some(Role::Observer),
            2 => Some(Role::Member),
            3 => Some(Role::Facilitator),
            _ => None,
        }
    }
}

/// What a certificate's subject key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// A one-time key an invite carries: it may certify up to `uses` devices, until
    /// `expires_ms`, of organisation `org` (or, when `org` is empty, each of a new
    /// organisation whose id derives from the enrolment and the device).
    Enrolment,
    /// A device: its signing key (the subject) and its transport key.
    Device,
}

/// A certificate's content, before it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFields {
    pub kind: CertKind,
    pub street_id: String,
    /// The Ed25519 public key certified.
    pub subject: [u8; 32],
    /// A device's Noise static public key (zeros for an enrolment).
    pub noise_key: [u8; 32],
    /// A device's id (empty for an enrolment).
    pub device_id: String,
    /// The organisation (empty for an enrolment of new organisations).
    pub org_id: String,
    pub role: Role,
    /// How many devices an enrolment may certify (0 for a device).
    pub uses: u16,
    pub issued_ms: i64,
    /// 0: no expiry.
    pub expires_ms: i64,
    /// A device's name as its owner gave it (for lists; at most 64 bytes).
    pub label: String,
}

/// Signed [`CertificateFields`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub fields: CertificateFields,
    /// The public key that signed it: the street authority, an enrolment or a device.
    pub issuer: [u8; 32],
    pub signature: [u8; 64],
}

const VERSION: u8 = 1;
const MAX_ID: usize = 64;

impl CertificateFields {
    fn encode_into(&self, w: &mut Writer) {
        w.u8(VERSION);
        w.u8(match self.kind {
            CertKind::Enrolment => 1,
            CertKind::Device => 2,
        });
        w.str(&self.street_id);
        w.raw(&self.subject);
        w.raw(&self.noise_key);
        w.str(&self.device_id);
        w.str(&self.org_id);
        w.u8(self.role.code());
        w.u16(self.uses);
        w.i64(self.issued_ms);
        w.i64(self.expires_ms);
        w.str(&self.label);
    }

    fn signed_bytes(&self, issuer: &[u8; 32]) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(domain::CERTIFICATE);
        self.encode_into(&mut w);
        w.raw(issuer);
        w.0
    }

    /// Signs these fields with `issuer`'s key.
    pub fn sign(self, issuer: &SigningSecret) -> Certificate {
        let issuer_key = issuer.public();
        let signature = issuer.sign(&self.signed_bytes(&issuer_key));
        Certificate {
            fields: self,
            issuer: issuer_key,
            signature,
        }
    }
}

impl Certificate {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.fields.encode_into(&mut w);
        w.raw(&self.issuer);
        w.raw(&self.signature);
        w.0
    }

    /// Decodes a certificate; its signature is checked too, so a decoded certificate was
    /// at least made by the holder of `issuer` (whether that issuer may give it is
    /// [`crate::Membership`]'s question).
    pub fn decode(bytes: &[u8]) -> Result<Certificate, TrustError> {
        let mut r = Reader::new(bytes, "certificate");
        if r.u8()? != VERSION {
            return Err(TrustError::Malformed("certificate version"));
        }
        let kind = match r.u8()? {
            1 => CertKind::Enrolment,
            2 => CertKind::Device,
            _ => return Err(TrustError::Malformed("certificate kind")),
        };
        let fields = CertificateFields {
            kind,
            street_id: r.str(MAX_ID)?,
            subject: r.array()?,
            noise_key: r.array()?,
            device_id: r.str(MAX_ID)?,
            org_id: r.str(MAX_ID)?,
            role: Role::from_code(r.u8()?).ok_or(TrustError::Malformed("certificate role"))?,
            uses: r.u16()?,
            issued_ms: r.i64()?,
            expires_ms: r.i64()?,
            label: r.str(MAX_ID)?,
        };
        let issuer = r.array()?;
        let signature = r.array()?;
        r.finish()?;
        let cert = Certificate {
            fields,
            issuer,
            signature,
        };
        cert.verify_signature()?;
        Ok(cert)
    }

    fn verify_signature(&self) -> Result<(), TrustError> {
        let key = VerifyingKey::from_bytes(&self.issuer)
            .map_err(|_| TrustError::BadSignature("certificate issuer"))?;
        key.verify_strict(
            &self.fields.signed_bytes(&self.issuer),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| TrustError::BadSignature("certificate"))
    }

    pub fn subject(&self) -> [u8; 32] {
        self.fields.subject
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CertificateFields {
        CertificateFields {
            kind: CertKind::Device,
            street_id: "s1".into(),
            subject: SigningSecret::from_seed([2; 32]).public(),
            noise_key: [3; 32],
            device_id: "d1".into(),
            org_id: "o1".into(),
            role: Role::Member,
            uses: 0,
            issued_ms: 10,
            expires_ms: 0,
            label: "laptop".into(),
        }
    }

    #[test]
    fn a_certificate_round_trips_and_any_flipped_byte_is_refused() {
        let authority = SigningSecret::from_seed([1; 32]);
        let cert = fields().sign(&authority);
        let bytes = cert.encode();
        assert_eq!(Certificate::decode(&bytes).unwrap(), cert);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(Certificate::decode(&bad).is_err(), "byte {i}");
        }
        assert!(Certificate::decode(&bytes[..bytes.len() - 1]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Certificate::decode(&longer).is_err());
    }

    #[test]
    fn roles_are_ordered_by_what_they_may_do() {
        assert!(Role::Facilitator > Role::Member && Role::Member > Role::Observer);
        for role in [Role::Observer, Role::Member, Role::Facilitator] {
            assert_eq!(Role::parse(role.name()), Some(role));
        }
    }
}
