//! Sealing a secret to one device's X25519 key, the way rekeys and scope-key grants do:
//! an ephemeral X25519 key, the shared secret with the device's key, a wrapping key
//! derived from it under a domain and a context that names both public keys, and
//! XChaCha20-Poly1305 over the secret. HPKE's base mode in outline (RFC 9180), built from
//! the primitives this crate already has.

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use curve25519_dalek::montgomery::MontgomeryPoint;

/// The public half of an ephemeral secret.
pub(crate) fn ephemeral_public(ephemeral_secret: [u8; 32]) -> [u8; 32] {
    MontgomeryPoint::mul_base_clamped(ephemeral_secret).to_bytes()
}

fn cipher(shared: &[u8; 32], domain: &[u8], context: &[u8]) -> XChaCha20Poly1305 {
    let wrap = crate::mailbox::derive(shared, domain, context);
    XChaCha20Poly1305::new((&wrap).into())
}

/// Seals `plain` to `device`. `context` must name the ephemeral and the device's public
/// keys, so every wrapping key seals once and a fixed nonce is safe.
pub(crate) fn seal(
    device: &[u8; 32],
    ephemeral_secret: [u8; 32],
    domain: &[u8],
    context: &[u8],
    plain: &[u8],
) -> Vec<u8> {
    let shared = MontgomeryPoint(*device)
        .mul_clamped(ephemeral_secret)
        .to_bytes();
    cipher(&shared, domain, context)
        .encrypt(XNonce::from_slice(&[0; 24]), plain)
        .unwrap_or_default()
}

/// Opens what [`seal`] sealed to the device whose X25519 private key is `private`; `None`
/// when it does not open (sealed to another device, or altered).
pub(crate) fn open(
    private: &[u8; 32],
    ephemeral: &[u8; 32],
    domain: &[u8],
    context: &[u8],
    sealed: &[u8],
) -> Option<Vec<u8>> {
    let shared = MontgomeryPoint(*ephemeral).mul_clamped(*private).to_bytes();
    cipher(&shared, domain, context)
        .decrypt(XNonce::from_slice(&[0; 24]), sealed)
        .ok()
}
