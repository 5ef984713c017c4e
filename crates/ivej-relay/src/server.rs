//! The relay server: accepts control connections (Noise NK), answers mailbox requests from
//! its [`Store`], pairs live sessions and copies their bytes. It holds no key of any
//! street and cannot read what it stores or copies.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;

use crate::channel;
use crate::limits::{Bucket, PerAddress};
use crate::proto::{ErrorCode, Reply, Request, JOINED, MAX_LIST, MODE_CONTROL, MODE_JOIN, PREFACE};
use crate::store::{Store, StoreError};
use crate::RelayError;

/// The relay's limits. The defaults suit a street's relay on a small machine; tests
/// shorten the times.
#[derive(Debug, Clone)]
pub struct RelayLimits {
    /// Open connections in all (lowered at start to 80 % of the file descriptors).
    pub max_connections: usize,
    pub per_address_connections: usize,
    /// New connections an address may open a second, and how many in a burst.
    pub connects_per_second: f64,
    pub connects_burst: f64,
    /// Puts a connection may make a second, and in a burst.
    pub puts_per_second: f64,
    pub puts_burst: f64,
    /// Bytes a connection may send a second, and in a burst (one snapshot fits).
    pub bytes_per_second: f64,
    pub bytes_burst: f64,
    /// A connection that sends nothing for this long is closed (clients ping every 30 s).
    pub idle: Duration,
    /// How long one side of a live session waits for the other.
    pub join_wait: Duration,
    /// Topics one connection may open.
    pub topics_per_connection: usize,
    /// How long a snapshot stands before the entries it covers are deleted.
    pub grace: Duration,
    pub prune_every: Duration,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits {
            max_connections: 10_000,
            per_address_connections: 64,
            connects_per_second: 10.0,
            connects_burst: 20.0,
            puts_per_second: 20.0,
            puts_burst: 40.0,
            bytes_per_second: 2.0 * 1024.0 * 1024.0,
            bytes_burst: 32.0 * 1024.0 * 1024.0,
            idle: Duration::from_secs(120),
            join_wait: Duration::from_secs(60),
            topics_per_connection: 4096,
            grace: Duration::from_secs(30 * 24 * 3600),
            prune_every: Duration::from_secs(60),
        }
    }
}

/// Live-session keys waiting for their second side, at most (each waits a minute).
const MAX_WAITING: usize = 10_000;

/// What the relay answers a preface with, before any encryption: go on, or an error code
/// and when to try again.
const PREFACE_OK: u8 = 0;

