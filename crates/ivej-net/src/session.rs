//! One sync session with one peer over TCP, and a listener that accepts them.
//!
//! After the handshake both sides say hello (device, organisation, documents offered), then
//! send what the other lacks of every shared document. From then on a local change reaches
//! the peer without anyone pressing a button: the session follows the node's events.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ivej_model::NodeEvent;
use ivej_node::{Node, NodeError};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::channel::{NoiseChannel, NoiseWriter};
use crate::error::NetError;
use crate::identity::DeviceKeys;
use crate::wire::WireMessage;

/// How a session ended, and what it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    pub peer_device: String,
    pub peer_org: String,
    pub messages_sent: usize,
    pub messages_received: usize,
    /// Sync payload bytes received (before encryption overhead).
    pub bytes_received: usize,
}

/// Runs blocking node work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    node: &Arc<Node>,
    f: impl FnOnce(&Node) -> Result<T, NodeError> + Send + 'static,
) -> Result<T, NetError> {
    let node = node.clone();
    tokio::task::spawn_blocking(move || f(&node))
        .await
        .map_err(|e| NetError::Protocol(format!("node task failed: {e}")))?
        .map_err(NetError::from)
}

/// The time limits of a session. Both ends of a session should use the same ones: each
/// side's keepalive must come well within the other's idle limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// How long a peer may take to say hello after the handshake.
    pub hello: Duration,
    /// How long one message may take to leave: a peer that stops reading ends its session
    /// instead of holding this node's messages (and memory) forever.
    pub write: Duration,
    /// How long a peer may stay silent; a silent peer's session ends.
    pub idle: Duration,
    /// How often a session with nothing to say sends a keepalive.
    pub keepalive: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            hello: Duration::from_secs(10),
            write: Duration::from_secs(30),
            idle: Duration::from_secs(90),
            keepalive: Duration::from_secs(25),
        }
    }
}

/// A task that ends when this is dropped: however a session ends (also by an error that
/// returns early), its reading task goes with it and the connection closes. (The reading
/// half held by a task left running kept the socket open, and the peer waiting.)
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sessions a listener runs at once; connections beyond are closed at once.
pub const MAX_SESSIONS: usize = 64;
/// Connections one address may have that have not yet been admitted (handshake, hello,
/// certificate): enough for the devices of an office behind one address, too few for an
/// outsider who keeps opening connections to fill the listener's slots.
pub const MAX_UNADMITTED_PER_ADDRESS: usize = 8;

/// Connections in handshake, per address.
#[derive(Debug, Default)]
struct InHandshake(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

impl InHandshake {
    /// A token for a new connection from `ip`, or `None` when that address has too many
    /// connections in handshake already.
    fn admit(self: &Arc<Self>, ip: std::net::IpAddr) -> Option<Unadmitted> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if *count >= MAX_UNADMITTED_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(Unadmitted {
            table: self.clone(),
            ip,
        })
    }
}

/// One connection in handshake; dropped when it is admitted or ends.
#[derive(Debug)]
struct Unadmitted {
    table: Arc<InHandshake>,
    ip: std::net::IpAddr,
}

