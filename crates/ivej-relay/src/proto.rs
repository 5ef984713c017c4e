//! The relay's messages: a type byte, then fixed fields and length-prefixed bytes. Every
//! decoder is bounded by what is really there and never allocates by a declared length.
//!
//! A connection starts with a preface ([`PREFACE`] and a mode byte). In control mode a
//! Noise NK handshake follows (the client pins the relay's static key from the invite),
//! then requests, each answered in order, with pushes ([`Reply::Notify`],
//! [`Reply::Invitation`]) between them. In join mode the client sends a session key in the
//! clear and, once the other side has joined too, the relay copies bytes between the two.

use thiserror::Error;

/// What every connection to a relay starts with.
pub const PREFACE: &[u8; 4] = b"IVR1";
/// The mode byte after the preface: a control connection (Noise follows).
pub const MODE_CONTROL: u8 = 1;
/// The mode byte after the preface: joining a live session (its key follows).
pub const MODE_JOIN: u8 = 2;
/// What the relay answers a join with once both sides are there; bytes are copied after.
pub const JOINED: u8 = 0x4a;

/// Entries one `List` answers at most.
pub const MAX_LIST: u16 = 1024;
/// The largest message either side sends: a sealed bundle of the largest size and its
/// topic and sequence number.
pub const MAX_MESSAGE: usize = ivej_trust::mailbox::MAX_SEALED + 128;
/// The longest error text.
const MAX_TEXT: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed relay message: {0}")]
pub struct ProtoError(pub &'static str);

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Prove the key of a topic for this connection (signature over the handshake hash);
    /// the connection may then list, get and put it, and is told of new entries.
    Open {
        topic: [u8; 32],
        proof: [u8; 64],
    },
    /// File a sealed bundle; idempotent (the same bundle again keeps its number).
    Put {
        topic: [u8; 32],
        bundle: Vec<u8>,
    },
    /// File a snapshot that covers entries up to `covers`, which may then be pruned.
    PutSnapshot {
        topic: [u8; 32],
        covers: u64,
        bundle: Vec<u8>,
    },
    /// Entries after `after`, at most `max`.
    List {
        topic: [u8; 32],
        after: u64,
        max: u16,
    },
    Get {
        topic: [u8; 32],
        seq: u64,
    },
    /// Be reachable for live sessions under a rendezvous name (a newer listener replaces
    /// an older one).
    Listen {
        rendezvous: [u8; 32],
    },
    /// Ask for a live session with whoever listens under `rendezvous`.
    Connect {
        rendezvous: [u8; 32],
    },
    Ping,
}

/// One entry of a topic, as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub len: u32,
    pub snapshot: bool,
    /// For a snapshot: the entries it covers (those up to this number).
    pub covers: u64,
}

/// Error codes a relay answers with. `retry_after_ms` says when to try again where
/// trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Malformed,
    /// The topic is not opened on this connection (or the proof did not hold).
    NotOpen,
    BadProof,
    TooLarge,
    RateLimited,
    TooManyConnections,
    /// Nobody listens under that rendezvous name.
    NotOnline,
    NotFound,
    /// The topic holds as much as the relay keeps for one.
    TopicFull,
    Unavailable,
}

impl ErrorCode {
    fn code(self) -> u16 {
        match self {
            ErrorCode::Malformed => 1,
            ErrorCode::NotOpen => 2,
            ErrorCode::BadProof => 3,
            ErrorCode::TooLarge => 4,
            ErrorCode::RateLimited => 5,
            ErrorCode::TooManyConnections => 6,
            ErrorCode::NotOnline => 7,
            ErrorCode::NotFound => 8,
            ErrorCode::TopicFull => 9,
            ErrorCode::Unavailable => 10,
        }
    }

    fn from_code(code: u16) -> Option<ErrorCode> {
        Some(match code {
            1 => ErrorCode::Malformed,
            2 => ErrorCode::NotOpen,
            3 => ErrorCode::BadProof,
            4 => ErrorCode::TooLarge,
            5 => ErrorCode::RateLimited,
            6 => ErrorCode::TooManyConnections,
            7 => ErrorCode::NotOnline,
            8 => ErrorCode::NotFound,
            9 => ErrorCode::TopicFull,
            10 => ErrorCode::Unavailable,
            _ => return None,
        })
    }
}

/// What a relay answers, or pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Opened {
        topic: [u8; 32],
        last_seq: u64,
    },
    Stored {
        topic: [u8; 32],
        seq: u64,
    },
    /// Entries after the asked number. When entries after it were pruned, `snapshot` is the
    /// newest snapshot that covers them: fetch it first, then go on from its `covers`.
    Listed {
        topic: [u8; 32],
        snapshot: Option<Entry>,
        entries: Vec<Entry>,
        last_seq: u64,
    },
    Bundle {
        topic: [u8; 32],
        seq: u64,
        bundle: Vec<u8>,
    },
    /// Pushed: a new entry in an opened topic.
    Notify {
        topic: [u8; 32],
        seq: u64,
    },
    /// The answer to `Connect`: join with `key`, as the side that starts the session's
    /// own handshake.
    Invitation {
        key: [u8; 32],
    },
    /// Pushed to a listener someone connects to: join with `key`, as the side that answers.
    Called {
        key: [u8; 32],
    },
    Listening,
    Pong,
    Error {
        code: ErrorCode,
        retry_after_ms: u32,
        text: String,
    },
}

