//! A Noise channel over any async byte stream: the handshake, then messages of any size
//! cut into chunks under Noise's 65,535-byte limit.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};

use crate::error::NetError;

pub const NOISE_PARAMS: &str = "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2s";

const MAX_NOISE: usize = 65_535;
const TAG: usize = 16;
/// Plaintext per chunk: the Noise limit less the tag and our one-byte chunk header.
const CHUNK: usize = MAX_NOISE - TAG - 1;
/// The largest message a peer may send; a larger one ends the session.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An established, encrypted channel, before it is split into its two directions.
pub struct NoiseChannel<S> {
    stream: S,
    noise: Arc<snow::StatelessTransportState>,
    remote_static: Vec<u8>,
    handshake_hash: Vec<u8>,
}

impl<S> std::fmt::Debug for NoiseChannel<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseChannel").finish_non_exhaustive()
    }
}

/// The receiving half: whole messages, decrypted. Each direction counts its own nonces,
/// so the halves can live in different tasks.
pub struct NoiseReader<R> {
    stream: R,
    noise: Arc<snow::StatelessTransportState>,
    nonce: u64,
}

/// The sending half.
pub struct NoiseWriter<W> {
    stream: W,
    noise: Arc<snow::StatelessTransportState>,
    nonce: u64,
}

impl<R> std::fmt::Debug for NoiseReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseReader").finish_non_exhaustive()
    }
}

impl<W> std::fmt::Debug for NoiseWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoiseWriter").finish_non_exhaustive()
    }
}

async fn write_frame<S: AsyncWrite + Unpin>(stream: &mut S, frame: &[u8]) -> Result<(), NetError> {
    let len =
        u16::try_from(frame.len()).map_err(|_| NetError::Protocol("frame too long".into()))?;
    // The peer hung up while we wrote (it ended a session a newer one superseded, or shut
    // down): a normal end, as when it hangs up between the messages we read.
    let hung_up = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => NetError::Closed,
        _ => e.into(),
    };
    stream
        .write_all(&len.to_be_bytes())
        .await
        .map_err(hung_up)?;
    stream.write_all(frame).await.map_err(hung_up)?;
    Ok(())
}

async fn read_frame<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    first_of_message: bool,
) -> Result<(), NetError> {
    let mut len = [0u8; 2];
    // The connection closed before a message began: the peer hung up, a normal end.
    if stream.read(&mut len[..1]).await? == 0 {
        return Err(if first_of_message {
            NetError::Closed
        } else {
            std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into()
        });
    }
    stream.read_exact(&mut len[1..]).await?;
    buf.resize(usize::from(u16::from_be_bytes(len)), 0);
    stream.read_exact(buf).await?;
    Ok(())
}

impl<S: AsyncRead + AsyncWrite + Unpin> NoiseChannel<S> {
    /// Runs the XXpsk3 handshake as the side that connected (`initiator`) or accepted.
    pub async fn handshake(
        mut stream: S,
        initiator: bool,
        local_private: &[u8],
        psk: &[u8; 32],
    ) -> Result<Self, NetError> {
        let run = async {
            let params = NOISE_PARAMS.parse().map_err(NetError::Handshake)?;
            let builder = snow::Builder::new(params)
                .local_private_key(local_private)
                .and_then(|b| b.psk(3, psk))
                .map_err(NetError::Handshake)?;
            let mut hs = if initiator {
                builder.build_initiator()
            } else {
                builder.build_responder()
            }
            .map_err(NetError::Handshake)?;
            let mut frame = Vec::new();
            let mut out = vec![0u8; MAX_NOISE];
            let mut scratch = vec![0u8; MAX_NOISE];
            while !hs.is_handshake_finished() {
                if hs.is_my_turn() {
                    let n = hs
                        .write_message(&[], &mut out)
                        .map_err(NetError::Handshake)?;
                    write_frame(&mut stream, &out[..n]).await?;
                } else {
                    read_frame(&mut stream, &mut frame, false).await?;
                    hs.read_message(&frame, &mut scratch)
                        .map_err(NetError::Handshake)?;
                }
            }
            let remote_static = hs
                .get_remote_static()
                .map(<[u8]>::to_vec)
                .ok_or_else(|| NetError::Protocol("the peer showed no device key".into()))?;
            let handshake_hash = hs.get_handshake_hash().to_vec();
            let noise = hs
                .into_stateless_transport_mode()
                .map_err(NetError::Handshake)?;
            Ok(NoiseChannel {
                stream,
                noise: Arc::new(noise),
                remote_static,
                handshake_hash,
            })
        };
        tokio::time::timeout(HANDSHAKE_TIMEOUT, run)
            .await
            .map_err(|_| NetError::Timeout)?
    }