impl Drop for Unadmitted {
    fn drop(&mut self) {
        let mut counts = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

struct Peer {
    device: String,
    /// This session's number with the device (`Node::start_sync_session`).
    session: u64,
}

/// The sending half with its time limit, and when it last sent (for keepalives).
struct Outgoing<W> {
    writer: NoiseWriter<W>,
    limit: Duration,
    last_sent: tokio::time::Instant,
}

impl<W: tokio::io::AsyncWrite + Unpin> Outgoing<W> {
    async fn send(&mut self, message: &[u8]) -> Result<(), NetError> {
        tokio::time::timeout(self.limit, self.writer.send(message))
            .await
            .map_err(|_| NetError::Timeout)??;
        self.last_sent = tokio::time::Instant::now();
        Ok(())
    }
}

/// Sends every pending sync message for `docs`; returns how many.
async fn flush<W: tokio::io::AsyncWrite + Unpin>(
    node: &Arc<Node>,
    writer: &mut Outgoing<W>,
    peer: &Arc<Peer>,
    docs: &BTreeSet<String>,
) -> Result<usize, NetError> {
    let mut sent = 0;
    for doc in docs {
        loop {
            let (p, d) = (peer.clone(), doc.clone());
            let message = blocking(node, move |n| {
                match n.sync_message_in_session(&p.device, p.session, &d) {
                    // A document not shared with this peer (yet): skip it. Replaced by a
                    // newer session: nothing more to send (the loop then ends quietly).
                    Err(NodeError::NotAllowed(_) | NodeError::Superseded) => Ok(None),
                    other => other,
                }
            })
            .await?;
            let Some(payload) = message else { break };
            let wire = WireMessage::Sync {
                doc_id: doc.clone(),
                payload,
            };
            writer.send(&wire.encode()).await?;
            sent += 1;
        }
    }
    Ok(sent)
}

async fn run_session(
    node: Arc<Node>,
    stream: TcpStream,
    initiator: bool,
    limits: SessionLimits,
    mut shutdown: watch::Receiver<bool>,
    unadmitted: Option<Unadmitted>,
    via: ivej_model::Via,
) -> Result<SessionReport, NetError> {
    // Sync messages are small and latency matters more than packet count.
    stream.set_nodelay(true)?;
    let keys = blocking(&node, |n| {
        DeviceKeys::load_or_create(n).map_err(|e| match e {
            NetError::Node(e) => e,
            other => NodeError::Internal(other.to_string()),
        })
    })
    .await?;
    let psk = blocking(&node, |n| n.street_secret()).await?;
    let channel = NoiseChannel::handshake(stream, initiator, &keys.private, &psk).await?;
    let peer_key = channel.remote_static().to_vec();
    let (mut reader, writer) = channel.split();
    let mut writer = Outgoing {
        writer,
        limit: limits.write,
        last_sent: tokio::time::Instant::now(),
    };

    let (presentation, offered) = blocking(&node, |n| {
        Ok((n.presentation()?, n.documents_shared_with(None)?))
    })
    .await?;
    let mut revocations_sent = presentation.revocations.len();
    let hello = WireMessage::Hello {
        chain: presentation.chain,
        revocations: presentation.revocations,
        docs: offered,
    };
    writer.send(&hello.encode()).await?;
    // A peer that completes the handshake and then says nothing holds a slot: bounded.
    let hello = tokio::time::timeout(limits.hello, reader.recv())
        .await
        .map_err(|_| NetError::Timeout)??;
    let (chain, revocations) = match WireMessage::decode(&hello)? {
        WireMessage::Hello {
            chain,
            revocations,
            docs: _,
        } => (chain, revocations),
        WireMessage::Goodbye(why) => return Err(NetError::RefusedByPeer(why)),
        WireMessage::Sync { .. } | WireMessage::Ping | WireMessage::Revocations(_) => {
            return Err(NetError::Protocol("expected hello first".into()));
        }
    };
    // Who the peer is comes from its certificate, which must bind the very key the
    // handshake proved: never from anything the peer merely says.
    let key = peer_key.clone();
    let admitted = blocking(&node, move |n| n.admit_peer(&chain, &revocations, &key)).await;
    let identity = match admitted {
        Ok(identity) => identity,
        Err(NetError::Node(NodeError::Refused(why))) => {
            // Say why, so its user reads a reason; then end. The peer may be sending its
            // first messages already: read and drop them a moment (bounded), so it reads
            // the goodbye instead of failing on a closed connection.
            let _ = writer
                .send(&WireMessage::Goodbye(why.clone()).encode())
                .await;
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                while reader.recv().await.is_ok() {}
            })
            .await;
            return Err(NetError::Node(NodeError::Refused(why)));
        }
        Err(e) => return Err(e),
    };
    // Admitted: no longer counts against its address's connections in handshake.
    drop(unadmitted);
    let peer = (identity.device_id, identity.org_id);
    let (peer_device, peer_org) = peer;
    // What this node shares with the peer, never what the peer offers: documents a peer
    // names are no reason to create any (the hello's list is only informational).
    let (device, org) = (peer_device.clone(), peer_org.clone());
    let (session, shared) = blocking(&node, move |n| {
        let session = n.start_sync_session(&device, &peer_key)?;
        n.peer_connected(&device, &org, via)?;
        Ok((session, n.documents_shared_with(Some(&device))?))
    })
    .await?;
    let peer = Arc::new(Peer {
        device: peer_device.clone(),
        session,
    });
    let mut docs: BTreeSet<String> = shared.into_iter().collect();

