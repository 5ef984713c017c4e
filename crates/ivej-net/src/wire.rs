//! What travels inside the encrypted channel. A small binary format, decoded defensively:
//! any malformed message is an error, never a panic.

use crate::error::NetError;

const HELLO: u8 = 1;
const SYNC: u8 = 2;
const PING: u8 = 3;
const MAX_DOCS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireMessage {
    /// Who the sender says it is, and which documents it offers to sync.
    Hello {
        device_id: String,
        org_id: String,
        /// A keyed hash of the session's handshake hash with the organisation's secret:
        /// proves to the organisation's other devices that this one belongs to it.
        org_proof: Vec<u8>,
        docs: Vec<String>,
    },
    /// An automerge sync message about one document.
    Sync { doc_id: String, payload: Vec<u8> },
    /// Nothing to say: the session is alive (sent when it has been quiet a while).
    Ping,
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
                device_id,
                org_id,
                org_proof,
                docs,
            } => {
                out.push(HELLO);
                put_str(&mut out, device_id);
                put_str(&mut out, org_id);
                let len = u16::try_from(org_proof.len()).unwrap_or(0);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&org_proof[..usize::from(len)]);
                let n = u32::try_from(docs.len().min(MAX_DOCS)).unwrap_or(0);
                out.extend_from_slice(&n.to_be_bytes());
                for d in docs.iter().take(MAX_DOCS) {
                    put_str(&mut out, d);
                }
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
                let device_id = r.string()?;
                let org_id = r.string()?;
                let proof_len = usize::from(r.u16()?);
                let org_proof = r.take(proof_len)?.to_vec();
                let n = r.u32()? as usize;
                if n > MAX_DOCS {
                    return Err(NetError::Protocol("too many documents".into()));
                }
                let docs = (0..n).map(|_| r.string()).collect::<Result<_, _>>()?;
                Ok(WireMessage::Hello {
                    device_id,
                    org_id,
                    org_proof,
                    docs,
                })
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
            device_id: "d1".into(),
            org_id: "o1".into(),
            org_proof: vec![5; 32],
            docs: vec!["street:s".into(), "minutes:m".into()],
        };
        assert_eq!(WireMessage::decode(&hello.encode()).unwrap(), hello);
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
        ] {
            assert!(WireMessage::decode(junk).is_err(), "{junk:?}");
        }
    }
}
