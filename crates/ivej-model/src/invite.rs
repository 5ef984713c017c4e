//! Invites: what a new device needs to join a street, as a text code people can paste
//! or scan (the CLI and the app also draw it as a QR code).
//!
//! An invite carries a one-time *enrolment* key and its certificate from the street's
//! authority (or, for another device of a member, from one of that member's devices): the
//! joining device certifies itself with it, without the facilitator online. The
//! certificate says how many devices it may enrol, until when, of which organisation and in
//! which role; peers enforce that. The code also carries the street secret (the transport's
//! pre-shared key), so it is still handed over in person or over a channel one trusts.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What joining needs. The certificates are in `ivej-trust`'s encoding: this crate only
/// carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The street's id (a UUID).
    pub street_id: String,
    /// The street secret: the pre-shared key of every session.
    pub secret: [u8; 32],
    /// The street authority's public key: the root of every certificate in the street.
    pub authority_key: [u8; 32],
    /// The seed of the one-time enrolment key.
    pub enrolment_seed: [u8; 32],
    /// The enrolment key's certificate.
    pub enrolment: Vec<u8>,
    /// The certificates between the authority and the enrolment, root first (empty when the
    /// authority issued the enrolment).
    pub issuers: Vec<Vec<u8>>,
    /// For a further device of the facilitator: the authority's own seed.
    pub authority_seed: Option<[u8; 32]>,
    /// Where to reach a peer when multicast discovery is blocked (`host:port`).
    pub address: Option<String>,
    /// The street's relay, for members on other networks.
    pub relay: Option<RelayRef>,
    /// The relay mailbox's current epoch, once a removal began one after the first (the
    /// first derives from `secret`).
    pub epoch: Option<InviteEpoch>,
}

/// An epoch of the relay's mailbox, as an invite hands it on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InviteEpoch {
    pub number: u32,
    pub key: [u8; 32],
    /// Revocations issued when it began.
    pub revocations: u32,
}

/// A relay: where it is (`host:port`) and the static key it must prove (pinned, so no
/// certificate authority is needed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RelayRef {
    pub address: String,
    pub key: [u8; 32],
}

impl RelayRef {
    /// The key as 64 hexadecimal digits, as `ivej relay serve` prints it.
    pub fn key_hex(&self) -> String {
        crate::hex::encode(&self.key)
    }

    /// From `host:port` and the key as 64 hexadecimal digits.
    pub fn parse(address: &str, key_hex: &str) -> Option<RelayRef> {
        let address = address.trim();
        let (host, port) = address.rsplit_once(':')?;
        if host.is_empty() || port.parse::<u16>().ok()? == 0 || address.len() > 255 {
            return None;
        }
        let key: [u8; 32] = crate::hex::decode(key_hex.trim())?.try_into().ok()?;
        Some(RelayRef {
            address: address.to_string(),
            key,
        })
    }
}

/// Why an invite code could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    #[error("this is not an Industrivej invite code (it should start with IVEJ-)")]
    NotAnInvite,
    #[error("the invite code has a typo or is incomplete (its check digits do not match)")]
    Checksum,
    #[error("the invite code is damaged: {0}")]
    Damaged(&'static str),
    #[error("the invite was made by a newer version of Industrivej")]
    NewerVersion,
    #[error("the invite was made by an older version of Industrivej: ask for a new one")]
    OlderVersion,
}

impl InviteError {
    /// The error as a problem with the `code` field, for the UI to translate.
    pub fn problem(&self) -> crate::Problem {
        let reason = match self {
            InviteError::NotAnInvite => "not_an_invite",
            InviteError::Checksum => "checksum",
            InviteError::Damaged(_) => "damaged",
            InviteError::NewerVersion => "newer_version",
            InviteError::OlderVersion => "older_version",
        };
        crate::Problem::BadInvite {
            reason: reason.into(),
        }
    }
}