    // Reading runs in its own task so waiting for the peer never cuts a message in half.
    // One message waits while one is applied: what a peer can make this session hold is a
    // few messages, not a queue of them (each may be up to 64 MiB).
    let (incoming_tx, mut incoming) = mpsc::channel::<Result<Vec<u8>, NetError>>(1);
    let _read_task = AbortOnDrop(tokio::spawn(async move {
        loop {
            let message = reader.recv().await;
            let failed = message.is_err();
            if incoming_tx.send(message).await.is_err() || failed {
                break;
            }
        }
    }));
    let mut events = node.subscribe();
    let mut report = SessionReport {
        peer_device,
        peer_org,
        messages_sent: 0,
        messages_received: 0,
        bytes_received: 0,
    };
    let mut last_received = tokio::time::Instant::now();
    // Every early return (`?`) inside lands here too, so the session's end is always
    // recorded (an error used to skip it: the peer stayed "connected").
    let result: Result<(), NetError> = async {
        report.messages_sent += flush(&node, &mut writer, &peer, &docs).await?;
        loop {
            // A newer session with the same device took over: end this one quietly.
            let p = peer.clone();
            if !blocking(&node, move |n| n.is_current_session(&p.device, session)).await? {
                // Or the peer was revoked since it was admitted: tell it, then end.
                let p = peer.clone();
                if let Err(NetError::Node(NodeError::Refused(why))) =
                    blocking(&node, move |n| n.admitted(&p.device)).await
                {
                    let _ = writer.send(&WireMessage::Goodbye(why.clone()).encode()).await;
                    break Err(NetError::Node(NodeError::Refused(why)));
                }
                break Ok(());
            }
            tokio::select! {
                message = incoming.recv() => {
                    let bytes = match message {
                        Some(Ok(bytes)) => bytes,
                        // The peer hung up between messages (it shut down, or it ended a
                        // session a newer one superseded): a normal end.
                        Some(Err(NetError::Closed)) => break Ok(()),
                        Some(Err(e)) => break Err(e),
                        None => break Ok(()),
                    };
                    last_received = tokio::time::Instant::now();
                    let (doc_id, payload) = match WireMessage::decode(&bytes)? {
                        WireMessage::Sync { doc_id, payload } => (doc_id, payload),
                        WireMessage::Ping => {
                            let p = peer.clone();
                            blocking(&node, move |n| n.peer_alive(&p.device)).await?;
                            continue;
                        }
                        WireMessage::Revocations(list) => {
                            blocking(&node, move |n| n.add_revocations(&list)).await?;
                            continue;
                        }
                        WireMessage::Goodbye(why) => break Err(NetError::RefusedByPeer(why)),
                        WireMessage::Hello { .. } => {
                            break Err(NetError::Protocol("a second hello".into()));
                        }
                    };
                    report.messages_received += 1;
                    report.bytes_received += payload.len();
                    let (p, d) = (peer.clone(), doc_id.clone());
                    let applied = blocking(&node, move |n| {
                        n.receive_sync_message_in_session(&p.device, p.session, &d, &payload)
                    })
                    .await;
                    match applied {
                        Ok(()) => {}
                        // A newer session with the device took over: end this one quietly.
                        Err(NetError::Node(NodeError::Superseded)) => break Ok(()),
                        // Asking for what is not shared is not worth a fight: ignore it.
                        Err(NetError::Node(NodeError::NotAllowed(_))) => continue,
                        // Anything else the peer sent that does not apply ends the session.
                        Err(e) => break Err(e),
                    }
                    let one = BTreeSet::from([doc_id]);
                    report.messages_sent += flush(&node, &mut writer, &peer, &one).await?;
                }
                event = events.recv() => {
                    // One flush answers a burst of events (a big sync touches thousands), and
                    // only of the documents they touched: typing the minutes flushes the minutes,
                    // not every document in every session.
                    let mut burst = Vec::new();
                    let mut lagged = false;
                    match event {
                        Ok(e) => burst.push(e),
                        Err(broadcast::error::RecvError::Lagged(_)) => lagged = true,
                        Err(broadcast::error::RecvError::Closed) => break Ok(()),
                    }
                    loop {
                        match events.try_recv() {
                            Ok(e) => burst.push(e),
                            Err(broadcast::error::TryRecvError::Lagged(_)) => lagged = true,
                            Err(_) => break,
                        }
                    }
                    // Revocations this node learnt go on to the peer at once.
                    if lagged || burst.iter().any(|e| matches!(e, NodeEvent::MembershipChanged)) {
                        let revocations = blocking(&node, |n| Ok(n.presentation()?.revocations)).await?;
                        if revocations.len() > revocations_sent {
                            revocations_sent = revocations.len();
                            writer.send(&WireMessage::Revocations(revocations).encode()).await?;
                        }
                    }
                    let p = peer.clone();
                    let (shared, touched) = blocking(&node, move |n| {
                        let shared = n.documents_shared_with(Some(&p.device))?;
                        let touched = if lagged {
                            None
                        } else {
                            Some(n.documents_touched_by(&burst)?)
                        };
                        Ok((shared, touched))
                    })
                    .await?;
                    // New minutes documents appear with meetings: those go out whole, since
                    // the peer's first messages about them may have come before the meeting.
                    let new: Vec<String> = shared.into_iter().filter(|d| !docs.contains(d)).collect();
                    docs.extend(new.iter().cloned());
                    let mut to_flush: BTreeSet<String> = match touched {
                        Some(touched) => docs.intersection(&touched).cloned().collect(),
                        None => docs.clone(),
                    };
                    to_flush.extend(new);
                    report.messages_sent += flush(&node, &mut writer, &peer, &to_flush).await?;
                }
                _ = tokio::time::sleep_until(last_received + limits.idle) => {
                    break Err(NetError::Timeout);
                }
                _ = tokio::time::sleep_until(writer.last_sent + limits.keepalive) => {
                    writer.send(&WireMessage::Ping.encode()).await?;
                }
                _ = shutdown.changed() => break Ok(()),
            }
        }
    }
    .await;
    let p = peer.clone();
    let _ = blocking(&node, move |n| n.end_sync_session(&p.device, session)).await;
    match result {
        // The peer hung up while we wrote: it ended the session, as a close between
        // messages does (the test of a second session took this for a failure, rarely).
        Ok(()) | Err(NetError::Closed) => Ok(report),
        Err(e) => Err(e),
    }
}

