//! The client side: a control connection to a pinned relay (requests answered in order,
//! pushes delivered on their own channel), and joining a live session.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::channel::{self, Writer};
use crate::proto::{ErrorCode, Reply, Request, JOINED, MODE_CONTROL, MODE_JOIN, PREFACE};
use crate::store::Listing;
use crate::{RelayAddress, RelayError};

/// How long one request may take before the connection is given up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What the relay pushes: a new entry in an opened topic, or a call to a live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    Notify { topic: [u8; 32], seq: u64 },
    Called { key: [u8; 32] },
}

/// Requests waiting for their answers, in order; `None` once the connection is gone, so a
/// request made after that fails at once instead of waiting out its time.
type Waiting = Arc<std::sync::Mutex<Option<VecDeque<oneshot::Sender<Reply>>>>>;

struct Outgoing {
    writer: Writer<tokio::io::WriteHalf<TcpStream>>,
    waiting: Waiting,
}

/// A control connection to a relay.
pub struct RelayClient {
    outgoing: Mutex<Outgoing>,
    handshake_hash: Vec<u8>,
    reading: JoinHandle<()>,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient").finish_non_exhaustive()
    }
}

impl Drop for RelayClient {
    fn drop(&mut self) {
        self.reading.abort();
    }
}

async fn open_stream(
    address: &RelayAddress,
    mode: u8,
    from: Option<std::net::IpAddr>,
) -> Result<TcpStream, RelayError> {
    let connect = async {
        match from {
            None => TcpStream::connect(&address.addr).await,
            Some(ip) => {
                let to = tokio::net::lookup_host(&address.addr)
                    .await?
                    .find(|a| a.is_ipv4() == ip.is_ipv4())
                    .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::AddrNotAvailable))?;
                let socket = if ip.is_ipv4() {
                    tokio::net::TcpSocket::new_v4()?
                } else {
                    tokio::net::TcpSocket::new_v6()?
                };
                socket.bind(std::net::SocketAddr::new(ip, 0))?;
                socket.connect(to).await
            }
        }
    };
    let mut stream = tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| RelayError::Timeout)??;
    stream.set_nodelay(true)?;
    let mut preface = PREFACE.to_vec();
    preface.push(mode);
    stream.write_all(&preface).await?;
    Ok(stream)
}

/// Reads the relay's answer to a control preface: go on, or why not.
async fn preface_answer(stream: &mut TcpStream) -> Result<(), RelayError> {
    let mut first = [0u8; 1];
    tokio::time::timeout(CONNECT_TIMEOUT, stream.read_exact(&mut first))
        .await
        .map_err(|_| RelayError::Timeout)??;
    if first[0] == 0 {
        return Ok(());
    }
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let len = usize::from(u16::from_be_bytes(len)).min(1024);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await?;
    match Reply::decode(&body) {
        Ok(Reply::Error {
            code,
            retry_after_ms,
            text,
        }) => Err(RelayError::Refused {
            code,
            retry_after: Duration::from_millis(u64::from(retry_after_ms)),
            text,
        }),
        _ => Err(RelayError::Protocol("an unreadable refusal")),
    }
}

impl RelayClient {
    /// Connects to the relay at `address`, whose static key must be the one pinned there.
    /// Pushes arrive on the returned receiver until the connection ends.
    pub async fn connect(
        address: &RelayAddress,
    ) -> Result<(RelayClient, mpsc::Receiver<Push>), RelayError> {
        Self::connect_from(address, None).await
    }

    /// [`RelayClient::connect`] from a given local address (a benchmark's many clients).
    pub async fn connect_from(
        address: &RelayAddress,
        from: Option<std::net::IpAddr>,
    ) -> Result<(RelayClient, mpsc::Receiver<Push>), RelayError> {
        let mut stream = open_stream(address, MODE_CONTROL, from).await?;
        preface_answer(&mut stream).await?;
        let (mut reader, writer, handshake_hash) =
            channel::handshake(stream, Some(&address.key), None).await?;
        let waiting: Waiting = Arc::new(std::sync::Mutex::new(Some(VecDeque::new())));
        let (push_tx, pushes) = mpsc::channel(256);
        let queue = waiting.clone();
        let reading = tokio::spawn(async move {
            while let Ok(message) = reader.recv().await {
                let Ok(reply) = Reply::decode(&message) else {
                    break;
                };
                match reply {
                    Reply::Notify { topic, seq } => {
                        // Notices are hints (a client lists anyway): drop them when full.
                        let _ = push_tx.try_send(Push::Notify { topic, seq });
                    }
                    Reply::Called { key } => {
                        if push_tx.send(Push::Called { key }).await.is_err() {
                            break;
                        }
                    }
                    answer => {
                        let next = queue
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .as_mut()
                            .and_then(VecDeque::pop_front);
                        match next {
                            Some(tx) => {
                                let _ = tx.send(answer);
                            }
                            None => break,
                        }
                    }
                }
            }
            // Everyone still waiting learns the connection is gone (their senders drop), and
            // so does every later request.
            *queue.lock().unwrap_or_else(|e| e.into_inner()) = None;
        });
        Ok((
            RelayClient {
                outgoing: Mutex::new(Outgoing { writer, waiting }),
                handshake_hash,
                reading,
            },
            pushes,
        ))
    }