impl Reply {
    /// Pushed by the relay, not an answer to the request in flight.
    pub fn is_push(&self) -> bool {
        matches!(self, Reply::Notify { .. } | Reply::Called { .. })
    }
}

struct Out(Vec<u8>);

impl Out {
    fn new(kind: u8) -> Out {
        Out(vec![kind])
    }
    fn raw(mut self, bytes: &[u8]) -> Out {
        self.0.extend_from_slice(bytes);
        self
    }
    fn u8(self, v: u8) -> Out {
        self.raw(&[v])
    }
    fn u16(self, v: u16) -> Out {
        self.raw(&v.to_be_bytes())
    }
    fn u32(self, v: u32) -> Out {
        self.raw(&v.to_be_bytes())
    }
    fn u64(self, v: u64) -> Out {
        self.raw(&v.to_be_bytes())
    }
    fn entry(self, e: &Entry) -> Out {
        self.u64(e.seq)
            .u32(e.len)
            .u8(u8::from(e.snapshot))
            .u64(e.covers)
    }
}

struct In<'a>(&'a [u8]);

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtoError> {
        if self.0.len() < n {
            return Err(ProtoError("too short"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], ProtoError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, ProtoError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ProtoError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, ProtoError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, ProtoError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn entry(&mut self) -> Result<Entry, ProtoError> {
        Ok(Entry {
            seq: self.u64()?,
            len: self.u32()?,
            snapshot: match self.u8()? {
                0 => false,
                1 => true,
                _ => return Err(ProtoError("entry kind")),
            },
            covers: self.u64()?,
        })
    }
    /// The rest, which must be a bundle of a size the relay takes.
    fn bundle(&mut self) -> Result<Vec<u8>, ProtoError> {
        if self.0.len() > ivej_trust::mailbox::MAX_SEALED {
            return Err(ProtoError("bundle too large"));
        }
        let rest = self.0.to_vec();
        self.0 = &[];
        Ok(rest)
    }
    fn end(&self) -> Result<(), ProtoError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ProtoError("trailing bytes"))
        }
    }
}

const ENTRY_LEN: usize = 8 + 4 + 1 + 8;

impl Request {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Request::Open { topic, proof } => Out::new(1).raw(topic).raw(proof),
            Request::Put { topic, bundle } => Out::new(2).raw(topic).raw(bundle),
            Request::PutSnapshot {
                topic,
                covers,
                bundle,
            } => Out::new(3).raw(topic).u64(*covers).raw(bundle),
            Request::List { topic, after, max } => Out::new(4).raw(topic).u64(*after).u16(*max),
            Request::Get { topic, seq } => Out::new(5).raw(topic).u64(*seq),
            Request::Listen { rendezvous } => Out::new(6).raw(rendezvous),
            Request::Connect { rendezvous } => Out::new(7).raw(rendezvous),
            Request::Ping => Out::new(8),
        }
        .0
    }

    pub fn decode(bytes: &[u8]) -> Result<Request, ProtoError> {
        let mut r = In(bytes);
        let request = match r.u8()? {
            1 => Request::Open {
                topic: r.array()?,
                proof: r.array()?,
            },
            2 => Request::Put {
                topic: r.array()?,
                bundle: r.bundle()?,
            },
            3 => Request::PutSnapshot {
                topic: r.array()?,
                covers: r.u64()?,
                bundle: r.bundle()?,
            },
            4 => Request::List {
                topic: r.array()?,
                after: r.u64()?,
                max: r.u16()?,
            },
            5 => Request::Get {
                topic: r.array()?,
                seq: r.u64()?,
            },
            6 => Request::Listen {
                rendezvous: r.array()?,
            },
            7 => Request::Connect {
                rendezvous: r.array()?,
            },
            8 => Request::Ping,
            _ => return Err(ProtoError("unknown request")),
        };
        r.end()?;
        Ok(request)
    }
}