/// Connects to a peer and syncs until the connection ends or `shutdown` says so.
pub async fn connect(
    node: Arc<Node>,
    addr: SocketAddr,
    shutdown: watch::Receiver<bool>,
) -> Result<SessionReport, NetError> {
    connect_with(node, addr, SessionLimits::default(), shutdown).await
}

/// [`connect`] with other time limits (tests shorten them).
pub async fn connect_with(
    node: Arc<Node>,
    addr: SocketAddr,
    limits: SessionLimits,
    shutdown: watch::Receiver<bool>,
) -> Result<SessionReport, NetError> {
    // A dead address (a laptop gone, a firewall that drops) must not hold a dialer for the
    // minutes TCP itself would wait.
    let stream = tokio::time::timeout(limits.hello, TcpStream::connect(addr))
        .await
        .map_err(|_| NetError::Timeout)??;
    run_session(
        node,
        stream,
        true,
        limits,
        shutdown,
        None,
        ivej_model::Via::Lan,
    )
    .await
}

/// Runs a session on a connection a listener accepted.
pub async fn serve_connection(
    node: Arc<Node>,
    stream: TcpStream,
    limits: SessionLimits,
    shutdown: watch::Receiver<bool>,
) -> Result<SessionReport, NetError> {
    run_session(
        node,
        stream,
        false,
        limits,
        shutdown,
        None,
        ivej_model::Via::Lan,
    )
    .await
}