/// The soft limit on open files, read from `/proc/self/limits` (no `unsafe` here).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A running relay.
#[derive(Debug)]
pub struct RelayServer {
    local_addr: SocketAddr,
    public_key: [u8; 32],
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Live sessions: who listens under which name, and joins waiting for their other side.
#[derive(Debug, Default)]
struct Live {
    listeners: HashMap<[u8; 32], (u64, mpsc::Sender<Reply>)>,
    waiting: HashMap<[u8; 32], (Instant, Option<TcpStream>)>,
}

struct Shared<S> {
    store: S,
    limits: RelayLimits,
    live: Mutex<Live>,
    private_key: [u8; 32],
    next_connection: std::sync::atomic::AtomicU64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl RelayServer {
    /// Binds `listen` and serves with `store` until [`RelayServer::shutdown`].
    pub async fn bind<S: Store>(
        listen: SocketAddr,
        private_key: [u8; 32],
        store: S,
        mut limits: RelayLimits,
    ) -> Result<RelayServer, RelayError> {
        if let Some(files) = open_files_limit() {
            // A live session holds two sockets; leave room for the store and the rest.
            limits.max_connections = limits.max_connections.min(files * 8 / 10);
        }
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        let public_key = ivej_trust::noise_public_key(&private_key);
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            store,
            limits,
            live: Mutex::new(Live::default()),
            private_key,
            next_connection: 0.into(),
        });
        let task = tokio::spawn(accept_loop(listener, shared, stop_rx));
        tracing::info!(%local_addr, "relay listening");
        Ok(RelayServer {
            local_addr,
            public_key,
            stop,
            task,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The static key clients pin (an invite carries it).
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// Stops accepting, ends every connection (within 5 s) and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        tracing::info!("relay stopped");
    }
}

async fn accept_loop<S: Store>(
    listener: TcpListener,
    shared: Arc<Shared<S>>,
    stop_rx: watch::Receiver<bool>,
) {
    let limits = shared.limits.clone();
    let per_address = PerAddress::new(
        limits.per_address_connections,
        limits.connects_per_second,
        limits.connects_burst,
    );
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut connections = tokio::task::JoinSet::new();
    let mut stop = stop_rx.clone();
    let mut prune = tokio::time::interval(limits.prune_every);
    let mut sweep = tokio::time::interval(Duration::from_secs(1).min(limits.join_wait));
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, from) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let admitted = per_address.admit(from.ip()).and_then(|slot| {
                    slots.clone().try_acquire_owned()
                        .map(|global| (slot, global))
                        .map_err(|_| Duration::from_secs(10))
                });
                match admitted {
                    Ok((slot, global)) => {
                        let shared = shared.clone();
                        let stop = stop_rx.clone();
                        connections.spawn(async move {
                            if let Err(e) = connection(stream, shared, stop).await {
                                tracing::debug!(%from, error = %e, "connection ended");
                            }
                            drop((slot, global));
                        });
                    }
                    Err(wait) => {
                        tracing::debug!(%from, "connection refused: limits");
                        connections.spawn(refuse(stream, ErrorCode::TooManyConnections, wait));
                    }
                }
            }
            _ = prune.tick() => {
                let cutoff = now_ms() - shared.limits.grace.as_millis() as i64;
                match shared.store.prune(cutoff).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(entries = n, "pruned behind snapshots"),
                    Err(e) => tracing::warn!(error = %e, "pruning failed"),
                }
            }
            _ = sweep.tick() => {
                let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
                let wait = shared.limits.join_wait;
                live.waiting.retain(|_, (since, _)| since.elapsed() < wait);
            }
            _ = stop.changed() => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
}

/// Tells a client it cannot come in now (in the clear: it has not shaken hands), then closes.
async fn refuse(mut stream: TcpStream, code: ErrorCode, wait: Duration) {
    let reply = Reply::Error {
        code,
        retry_after_ms: wait.as_millis().min(u128::from(u32::MAX)) as u32,
        text: String::new(),
    }
    .encode();
    let mut out = vec![1u8];
    out.extend_from_slice(&(reply.len() as u16).to_be_bytes());
    out.extend_from_slice(&reply);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        // Read the preface first: closing with unread bytes resets the connection, and
        // the client would lose the answer.
        let mut preface = [0u8; 5];
        stream.read_exact(&mut preface).await?;
        stream.write_all(&out).await?;
        stream.shutdown().await
    })
    .await;
}

async fn connection<S: Store>(
    mut stream: TcpStream,
    shared: Arc<Shared<S>>,
    stop: watch::Receiver<bool>,
) -> Result<(), RelayError> {
    let mut preface = [0u8; 5];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut preface))
        .await
        .map_err(|_| RelayError::Timeout)??;
    if &preface[..4] != PREFACE {
        return Err(RelayError::Protocol("not a relay client"));
    }
    match preface[4] {
        MODE_CONTROL => {
            stream.write_all(&[PREFACE_OK]).await?;
            control(stream, shared, stop).await
        }
        MODE_JOIN => join(stream, shared, stop).await,
        _ => Err(RelayError::Protocol("unknown mode")),
    }
}

/// One side of a live session arrives with its key: it waits for the other, or meets it
/// and the two are spliced. The relay copies bytes and reads none of them.
async fn join<S: Store>(
    mut stream: TcpStream,
    shared: Arc<Shared<S>>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), RelayError> {
    let mut key = [0u8; 32];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut key))
        .await
        .map_err(|_| RelayError::Timeout)??;
    let other = {
        let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
        match live.waiting.get_mut(&key) {
            None => return Err(RelayError::Protocol("an unknown or expired session key")),
            Some((_, slot @ None)) => {
                *slot = Some(stream);
                return Ok(());
            }
            Some((_, Some(_))) => live.waiting.remove(&key).and_then(|(_, s)| s),
        }
    };
    let Some(mut other) = other else {
        return Ok(());
    };
    stream.write_all(&[JOINED]).await?;
    other.write_all(&[JOINED]).await?;
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut stream, &mut other) => {}
        _ = stop.changed() => {}
    }
    Ok(())
}

