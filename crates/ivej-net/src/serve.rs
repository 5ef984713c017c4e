//! A node's whole network side: accept peers, find them on the LAN, dial the ones it was
//! told about, keep reconnecting, and notice what other processes write to the data
//! directory so it reaches the peers too.

use std::collections::{BTreeSet, HashMap};
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ivej_node::Node;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::discovery::{device_pseudonym, Discovery};
use crate::error::NetError;
use crate::session::{connect, Listener};

/// The port peers expect (and invites with an address name); any free one is used when it
/// is taken, as mDNS announces whichever port is in use.
pub const DEFAULT_PORT: u16 = 7117;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to accept peers (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Announce and look for peers with mDNS.
    pub lan_discovery: bool,
    /// Peers to dial directly (`host:port`), besides those stored in the node.
    pub peers: Vec<String>,
    /// How often to look for changes other processes made to the data directory.
    pub refresh_every: Duration,
    /// Entries in a mailbox topic after which this device puts a snapshot (tests lower it).
    pub snapshot_every: u64,
    /// Live sessions through the relay with members online at the same time (the mailbox
    /// works either way); off, only the mailbox carries changes through the relay.
    pub relay_live: bool,
}

/// Where to accept peers unless told: on every interface with LAN discovery, on loopback
/// only without it. A user who switched the LAN off has not asked to be reachable from it
/// (this device still dials the peers it knows, and sessions go both ways).
pub fn default_listen(lan_discovery: bool) -> SocketAddr {
    let ip = if lan_discovery {
        std::net::Ipv4Addr::UNSPECIFIED
    } else {
        std::net::Ipv4Addr::LOCALHOST
    };
    SocketAddr::from((ip, DEFAULT_PORT))
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: default_listen(true),
            lan_discovery: true,
            peers: Vec::new(),
            refresh_every: Duration::from_millis(300),
            snapshot_every: ivej_node::SNAPSHOT_EVERY,
            relay_live: true,
        }
    }
}

/// A running network side. Dropping it without [`Server::shutdown`] leaves tasks running
/// until the runtime ends.
#[derive(Debug)]
pub struct Server {
    node: Arc<Node>,
    listener: Listener,
    stop: watch::Sender<bool>,
    /// Tells every dialer to try again now instead of after its backoff.
    wake: Arc<Notify>,
    connected: Connected,
    tasks: Vec<JoinHandle<()>>,
}

/// Devices with a session under way, so one peer is dialled once.
type Connected = Arc<Mutex<BTreeSet<String>>>;

/// Dials the addresses `addresses` holds until a session runs, again after it ends, until
/// told to stop. The addresses can change while it waits (a peer's new port or network, seen
/// in a newer announcement): then it dials at once.
async fn keep_dialing(
    node: Arc<Node>,
    mut addresses: watch::Receiver<Vec<SocketAddr>>,
    key: String,
    connected: Connected,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            return;
        }
        let fresh = connected
            .lock()
            .map(|mut c| c.insert(key.clone()))
            .unwrap_or(false);
        if fresh {
            let now: Vec<SocketAddr> = addresses.borrow_and_update().clone();
            for addr in &now {
                if connect(node.clone(), *addr, stop.clone()).await.is_ok() {
                    backoff = Duration::from_millis(200);
                    break;
                }
            }
            if let Ok(mut c) = connected.lock() {
                c.remove(&key);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {
                backoff = (backoff * 2).min(Duration::from_secs(15));
            }
            _ = wake.notified() => backoff = Duration::from_millis(200),
            Ok(()) = addresses.changed() => backoff = Duration::from_millis(200),
            _ = stop.changed() => return,
        }
    }
}

/// The addresses to dial a device at, after an announcement of `announced`: the newly
/// announced ones first, then the ones known before, at most [`MAX_ADDRESSES`], and always
/// the first address the device was known at. An announcement that replays the street's
/// tag with another device's id cannot push out where that device really is; a device that
/// moved is dialled where it is now.
pub(crate) fn merge_addresses(known: &[SocketAddr], announced: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut merged: Vec<SocketAddr> = Vec::new();
    let first = known.first();
    let room = MAX_ADDRESSES - usize::from(first.is_some());
    for addr in announced.iter().chain(known) {
        if Some(addr) != first && !merged.contains(addr) && merged.len() < room {
            merged.push(*addr);
        }
    }
    merged.extend(first);
    merged
}

