//! What travels inside the encrypted channel. A small binary format, decoded defensively:
//! any malformed message is an error, never a panic.

use crate::error::NetError;

/// The hello of the first version (before certificates): refused, with that reason.
const HELLO_V1: u8 = 1;
const SYNC: u8 = 2;
const PING: u8 = 3;
const HELLO: u8 = 4;
const REVOCATIONS: u8 = 5;
const GOODBYE: u8 = 6;
/// The most a goodbye's reason may say.
const MAX_REASON: usize = 1024;
const MAX_DOCS: usize = 100_000;
/// Certificates in a chain, revocations in a list: far more than any street has.
const MAX_ITEMS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireMessage {
    /// Who the sender is (its certificate chain, root first; the receiver checks it binds
    /// the key the handshake proved), the revocations it knows, and which documents it
    /// offers to sync (informational only).
    Hello {
        chain: Vec<Vec<u8>>,
        revocations: Vec<Vec<u8>>,
        docs: Vec<String>,
    },
    /// Revocations the sender learnt during the session (a removal, a lost laptop).
    Revocations(Vec<Vec<u8>>),
    /// The sender ends the session and says why (the peer's certificate was refused or
    /// revoked), so the person at the other end reads a reason, not "broken pipe".
    Goodbye(String),
    /// A signed sync message (`ivej_trust::SignedSync`) about one document.
    Sync { doc_id: String, payload: Vec<u8> },
    /// Nothing to say: the session is alive (sent when it has been quiet a while).
    Ping,
}

/// A list of byte strings, each with a 32-bit length.
fn put_list(out: &mut Vec<u8>, items: &[Vec<u8>]) {
    let n = items.len().min(MAX_ITEMS);
    out.extend_from_slice(&(n as u32).to_be_bytes());
    for item in &items[..n] {
        let len = u32::try_from(item.len()).unwrap_or(0);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&item[..len as usize]);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&bytes[..usize::from(len)]);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], NetError> {
        if self.rest.len() < n {
            return Err(NetError::Protocol("message cut short".into()));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, NetError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, NetError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A list written by `put_list`: the count is checked against what is there (each
    /// item takes at least its 4-byte length) before anything is allocated.
    fn list(&mut self) -> Result<Vec<Vec<u8>>, NetError> {
        let n = self.u32()? as usize;
        if n > MAX_ITEMS || n.saturating_mul(4) > self.rest.len() {
            return Err(NetError::Protocol("a list longer than its message".into()));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            let len = self.u32()? as usize;
            items.push(self.take(len)?.to_vec());
        }
        Ok(items)
    }

    fn string(&mut self) -> Result<String, NetError> {
        let len = usize::from(self.u16()?);
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| NetError::Protocol("text is not UTF-8".into()))
    }
}

impl WireMessage {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            WireMessage::Hello {
                chain,
                revocations,
                docs,
            } => {
                out.push(HELLO);
                put_list(&mut out, chain);
                put_list(&mut out, revocations);
                let n = u32::try_from(docs.len().min(MAX_DOCS)).unwrap_or(0);
                out.extend_from_slice(&n.to_be_bytes());
                for d in docs.iter().take(MAX_DOCS) {
                    put_str(&mut out, d);
                }
            }
            WireMessage::Revocations(list) => {
                out.push(REVOCATIONS);
                put_list(&mut out, list);
            }
            WireMessage::Goodbye(reason) => {
                out.push(GOODBYE);
                let mut end = reason.len().min(MAX_REASON);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                put_str(&mut out, &reason[..end]);
            }
            WireMessage::Sync { doc_id, payload } => {
                out.push(SYNC);
                put_str(&mut out, doc_id);
                out.extend_from_slice(payload);
            }
            WireMessage::Ping => out.push(PING),
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<WireMessage, NetError> {
        let (&tag, rest) = bytes
            .split_first()
            .ok_or_else(|| NetError::Protocol("empty message".into()))?;
        let mut r = Reader { rest };
        match tag {
            HELLO => {
                let chain = r.list()?;
                let revocations = r.list()?;
                let n = r.u32()? as usize;
                if n > MAX_DOCS || n.saturating_mul(2) > r.rest.len() {
                    return Err(NetError::Protocol("too many documents".into()));
                }
                let docs = (0..n).map(|_| r.string()).collect::<Result<_, _>>()?;
                Ok(WireMessage::Hello {
                    chain,
                    revocations,
                    docs,
                })
            }
            HELLO_V1 => Err(NetError::Protocol(
                "the peer runs an older version of Industrivej (before certificates)".into(),
            )),
            GOODBYE => {
                let reason = r.string()?;
                if reason.len() > MAX_REASON || !r.rest.is_empty() {
                    return Err(NetError::Protocol("a malformed goodbye".into()));
                }
                Ok(WireMessage::Goodbye(reason))
            }
            REVOCATIONS => {
                let list = r.list()?;
                if !r.rest.is_empty() {
                    return Err(NetError::Protocol("bytes after the revocations".into()));
                }
                Ok(WireMessage::Revocations(list))
            }
            SYNC => {
                let doc_id = r.string()?;
                Ok(WireMessage::Sync {
                    doc_id,
                    payload: r.rest.to_vec(),
                })
            }
            PING if r.rest.is_empty() => Ok(WireMessage::Ping),
            other => Err(NetError::Protocol(format!("unknown message type {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_junk_is_an_error() {
        let hello = WireMessage::Hello {
            chain: vec![vec![1; 200], vec![2; 180]],
            revocations: vec![vec![3; 90]],
            docs: vec!["street:s".into(), "minutes:m".into()],
        };
        assert_eq!(WireMessage::decode(&hello.encode()).unwrap(), hello);
        let revs = WireMessage::Revocations(vec![vec![4; 10]]);
        assert_eq!(WireMessage::decode(&revs.encode()).unwrap(), revs);
        let bye = WireMessage::Goodbye("the device was revoked".into());
        assert_eq!(WireMessage::decode(&bye.encode()).unwrap(), bye);
        let sync = WireMessage::Sync {
            doc_id: "street:s".into(),
            payload: vec![1, 2, 3],
        };
        assert_eq!(WireMessage::decode(&sync.encode()).unwrap(), sync);
        let ping = WireMessage::Ping;
        assert_eq!(WireMessage::decode(&ping.encode()).unwrap(), ping);
        for junk in [
            &b""[..],
            b"\x01",
            b"\x01\x00\x05ab",
            b"\x07",
            b"\x01\x00\x00\x00\x00\xff\xff\xff\xff",
            // A chain that declares four billion certificates in a few bytes.
            b"\x04\xff\xff\xff\xff\x00",
            b"\x05\x00\x00\x00\x01\xff\xff\xff\xff",
        ] {
            assert!(WireMessage::decode(junk).is_err(), "{junk:?}");
        }
    }
}