    /// The peer's device key, proven by the handshake.
    pub fn remote_static(&self) -> &[u8] {
        &self.remote_static
    }

    /// A value unique to this session that both sides know (binds proofs to it).
    pub fn handshake_hash(&self) -> &[u8] {
        &self.handshake_hash
    }

    /// Splits the channel so one task can read while another writes.
    pub fn split(self) -> (NoiseReader<ReadHalf<S>>, NoiseWriter<WriteHalf<S>>) {
        let (r, w) = tokio::io::split(self.stream);
        (
            NoiseReader {
                stream: r,
                noise: self.noise.clone(),
                nonce: 0,
            },
            NoiseWriter {
                stream: w,
                noise: self.noise,
                nonce: 0,
            },
        )
    }
}

impl<W: AsyncWrite + Unpin> NoiseWriter<W> {
    /// Sends one message of any size (up to [`MAX_MESSAGE`]).
    pub async fn send(&mut self, message: &[u8]) -> Result<(), NetError> {
        if message.len() > MAX_MESSAGE {
            return Err(NetError::Protocol("message too large to send".into()));
        }
        let mut out = vec![0u8; MAX_NOISE];
        let mut plain = Vec::with_capacity(CHUNK + 1);
        let mut chunks = message.chunks(CHUNK).peekable();
        if chunks.peek().is_none() {
            plain.push(1);
            self.send_chunk(&plain, &mut out).await?;
        }
        while let Some(chunk) = chunks.next() {
            plain.clear();
            plain.push(u8::from(chunks.peek().is_none()));
            plain.extend_from_slice(chunk);
            self.send_chunk(&plain, &mut out).await?;
        }
        self.stream.flush().await?;
        Ok(())
    }

    async fn send_chunk(&mut self, plain: &[u8], out: &mut [u8]) -> Result<(), NetError> {
        let n = self
            .noise
            .write_message(self.nonce, plain, out)
            .map_err(NetError::Crypto)?;
        self.nonce += 1;
        write_frame(&mut self.stream, &out[..n]).await
    }
}

/// Whole messages from decrypted chunks (`[1 if last else 0][body]`), sans IO. What a peer
/// can make it hold is bounded by [`MAX_MESSAGE`], and a chunk that carries nothing ends
/// the session: an honest sender's only empty chunk is the one final chunk of an empty
/// message, so a stream of empty chunks is a flood, not a message.
#[derive(Debug, Default)]
pub struct Reassembly {
    message: Vec<u8>,
}

impl Reassembly {
    /// Takes one decrypted chunk; returns the message when this chunk was its last.
    pub fn push(&mut self, plain: &[u8]) -> Result<Option<Vec<u8>>, NetError> {
        let Some((&last, body)) = plain.split_first() else {
            return Err(NetError::Protocol("empty chunk".into()));
        };
        if body.is_empty() && (last != 1 || !self.message.is_empty()) {
            return Err(NetError::Protocol("a chunk that carries nothing".into()));
        }
        if self.message.len() + body.len() > MAX_MESSAGE {
            return Err(NetError::Protocol("message too large".into()));
        }
        self.message.extend_from_slice(body);
        match last {
            1 => Ok(Some(std::mem::take(&mut self.message))),
            0 => Ok(None),
            _ => Err(NetError::Protocol("bad chunk header".into())),
        }
    }
}

