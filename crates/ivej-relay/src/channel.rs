//! The control connection's encryption: Noise NK (the client knows the relay's static key
//! from the invite, the relay learns nothing of the client), then messages of up to
//! [`MAX_MESSAGE`] bytes cut into chunks under Noise's 65,535-byte limit.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::proto::MAX_MESSAGE;
use crate::RelayError;

pub const NOISE_PARAMS: &str = "Noise_NK_25519_ChaChaPoly_BLAKE2s";
const MAX_NOISE: usize = 65_535;
const TAG: usize = 16;
const CHUNK: usize = MAX_NOISE - TAG - 1;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn noise(e: snow::Error) -> RelayError {
    RelayError::Handshake(e.to_string())
}

async fn write_frame<S: AsyncWrite + Unpin>(
    stream: &mut S,
    frame: &[u8],
) -> Result<(), RelayError> {
    let len = u16::try_from(frame.len()).map_err(|_| RelayError::Protocol("frame too long"))?;
    let mut out = Vec::with_capacity(2 + frame.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(frame);
    stream.write_all(&out).await?;
    Ok(())
}

async fn read_frame<S: AsyncRead + Unpin>(
    stream: &mut S,
    buf: &mut Vec<u8>,
    between_messages: bool,
) -> Result<(), RelayError> {
    let mut len = [0u8; 2];
    if stream.read(&mut len[..1]).await? == 0 {
        return Err(if between_messages {
            RelayError::Closed
        } else {
            std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into()
        });
    }
    stream.read_exact(&mut len[1..]).await?;
    buf.resize(usize::from(u16::from_be_bytes(len)), 0);
    stream.read_exact(buf).await?;
    Ok(())
}

/// Runs the handshake. The client (`relay_key` given) pins the relay's static key; the
/// relay (`local_private` given) proves it holds it. Returns both halves and the
/// handshake hash, which topic proofs are bound to.
pub async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    relay_key: Option<&[u8; 32]>,
    local_private: Option<&[u8; 32]>,
) -> Result<
    (
        Reader<tokio::io::ReadHalf<S>>,
        Writer<tokio::io::WriteHalf<S>>,
        Vec<u8>,
    ),
    RelayError,
> {
    let run = async {
        let params = NOISE_PARAMS.parse().map_err(noise)?;
        let builder = snow::Builder::new(params);
        let mut hs = match (relay_key, local_private) {
            (Some(key), None) => builder
                .remote_public_key(key)
                .and_then(snow::Builder::build_initiator)
                .map_err(noise)?,
            (None, Some(private)) => builder
                .local_private_key(private)
                .and_then(snow::Builder::build_responder)
                .map_err(noise)?,
            _ => return Err(RelayError::Protocol("one side pins, the other proves")),
        };
        let mut frame = Vec::new();
        let mut out = vec![0u8; MAX_NOISE];
        let mut scratch = vec![0u8; MAX_NOISE];
        while !hs.is_handshake_finished() {
            if hs.is_my_turn() {
                let n = hs.write_message(&[], &mut out).map_err(noise)?;
                write_frame(&mut stream, &out[..n]).await?;
            } else {
                read_frame(&mut stream, &mut frame, false).await?;
                hs.read_message(&frame, &mut scratch).map_err(noise)?;
            }
        }
        let hash = hs.get_handshake_hash().to_vec();
        let transport = Arc::new(hs.into_stateless_transport_mode().map_err(noise)?);
        let (r, w) = tokio::io::split(stream);
        Ok((
            // Buffers grow when a message comes or goes: an idle connection (most of a
            // relay's) holds none.
            Reader {
                stream: r,
                noise: transport.clone(),
                nonce: 0,
                frame: Vec::new(),
                plain: Vec::new(),
            },
            Writer {
                stream: w,
                noise: transport,
                nonce: 0,
                out: Vec::new(),
            },
            hash,
        ))
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, run)
        .await
        .map_err(|_| RelayError::Timeout)?
}

