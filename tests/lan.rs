//! Nodes syncing over real TCP on loopback through Noise sessions: convergence, live
//! propagation, a wrong secret refused, garbage peers dropped without disturbing others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_model::{Direction, PostFilter, StreetKind};
use ivej_net::Listener;
use ivej_node::{CreateStreet, Node, NodeOptions, OrgProfile, PostInput};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

pub(crate) fn open(dir: &TempDir) -> Arc<Node> {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Arc::new(Node::open(options).unwrap())
}

pub(crate) fn facilitator(dir: &TempDir) -> Arc<Node> {
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
    .unwrap();
    node
}

/// A new member of `of`'s street, joined with an invite `of` made.
pub(crate) fn member(dir: &TempDir, of: &Node, name: &str) -> Arc<Node> {
    let invite = of
        .create_invite(ivej_node::InviteRequest::default())
        .unwrap();
    join(dir, &invite, name)
}

pub(crate) fn join(dir: &TempDir, invite: &ivej_model::Invite, name: &str) -> Arc<Node> {
    let node = open(dir);
    node.join(
        invite,
        Some(OrgProfile {
            name: name.into(),
            ..Default::default()
        }),
    )
    .unwrap();
    node
}

pub(crate) fn titles(node: &Node) -> Vec<String> {
    let mut t: Vec<String> = node
        .list_posts(&PostFilter::default())
        .unwrap()
        .into_iter()
        .map(|p| p.post.title)
        .collect();
    t.sort();
    t
}

/// Waits (bounded) until `check` holds.
pub(crate) async fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_sync_over_noise_and_changes_flow_live() {
    let (da, db) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = facilitator(&da);
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.MACH.CNC",
        "Spare CNC hours",
    ))
    .unwrap();
    let b = member(&db, &a, "Regstrup Smedie");
    b.create_post(PostInput::new(
        Direction::Need,
        "PUR",
        "Joint energy purchase",
    ))
    .unwrap();

    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let session = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));

    eventually("the first sync", || {
        titles(&a).len() == 2 && titles(&b).len() == 2
    })
    .await;
    assert_eq!(titles(&a), titles(&b));
    assert_eq!(b.summary().unwrap().street.name, "Industrivej Regstrup");

    // A change on either side reaches the other with nobody pressing a button.
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.SPACE",
        "Storage hall",
    ))
    .unwrap();
    eventually("a's new post at b", || {
        titles(&b).contains(&"Storage hall".to_string())
    })
    .await;
    b.create_post(PostInput::new(
        Direction::Offer,
        "CAP.TRANS",
        "Half-empty truck",
    ))
    .unwrap();
    eventually("b's new post at a", || {
        titles(&a).contains(&"Half-empty truck".to_string())
    })
    .await;

    // Status is honest: synced once nothing is pending either way.
    let b_device = b.device_id().unwrap();
    eventually("a to report b as synced", || {
        a.peer_statuses()
            .unwrap()
            .iter()
            .any(|p| p.device_id == b_device && p.synced() && p.last_synced.is_some())
    })
    .await;

    stop.send(true).unwrap();
    let report = session.await.unwrap().unwrap();
    assert_eq!(report.peer_org, a.own_org_id().unwrap());
    assert!(report.messages_received > 0 && report.messages_sent > 0);
    // B went away; A's new post is pending for it, and A never says "synced".
    a.create_post(PostInput::new(Direction::Offer, "CAP.EQUIP", "Forklift"))
        .unwrap();
    eventually("b to show as offline with changes pending", || {
        a.peer_statuses()
            .unwrap()
            .iter()
            .any(|p| p.device_id == b_device && !p.connected && p.pending_out && !p.synced())
    })
    .await;
    listener.shutdown().await;
}