const PREFIX: &str = "IVEJ-";
/// Tags of the optional fields at the end of an invite.
const TAG_RELAY: u8 = 1;
const TAG_EPOCH: u8 = 2;
const VERSION: u8 = 2;
/// Crockford's base32: no I, L, O or U, so codes read aloud or typed survive.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        let v = ALPHABET.iter().position(|&a| char::from(a) == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Invite {
    /// The text code: `IVEJ-` and groups of five characters.
    pub fn to_code(&self) -> String {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&uuid_bytes(&self.street_id).unwrap_or_default());
        bytes.extend_from_slice(&self.secret);
        bytes.extend_from_slice(&self.authority_key);
        bytes.extend_from_slice(&self.enrolment_seed);
        put_bytes(&mut bytes, &self.enrolment);
        bytes.push(u8::try_from(self.issuers.len()).unwrap_or(0));
        for cert in self.issuers.iter().take(255) {
            put_bytes(&mut bytes, cert);
        }
        match &self.authority_seed {
            Some(seed) => {
                bytes.push(1);
                bytes.extend_from_slice(seed);
            }
            None => bytes.push(0),
        }
        let address = self.address.as_deref().unwrap_or("");
        let len = address.len().min(255);
        bytes.push(len as u8);
        bytes.extend_from_slice(&address.as_bytes()[..len]);
        // Optional fields last, each after its tag: codes made before one existed read as
        // without it.
        if let Some(relay) = &self.relay {
            let len = relay.address.len().min(255);
            bytes.push(TAG_RELAY);
            bytes.push(len as u8);
            bytes.extend_from_slice(&relay.address.as_bytes()[..len]);
            bytes.extend_from_slice(&relay.key);
        }
        if let Some(epoch) = &self.epoch {
            bytes.push(TAG_EPOCH);
            bytes.extend_from_slice(&epoch.number.to_be_bytes());
            bytes.extend_from_slice(&epoch.key);
            bytes.extend_from_slice(&epoch.revocations.to_be_bytes());
        }
        bytes.extend_from_slice(&crc32(&bytes).to_be_bytes());
        let body = base32(&bytes);
        let groups: Vec<&str> = body
            .as_bytes()
            .chunks(5)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        format!("{PREFIX}{}", groups.join("-"))
    }

    /// Reads a code as typed or pasted: case, spaces, line breaks and dashes do not matter.
    pub fn from_code(code: &str) -> Result<Invite, InviteError> {
        let trimmed = code.trim();
        let upper = trimmed.to_ascii_uppercase();
        let body = upper.strip_prefix(PREFIX).ok_or(InviteError::NotAnInvite)?;
        let compact: String = body
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let bytes = unbase32(&compact).ok_or(InviteError::Damaged(
            "a character that is not in invite codes",
        ))?;
        if bytes.len() < 5 {
            return Err(InviteError::Damaged("too short"));
        }
        // base32 pads a few bits; the check digits sit right after the content.
        let content = find_checksum(&bytes).ok_or(InviteError::Checksum)?;
        let mut r = Bytes(content);
        let version = r.take(1)?[0];
        if version > VERSION {
            return Err(InviteError::NewerVersion);
        }
        if version < VERSION {
            return Err(InviteError::OlderVersion);
        }
        let street_id = uuid_string(r.take(16)?);
        let secret = array32(r.take(32)?)?;
        let authority_key = array32(r.take(32)?)?;
        let enrolment_seed = array32(r.take(32)?)?;
        let enrolment = r.bytes()?;
        let n = usize::from(r.take(1)?[0]);
        let mut issuers = Vec::new();
        for _ in 0..n {
            issuers.push(r.bytes()?);
        }
        let authority_seed = match r.take(1)?[0] {
            0 => None,
            1 => Some(array32(r.take(32)?)?),
            _ => return Err(InviteError::Damaged("unknown kind of invite")),
        };
        let len = usize::from(r.take(1)?[0]);
        let address = String::from_utf8(r.take(len)?.to_vec())
            .map_err(|_| InviteError::Damaged("the address is not text"))?;
        let (mut relay, mut epoch) = (None, None);
        while let Some(&tag) = r.0.first() {
            r.take(1)?;
            match tag {
                TAG_RELAY if relay.is_none() => {
                    let len = usize::from(r.take(1)?[0]);
                    let address = String::from_utf8(r.take(len)?.to_vec())
                        .map_err(|_| InviteError::Damaged("the relay's address is not text"))?;
                    let key = array32(r.take(32)?)?;
                    relay = Some(RelayRef { address, key });
                }
                TAG_EPOCH if epoch.is_none() => {
                    let u32_of = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                    let number = u32_of(r.take(4)?);
                    let key = array32(r.take(32)?)?;
                    let revocations = u32_of(r.take(4)?);
                    epoch = Some(InviteEpoch {
                        number,
                        key,
                        revocations,
                    });
                }
                _ => return Err(InviteError::Damaged("unknown field")),
            }
        }
        if !r.0.is_empty() {
            return Err(InviteError::Damaged("trailing bytes"));
        }
        Ok(Invite {
            street_id,
            secret,
            authority_key,
            enrolment_seed,
            enrolment,
            issuers,
            authority_seed,
            address: (!address.is_empty()).then_some(address),
            relay,
            epoch,
        })
    }
}

