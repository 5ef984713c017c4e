//! The relay's figures, each beside the LAN figure measured in the same run (`cargo xtask
//! bench`): put and list/get throughput (1 KiB and 64 KiB bundles, SQLite and PostgreSQL,
//! 1 and 8 clients); a post reaching a peer through the relay, live and by mailbox, beside
//! the LAN; a week's catch-up and the two-year street's first sync through the relay,
//! beside the LAN; the relay's memory per 1,000 idle connections. Figures, not assertions.

// A benchmark that cannot set itself up should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

// The scale-out tests' throwaway cluster (this bench takes no dump of it).
#[allow(dead_code)]
#[path = "../postgres.rs"]
mod postgres;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_model::{Direction, NodeEvent, RelayRef, StreetKind};
use ivej_node::demo::{self, DemoSize};
use ivej_node::{clock, CreateStreet, Node, NodeOptions, OrgProfile, PostInput};
use ivej_relay::server::{RelayLimits, RelayServer};
use ivej_relay::{RelayAddress, RelayClient};
use ivej_trust::mailbox::{BundleKind, EpochKey};
use tempfile::TempDir;

fn open(dir: &TempDir) -> Arc<Node> {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Arc::new(Node::open(options).expect("open"))
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Limits out of the way: these figures are about the relay's work, not its brakes.
fn unlimited() -> RelayLimits {
    RelayLimits {
        puts_per_second: 1e9,
        puts_burst: 1e9,
        bytes_per_second: 1e12,
        bytes_burst: 1e12,
        connects_per_second: 1e6,
        connects_burst: 1e6,
        per_address_connections: 100_000,
        ..RelayLimits::default()
    }
}

fn address_of(server: &RelayServer) -> RelayAddress {
    RelayAddress {
        addr: server.local_addr().to_string(),
        key: server.public_key(),
    }
}

fn reference(server: &RelayServer) -> RelayRef {
    RelayRef {
        address: server.local_addr().to_string(),
        key: server.public_key(),
    }
}

// ---- throughput ----

async fn throughput(address: &RelayAddress, store: &str) {
    for size in [1024usize, 64 * 1024] {
        for clients in [1usize, 8] {
            let n = if size == 1024 { 2000 } else { 400 };
            let topic = EpochKey::new(0, rand::random()).topic(&format!("bench:{size}:{clients}"));
            let device = ivej_trust::SigningSecret::from_seed([1; 32]);
            // A body that pads to `size` exactly.
            let body = vec![7u8; size - 200];
            let bundles: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    topic
                        .seal(BundleKind::Changes, &device, 0, &body, rand::random())
                        .expect("seal")
                })
                .collect();
            let sealed_len = bundles[0].len();
            let mut connected = Vec::new();
            for _ in 0..clients {
                let (c, _) = RelayClient::connect(address).await.expect("connect");
                c.open(topic.id, topic.open_proof(c.handshake_hash()))
                    .await
                    .expect("open");
                connected.push(Arc::new(c));
            }
            let start = Instant::now();
            let mut tasks = Vec::new();
            for (i, c) in connected.iter().enumerate() {
                let mine: Vec<Vec<u8>> = bundles.iter().skip(i).step_by(clients).cloned().collect();
                let (c, id) = (c.clone(), topic.id);
                tasks.push(tokio::spawn(async move {
                    for b in mine {
                        c.put(id, b).await.expect("put");
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
            let put = start.elapsed();
            let start = Instant::now();
            let mut tasks = Vec::new();
            for (i, c) in connected.iter().enumerate() {
                let (c, id) = (c.clone(), topic.id);
                tasks.push(tokio::spawn(async move {
                    let listing = c.list(id, 0, 1024).await.expect("list");
                    let mut after = 0;
                    let mut seqs: Vec<u64> = listing.entries.iter().map(|e| e.seq).collect();
                    after = seqs.last().copied().unwrap_or(after);
                    while seqs.len() < n {
                        let more = c.list(id, after, 1024).await.expect("list");
                        if more.entries.is_empty() {
                            break;
                        }
                        after = more.entries.last().map_or(after, |e| e.seq);
                        seqs.extend(more.entries.iter().map(|e| e.seq));
                    }
                    for seq in seqs.into_iter().skip(i).step_by(clients) {
                        c.get(id, seq).await.expect("get");
                    }
                }));
            }
            for t in tasks {
                t.await.expect("task");
            }
            let get = start.elapsed();
            let mb = (n * sealed_len) as f64 / 1e6;
            println!(
                "relay {store:<10} {:>3} KiB bundles, {clients} client(s): put {:>7.0}/s ({:>6.1} MB/s)   list+get {:>7.0}/s ({:>6.1} MB/s)",
                size / 1024,
                n as f64 / put.as_secs_f64(),
                mb / put.as_secs_f64(),
                n as f64 / get.as_secs_f64(),
                mb / get.as_secs_f64(),
            );
        }
    }
}

// ---- a post reaching a peer ----

fn facilitator(dir: &TempDir) -> Arc<Node> {
    let node = open(dir);
    node.create_street(CreateStreet {
        name: "Industrivej Regstrup".into(),
        kind: StreetKind::MiniNetwork,
        region: String::new(),
        languages: vec![],
        org: OrgProfile {
            name: "Erhvervshus Holbæk".into(),
            ..Default::default()
        },
    })
    .expect("street");
    node
}

fn member(dir: &TempDir, of: &Node, name: &str) -> Arc<Node> {
    let invite = of
        .create_invite(ivej_node::InviteRequest::default())
        .expect("invite");
    let node = open(dir);
    node.join(
        &invite,
        Some(OrgProfile {
            name: name.into(),
            ..Default::default()
        }),
    )
    .expect("join");
    node
}

async fn online(node: &Arc<Node>, live: bool) -> ivej_net::Server {
    ivej_net::serve(
        node.clone(),
        ivej_net::ServeOptions {
            listen: "127.0.0.1:0".parse().expect("addr"),
            lan_discovery: false,
            peers: Vec::new(),
            refresh_every: Duration::from_millis(300),
            snapshot_every: ivej_node::SNAPSHOT_EVERY,
            relay_live: live,
        },
    )
    .await
    .expect("serve")
}

/// Polls `check` every 50 ms (often enough for figures of seconds, seldom enough not to
/// hold the node's lock from the work measured).
async fn until(what: &str, limit: Duration, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "{what} took longer than {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How long each of `n` new posts of `author` takes to reach `reader`.
async fn post_times(author: &Arc<Node>, reader: &Arc<Node>, n: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for k in 0..n {
        let mut rx = reader.subscribe();
        let a = author.clone();
        let start = Instant::now();
        let post = tokio::task::spawn_blocking(move || {
            a.create_post(PostInput::new(
                Direction::Offer,
                "CAP.MACH.CNC",
                &format!("bench {k}"),
            ))
        })
        .await
        .expect("task")
        .expect("post");
        loop {
            match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
                Ok(Ok(NodeEvent::PostChanged { id })) if id == post.id => break,
                Ok(_) => continue,
                Err(_) => panic!("post {k} did not arrive within 30 s"),
            }
        }
        samples.push(start.elapsed());
        // Let the mailbox settle between posts, as posts come in a meeting.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    samples
}

fn line(what: &str, samples: &mut [Duration], lan: Option<Duration>) {
    let (p50, p99) = (percentile(samples, 0.5), percentile(samples, 0.99));
    let ratio = lan.map_or(String::new(), |l| {
        format!(
            "   {:.2}x the LAN median",
            p50.as_secs_f64() / l.as_secs_f64()
        )
    });
    println!(
        "{what:<58} median {:>7.2} ms   p99 {:>7.2} ms   (n={}){ratio}",
        ms(p50),
        ms(p99),
        samples.len()
    );
}

async fn propagation(relay: &RelayServer) {
    const N: usize = 60;
    // On the LAN: a session between the two, directly.
    let dirs: Vec<TempDir> = (0..6).map(|_| TempDir::new().expect("dir")).collect();
    let f = facilitator(&dirs[0]);
    let b = member(&dirs[1], &f, "Regstrup Smedie");
    let listener = ivej_net::Listener::bind(f.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let session = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    until("the LAN session", Duration::from_secs(20), || {
        f.peer_statuses().expect("s").iter().any(|p| p.synced())
    })
    .await;
    let mut lan = post_times(&f, &b, N).await;
    line("one post reaches the other peer on the LAN", &mut lan, None);
    let lan_p50 = percentile(&mut lan, 0.5);
    let _ = stop.send(true);
    let _ = session.await;
    listener.shutdown().await;

    // Live through the relay: the same session, its bytes copied by the relay.
    let f = facilitator(&dirs[2]);
    f.set_relay(Some(&reference(relay))).expect("relay");
    let b = member(&dirs[3], &f, "Regstrup Smedie");
    let (sf, sb) = (online(&f, true).await, online(&b, true).await);
    until(
        "a live session through the relay",
        Duration::from_secs(30),
        || {
            f.peer_statuses()
                .expect("s")
                .iter()
                .any(|p| p.connected && p.via == ivej_model::Via::Relay && p.synced())
        },
    )
    .await;
    let mut live = post_times(&f, &b, N).await;
    line(
        "  the same through the relay, live",
        &mut live,
        Some(lan_p50),
    );
    sf.shutdown().await;
    sb.shutdown().await;

    // By mailbox only: put, notice, get, take.
    let f = facilitator(&dirs[4]);
    f.set_relay(Some(&reference(relay))).expect("relay");
    let b = member(&dirs[5], &f, "Regstrup Smedie");
    let (sf, sb) = (online(&f, false).await, online(&b, false).await);
    until(
        "b to take the street from the mailbox",
        Duration::from_secs(30),
        || {
            b.summary()
                .is_ok_and(|s| s.street.name == "Industrivej Regstrup")
        },
    )
    .await;
    let mut mailbox = post_times(&f, &b, N).await;
    line(
        "  the same through the relay, by mailbox",
        &mut mailbox,
        Some(lan_p50),
    );
    sf.shutdown().await;
    sb.shutdown().await;
}

// ---- first sync and a week's catch-up ----

async fn wait_for_post(events: &mut tokio::sync::broadcast::Receiver<NodeEvent>, id: &str) {
    loop {
        match tokio::time::timeout(Duration::from_secs(120), events.recv()).await {
            Ok(Ok(NodeEvent::PostChanged { id: got })) if got == id => return,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("the post never came: {other:?}"),
        }
    }
}

fn post_count(node: &Node) -> usize {
    node.export().map(|e| e.posts.len()).unwrap_or(0)
}

async fn first_sync_and_catch_up(relay: &RelayServer) {
    let dirs: Vec<TempDir> = (0..5).map(|_| TempDir::new().expect("dir")).collect();
    let f = open(&dirs[0]);
    let street = demo::generate(DemoSize::two_year(), 2017, clock::now_ms(), clock::today())
        .expect("generate");
    f.adopt_demo(street).expect("adopt");
    f.set_relay(Some(&reference(relay))).expect("relay");

    // On the LAN: a new member's device, one session with the facilitator's.
    let lan_member = member(&dirs[1], &f, "Ny Virksomhed");
    let listener = ivej_net::Listener::bind(f.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let session = tokio::spawn(ivej_net::connect(
        lan_member.clone(),
        listener.local_addr(),
        stop_rx.clone(),
    ));
    until(
        "the first sync on the LAN",
        Duration::from_secs(300),
        || {
            lan_member
                .peer_statuses()
                .expect("s")
                .iter()
                .any(|p| p.synced())
                && post_count(&lan_member) > 0
        },
    )
    .await;
    let lan = start.elapsed();
    let posts = post_count(&lan_member);
    println!(
        "first sync of the two-year street to a new member on the LAN: {:>7.0} ms ({posts} posts)",
        ms(lan)
    );
    let _ = stop.send(true);
    let _ = session.await;

    // Through the relay: the facilitator fills the mailbox (not timed) and goes offline;
    // a new member's device takes the street from the mailbox alone.
    let sf = online(&f, false).await;
    until(
        "the mailbox to hold the street",
        Duration::from_secs(300),
        || f.mailbox_status().is_ok_and(|s| s.pending_out == 0),
    )
    .await;
    sf.shutdown().await;
    let relay_member = member(&dirs[2], &f, "Anden Virksomhed");
    let start = Instant::now();
    let sm = online(&relay_member, false).await;
    until(
        "the first sync through the relay",
        Duration::from_secs(300),
        || {
            post_count(&relay_member) >= posts
                && relay_member
                    .mailbox_status()
                    .is_ok_and(|s| s.pending_in == 0)
        },
    )
    .await;
    let through = start.elapsed();
    println!(
        "  the same through the relay's mailbox, facilitator offline: {:>7.0} ms   {:.2}x the LAN",
        ms(through),
        through.as_secs_f64() / lan.as_secs_f64()
    );
    sm.shutdown().await;

    // A week away: the facilitator writes 100 posts while a member is offline.
    const WEEK: usize = 100;
    let mut last = String::new();
    for k in 0..WEEK {
        last = f
            .create_post(PostInput::new(
                Direction::Offer,
                "CAP.SPACE",
                &format!("a week's post {k}"),
            ))
            .expect("post")
            .id;
    }
    let mut arrived = lan_member.subscribe();
    let start = Instant::now();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let session = tokio::spawn(ivej_net::connect(
        lan_member.clone(),
        listener.local_addr(),
        stop_rx,
    ));
    // The week's posts are one author's, in order: the last one comes last.
    wait_for_post(&mut arrived, &last).await;
    let lan_week = start.elapsed();
    println!(
        "a week's catch-up ({WEEK} posts) on the LAN: {:>7.0} ms",
        ms(lan_week)
    );
    let _ = stop.send(true);
    let _ = session.await;
    listener.shutdown().await;
    let sf = online(&f, false).await;
    until(
        "the mailbox to hold the week",
        Duration::from_secs(120),
        || f.mailbox_status().is_ok_and(|s| s.pending_out == 0),
    )
    .await;
    sf.shutdown().await;
    let mut arrived = relay_member.subscribe();
    let start = Instant::now();
    let sm = online(&relay_member, false).await;
    wait_for_post(&mut arrived, &last).await;
    let relay_week = start.elapsed();
    println!(
        "  the same through the relay's mailbox: {:>7.0} ms   {:.2}x the LAN",
        ms(relay_week),
        relay_week.as_secs_f64() / lan_week.as_secs_f64()
    );
    sm.shutdown().await;
}

// ---- memory per idle connection ----

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn idle_memory() {
    use std::io::BufRead;
    let dir = TempDir::new().expect("dir");
    let mut relay = std::process::Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(dir.path().join("relay.sqlite"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("relay");
    let mut lines = std::io::BufReader::new(relay.stdout.take().expect("stdout")).lines();
    let addr = lines.next().expect("line").expect("line");
    let key = lines.next().expect("line").expect("line");
    let address = RelayAddress {
        addr: addr.trim_start_matches("relay listening on ").to_string(),
        key: ivej_model::hex::decode(key.trim_start_matches("key "))
            .and_then(|k| k.try_into().ok())
            .expect("key"),
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(relay.id());
    // The relay allows 64 connections per address: come from 16 loopback addresses.
    const PER_ADDRESS: usize = 63;
    let mut tasks = Vec::new();
    for a in 0..16u8 {
        let address = address.clone();
        tasks.push(tokio::spawn(async move {
            let from = std::net::IpAddr::from([127, 0, 0, 2 + a]);
            let mut kept = Vec::new();
            while kept.len() < PER_ADDRESS {
                match RelayClient::connect_from(&address, Some(from)).await {
                    Ok(c) => kept.push(c),
                    Err(e) => {
                        let wait = ivej_relay::client::retry_after(&e)
                            .unwrap_or(Duration::from_millis(100));
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            kept
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(relay.id());
    let per_thousand = (after.saturating_sub(before)) as f64 * 1000.0 / all.len() as f64;
    println!(
        "relay process: {:.1} MiB at rest, {:.1} MiB with {} idle connections: {:.2} MiB per 1,000",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        all.len(),
        per_thousand / 1024.0
    );
    drop(all);
    let _ = std::process::Command::new("kill")
        .arg(relay.id().to_string())
        .status();
    let _ = relay.wait();
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!("Industrivej relay benchmarks (loopback; figures beside the LAN's)");
        let dir = TempDir::new().expect("dir");
        let store =
            ivej_relay::sqlite::SqliteStore::open(&dir.path().join("relay.sqlite")).expect("store");
        let sqlite = RelayServer::bind(
            "127.0.0.1:0".parse().expect("addr"),
            rand::random(),
            store,
            unlimited(),
        )
        .await
        .expect("relay");
        throughput(&address_of(&sqlite), "SQLite").await;
        let cluster = postgres::Cluster::start();
        let store = ivej_relay::postgres::PostgresStore::connect(&cluster.url())
            .await
            .expect("postgres");
        let pg = RelayServer::bind(
            "127.0.0.1:0".parse().expect("addr"),
            rand::random(),
            store,
            unlimited(),
        )
        .await
        .expect("relay");
        throughput(&address_of(&pg), "PostgreSQL").await;
        pg.shutdown().await;
        propagation(&sqlite).await;
        first_sync_and_catch_up(&sqlite).await;
        sqlite.shutdown().await;
        idle_memory().await;
    });
}