/// The receiving half: whole messages, decrypted.
pub struct Reader<R> {
    stream: R,
    noise: Arc<snow::StatelessTransportState>,
    nonce: u64,
    frame: Vec<u8>,
    plain: Vec<u8>,
}

/// The sending half.
pub struct Writer<W> {
    stream: W,
    noise: Arc<snow::StatelessTransportState>,
    nonce: u64,
    out: Vec<u8>,
}

impl<R> std::fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl<W> std::fmt::Debug for Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

impl<W: AsyncWrite + Unpin> Writer<W> {
    pub async fn send(&mut self, message: &[u8]) -> Result<(), RelayError> {
        if message.len() > MAX_MESSAGE {
            return Err(RelayError::Protocol("message too large"));
        }
        let mut chunks = message.chunks(CHUNK).peekable();
        let mut plain = Vec::with_capacity(CHUNK + 1);
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let last = chunks.peek().is_none();
            plain.clear();
            plain.push(u8::from(last));
            plain.extend_from_slice(chunk);
            self.out.resize(plain.len() + TAG, 0);
            let n = self
                .noise
                .write_message(self.nonce, &plain, &mut self.out)
                .map_err(noise)?;
            self.nonce += 1;
            let frame = &self.out[..n];
            write_frame(&mut self.stream, frame).await?;
            if last {
                break;
            }
        }
        self.stream.flush().await?;
        Ok(())
    }
}

impl<R: AsyncRead + Unpin> Reader<R> {
    /// The next whole message. A message over [`MAX_MESSAGE`], or a chunk that carries
    /// nothing but is not the last, is an error.
    pub async fn recv(&mut self) -> Result<Vec<u8>, RelayError> {
        let mut message = Vec::new();
        loop {
            read_frame(&mut self.stream, &mut self.frame, message.is_empty()).await?;
            self.plain.resize(self.frame.len(), 0);
            let n = self
                .noise
                .read_message(self.nonce, &self.frame, &mut self.plain)
                .map_err(|_| RelayError::Protocol("a chunk that does not decrypt"))?;
            self.nonce += 1;
            let Some((&flag, data)) = self.plain[..n].split_first() else {
                return Err(RelayError::Protocol("an empty chunk"));
            };
            if flag > 1 || (flag == 0 && data.is_empty()) {
                return Err(RelayError::Protocol("a chunk that carries nothing"));
            }
            if message.len() + data.len() > MAX_MESSAGE {
                return Err(RelayError::Protocol("message too large"));
            }
            message.extend_from_slice(data);
            if flag == 1 {
                // A large message's buffers go with it.
                if self.frame.capacity() > 4096 {
                    self.frame = Vec::new();
                    self.plain = Vec::new();
                }
                return Ok(message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that keeps sending chunks that are "not the last" must not make the other
    /// side hold more than `MAX_MESSAGE`.
    #[tokio::test]
    async fn a_message_past_the_limit_ends_the_channel_before_it_is_all_held() {
        let relay_private = [5u8; 32];
        let relay_public = ivej_trust::noise_public_key(&relay_private);
        let (a, b) = tokio::io::duplex(1 << 20);
        let (client, server) = tokio::join!(
            handshake(a, Some(&relay_public), None),
            handshake(b, None, Some(&relay_private)),
        );
        let (_, mut writer, _) = client.unwrap();
        let (mut reader, _, _) = server.unwrap();
        let sending = tokio::spawn(async move {
            let mut plain = vec![0u8; CHUNK + 1];
            plain[0] = 0; // more follows, always
            let mut sent = 0;
            while sent <= MAX_MESSAGE + CHUNK {
                writer.out.resize(plain.len() + TAG, 0);
                let n = writer
                    .noise
                    .write_message(writer.nonce, &plain, &mut writer.out)
                    .unwrap();
                writer.nonce += 1;
                if write_frame(&mut writer.stream, &writer.out[..n])
                    .await
                    .is_err()
                {
                    return;
                }
                sent += CHUNK;
            }
        });
        let got = reader.recv().await;
        assert!(
            matches!(got, Err(RelayError::Protocol("message too large"))),
            "{got:?}"
        );
        drop(reader);
        sending.abort();
    }
}