impl<R: AsyncRead + Unpin> NoiseReader<R> {
    /// Receives the next whole message.
    pub async fn recv(&mut self) -> Result<Vec<u8>, NetError> {
        let mut reassembly = Reassembly::default();
        let mut frame = Vec::new();
        let mut plain = vec![0u8; MAX_NOISE];
        let mut first = true;
        loop {
            read_frame(&mut self.stream, &mut frame, first).await?;
            first = false;
            let n = self
                .noise
                .read_message(self.nonce, &frame, &mut plain)
                .map_err(NetError::Crypto)?;
            self.nonce += 1;
            if let Some(message) = reassembly.push(&plain[..n])? {
                return Ok(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that hangs up while we write ended the session: `Closed`, as when it hangs
    /// up between the messages we read, not an error (a superseded session's end raced
    /// its last write and failed a test, now and then).
    #[tokio::test]
    async fn a_peer_hanging_up_while_we_write_is_a_normal_end() {
        let (mut ours, theirs) = tokio::io::duplex(64);
        drop(theirs);
        let written = write_frame(&mut ours, b"hello").await;
        assert!(matches!(written, Err(NetError::Closed)), "{written:?}");
    }

    fn keys() -> Vec<u8> {
        let params = NOISE_PARAMS.parse().unwrap();
        snow::Builder::new(params)
            .generate_keypair()
            .unwrap()
            .private
    }

    #[tokio::test]
    async fn messages_of_any_size_cross_in_chunks() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let (ka, kb) = (keys(), keys());
        let psk = [7u8; 32];
        let server =
            tokio::spawn(async move { NoiseChannel::handshake(b, false, &kb, &psk).await });
        let (_, mut client) = NoiseChannel::handshake(a, true, &ka, &psk)
            .await
            .unwrap()
            .split();
        let (mut server, _) = server.await.unwrap().unwrap().split();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for message in [Vec::new(), b"hello".to_vec(), vec![9u8; CHUNK], big] {
            let sent = message.clone();
            let send = tokio::spawn(async move {
                client.send(&sent).await.unwrap();
                client
            });
            assert_eq!(server.recv().await.unwrap(), message);
            client = send.await.unwrap();
        }
    }

    #[test]
    fn chunks_reassemble_and_empty_or_oversized_ones_are_refused() {
        let mut r = Reassembly::default();
        assert_eq!(r.push(&[0, 1, 2]).unwrap(), None);
        assert_eq!(r.push(&[1, 3]).unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(r.push(&[1]).unwrap(), Some(vec![]), "an empty message");
        assert!(r.push(&[]).is_err());
        assert!(r.push(&[0]).is_err(), "an empty chunk that is not the last");
        let mut r = Reassembly::default();
        r.push(&[0, 9]).unwrap();
        assert!(r.push(&[1]).is_err(), "an empty last chunk after data");
        assert!(Reassembly::default().push(&[2, 1]).is_err());
        let mut r = Reassembly::default();
        let big = vec![0u8; CHUNK + 1];
        let mut pushed = 0;
        let refused = loop {
            match r.push(&big) {
                Ok(_) => pushed += CHUNK,
                Err(e) => break e,
            }
        };
        assert!(pushed <= MAX_MESSAGE, "{refused}");
    }

    #[tokio::test]
    async fn a_wrong_secret_fails_the_handshake() {
        let (a, b) = tokio::io::duplex(1 << 16);
        let (ka, kb) = (keys(), keys());
        let server =
            tokio::spawn(async move { NoiseChannel::handshake(b, false, &kb, &[1u8; 32]).await });
        let client = NoiseChannel::handshake(a, true, &ka, &[2u8; 32]).await;
        let server = server.await.unwrap();
        assert!(client.is_err() || server.is_err());
        assert!(
            server.is_err(),
            "the responder must not accept a wrong secret"
        );
    }
}