/// The invite's address and mDNS can both dial the same peer: the newer session takes
/// over, the older ends by itself, and neither mixes sync state nor marks a live peer gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_session_with_the_same_device_takes_over_and_status_stays_true() {
    let (da, db) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = facilitator(&da);
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.SPACE",
        "Storage hall",
    ))
    .unwrap();
    let b = member(&db, &a, "Regstrup Smedie");
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let first = tokio::spawn(ivej_net::connect(
        b.clone(),
        listener.local_addr(),
        stop_rx.clone(),
    ));
    eventually("the first sync", || titles(&b) == titles(&a)).await;
    let second = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    let ended = tokio::time::timeout(Duration::from_secs(10), first).await;
    assert!(
        matches!(ended, Ok(Ok(Ok(_)))),
        "the older session ends by itself: {ended:?}"
    );
    let b_device = b.device_id().unwrap();
    eventually("a to show b connected", || {
        a.peer_statuses()
            .unwrap()
            .iter()
            .any(|p| p.device_id == b_device && p.connected)
    })
    .await;
    a.create_post(PostInput::new(Direction::Offer, "CAP.EQUIP", "Forklift"))
        .unwrap();
    b.create_post(PostInput::new(
        Direction::Need,
        "PUR",
        "Joint energy purchase",
    ))
    .unwrap();
    eventually("both posts on both sides", || {
        titles(&a).len() == 3 && titles(&a) == titles(&b)
    })
    .await;
    assert!(
        a.peer_statuses()
            .unwrap()
            .iter()
            .any(|p| p.device_id == b_device && p.connected),
        "still connected: the older session's end did not mark b gone"
    );
    stop.send(true).unwrap();
    assert!(second.await.unwrap().is_ok());
    listener.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_without_the_street_secret_is_refused_and_learns_nothing() {
    let (da, dc) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = facilitator(&da);
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.MACH.CNC",
        "Confidential capacity",
    ))
    .unwrap();
    // Someone with an invite whose street secret is wrong: the transport's key exchange
    // fails before any certificate is looked at.
    let mut invite = a
        .create_invite(ivej_node::InviteRequest::default())
        .unwrap();
    invite.secret = [0x42; 32];
    let intruder = join(&dc, &invite, "Intruder");
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    let result = tokio::time::timeout(
        Duration::from_secs(15),
        ivej_net::connect(intruder.clone(), listener.local_addr(), stop_rx),
    )
    .await
    .expect("the session ends by itself");
    assert!(
        result.is_err(),
        "the intruder's session must fail: {result:?}"
    );
    assert!(titles(&intruder).is_empty());
    assert!(
        intruder.summary().is_err(),
        "not even the street's name arrived"
    );
    assert_eq!(
        a.organisations(None).unwrap().len(),
        1,
        "nothing of the intruder arrived"
    );
    listener.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_peers_are_dropped_without_disturbing_the_others() {
    let (da, db) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = facilitator(&da);
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.SPACE",
        "Storage hall",
    ))
    .unwrap();
    let b = member(&db, &a, "Regstrup Smedie");
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // A few peers that speak nonsense, or hang up halfway.
    for junk in [
        vec![0u8; 3],
        vec![0xff; 70_000],
        b"\x00\x20not noise at all".to_vec(),
        vec![],
    ] {
        let mut s = tokio::net::TcpStream::connect(listener.local_addr())
            .await
            .unwrap();
        let _ = s.write_all(&junk).await;
        drop(s);
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let session = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    eventually("sync despite the junk", || {
        titles(&b) == vec!["Storage hall".to_string()]
    })
    .await;
    stop.send(true).unwrap();
    session.await.unwrap().unwrap();
    listener.shutdown().await;
}

