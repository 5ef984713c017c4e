//! What a node holds in memory, and how fast a keystroke in the minutes still goes, while
//! peers flood it: connections that never handshake, an admitted member that sends 64
//! messages of 64 MiB and never reads, and silent admitted sessions. Each figure is set
//! beside the same node at rest, measured in the same run. Run with `cargo xtask bench`.
//! Figures, not assertions. Everything stays on loopback.

// A benchmark that cannot set itself up should stop loudly.
#![allow(clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_model::StreetKind;
use ivej_net::{
    DeviceKeys, Listener, NoiseChannel, NoiseReader, NoiseWriter, WireMessage, MAX_MESSAGE,
};
use ivej_node::{CreateStreet, MeetingInput, Node, NodeOptions, OrgProfile};
use tempfile::TempDir;
use tokio::net::TcpStream;

fn open(dir: &TempDir) -> Arc<Node> {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Arc::new(Node::open(options).expect("open"))
}

/// This process's resident memory now and at its peak, in MiB (`/proc/self/status`).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak to what is resident now, so each flood's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The median time of `n` one-character edits at the end of the minutes.
fn keystrokes(node: &Node, meeting: &str, n: usize) -> Duration {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            node.append_minutes(meeting, "x").expect("type");
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

/// What a member's device needs to open a session: its keys, the street secret and its
/// certificate chain (read once; the member's node is not kept open).
struct Credentials {
    keys: DeviceKeys,
    secret: [u8; 32],
    chain: Vec<Vec<u8>>,
}

/// A new member device of `node`'s street.
fn enrol(node: &Node, name: &str) -> Credentials {
    let dir = TempDir::new().expect("dir");
    let member = open(&dir);
    member
        .join(
            &node
                .create_invite(ivej_node::InviteRequest::default())
                .expect("invite"),
            Some(OrgProfile {
                name: name.into(),
                ..Default::default()
            }),
        )
        .expect("join");
    Credentials {
        keys: DeviceKeys::load_or_create(&member).expect("keys"),
        secret: member.street_secret().expect("secret"),
        chain: member.presentation().expect("presentation").chain,
    }
}

impl Credentials {
    /// One hex value per line: private key, street secret, then each certificate.
    fn to_text(&self) -> String {
        let mut lines = vec![
            ivej_model::hex::encode(&self.keys.private),
            ivej_model::hex::encode(&self.secret),
        ];
        lines.extend(self.chain.iter().map(|c| ivej_model::hex::encode(c)));
        lines.join("\n")
    }

    fn from_text(text: &str) -> Option<Credentials> {
        let mut lines = text.lines().map(ivej_model::hex::decode);
        let private = lines.next()??;
        let secret: [u8; 32] = lines.next()??.try_into().ok()?;
        let chain = lines.collect::<Option<Vec<_>>>()?;
        Some(Credentials {
            keys: DeviceKeys {
                public: Vec::new(),
                private,
            },
            secret,
            chain,
        })
    }
}

type Reader = NoiseReader<tokio::io::ReadHalf<TcpStream>>;
type Writer = NoiseWriter<tokio::io::WriteHalf<TcpStream>>;

/// An admitted session with the node at `addr`, after both hellos: the raw channel, for
/// a flood to write into. The reading half is never read again: what the node sends
/// piles up on its side.
async fn admitted(who: &Credentials, addr: SocketAddr) -> Option<(Reader, Writer)> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let channel = NoiseChannel::handshake(stream, true, &who.keys.private, &who.secret)
        .await
        .ok()?;
    let (mut reader, mut writer) = channel.split();
    let hello = WireMessage::Hello {
        chain: who.chain.clone(),
        revocations: vec![],
        docs: vec![],
    };
    writer.send(&hello.encode()).await.ok()?;
    reader.recv().await.ok()?;
    Some((reader, writer))
}

fn line(what: &str, rest: &str, (rss, peak): (f64, f64), base: f64) {
    println!(
        "{what:<58} {rest:<22} RSS {rss:>7.1} MiB, peak {peak:>7.1} MiB ({:.2}x at rest)",
        peak / base
    );
}

