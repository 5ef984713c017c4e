//! Keys: a signing key from a 32-byte seed, a Noise public key from its private key, and
//! the id of an organisation that an enrolment creates.

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

/// An Ed25519 signing key (a device's, an enrolment's, or the street authority's).
#[derive(Clone)]
pub struct SigningSecret(SigningKey);

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_tuple("SigningSecret")
            .field(&crate::membership::short(&self.public()))
            .finish()
    }
}

impl SigningSecret {
    /// The key of a 32-byte seed (from the operating system's random source, or stored).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        SigningSecret(SigningKey::from_bytes(&seed))
    }

    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }
}

/// The X25519 public key of a Noise static private key (what the handshake proves).
pub fn noise_public_key(private: &[u8; 32]) -> [u8; 32] {
    curve25519_dalek::montgomery::MontgomeryPoint::mul_base_clamped(*private).to_bytes()
}

/// A device's id, derived from its signing key: no device can carry another's id, since
/// a certificate whose id is not its key's is refused.
pub fn derived_device_id(sign_key: &[u8; 32]) -> String {
    uuid_shaped(b"industrivej device v1\0", &[sign_key])
}

fn uuid_shaped(domain: &[u8], parts: &[&[u8; 32]]) -> String {
    let mut hasher = Sha256::new().chain_update(domain);
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The id of the organisation a device founds with an enrolment for new organisations:
/// derived from both keys, so no enrolment can be used to claim an existing organisation.
/// Shaped as a UUID (version 8, custom), like every other id.
pub fn derived_org_id(enrolment: &[u8; 32], device: &[u8; 32]) -> String {
    uuid_shaped(b"industrivej organisation v1\0", &[enrolment, device])
}

/// The id under which a facilitator's device passes on a record it brokers (the copy of an
/// anonymous need, interest passed on to a need's author): the same on every facilitator
/// device, and telling nothing of `original` to anyone who does not already hold it.
pub fn brokered_id(original: &str) -> String {
    let inner: [u8; 32] = Sha256::digest(original.as_bytes()).into();
    uuid_shaped(b"industrivej brokered v1\0", &[&inner])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_noise_public_key_is_the_x25519_one() {
        // RFC 7748, section 6.1: Alice's keys.
        let private: [u8; 32] = [
            0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2,
            0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5,
            0x1d, 0xb9, 0x2c, 0x2a,
        ];
        let public: [u8; 32] = [
            0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e,
            0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e,
            0xaa, 0x9b, 0x4e, 0x6a,
        ];
        assert_eq!(noise_public_key(&private), public);
    }

    #[test]
    fn a_derived_organisation_id_is_a_uuid_unique_to_its_keys() {
        let a = derived_org_id(&[1; 32], &[2; 32]);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'8');
        assert_ne!(a, derived_org_id(&[1; 32], &[3; 32]));
        assert_eq!(a, derived_org_id(&[1; 32], &[2; 32]));
    }
}