/// Addresses kept per device found on the LAN.
const MAX_ADDRESSES: usize = 8;

fn resolve(address: &str) -> Vec<SocketAddr> {
    address
        .to_socket_addrs()
        .map(Iterator::collect)
        .unwrap_or_default()
}

/// Starts serving `node` on the network.
pub async fn serve(node: Arc<Node>, options: ServeOptions) -> Result<Server, NetError> {
    let (street_id, secret, device_id) = {
        let node = node.clone();
        tokio::task::spawn_blocking(move || -> Result<_, ivej_node::NodeError> {
            Ok((node.street_id()?, node.street_secret()?, node.device_id()?))
        })
        .await
        .map_err(|e| NetError::Protocol(e.to_string()))??
    };
    let listener = match Listener::bind(node.clone(), options.listen).await {
        Ok(listener) => listener,
        // Another process (say `ivej serve`) has the usual port: take any other.
        Err(_) if options.listen.port() == DEFAULT_PORT => {
            let mut any = options.listen;
            any.set_port(0);
            Listener::bind(node.clone(), any).await?
        }
        Err(e) => return Err(e),
    };
    let (stop, stop_rx) = watch::channel(false);
    let connected: Connected = Arc::default();
    let wake = Arc::new(Notify::new());
    let mut tasks = Vec::new();

    // Changes made by other processes on this data directory.
    {
        let node = node.clone();
        let mut stop = stop_rx.clone();
        let every = options.refresh_every;
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {
                        let node = node.clone();
                        let _ = tokio::task::spawn_blocking(move || node.refresh_from_disk()).await;
                    }
                    _ = stop.changed() => return,
                }
            }
        }));
    }

    // The street's relay, when one is set (now or later).
    tasks.push(tokio::spawn(crate::relayed::keep_relaying(
        node.clone(),
        crate::session::SessionLimits::default(),
        crate::relayed::RelayOptions {
            snapshot_every: options.snapshot_every,
            live: options.relay_live,
        },
        stop_rx.clone(),
    )));

    // Peers given by address.
    let mut addresses = options.peers.clone();
    if let Ok(stored) = node.peer_addresses() {
        addresses.extend(stored);
    }
    for address in addresses {
        let resolved = resolve(&address);
        if resolved.is_empty() {
            continue;
        }
        tasks.push(tokio::spawn(keep_dialing(
            node.clone(),
            watch::channel(resolved).1,
            format!("addr:{address}"),
            connected.clone(),
            wake.clone(),
            stop_rx.clone(),
        )));
    }

    // Peers found on the LAN. Of two devices, the one whose announcement (day, pseudonym)
    // orders first dials, so each pair has one session (both see the same two). Names
    // change every day: the announcement is renewed when the day does.
    let discovery_task = if options.lan_discovery {
        let port = listener.local_addr().port();
        let mut day = crate::discovery::day_number(ivej_node::clock::now_ms());
        let (mut discovery, mut found) =
            Discovery::start(&secret, &street_id, &device_id, day, port)?;
        let node = node.clone();
        let connected = connected.clone();
        let wake = wake.clone();
        let stop_rx = stop_rx.clone();
        Some(tokio::spawn(async move {
            let mut stop = stop_rx.clone();
            let mut renew = tokio::time::interval(Duration::from_secs(60));
            // One dialer per device, told of every address the device is announced at.
            let mut dialing: HashMap<String, watch::Sender<Vec<SocketAddr>>> = HashMap::new();
            loop {
                tokio::select! {
                    peer = found.recv() => {
                        let Some(peer) = peer else { return };
                        let me = (day, device_pseudonym(&secret, &device_id, day));
                        if me >= (peer.day, peer.pseudonym.clone()) {
                            continue;
                        }
                        if let Some(addresses) = dialing.get(&peer.pseudonym) {
                            addresses.send_if_modified(|known| {
                                let merged = merge_addresses(known, &peer.addresses);
                                let changed = merged != *known;
                                *known = merged;
                                changed
                            });
                            continue;
                        }
                        let (addresses, watched) = watch::channel(peer.addresses.clone());
                        dialing.insert(peer.pseudonym.clone(), addresses);
                        tokio::spawn(keep_dialing(
                            node.clone(),
                            watched,
                            format!("device:{}", peer.pseudonym),
                            connected.clone(),
                            wake.clone(),
                            stop_rx.clone(),
                        ));
                    }
                    _ = renew.tick() => {
                        let today = crate::discovery::day_number(ivej_node::clock::now_ms());
                        if today != day {
                            // Dropping the old daemon withdraws yesterday's names.
                            drop(discovery);
                            match Discovery::start(&secret, &street_id, &device_id, today, port) {
                                Ok((d, f)) => (discovery, found) = (d, f),
                                Err(_) => return,
                            }
                            day = today;
                        }
                    }
                    _ = stop.changed() => return,
                }
            }
        }))
    } else {
        None
    };
    if let Some(task) = discovery_task {
        tasks.push(task);
    }

    Ok(Server {
        node,
        listener,
        stop,
        wake,
        connected,
        tasks,
    })
}

