//! Invites: what a new device needs to join a street, as a short text code people can
//! paste, read aloud or scan (the CLI also draws it as a QR code).
//!
//! The code carries the street secret: whoever holds it can join. It is shown once, to be
//! handed over in person or over a channel the facilitator trusts.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What joining needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The street's id (a UUID).
    pub street_id: String,
    /// The street secret: the pre-shared key of every session.
    pub secret: [u8; 32],
    /// The Noise public key of the inviting device (the facilitator's, for a member invite).
    pub inviter_key: [u8; 32],
    /// For a second device of an existing member: its organisation and that
    /// organisation's secret, which proves to the others that the device belongs to it.
    pub device_of: Option<DeviceOf>,
    /// Where to reach a peer when multicast discovery is blocked (`host:port`), or a relay.
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOf {
    pub org_id: String,
    pub org_secret: [u8; 32],
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
}

impl InviteError {
    /// The error as a problem with the `code` field, for the UI to translate.
    pub fn problem(&self) -> crate::Problem {
        let reason = match self {
            InviteError::NotAnInvite => "not_an_invite",
            InviteError::Checksum => "checksum",
            InviteError::Damaged(_) => "damaged",
            InviteError::NewerVersion => "newer_version",
        };
        crate::Problem::BadInvite {
            reason: reason.into(),
        }
    }
}

const PREFIX: &str = "IVEJ-";
const VERSION: u8 = 1;
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
        bytes.extend_from_slice(&self.inviter_key);
        match &self.device_of {
            Some(d) => {
                bytes.push(1);
                bytes.extend_from_slice(&uuid_bytes(&d.org_id).unwrap_or_default());
                bytes.extend_from_slice(&d.org_secret);
            }
            None => bytes.push(0),
        }
        let address = self.address.as_deref().unwrap_or("");
        let len = address.len().min(255);
        bytes.push(len as u8);
        bytes.extend_from_slice(&address.as_bytes()[..len]);
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
        let mut r = content;
        let mut take = |n: usize| -> Result<&[u8], InviteError> {
            if r.len() < n {
                return Err(InviteError::Damaged("too short"));
            }
            let (head, tail) = r.split_at(n);
            r = tail;
            Ok(head)
        };
        let version = take(1)?[0];
        if version > VERSION {
            return Err(InviteError::NewerVersion);
        }
        let street_id = uuid_string(take(16)?);
        let secret = array32(take(32)?)?;
        let inviter_key = array32(take(32)?)?;
        let device_of = match take(1)?[0] {
            0 => None,
            1 => Some(DeviceOf {
                org_id: uuid_string(take(16)?),
                org_secret: array32(take(32)?)?,
            }),
            _ => return Err(InviteError::Damaged("unknown kind of invite")),
        };
        let len = usize::from(take(1)?[0]);
        let address = String::from_utf8(take(len)?.to_vec())
            .map_err(|_| InviteError::Damaged("the address is not text"))?;
        Ok(Invite {
            street_id,
            secret,
            inviter_key,
            device_of,
            address: (!address.is_empty()).then_some(address),
        })
    }
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
            inviter_key: [9; 32],
            device_of: device.then(|| DeviceOf {
                org_id: "019ab3c4-0000-7abc-8def-0123456789ff".into(),
                org_secret: [3; 32],
            }),
            address: address.map(str::to_string),
        }
    }

    #[test]
    fn codes_round_trip_however_they_are_typed() {
        for inv in [
            invite(false, None),
            invite(true, None),
            invite(false, Some("192.0.2.10:7117")),
            invite(true, Some("relay.example:443")),
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
    }
}
