//! Members on no shared network, through the blind relay: live sessions and the mailbox,
//! what the relay's storage holds (nothing readable), and bundles that must be refused.
//! Everything runs on loopback; the nodes never dial each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ivej_model::{Direction, PostInput, RelayRef};
use ivej_node::Node;
use ivej_relay::server::{RelayLimits, RelayServer};
use ivej_relay::sqlite::SqliteStore;
use tempfile::TempDir;

use crate::lan::{eventually, facilitator, member, titles};

pub(crate) struct Relay {
    pub server: RelayServer,
    pub dir: TempDir,
}

impl Relay {
    pub(crate) async fn start(limits: RelayLimits) -> Relay {
        let dir = TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("relay.sqlite")).unwrap();
        let server = RelayServer::bind(
            "127.0.0.1:0".parse().unwrap(),
            rand::random(),
            store,
            limits,
        )
        .await
        .unwrap();
        Relay { server, dir }
    }

    pub(crate) fn reference(&self) -> RelayRef {
        RelayRef {
            address: self.server.local_addr().to_string(),
            key: self.server.public_key(),
        }
    }

    pub(crate) fn store_path(&self) -> PathBuf {
        self.dir.path().join("relay.sqlite")
    }
}

/// A node's network side with the LAN off, no peers to dial and a listener no one is told
/// of: the relay is its only way out.
pub(crate) async fn online(node: &Arc<Node>) -> ivej_net::Server {
    ivej_net::serve(
        node.clone(),
        ivej_net::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            lan_discovery: false,
            peers: Vec::new(),
            refresh_every: Duration::from_millis(300),
            // Low, so that this test's few hundred writes make the relay prune.
            snapshot_every: 32,
        },
    )
    .await
    .unwrap()
}

fn post(node: &Node, title: &str) {
    node.create_post(PostInput::new(Direction::Offer, "CAP.MACH.CNC", title))
        .unwrap();
}

/// Every file of the relay's storage (the database, its WAL and shared memory).
fn storage_bytes(path: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(bytes) = std::fs::read(PathBuf::from(p)) {
            all.extend(bytes);
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn uuid_bytes(id: &str) -> Vec<u8> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_members_on_no_shared_network_converge_through_the_relay_live_and_by_mailbox() {
    let relay = Relay::start(RelayLimits {
        grace: Duration::ZERO,
        prune_every: Duration::from_millis(200),
        ..RelayLimits::default()
    })
    .await;
    let dirs: Vec<TempDir> = (0..3).map(|_| TempDir::new().unwrap()).collect();
    let f = facilitator(&dirs[0]);
    f.set_relay(Some(&relay.reference())).unwrap();
    // The invites carry the street's relay.
    let b = member(&dirs[1], &f, "Regstrup Smedie");
    let c = member(&dirs[2], &f, "Holbæk Plast");
    assert_eq!(b.relay().unwrap(), Some(relay.reference()));
    post(&f, "Spare CNC hours");

    // All three online: the mailbox brings them together, then live sessions run.
    let (sf, sb, sc) = (online(&f).await, online(&b).await, online(&c).await);
    eventually("everyone to hold the facilitator's post", || {
        titles(&b).contains(&"Spare CNC hours".to_string())
            && titles(&c).contains(&"Spare CNC hours".to_string())
    })
    .await;
    let live_via_relay = |n: &Node| {
        n.peer_statuses()
            .unwrap()
            .iter()
            .filter(|p| p.connected && p.via == ivej_model::Via::Relay)
            .count()
    };
    eventually("live sessions through the relay between all three", || {
        live_via_relay(&f) == 2 && live_via_relay(&b) == 2 && live_via_relay(&c) == 2
    })
    .await;
    post(&b, "Laser cutter, Thursdays");
    eventually("b's post at f and c", || {
        titles(&f).contains(&"Laser cutter, Thursdays".to_string())
            && titles(&c).contains(&"Laser cutter, Thursdays".to_string())
    })
    .await;

    // c goes offline for a week; the others write more than a snapshot's worth while it is
    // away, and are offline themselves when c comes back: only the mailbox can bring it.
    sc.shutdown().await;
    for i in 0..150 {
        post(&f, &format!("Facilitator's note {i}"));
        post(&b, &format!("Smithy's offer {i}"));
    }
    eventually("the mailbox to hold everything b and f wrote", || {
        f.mailbox_status().unwrap().pending_out == 0 && b.mailbox_status().unwrap().pending_out == 0
    })
    .await;
    // A snapshot was put and the entries it covers were pruned (grace 0 here): c's
    // cursor is behind what the relay still holds.
    eventually("the relay to prune behind a snapshot", || {
        let db = rusqlite::Connection::open(relay.store_path()).unwrap();
        db.query_row(
            "SELECT COALESCE(MAX(pruned_through), 0) FROM topics",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            > 0
    })
    .await;
    sf.shutdown().await;
    sb.shutdown().await;
    assert!(!titles(&c).contains(&"Smithy's offer 149".to_string()));
    let sc = online(&c).await;
    eventually("c to catch up from the mailbox alone", || {
        titles(&c) == titles(&f)
    })
    .await;
    assert_eq!(titles(&c), titles(&b));
    eventually("c's status to settle", || {
        let s = c.mailbox_status().unwrap();
        s.pending_in == 0 && s.pending_out == 0
    })
    .await;
    sc.shutdown().await;

    // The relay's whole storage holds nothing readable.
    let stored = storage_bytes(&relay.store_path());
    assert!(
        stored.len() > 100_000,
        "the relay stored {} bytes",
        stored.len()
    );
    let street_id = f.street_id().unwrap();
    let summary = f.summary().unwrap();
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("street id".into(), street_id.as_bytes().to_vec()),
        ("street id as bytes".into(), uuid_bytes(&street_id)),
        (
            "street document id".into(),
            format!("street:{street_id}").into_bytes(),
        ),
        ("street name".into(), summary.street.name.into_bytes()),
        (
            "automerge's magic bytes".into(),
            vec![0x85, 0x6f, 0x4a, 0x83],
        ),
    ];
    for name in ["Erhvervshus Holbæk", "Regstrup Smedie", "Holbæk Plast"] {
        needles.push((name.into(), name.as_bytes().to_vec()));
    }
    for title in titles(&f) {
        needles.push((title.clone(), title.into_bytes()));
    }
    for device in [&f, &b, &c] {
        let id = device.device_id().unwrap();
        needles.push((format!("device {id}"), id.clone().into_bytes()));
        needles.push((format!("device {id} as bytes"), uuid_bytes(&id)));
    }
    for (what, needle) in needles {
        assert!(
            !contains(&stored, &needle),
            "the relay's storage holds {what}"
        );
    }
    relay.server.shutdown().await;
}