fn error(code: ErrorCode, text: &str) -> Reply {
    Reply::Error {
        code,
        retry_after_ms: 0,
        text: text.to_string(),
    }
}

fn store_error(e: StoreError) -> Reply {
    match e {
        StoreError::TopicFull => error(ErrorCode::TopicFull, "the topic is full"),
        StoreError::BadCovers => error(ErrorCode::Malformed, "a snapshot covering the future"),
        StoreError::Backend(why) => {
            tracing::warn!(error = %why, "storage failed");
            Reply::Error {
                code: ErrorCode::Unavailable,
                retry_after_ms: 1000,
                text: "storage unavailable".into(),
            }
        }
    }
}

async fn control<S: Store>(
    stream: TcpStream,
    shared: Arc<Shared<S>>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), RelayError> {
    let (mut reader, mut writer, hash) =
        channel::handshake(stream, None, Some(&shared.private_key)).await?;
    let id = shared
        .next_connection
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Replies and pushes leave through one task, in order; a client that stops reading
    // fills this queue and is then closed, never held in memory.
    let (out_tx, mut out_rx) = mpsc::channel::<Reply>(64);
    let limits = shared.limits.clone();
    let writing = tokio::spawn(async move {
        while let Some(reply) = out_rx.recv().await {
            let bytes = reply.encode();
            let sent = tokio::time::timeout(Duration::from_secs(30), writer.send(&bytes)).await;
            if !matches!(sent, Ok(Ok(()))) {
                break;
            }
        }
    });
    // Reading in its own task too, so that a message is never cut by a select.
    let (in_tx, mut incoming) = mpsc::channel::<Result<Vec<u8>, RelayError>>(1);
    let reading = tokio::spawn(async move {
        loop {
            let message = reader.recv().await;
            let failed = message.is_err();
            if in_tx.send(message).await.is_err() || failed {
                break;
            }
        }
    });
    let mut opened: HashSet<[u8; 32]> = HashSet::new();
    let mut notices = shared.store.subscribe();
    let mut puts = Bucket::new(limits.puts_per_second, limits.puts_burst);
    let mut bytes = Bucket::new(limits.bytes_per_second, limits.bytes_burst);
    let mut listening: Option<[u8; 32]> = None;
    // Notices that did not fit the reply queue, newest number per topic: a burst of puts
    // (PostgreSQL delivers notices by the commit) is told as one notice per topic once
    // there is room, never by closing the connection.
    let mut held: std::collections::HashMap<[u8; 32], u64> = std::collections::HashMap::new();
    let mut retry_held = tokio::time::interval(Duration::from_millis(20));
    let result = loop {
        held.retain(|topic, seq| {
            out_tx
                .try_send(Reply::Notify {
                    topic: *topic,
                    seq: *seq,
                })
                .is_err()
        });
        tokio::select! {
            message = tokio::time::timeout(limits.idle, incoming.recv()) => {
                let message = match message {
                    Err(_) => break Err(RelayError::Timeout),
                    Ok(None) | Ok(Some(Err(RelayError::Closed))) => break Ok(()),
                    Ok(Some(Err(e))) => break Err(e),
                    Ok(Some(Ok(m))) => m,
                };
                let now = Instant::now();
                if let Err(wait) = bytes.take(message.len() as f64, now) {
                    if out_tx.send(rate_limited(wait)).await.is_err() { break Ok(()) }
                    continue;
                }
                let request = match Request::decode(&message) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = out_tx.send(error(ErrorCode::Malformed, e.0)).await;
                        break Err(RelayError::Protocol("a malformed request"));
                    }
                };
                let reply = match request {
                    Request::Ping => Reply::Pong,
                    Request::Open { topic, proof } => {
                        if !ivej_trust::mailbox::verify_open(&topic, &hash, &proof) {
                            error(ErrorCode::BadProof, "no proof of the topic's key")
                        } else if opened.len() >= limits.topics_per_connection
                            && !opened.contains(&topic)
                        {
                            error(ErrorCode::TooLarge, "too many topics on one connection")
                        } else {
                            opened.insert(topic);
                            match shared.store.last_seq(topic).await {
                                Ok(last_seq) => Reply::Opened { topic, last_seq },
                                Err(e) => store_error(e),
                            }
                        }
                    }
                    Request::Put { topic, bundle } => {
                        put(&shared, &opened, &mut puts, topic, bundle, None).await
                    }
                    Request::PutSnapshot { topic, covers, bundle } => {
                        put(&shared, &opened, &mut puts, topic, bundle, Some(covers)).await
                    }
                    Request::List { topic, after, max } => {
                        if opened.contains(&topic) {
                            match shared.store.list(topic, after, max.min(MAX_LIST)).await {
                                Ok(l) => Reply::Listed {
                                    topic,
                                    snapshot: l.snapshot,
                                    entries: l.entries,
                                    last_seq: l.last_seq,
                                },
                                Err(e) => store_error(e),
                            }
                        } else {
                            error(ErrorCode::NotOpen, "open the topic first")
                        }
                    }
                    Request::Get { topic, seq } => {
                        if opened.contains(&topic) {
                            match shared.store.get(topic, seq).await {
                                Ok(Some(bundle)) => Reply::Bundle { topic, seq, bundle },
                                Ok(None) => error(ErrorCode::NotFound, "no such entry"),
                                Err(e) => store_error(e),
                            }
                        } else {
                            error(ErrorCode::NotOpen, "open the topic first")
                        }
                    }
                    Request::Listen { rendezvous } => {
                        let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
                        if let Some(old) = listening.replace(rendezvous) {
                            if live.listeners.get(&old).is_some_and(|(c, _)| *c == id) {
                                live.listeners.remove(&old);
                            }
                        }
                        live.listeners.insert(rendezvous, (id, out_tx.clone()));
                        Reply::Listening
                    }
                    Request::Connect { rendezvous } => {
                        // A call costs what a put does: each leaves a key waiting for a
                        // minute, and calls the listener.
                        let called = {
                            let live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
                            if live.waiting.len() >= MAX_WAITING {
                                Err(Duration::from_secs(5))
                            } else {
                                puts.take(1.0, Instant::now()).map(|()| {
                                    live.listeners.get(&rendezvous).map(|(_, tx)| tx.clone())
                                })
                            }
                        };
                        match called {
                            Err(wait) => rate_limited(wait),
                            Ok(called) => match called {
                            Some(callee) => {
                                let key: [u8; 32] = rand::random();
                                shared
                                    .live
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .waiting
                                    .insert(key, (Instant::now(), None));
                                if callee.try_send(Reply::Called { key }).is_ok() {
                                    Reply::Invitation { key }
                                } else {
                                    error(ErrorCode::NotOnline, "the peer does not answer")
                                }
                            }
                            None => Reply::Error {
                                code: ErrorCode::NotOnline,
                                retry_after_ms: 5000,
                                text: "nobody listens under that name".into(),
                            },
                            },
                        }
                    }
                };
                if out_tx.send(reply).await.is_err() {
                    break Ok(());
                }
            }
            notice = notices.recv() => {
                match notice {
                    Ok((topic, seq)) if opened.contains(&topic) => {
                        let newest = held.entry(topic).or_insert(seq);
                        *newest = (*newest).max(seq);
                    }
                    Ok(_) => {}
                    // Missed notices: every opened topic may have news.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        for topic in &opened {
                            held.entry(*topic).or_insert(0);
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break Ok(()),
                }
            }
            _ = retry_held.tick(), if !held.is_empty() => {}
            _ = stop.changed() => break Ok(()),
        }
    };
    if let Some(rendezvous) = listening {
        let mut live = shared.live.lock().unwrap_or_else(|e| e.into_inner());
        if live
            .listeners
            .get(&rendezvous)
            .is_some_and(|(c, _)| *c == id)
        {
            live.listeners.remove(&rendezvous);
        }
    }
    drop(out_tx);
    reading.abort();
    let _ = tokio::time::timeout(Duration::from_secs(2), writing).await;
    result
}

