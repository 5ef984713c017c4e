//! Prints how fast changes travel between peers on loopback, and what a new device's
//! first full sync of a two-year street costs, beside the in-process automerge figures
//! for the same work (the limit). Run with `cargo xtask bench`. Figures, not assertions.

// A benchmark that cannot set itself up should stop loudly.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_doc::{StreetDoc, SyncState};
use ivej_model::{Direction, NodeEvent, StreetKind};
use ivej_net::Listener;
use ivej_node::demo::{self, DemoSize};
use ivej_node::{clock, CreateStreet, Node, NodeOptions, OrgProfile, PostInput};
use tempfile::TempDir;

fn open(dir: &TempDir) -> Arc<Node> {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Arc::new(Node::open(options).expect("open"))
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{what:<62} median {:>8.2} ms   p99 {:>8.2} ms   (n={})",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

/// Switches signing and checking off on `node`, where this build allows it (`cargo xtask
/// bench` builds with `--features bench-without-trust`): the figure before trust.
#[cfg(feature = "bench-without-trust")]
fn without_trust(node: &Node) -> bool {
    node.bench_without_trust().expect("switch trust off");
    true
}

#[cfg(not(feature = "bench-without-trust"))]
fn without_trust(_: &Node) -> bool {
    false
}

const WITHOUT: &str = "  the same without signing and checking (before trust)";

/// `n` nodes of one street, every pair connected (as mDNS would do on a LAN); with
/// `unsigned`, none signs or checks changes.
async fn mesh(
    n: usize,
    unsigned: bool,
) -> (
    Vec<TempDir>,
    Vec<Arc<Node>>,
    Vec<Listener>,
    tokio::sync::watch::Sender<bool>,
) {
    let dirs: Vec<TempDir> = (0..n).map(|_| TempDir::new().expect("dir")).collect();
    let first = open(&dirs[0]);
    first
        .create_street(CreateStreet {
            name: "Bench street".into(),
            kind: StreetKind::MiniNetwork,
            region: String::new(),
            languages: vec![],
            org: OrgProfile {
                name: "Facilitator".into(),
                ..Default::default()
            },
        })
        .expect("street");
    let mut nodes = vec![first];
    for (i, dir) in dirs.iter().enumerate().skip(1) {
        let invite = nodes[0]
            .create_invite(ivej_node::InviteRequest::default())
            .expect("invite");
        let node = open(dir);
        node.join(
            &invite,
            Some(OrgProfile {
                name: format!("Member {i}"),
                ..Default::default()
            }),
        )
        .expect("join");
        nodes.push(node);
    }
    if unsigned {
        for node in &nodes {
            without_trust(node);
        }
    }
    let mut listeners = Vec::new();
    for node in &nodes {
        listeners.push(
            Listener::bind(node.clone(), "127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("bind"),
        );
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    for (i, node) in nodes.iter().enumerate() {
        for listener in &listeners[..i] {
            tokio::spawn(ivej_net::connect(
                node.clone(),
                listener.local_addr(),
                stop_rx.clone(),
            ));
        }
    }
    (dirs, nodes, listeners, stop)
}

async fn propagation(n: usize, posts: usize, unsigned: bool) {
    let (_dirs, nodes, listeners, stop) = mesh(n, unsigned).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut samples = Vec::new();
    for k in 0..posts {
        let mut receivers: Vec<_> = nodes[1..].iter().map(|n| n.subscribe()).collect();
        let author = nodes[0].clone();
        let start = Instant::now();
        let post = tokio::task::spawn_blocking(move || {
            author.create_post(PostInput::new(
                Direction::Offer,
                "CAP.MACH.CNC",
                &format!("bench {k}"),
            ))
        })
        .await
        .expect("task")
        .expect("post");
        for rx in &mut receivers {
            loop {
                match tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
                    Ok(Ok(NodeEvent::PostChanged { id })) if id == post.id => break,
                    Ok(_) => continue,
                    Err(_) => panic!("post {k} did not arrive within 30 s"),
                }
            }
        }
        samples.push(start.elapsed());
    }
    let what = format!(
        "one new post reaches all {} other peers ({n} peers, full mesh)",
        n - 1
    );
    report(if unsigned { WITHOUT } else { &what }, samples);
    let _ = stop.send(true);
    for l in listeners {
        l.shutdown().await;
    }
}

/// A new device's first full sync of the two-year street; with `unsigned`, neither side
/// signs or checks (the demo's stored signatures are left unsent). Returns the time taken.
async fn first_full_sync(unsigned: bool) -> Duration {
    let (da, db) = (TempDir::new().expect("dir"), TempDir::new().expect("dir"));
    let a = open(&da);
    let street = demo::generate(DemoSize::two_year(), 2017, clock::now_ms(), clock::today())
        .expect("generate");
    a.adopt_demo(street).expect("adopt");
    let b = open(&db);
    // A second device of the facilitator's organisation: it receives everything, private too.
    let invite = a
        .create_invite(ivej_node::InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .expect("invite");
    b.join(&invite, None).expect("join");
    if unsigned {
        without_trust(&a);
        without_trust(&b);
    }
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("bind");
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let session = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    let expected = a.export().expect("export").posts.len();
    loop {
        let synced = b
            .peer_statuses()
            .expect("status")
            .iter()
            .any(|p| p.synced());
        let have = b.export().map(|e| e.posts.len()).unwrap_or(0);
        if synced && have == expected {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "first sync did not finish"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = start.elapsed();
    let _ = stop.send(true);
    let report = session.await.expect("task").expect("session");
    println!(
        "{}: {:.0} ms, {:.2} MB received in {} messages",
        if unsigned {
            WITHOUT
        } else {
            "first full sync of the two-year street to a new device over loopback"
        },
        elapsed.as_secs_f64() * 1e3,
        report.bytes_received as f64 / 1e6,
        report.messages_received
    );
    listener.shutdown().await;
    if unsigned {
        return elapsed;
    }

    // The limit: the same exchange between two automerge documents in memory.
    let street = demo::generate(DemoSize::two_year(), 2017, clock::now_ms(), clock::today())
        .expect("generate");
    let mut source = street.street;
    let mut target = StreetDoc::empty().expect("empty");
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let (mut bytes, mut messages) = (0usize, 0usize);
    let start = Instant::now();
    loop {
        let mut quiet = true;
        if let Some(m) = source.generate_sync_message(&mut sa).expect("generate") {
            bytes += m.len();
            messages += 1;
            target.receive_sync_message(&mut sb, &m).expect("receive");
            quiet = false;
        }
        if let Some(m) = target.generate_sync_message(&mut sb).expect("generate") {
            source.receive_sync_message(&mut sa, &m).expect("receive");
            quiet = false;
        }
        if quiet {
            break;
        }
    }
    println!(
        "  in-process automerge sync of the street document alone:    {:.0} ms, {:.2} MB in {messages} messages",
        start.elapsed().as_secs_f64() * 1e3,
        bytes as f64 / 1e6
    );
    elapsed
}

fn without_trust_allowed() -> bool {
    cfg!(feature = "bench-without-trust")
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
        println!("Industrivej sync benchmarks (loopback, Noise sessions)");
        // Each figure with trust, then (where the build allows) the same without it.
        let unsigned = without_trust_allowed();
        propagation(2, 100, false).await;
        if unsigned {
            propagation(2, 100, true).await;
        }
        propagation(20, 30, false).await;
        if unsigned {
            propagation(20, 30, true).await;
        }
        let with = first_full_sync(false).await;
        if unsigned {
            let without = first_full_sync(true).await;
            println!(
                "  trust's share of the first full sync: {:+.0} ms ({:.2}x)",
                (with.as_secs_f64() - without.as_secs_f64()) * 1e3,
                with.as_secs_f64() / without.as_secs_f64()
            );
        } else {
            println!("  (build with --features bench-without-trust for the figures without trust)");
        }
    });
}