/// Runs a session over a live pipe through the relay (`initiator`: the side that called).
/// The session is the same as on the LAN, handshake, certificates and all; the relay
/// only copies its bytes.
pub async fn serve_relayed(
    node: Arc<Node>,
    stream: TcpStream,
    initiator: bool,
    limits: SessionLimits,
    shutdown: watch::Receiver<bool>,
) -> Result<SessionReport, NetError> {
    run_session(
        node,
        stream,
        initiator,
        limits,
        shutdown,
        None,
        ivej_model::Via::Relay,
    )
    .await
}

/// Accepts peers on a TCP port; each connection is its own session, so one bad peer never
/// disturbs the others.
#[derive(Debug)]
pub struct Listener {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Listener {
    pub async fn bind(node: Arc<Node>, addr: SocketAddr) -> Result<Listener, NetError> {
        Self::bind_with(node, addr, SessionLimits::default()).await
    }

    /// [`Listener::bind`] with other time limits for its sessions (tests shorten them).
    pub async fn bind_with(
        node: Arc<Node>,
        addr: SocketAddr,
        limits: SessionLimits,
    ) -> Result<Listener, NetError> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (shutdown, watch_rx) = watch::channel(false);
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SESSIONS));
        let in_handshake = Arc::new(InHandshake::default());
        let task = tokio::spawn(async move {
            let mut stop = watch_rx.clone();
            let mut sessions = tokio::task::JoinSet::new();
            loop {
                while sessions.try_join_next().is_some() {}
                tokio::select! {
                    accepted = listener.accept() => {
                        let (stream, from) = match accepted {
                            Ok(accepted) => accepted,
                            Err(_) => {
                                // Out of file descriptors (or a like fault): wait instead of
                                // spinning on an accept that fails at once.
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                continue;
                            }
                        };
                        // Too many from this address still in handshake, or full: close at
                        // once; the peer dials again later.
                        let Some(unadmitted) = in_handshake.admit(from.ip()) else { continue };
                        let Ok(slot) = slots.clone().try_acquire_owned() else { continue };
                        let node = node.clone();
                        let rx = watch_rx.clone();
                        sessions.spawn(async move {
                            // A failed session ends that peer's connection only.
                            let _ =
                                run_session(
                                    node,
                                    stream,
                                    false,
                                    limits,
                                    rx,
                                    Some(unadmitted),
                                    ivej_model::Via::Lan,
                                )
                                .await;
                            drop(slot);
                        });
                    }
                    _ = stop.changed() => break,
                }
            }
            // The sessions saw the same stop: let them end properly (each stores what the
            // peer has and that it is gone), within bounds.
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while sessions.join_next().await.is_some() {}
            })
            .await;
        });
        Ok(Listener {
            local_addr,
            shutdown,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting and ends the sessions it started.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