/// Reads an invite's bytes; every length is checked against what is there.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], InviteError> {
        if self.0.len() < n {
            return Err(InviteError::Damaged("too short"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn bytes(&mut self) -> Result<Vec<u8>, InviteError> {
        let len = self.take(2)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        Ok(self.take(len)?.to_vec())
    }
}

/// Bytes with a 16-bit length (certificates are a few hundred bytes).
fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap_or(0);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

/// Splits off the 4 check bytes wherever the padding left them (at most one extra byte).
fn find_checksum(bytes: &[u8]) -> Option<&[u8]> {
    for extra in 0..=1 {
        let end = bytes.len().checked_sub(extra)?;
        let split = end.checked_sub(4)?;
        let (content, rest) = bytes.split_at(split);
        let check = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if crc32(content) == check {
            return Some(content);
        }
    }
    None
}

fn array32(bytes: &[u8]) -> Result<[u8; 32], InviteError> {
    <[u8; 32]>::try_from(bytes).map_err(|_| InviteError::Damaged("too short"))
}

fn uuid_string(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16.min(bytes.len())]);
    crate::ids::new_id_from_parts(b)
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(device: bool, address: Option<&str>) -> Invite {
        Invite {
            street_id: "019ab3c4-1234-7abc-8def-0123456789ab".into(),
            secret: [7; 32],
            authority_key: [9; 32],
            enrolment_seed: [3; 32],
            enrolment: vec![5; 180],
            issuers: if device {
                vec![vec![6; 200], vec![8; 190]]
            } else {
                Vec::new()
            },
            authority_seed: device.then_some([4; 32]),
            address: address.map(str::to_string),
            relay: None,
            epoch: None,
        }
    }

    #[test]
    fn codes_round_trip_however_they_are_typed() {
        for inv in [
            invite(false, None),
            invite(true, None),
            invite(false, Some("192.0.2.10:7117")),
            invite(true, Some("relay.example:443")),
            Invite {
                relay: Some(RelayRef {
                    address: "relay.example:7118".into(),
                    key: [0xab; 32],
                }),
                ..invite(false, Some("192.0.2.10:7117"))
            },
            Invite {
                epoch: Some(InviteEpoch {
                    number: 3,
                    key: [0xcd; 32],
                    revocations: 2,
                }),
                ..invite(true, None)
            },
        ] {
            let code = inv.to_code();
            assert!(code.starts_with("IVEJ-"));
            assert_eq!(Invite::from_code(&code).unwrap(), inv);
            let sloppy = format!("  {}\n", code.to_lowercase().replace('-', " "));
            let sloppy = sloppy.replacen("ivej ", "ivej-", 1);
            assert_eq!(Invite::from_code(&sloppy).unwrap(), inv);
        }
    }

    #[test]
    fn a_relay_needs_a_host_a_port_and_a_whole_key() {
        let key = "ab".repeat(32);
        let relay = RelayRef::parse(" relay.example:7118 ", &key).unwrap();
        assert_eq!(relay.key, [0xab; 32]);
        assert_eq!(relay.address, "relay.example:7118");
        assert_eq!(relay.key_hex(), key);
        for (address, key) in [
            ("relay.example", key.as_str()),
            (":7118", key.as_str()),
            ("relay.example:0", key.as_str()),
            ("relay.example:7118", "abc"),
            ("relay.example:7118", &"zz".repeat(32)),
            ("relay.example:7118", &"ab".repeat(31)),
        ] {
            assert_eq!(RelayRef::parse(address, key), None, "{address} {key}");
        }
    }

    #[test]
    fn typos_and_junk_are_named() {
        let code = invite(false, None).to_code();
        let mut typo: Vec<char> = code.chars().collect();
        let i = 20;
        typo[i] = if typo[i] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert_eq!(Invite::from_code(&typo), Err(InviteError::Checksum));
        assert_eq!(Invite::from_code("hello"), Err(InviteError::NotAnInvite));
        assert!(Invite::from_code("IVEJ-!!!").is_err());
        assert!(Invite::from_code("IVEJ-").is_err());
        assert!(Invite::from_code(&code[..code.len() - 10]).is_err());
        // A code of the first version (before certificates) is named as such.
        let mut old = vec![1u8];
        old.extend([0; 90]);
        old.extend(crc32(&old).to_be_bytes());
        let old = format!("{PREFIX}{}", base32(&old));
        assert_eq!(Invite::from_code(&old), Err(InviteError::OlderVersion));
    }
}