/// `n` nodes of one street on loopback, each dialling the one before it (a chain, so a
/// change crosses up to n-1 sessions), all editing at once; every board ends the same.
async fn converge_over_loopback(n: usize) {
    let dirs: Vec<TempDir> = (0..n).map(|_| TempDir::new().unwrap()).collect();
    let first = facilitator(&dirs[0]);
    let mut nodes = vec![first.clone()];
    for (i, dir) in dirs.iter().enumerate().skip(1) {
        nodes.push(member(dir, &first, &format!("Member {i} ApS")));
    }
    let mut listeners = Vec::new();
    for node in &nodes {
        listeners.push(
            Listener::bind(node.clone(), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap(),
        );
    }
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut sessions = Vec::new();
    for i in 1..n {
        let addr = listeners[i - 1].local_addr();
        sessions.push(tokio::spawn(ivej_net::connect(
            nodes[i].clone(),
            addr,
            stop_rx.clone(),
        )));
    }
    // Everyone posts while the sessions start.
    let writers: Vec<_> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let node = node.clone();
            tokio::task::spawn_blocking(move || {
                for j in 0..3 {
                    let title = format!("node {i} offer {j}");
                    node.create_post(PostInput::new(Direction::Offer, "CAP.MACH.CNC", &title))
                        .unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let total = 3 * n;
    eventually(&format!("{n} nodes to converge"), || {
        nodes.iter().all(|node| titles(node).len() == total)
    })
    .await;
    let expected = titles(&nodes[0]);
    for node in &nodes {
        assert_eq!(titles(node), expected);
        assert_eq!(node.summary().unwrap().members as usize, n);
    }
    stop.send(true).unwrap();
    for s in sessions {
        let _ = s.await;
    }
    for l in listeners {
        l.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_nodes_converge_over_loopback() {
    converge_over_loopback(5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_nodes_converge_over_loopback() {
    converge_over_loopback(20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_offline_for_a_week_catches_up_over_loopback() {
    let (da, dc) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let a = facilitator(&da);
    let laptop = member(&dc, &a, "Shop floor");
    // A week of work while the laptop is away, and some of its own offline.
    for day in 0..7 {
        for i in 0..25 {
            let title = format!("day {day} offer {i}");
            a.create_post(PostInput::new(Direction::Offer, "CAP.SPACE", &title))
                .unwrap();
        }
    }
    laptop
        .create_post(PostInput::new(
            Direction::Need,
            "PUR",
            "Joint energy purchase",
        ))
        .unwrap();
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let session = tokio::spawn(ivej_net::connect(
        laptop.clone(),
        listener.local_addr(),
        stop_rx,
    ));
    eventually("the laptop to catch up", || {
        titles(&laptop).len() == 176 && titles(&a).len() == 176
    })
    .await;
    assert_eq!(titles(&a), titles(&laptop));
    stop.send(true).unwrap();
    session.await.unwrap().unwrap();
    listener.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_that_sends_garbage_after_the_handshake_is_dropped_alone() {
    let (da, db, dx) = (
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
    );
    let a = facilitator(&da);
    let b = member(&db, &a, "Regstrup Smedie");
    let bad = member(&dx, &a, "Broken client");
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let good = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    // The broken client knows the secret, so its handshake succeeds; then it talks nonsense.
    let keys = ivej_net::DeviceKeys::load_or_create(&bad).unwrap();
    let secret = bad.street_secret().unwrap();
    let stream = tokio::net::TcpStream::connect(listener.local_addr())
        .await
        .unwrap();
    let channel = ivej_net::NoiseChannel::handshake(stream, true, &keys.private, &secret)
        .await
        .unwrap();
    let (mut reader, mut writer) = channel.split();
    writer.send(b"\x07 not a message").await.unwrap();
    let _ = writer.send(&[0xff; 100_000]).await;
    // The server ends that session: reading from it stops.
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while reader.recv().await.is_ok() {}
    })
    .await;
    assert!(ended.is_ok(), "the server should drop the broken client");
    // Meanwhile the good peer syncs as usual.
    a.create_post(PostInput::new(
        Direction::Offer,
        "CAP.SPACE",
        "Storage hall",
    ))
    .unwrap();
    eventually("b to get the post", || {
        titles(&b) == vec!["Storage hall".to_string()]
    })
    .await;
    stop.send(true).unwrap();
    good.await.unwrap().unwrap();
    listener.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_data_goes_only_to_a_proven_device_of_the_same_company() {
    let (da, d2, db) = (
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
    );
    let a = facilitator(&da);
    let mut private = PostInput::new(Direction::Offer, "CAP.SPACE", "Only for our own eyes");
    private.visibility = ivej_model::Visibility::Private;
    a.create_post(private).unwrap();
    // The company's second device, invited as such.
    let invite = a
        .create_invite(ivej_node::InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .unwrap();
    let second = open(&d2);
    second.join(&invite, None).unwrap();
    // Another member: whatever it says, its certificate says which organisation it is.
    let b = member(&db, &a, "Regstrup Smedie");
    let listener = Listener::bind(a.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let s1 = tokio::spawn(ivej_net::connect(
        second.clone(),
        listener.local_addr(),
        stop_rx.clone(),
    ));
    let s2 = tokio::spawn(ivej_net::connect(b.clone(), listener.local_addr(), stop_rx));
    eventually("the second device to get the private post", || {
        titles(&second) == vec!["Only for our own eyes".to_string()]
    })
    .await;
    eventually("the other member to sync", || b.summary().is_ok()).await;
    assert!(titles(&b).is_empty());
    stop.send(true).unwrap();
    let _ = (s1.await, s2.await);
    listener.shutdown().await;
}