/// The flooding member, as a process of its own: sends 64 messages of (almost) 64 MiB
/// and never reads; prints how many went and how it ended.
async fn flood_client(addr: SocketAddr, credentials: &std::path::Path) {
    let text = std::fs::read_to_string(credentials).expect("credentials");
    let who = Credentials::from_text(&text).expect("credentials");
    let Some((_reader, mut writer)) = admitted(&who, addr).await else {
        println!("the flooding member was not admitted");
        return;
    };
    let start = Instant::now();
    // A well-formed envelope (what a node takes apart before it asks whether the
    // document is shared), carrying 64 MiB.
    let payload = ivej_trust::SignedSync {
        payload: vec![0x5au8; MAX_MESSAGE - 4096],
        signatures: Vec::new(),
        certificates: Vec::new(),
    }
    .encode();
    let mut sent = 0;
    let mut ended = String::from("all sent");
    for _ in 0..64 {
        let wire = WireMessage::Sync {
            doc_id: "minutes:not-shared".into(),
            payload: payload.clone(),
        };
        if let Err(e) = writer.send(&wire.encode()).await {
            ended = format!("then: {e}");
            break;
        }
        sent += 1;
    }
    println!(
        "{sent} of 64 messages of 64 MiB in {:.1} s ({ended}), never reading",
        start.elapsed().as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--test" || a == "--list") {
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--flood-client") {
        let (Some(addr), Some(file)) = (args.get(i + 1), args.get(i + 2)) else {
            return;
        };
        let addr: SocketAddr = addr.parse().expect("address");
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(flood_client(addr, std::path::Path::new(file)));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        println!("Industrivej node under flood (loopback; memory is this whole process)");
        let da = TempDir::new().expect("dir");
        let node = open(&da);
        node.create_street(CreateStreet {
            name: "Flood street".into(),
            kind: StreetKind::MiniNetwork,
            region: String::new(),
            languages: vec![],
            org: OrgProfile {
                name: "Facilitator".into(),
                ..Default::default()
            },
        })
        .expect("street");
        let meeting = node
            .plan_meeting(MeetingInput {
                starts_at: "2026-12-03T15:00".parse().expect("date"),
                duration_minutes: None,
                host_org: None,
                location: None,
                challenge: None,
                series_id: None,
            })
            .expect("meeting")
            .id;
        // Enrolled before anything is measured; their nodes are closed again.
        let members: Vec<Credentials> = (0..201)
            .map(|i| enrol(&node, &format!("Member {i}")))
            .collect();
        let listener = Listener::bind(node.clone(), "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let addr = listener.local_addr();

        tokio::time::sleep(Duration::from_millis(200)).await;
        reset_peak();
        let rest = keystrokes(&node, &meeting, 200);
        let at_rest = memory();
        let base = at_rest.1;
        line(
            "at rest",
            &format!("keystroke {:.2} ms", rest.as_secs_f64() * 1e3),
            at_rest,
            base,
        );

        // 2,000 connections from other loopback addresses that never say a word.
        reset_peak();
        let mut silent = Vec::new();
        for i in 0..2_000u32 {
            let socket = tokio::net::TcpSocket::new_v4().expect("socket");
            let from = std::net::Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8);
            if socket.bind(SocketAddr::from((from, 0))).is_err() {
                continue;
            }
            if let Ok(stream) = socket.connect(addr).await {
                silent.push(stream);
            }
        }
        let typing = keystrokes(&node, &meeting, 200);
        line(
            &format!("{} connections that never handshake", silent.len()),
            &format!(
                "keystroke {:.2} ms ({:.2}x)",
                typing.as_secs_f64() * 1e3,
                typing.as_secs_f64() / rest.as_secs_f64()
            ),
            memory(),
            base,
        );
        drop(silent);

        // An admitted member sends 64 messages of (almost) 64 MiB about a document it does
        // not share with the node, and never reads; the minutes are typed meanwhile. The
        // member runs as another process, so the memory counted is the node's alone.
        reset_peak();
        let file = da.path().join("flood-member");
        std::fs::write(&file, members[0].to_text()).expect("credentials");
        let child = std::process::Command::new(std::env::current_exe().expect("exe"))
            .args(["--flood-client", &addr.to_string()])
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("flood client");
        let typed = {
            let (node, meeting) = (node.clone(), meeting.clone());
            tokio::task::spawn_blocking(move || keystrokes(&node, &meeting, 200))
        };
        let typing = typed.await.expect("typing");
        let output = tokio::task::spawn_blocking(move || child.wait_with_output())
            .await
            .expect("wait")
            .expect("flood client ran");
        line(
            String::from_utf8_lossy(&output.stdout).trim(),
            &format!("keystroke {:.2} ms", typing.as_secs_f64() * 1e3),
            memory(),
            base,
        );

        // Silent admitted sessions (the listener keeps at most 64; more are closed). The
        // node first finishes with the flood's last messages.
        tokio::time::sleep(Duration::from_secs(2)).await;
        reset_peak();
        let mut sessions = Vec::new();
        for who in &members[1..] {
            if let Some(session) = admitted(who, addr).await {
                sessions.push(session);
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let typing = keystrokes(&node, &meeting, 200);
        line(
            &format!("{} silent admitted sessions of 200", sessions.len()),
            &format!(
                "keystroke {:.2} ms ({:.2}x)",
                typing.as_secs_f64() * 1e3,
                typing.as_secs_f64() / rest.as_secs_f64()
            ),
            memory(),
            base,
        );
        drop(sessions);
        listener.shutdown().await;
    });
}
