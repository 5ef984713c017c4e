//! Nodes syncing over real TCP on loopback through Noise sessions: convergence, live
//! propagation, a wrong secret refused, garbage peers dropped without disturbing others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_model::{Direction, PostFilter, StreetKind};
use ivej_net::Listener;
use ivej_node::{CreateStreet, Node, NodeOptions, OrgProfile, PostInput};
use tempfile::TempDir;
use tokio::io::AsyncWriteExt;

fn open(dir: &TempDir) -> Arc<Node> {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Arc::new(Node::open(options).unwrap())
}

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
    .unwrap();
    node
}

fn member(dir: &TempDir, of: &Node, secret: [u8; 32], name: &str) -> Arc<Node> {
    let node = open(dir);
    let street = of.summary().unwrap().street.id;
    node.join_street(
        &street,
        &secret,
        OrgProfile {
            name: name.into(),
            ..Default::default()
        },
    )
    .unwrap();
    node
}

fn titles(node: &Node) -> Vec<String> {
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
async fn eventually(what: &str, check: impl Fn() -> bool) {
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
    let b = member(&db, &a, a.street_secret().unwrap(), "Regstrup Smedie");
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

    stop.send(true).unwrap();
    let report = session.await.unwrap().unwrap();
    assert_eq!(report.peer_org, a.own_org_id().unwrap());
    assert!(report.messages_received > 0 && report.messages_sent > 0);
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
    let intruder = member(&dc, &a, [0x42; 32], "Intruder");
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
    let b = member(&db, &a, a.street_secret().unwrap(), "Regstrup Smedie");
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