fn rate_limited(wait: Duration) -> Reply {
    Reply::Error {
        code: ErrorCode::RateLimited,
        retry_after_ms: wait.as_millis().min(u128::from(u32::MAX)) as u32,
        text: "too fast".into(),
    }
}

async fn put<S: Store>(
    shared: &Shared<S>,
    opened: &HashSet<[u8; 32]>,
    puts: &mut Bucket,
    topic: [u8; 32],
    bundle: Vec<u8>,
    covers: Option<u64>,
) -> Reply {
    if !opened.contains(&topic) {
        return error(ErrorCode::NotOpen, "open the topic first");
    }
    if let Err(wait) = puts.take(1.0, Instant::now()) {
        return rate_limited(wait);
    }
    // The relay reads the header (and only the header): a bundle must be filed under the
    // topic it was sealed for, and a snapshot must say so.
    let Ok(header) = ivej_trust::mailbox::BundleHeader::decode(&bundle) else {
        return error(ErrorCode::Malformed, "not a bundle");
    };
    let is_snapshot = header.kind == ivej_trust::mailbox::BundleKind::Snapshot;
    if header.topic != topic || is_snapshot != covers.is_some() {
        return error(ErrorCode::Malformed, "a bundle of another topic or kind");
    }
    match shared.store.put(topic, bundle, covers, now_ms()).await {
        Ok(seq) => Reply::Stored { topic, seq },
        Err(e) => store_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{join, Push, RelayClient};
    use crate::sqlite::SqliteStore;
    use crate::RelayAddress;
    use ivej_trust::mailbox::{BundleKind, EpochKey};
    use ivej_trust::SigningSecret;

    async fn relay(limits: RelayLimits) -> (RelayServer, RelayAddress, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("relay.sqlite")).unwrap();
        let (server, address) = relay_over(store, limits).await;
        (server, address, dir)
    }

    async fn relay_over(store: SqliteStore, limits: RelayLimits) -> (RelayServer, RelayAddress) {
        let server = RelayServer::bind("127.0.0.1:0".parse().unwrap(), [42; 32], store, limits)
            .await
            .unwrap();
        let address = RelayAddress {
            addr: server.local_addr().to_string(),
            key: server.public_key(),
        };
        (server, address)
    }

    fn sealed(topic: &ivej_trust::mailbox::Topic, body: &[u8]) -> Vec<u8> {
        let device = SigningSecret::from_seed([1; 32]);
        topic
            .seal(BundleKind::Changes, &device, 0, body, rand::random())
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_member_puts_lists_and_gets_and_an_outsider_can_do_none_of_it() {
        let (server, address, _dir) = relay(RelayLimits::default()).await;
        let topic = EpochKey::first(&[7; 32]).topic("street:s");
        let (alice, _) = RelayClient::connect(&address).await.unwrap();
        let proof = topic.open_proof(alice.handshake_hash());
        assert_eq!(alice.open(topic.id, proof).await.unwrap(), 0);
        let one = sealed(&topic, b"one");
        assert_eq!(alice.put(topic.id, one.clone()).await.unwrap(), 1);
        assert_eq!(
            alice.put(topic.id, sealed(&topic, b"two")).await.unwrap(),
            2
        );
        // The same bundle again keeps its number.
        assert_eq!(alice.put(topic.id, one.clone()).await.unwrap(), 1);

        // Bob, a member, is told of new entries in the topic he opened.
        let (bob, mut pushes) = RelayClient::connect(&address).await.unwrap();
        bob.open(topic.id, topic.open_proof(bob.handshake_hash()))
            .await
            .unwrap();
        let listing = bob.list(topic.id, 0, 100).await.unwrap();
        assert_eq!(listing.entries.len(), 2);
        assert_eq!(listing.last_seq, 2);
        let got = bob.get(topic.id, 1).await.unwrap();
        assert_eq!(topic.open(&got).unwrap().body, b"one");
        alice.put(topic.id, sealed(&topic, b"three")).await.unwrap();
        let push = tokio::time::timeout(Duration::from_secs(5), pushes.recv())
            .await
            .unwrap();
        assert_eq!(
            push,
            Some(Push::Notify {
                topic: topic.id,
                seq: 3
            })
        );

        // An outsider knows the topic id (say it watched the network) but not its key.
        let (mallory, _) = RelayClient::connect(&address).await.unwrap();
        let replayed = mallory.open(topic.id, proof).await;
        assert!(
            matches!(
                replayed,
                Err(RelayError::Refused {
                    code: ErrorCode::BadProof,
                    ..
                })
            ),
            "a proof from another connection: {replayed:?}"
        );
        for refused in [
            mallory.list(topic.id, 0, 10).await.map(drop),
            mallory.get(topic.id, 1).await.map(drop),
            mallory
                .put(topic.id, sealed(&topic, b"spam"))
                .await
                .map(drop),
        ] {
            assert!(matches!(
                refused,
                Err(RelayError::Refused {
                    code: ErrorCode::NotOpen,
                    ..
                })
            ));
        }
        // A bundle sealed for another topic is not filed under this one.
        let other = EpochKey::first(&[7; 32]).topic("minutes:m");
        let wrong = alice.put(topic.id, sealed(&other, b"elsewhere")).await;
        assert!(matches!(
            wrong,
            Err(RelayError::Refused {
                code: ErrorCode::Malformed,
                ..
            })
        ));
        assert_eq!(bob.list(topic.id, 0, 100).await.unwrap().last_seq, 3);

        // A client that pinned another key does not get through the handshake.
        let impostor = RelayAddress {
            key: [9; 32],
            ..address.clone()
        };
        assert!(RelayClient::connect(&impostor).await.is_err());
        server.shutdown().await;
    }

    /// A store whose notices the test sends itself, all at once.
    #[derive(Debug, Clone)]
    struct Bursty {
        inner: SqliteStore,
        notices: tokio::sync::broadcast::Sender<crate::store::Announcement>,
    }

    impl Store for Bursty {
        async fn put(
            &self,
            topic: [u8; 32],
            bundle: Vec<u8>,
            covers: Option<u64>,
            now_ms: i64,
        ) -> Result<u64, StoreError> {
            self.inner.put(topic, bundle, covers, now_ms).await
        }
        async fn list(
            &self,
            topic: [u8; 32],
            after: u64,
            max: u16,
        ) -> Result<crate::store::Listing, StoreError> {
            self.inner.list(topic, after, max).await
        }
        async fn get(&self, topic: [u8; 32], seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
            self.inner.get(topic, seq).await
        }
        async fn last_seq(&self, topic: [u8; 32]) -> Result<u64, StoreError> {
            self.inner.last_seq(topic).await
        }
        async fn prune(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
            self.inner.prune(cutoff_ms).await
        }
        fn subscribe(&self) -> tokio::sync::broadcast::Receiver<crate::store::Announcement> {
            self.notices.subscribe()
        }
    }

    /// A burst of new entries (PostgreSQL hands notices over by the commit, thousands at
    /// once from other instances) filled the reply queue, and the relay closed the client
    /// as one that does not read.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_of_entries_is_told_as_notices_without_closing_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let (notices, _) = tokio::sync::broadcast::channel(4096);
        let store = Bursty {
            inner: SqliteStore::open(&dir.path().join("relay.sqlite")).unwrap(),
            notices: notices.clone(),
        };
        let server = RelayServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            [42; 32],
            store,
            RelayLimits::default(),
        )
        .await
        .unwrap();
        let address = RelayAddress {
            addr: server.local_addr().to_string(),
            key: server.public_key(),
        };
        let topic = EpochKey::first(&[7; 32]).topic("street:s");
        let (client, mut pushes) = RelayClient::connect(&address).await.unwrap();
        client
            .open(topic.id, topic.open_proof(client.handshake_hash()))
            .await
            .unwrap();
        // More than the relay's reply queue (64) holds, fewer than the client's own queue
        // of pushes (256), which drops hints its user does not take in time.
        for seq in 1..=200 {
            notices.send((topic.id, seq)).unwrap();
        }
        let mut newest = 0;
        while newest < 200 {
            match tokio::time::timeout(Duration::from_secs(10), pushes.recv()).await {
                Ok(Some(Push::Notify { seq, .. })) => newest = newest.max(seq),
                other => panic!("the notices stopped at {newest}: {other:?}"),
            }
        }
        client.ping().await.expect("the client was closed");
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_client_is_closed_after_the_idle_limit_and_a_pinging_one_is_kept() {
        let limits = RelayLimits {
            idle: Duration::from_millis(300),
            ..RelayLimits::default()
        };
        let (server, address, _dir) = relay(limits).await;
        let (silent, _) = RelayClient::connect(&address).await.unwrap();
        let (pinging, _) = RelayClient::connect(&address).await.unwrap();
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            pinging.ping().await.unwrap();
        }
        assert!(silent.ping().await.is_err(), "a silent client was kept");
        pinging.ping().await.unwrap();
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_members_online_together_get_a_pipe_that_carries_their_bytes() {
        let (server, address, _dir) = relay(RelayLimits::default()).await;
        let (listener, mut pushes) = RelayClient::connect(&address).await.unwrap();
        listener.listen([5; 32]).await.unwrap();
        let (caller, _) = RelayClient::connect(&address).await.unwrap();
        assert!(matches!(
            caller.call([6; 32]).await,
            Err(RelayError::Refused {
                code: ErrorCode::NotOnline,
                ..
            })
        ));
        let key = caller.call([5; 32]).await.unwrap();
        let Some(Push::Called { key: called }) = pushes.recv().await else {
            panic!("the listener was not called");
        };
        assert_eq!(called, key);
        let wait = Duration::from_secs(5);
        let (a, b) = tokio::join!(join(&address, key, wait), join(&address, called, wait));
        let (mut a, mut b) = (a.unwrap(), b.unwrap());
        a.write_all(b"hello through the relay").await.unwrap();
        let mut got = [0u8; 23];
        b.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hello through the relay");
        // A key is used once.
        assert!(join(&address, key, Duration::from_millis(500))
            .await
            .is_err());
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_too_fast_is_told_when_to_come_back_and_a_flood_of_connections_is_refused() {
        let limits = RelayLimits {
            puts_per_second: 1.0,
            puts_burst: 2.0,
            connects_per_second: 1.0,
            connects_burst: 3.0,
            ..RelayLimits::default()
        };
        let (server, address, _dir) = relay(limits).await;
        let topic = EpochKey::first(&[7; 32]).topic("street:s");
        let (client, _) = RelayClient::connect(&address).await.unwrap();
        client
            .open(topic.id, topic.open_proof(client.handshake_hash()))
            .await
            .unwrap();
        client.put(topic.id, sealed(&topic, b"1")).await.unwrap();
        client.put(topic.id, sealed(&topic, b"2")).await.unwrap();
        let limited = client
            .put(topic.id, sealed(&topic, b"3"))
            .await
            .unwrap_err();
        let wait = crate::client::retry_after(&limited).expect("a time to come back");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // The connection goes on: after the wait, the put is taken.
        tokio::time::sleep(wait).await;
        client.put(topic.id, sealed(&topic, b"3")).await.unwrap();
        // Calls for live sessions cost the same: a flood of them is told to wait.
        let mut limited = None;
        for _ in 0..5 {
            if let Err(e) = client.call([8; 32]).await {
                if crate::client::retry_after(&e).is_some() {
                    limited = Some(e);
                    break;
                }
            }
        }
        assert!(limited.is_some(), "calls were not rate limited");
        // Connections beyond the address's burst are refused, with a time to come back.
        let mut refused = None;
        let mut kept = Vec::new();
        for _ in 0..5 {
            match RelayClient::connect(&address).await {
                Ok(c) => kept.push(c),
                Err(e) => refused = Some(e),
            }
        }
        let refused = refused.expect("a refusal");
        assert!(
            matches!(
                refused,
                RelayError::Refused {
                    code: ErrorCode::TooManyConnections,
                    ..
                }
            ),
            "{refused:?}"
        );
        assert!(crate::client::retry_after(&refused).is_some());
        server.shutdown().await;
    }
}