impl Reply {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Reply::Opened { topic, last_seq } => Out::new(0x81).raw(topic).u64(*last_seq),
            Reply::Stored { topic, seq } => Out::new(0x82).raw(topic).u64(*seq),
            Reply::Listed {
                topic,
                snapshot,
                entries,
                last_seq,
            } => {
                let mut out = Out::new(0x83).raw(topic).u64(*last_seq);
                out = match snapshot {
                    Some(s) => out.u8(1).entry(s),
                    None => out.u8(0),
                };
                let n = entries.len().min(usize::from(MAX_LIST));
                out = out.u16(n as u16);
                for e in &entries[..n] {
                    out = out.entry(e);
                }
                out
            }
            Reply::Bundle { topic, seq, bundle } => Out::new(0x84).raw(topic).u64(*seq).raw(bundle),
            Reply::Notify { topic, seq } => Out::new(0x85).raw(topic).u64(*seq),
            Reply::Invitation { key } => Out::new(0x86).raw(key),
            Reply::Called { key } => Out::new(0x8a).raw(key),
            Reply::Listening => Out::new(0x87),
            Reply::Pong => Out::new(0x88),
            Reply::Error {
                code,
                retry_after_ms,
                text,
            } => {
                let text = &text.as_bytes()[..text.len().min(MAX_TEXT)];
                Out::new(0x89)
                    .u16(code.code())
                    .u32(*retry_after_ms)
                    .u16(text.len() as u16)
                    .raw(text)
            }
        }
        .0
    }

    pub fn decode(bytes: &[u8]) -> Result<Reply, ProtoError> {
        let mut r = In(bytes);
        let reply = match r.u8()? {
            0x81 => Reply::Opened {
                topic: r.array()?,
                last_seq: r.u64()?,
            },
            0x82 => Reply::Stored {
                topic: r.array()?,
                seq: r.u64()?,
            },
            0x83 => {
                let topic = r.array()?;
                let last_seq = r.u64()?;
                let snapshot = match r.u8()? {
                    0 => None,
                    1 => Some(r.entry()?),
                    _ => return Err(ProtoError("snapshot flag")),
                };
                let n = r.u16()?;
                if n > MAX_LIST || usize::from(n) * ENTRY_LEN > r.0.len() {
                    return Err(ProtoError("entry count"));
                }
                let mut entries = Vec::with_capacity(usize::from(n));
                for _ in 0..n {
                    entries.push(r.entry()?);
                }
                Reply::Listed {
                    topic,
                    snapshot,
                    entries,
                    last_seq,
                }
            }
            0x84 => Reply::Bundle {
                topic: r.array()?,
                seq: r.u64()?,
                bundle: r.bundle()?,
            },
            0x85 => Reply::Notify {
                topic: r.array()?,
                seq: r.u64()?,
            },
            0x86 => Reply::Invitation { key: r.array()? },
            0x8a => Reply::Called { key: r.array()? },
            0x87 => Reply::Listening,
            0x88 => Reply::Pong,
            0x89 => {
                let code = ErrorCode::from_code(r.u16()?).ok_or(ProtoError("error code"))?;
                let retry_after_ms = r.u32()?;
                let len = usize::from(r.u16()?);
                if len > MAX_TEXT {
                    return Err(ProtoError("error text"));
                }
                let text = String::from_utf8_lossy(r.take(len)?).into_owned();
                Reply::Error {
                    code,
                    retry_after_ms,
                    text,
                }
            }
            _ => return Err(ProtoError("unknown reply")),
        };
        r.end()?;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_round_trips() {
        let e = Entry {
            seq: 7,
            len: 1024,
            snapshot: true,
            covers: 5,
        };
        let requests = [
            Request::Open {
                topic: [1; 32],
                proof: [2; 64],
            },
            Request::Put {
                topic: [1; 32],
                bundle: vec![9; 100],
            },
            Request::PutSnapshot {
                topic: [1; 32],
                covers: 4,
                bundle: vec![9; 10],
            },
            Request::List {
                topic: [1; 32],
                after: 3,
                max: 10,
            },
            Request::Get {
                topic: [1; 32],
                seq: 3,
            },
            Request::Listen {
                rendezvous: [3; 32],
            },
            Request::Connect {
                rendezvous: [3; 32],
            },
            Request::Ping,
        ];
        for r in requests {
            assert_eq!(Request::decode(&r.encode()).unwrap(), r);
        }
        let replies = [
            Reply::Opened {
                topic: [1; 32],
                last_seq: 9,
            },
            Reply::Stored {
                topic: [1; 32],
                seq: 9,
            },
            Reply::Listed {
                topic: [1; 32],
                snapshot: Some(e),
                entries: vec![e, e],
                last_seq: 9,
            },
            Reply::Bundle {
                topic: [1; 32],
                seq: 2,
                bundle: vec![1, 2, 3],
            },
            Reply::Notify {
                topic: [1; 32],
                seq: 2,
            },
            Reply::Invitation { key: [4; 32] },
            Reply::Called { key: [4; 32] },
            Reply::Listening,
            Reply::Pong,
            Reply::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms: 500,
                text: "slow down".into(),
            },
        ];
        for r in replies {
            assert_eq!(Reply::decode(&r.encode()).unwrap(), r);
        }
    }

    #[test]
    fn lies_about_counts_and_truncations_are_refused() {
        let mut lie = vec![0x83];
        lie.extend([1; 32]);
        lie.extend(9u64.to_be_bytes());
        lie.push(0);
        lie.extend(u16::MAX.to_be_bytes());
        assert!(Reply::decode(&lie).is_err());
        let open = Request::Open {
            topic: [1; 32],
            proof: [2; 64],
        }
        .encode();
        for cut in 0..open.len() {
            assert!(Request::decode(&open[..cut]).is_err());
        }
        let mut long = open.clone();
        long.push(0);
        assert!(Request::decode(&long).is_err());
        assert!(Request::decode(&[99]).is_err());
    }
}