    /// What topic proofs on this connection sign.
    pub fn handshake_hash(&self) -> &[u8] {
        &self.handshake_hash
    }

    async fn request(&self, request: Request) -> Result<Reply, RelayError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut out = self.outgoing.lock().await;
            out.waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
                .ok_or(RelayError::Closed)?
                .push_back(tx);
            out.writer.send(&request.encode()).await?;
        }
        let reply = tokio::time::timeout(REQUEST_TIMEOUT, rx)
            .await
            .map_err(|_| RelayError::Timeout)?
            .map_err(|_| RelayError::Closed)?;
        match reply {
            Reply::Error {
                code,
                retry_after_ms,
                text,
            } => Err(RelayError::Refused {
                code,
                retry_after: Duration::from_millis(u64::from(retry_after_ms)),
                text,
            }),
            other => Ok(other),
        }
    }

    /// Opens `topic` with a proof of its key (`Topic::open_proof` over this connection's
    /// handshake hash); returns the topic's newest entry number.
    pub async fn open(&self, topic: [u8; 32], proof: [u8; 64]) -> Result<u64, RelayError> {
        match self.request(Request::Open { topic, proof }).await? {
            Reply::Opened { last_seq, .. } => Ok(last_seq),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    pub async fn put(&self, topic: [u8; 32], bundle: Vec<u8>) -> Result<u64, RelayError> {
        match self.request(Request::Put { topic, bundle }).await? {
            Reply::Stored { seq, .. } => Ok(seq),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    pub async fn put_snapshot(
        &self,
        topic: [u8; 32],
        covers: u64,
        bundle: Vec<u8>,
    ) -> Result<u64, RelayError> {
        match self
            .request(Request::PutSnapshot {
                topic,
                covers,
                bundle,
            })
            .await?
        {
            Reply::Stored { seq, .. } => Ok(seq),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    pub async fn list(&self, topic: [u8; 32], after: u64, max: u16) -> Result<Listing, RelayError> {
        match self.request(Request::List { topic, after, max }).await? {
            Reply::Listed {
                snapshot,
                entries,
                last_seq,
                ..
            } => Ok(Listing {
                snapshot,
                entries,
                last_seq,
            }),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    pub async fn get(&self, topic: [u8; 32], seq: u64) -> Result<Vec<u8>, RelayError> {
        match self.request(Request::Get { topic, seq }).await? {
            Reply::Bundle { bundle, .. } => Ok(bundle),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    /// Be reachable for live sessions under `rendezvous`.
    pub async fn listen(&self, rendezvous: [u8; 32]) -> Result<(), RelayError> {
        match self.request(Request::Listen { rendezvous }).await? {
            Reply::Listening => Ok(()),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    /// Asks for a live session with whoever listens under `rendezvous`; returns the key to
    /// join it with (this side starts the session's handshake).
    pub async fn call(&self, rendezvous: [u8; 32]) -> Result<[u8; 32], RelayError> {
        match self.request(Request::Connect { rendezvous }).await? {
            Reply::Invitation { key } => Ok(key),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }

    pub async fn ping(&self) -> Result<(), RelayError> {
        match self.request(Request::Ping).await? {
            Reply::Pong => Ok(()),
            _ => Err(RelayError::Protocol("an answer to another request")),
        }
    }
}

/// Joins a live session: returns the connection once the other side is there too, from
/// then on a plain byte pipe to it (the session's own Noise handshake runs inside).
pub async fn join(
    address: &RelayAddress,
    key: [u8; 32],
    wait: Duration,
) -> Result<TcpStream, RelayError> {
    let mut stream = open_stream(address, MODE_JOIN, None).await?;
    stream.write_all(&key).await?;
    let mut joined = [0u8; 1];
    tokio::time::timeout(wait, stream.read_exact(&mut joined))
        .await
        .map_err(|_| RelayError::Timeout)??;
    if joined[0] != JOINED {
        return Err(RelayError::Protocol("not joined"));
    }
    Ok(stream)
}

/// Whether trying again later can help, and when.
pub fn retry_after(error: &RelayError) -> Option<Duration> {
    match error {
        RelayError::Refused {
            code: ErrorCode::RateLimited | ErrorCode::TooManyConnections | ErrorCode::Unavailable,
            retry_after,
            ..
        } => Some(*retry_after),
        _ => None,
    }
}