impl Server {
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// "Sync now": every peer that is not connected is dialled at once instead of after
    /// its backoff. Connected peers sync continuously anyway.
    pub fn sync_now(&self) {
        self.wake.notify_waiters();
    }

    /// Starts dialling a peer given by address (`host:port`), besides the known ones.
    pub fn dial(&mut self, address: &str) -> Result<(), NetError> {
        let resolved = resolve(address);
        if resolved.is_empty() {
            return Err(NetError::BadAddress(address.to_string()));
        }
        self.tasks.push(tokio::spawn(keep_dialing(
            self.node.clone(),
            watch::channel(resolved).1,
            format!("addr:{address}"),
            self.connected.clone(),
            self.wake.clone(),
            self.stop.subscribe(),
        )));
        Ok(())
    }

    /// Ends every session and stops listening and announcing. Everything received was
    /// already stored when it arrived, so nothing is lost.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.listener.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([192, 0, 2, 1], port))
    }

    #[test]
    fn an_announcement_adds_addresses_newest_first_and_never_replaces_the_known_ones() {
        let known = vec![addr(7117)];
        // A replayed announcement (the same device id, an attacker's address).
        let merged = merge_addresses(&known, &[addr(9999)]);
        assert_eq!(merged, vec![addr(9999), addr(7117)]);
        // The device moved to another port: dialled there first.
        assert_eq!(merge_addresses(&merged, &[addr(7118)])[0], addr(7118));
        // Bounded, however many announcements, and never without where it was first.
        let mut many = known;
        for port in 1..100 {
            many = merge_addresses(&many, &[addr(port)]);
        }
        assert_eq!(many.len(), MAX_ADDRESSES);
        assert!(many.contains(&addr(7117)));
        let flood: Vec<SocketAddr> = (1..20).map(addr).collect();
        assert!(merge_addresses(&[addr(7117)], &flood).contains(&addr(7117)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dialer_tries_a_new_address_at_once() {
        let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let options = |d: &tempfile::TempDir| {
            let mut o = ivej_node::NodeOptions::new(d.path());
            o.lan_discovery = false;
            o
        };
        let a = Arc::new(Node::open(options(&dirs.0)).unwrap());
        a.create_street(ivej_node::CreateStreet {
            name: "Industrivej Regstrup".into(),
            kind: ivej_model::StreetKind::MiniNetwork,
            region: String::new(),
            languages: vec![],
            org: ivej_node::OrgProfile {
                name: "Erhvervshus Holbæk".into(),
                ..Default::default()
            },
        })
        .unwrap();
        let b = Arc::new(Node::open(options(&dirs.1)).unwrap());
        let invite = a
            .create_invite(ivej_node::InviteRequest::default())
            .unwrap();
        b.join(
            &invite,
            Some(ivej_node::OrgProfile {
                name: "Regstrup Smedie".into(),
                ..Default::default()
            }),
        )
        .unwrap();
        let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        // Where nothing listens: the peer's old port.
        let gone = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let (addresses, watched) = watch::channel(vec![gone]);
        let (stop, stop_rx) = watch::channel(false);
        let dialer = tokio::spawn(keep_dialing(
            b.clone(),
            watched,
            "device:a".into(),
            Connected::default(),
            Arc::new(Notify::new()),
            stop_rx,
        ));
        // Attempts at 0, 0.2, 0.6 and 1.4 s; without a wake on new addresses the next one
        // would come at 3.0 s.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        addresses.send_modify(|known| *known = merge_addresses(known, &[listener.local_addr()]));
        let started = std::time::Instant::now();
        while b.summary().is_err() {
            assert!(
                started.elapsed() < Duration::from_millis(800),
                "the new address was not dialled at once"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(true).unwrap();
        let _ = dialer.await;
        listener.shutdown().await;
    }
}
