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
    serve(node, true).await
}

/// As [`online`], with live sessions (`live`) or through the mailbox alone.
async fn serve(node: &Arc<Node>, live: bool) -> ivej_net::Server {
    ivej_net::serve(
        node.clone(),
        ivej_net::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            lan_discovery: false,
            peers: Vec::new(),
            refresh_every: Duration::from_millis(300),
            // Low, so that this test's few hundred writes make the relay prune.
            snapshot_every: 32,
            relay_live: live,
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
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

fn uuid_bytes(id: &str) -> Vec<u8> {
    let hex: String = id.chars().filter(|c| *c != '-').collect();
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// What must never be found in a relay's storage: the street's id (as text and bytes) and
/// name, its document id, organisation names, post titles, device ids, and automerge's
/// magic bytes (a document or change stored in the clear).
fn plaintext(f: &Node, devices: &[&Arc<Node>]) -> Vec<(String, Vec<u8>)> {
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
    for org in f.export().unwrap().organisations {
        needles.push((org.name.clone(), org.name.into_bytes()));
    }
    for title in titles(f) {
        needles.push((title.clone(), title.into_bytes()));
    }
    for device in devices {
        let id = device.device_id().unwrap();
        needles.push((format!("device {id}"), id.clone().into_bytes()));
        needles.push((format!("device {id} as bytes"), uuid_bytes(&id)));
    }
    needles
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
    // Alone this takes under a second; under the full run's load a notice the client had
    // no room for is made up only by its next listing, up to 30 s later (by design), which
    // once outlasted the usual 20 s bound here.
    let start = std::time::Instant::now();
    while titles(&c) != titles(&f) {
        if start.elapsed() > Duration::from_secs(45) {
            // It has happened twice in full runs (never alone, nor under three busy loops):
            // say what c had and what its relay connection was doing.
            let missing = titles(&f)
                .into_iter()
                .filter(|t| !titles(&c).contains(t))
                .count();
            panic!(
                "timed out waiting for c to catch up from the mailbox alone: {missing} posts \
                 missing; c's relay {:?}; c's mailbox {:?}; c's refusals {:?}",
                c.relay_status(),
                c.mailbox_status(),
                c.refusals()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Once, in a fresh-root run under load, b's board lacked its own last post here (f's
    // and c's had it), and it has not been seen since: if it comes back, say which post,
    // and whether b's documents hold it (a lost write) or only its board lacks it.
    let mut missing: Vec<String> = Vec::new();
    for _ in 0..100 {
        missing = titles(&f)
            .into_iter()
            .filter(|t| !titles(&b).contains(t))
            .collect();
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !missing.is_empty() {
        let in_documents: Vec<bool> = b
            .export()
            .map(|e| {
                missing
                    .iter()
                    .map(|t| e.posts.iter().any(|p| &p.title == t))
                    .collect()
            })
            .unwrap_or_default();
        panic!(
            "b's board lacks {missing:?} (in b's documents: {in_documents:?}); refusals at b: {:?}",
            b.refusals().unwrap()
        );
    }
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
    let needles = plaintext(&f, &[&f, &b, &c]);
    for (what, needle) in needles {
        assert!(
            !contains(&stored, &needle),
            "the relay's storage holds {what}"
        );
    }
    relay.server.shutdown().await;
}

/// Puts `bundle` into `doc_id`'s topic as a member (or anyone holding the epoch key) would.
async fn put_raw(
    relay: &Relay,
    key: &ivej_trust::mailbox::EpochKey,
    doc_id: &str,
    bundle: Vec<u8>,
) -> u64 {
    let address = ivej_relay::RelayAddress {
        addr: relay.server.local_addr().to_string(),
        key: relay.server.public_key(),
    };
    let (client, _) = ivej_relay::RelayClient::connect(&address).await.unwrap();
    let topic = key.topic(doc_id);
    client
        .open(topic.id, topic.open_proof(client.handshake_hash()))
        .await
        .unwrap();
    client.put(topic.id, bundle).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_that_are_damaged_forged_uncertified_or_replayed_are_refused_and_change_nothing() {
    use ivej_trust::mailbox::{BundleKind, EpochKey};
    use ivej_trust::{ChangeSignature, SignedSync, SigningSecret};

    let relay = Relay::start(RelayLimits::default()).await;
    let dirs: Vec<TempDir> = (0..3).map(|_| TempDir::new().unwrap()).collect();
    let f = facilitator(&dirs[0]);
    f.set_relay(Some(&relay.reference())).unwrap();
    let b = member(&dirs[1], &f, "Regstrup Smedie");
    let m = member(&dirs[2], &f, "Mallory ApS");
    post(&f, "Spare CNC hours");
    let street = format!("street:{}", f.street_id().unwrap());
    let key = EpochKey::first(&f.street_secret().unwrap());
    let topic = key.topic(&street);
    let good = f
        .mailbox_outgoing(&street, &topic.id)
        .unwrap()
        .unwrap()
        .bundles;
    assert_eq!(good.len(), 1);
    let good = good[0].clone();
    let body = topic.open(&good).unwrap().body;
    let before = titles(&b);
    let refused = |n: &Node| n.refusals().unwrap().len();

    // A flipped byte in a bundle the relay stored (its disk, or its operator).
    let seq = put_raw(&relay, &key, &street, good.clone()).await;
    {
        let db = rusqlite::Connection::open(relay.store_path()).unwrap();
        let stored: Vec<u8> = db
            .query_row(
                "SELECT bundle FROM entries WHERE seq = ?1",
                [seq as i64],
                |r| r.get(0),
            )
            .unwrap();
        let mut damaged = stored;
        let i = damaged.len() / 2;
        damaged[i] ^= 0x20;
        db.execute(
            "UPDATE entries SET bundle = ?1 WHERE seq = ?2",
            rusqlite::params![damaged, seq as i64],
        )
        .unwrap();
    }
    let address = ivej_relay::RelayAddress {
        addr: relay.server.local_addr().to_string(),
        key: relay.server.public_key(),
    };
    let (client, _) = ivej_relay::RelayClient::connect(&address).await.unwrap();
    client
        .open(topic.id, topic.open_proof(client.handshake_hash()))
        .await
        .unwrap();
    let damaged = client.get(topic.id, seq).await.unwrap();
    assert!(matches!(
        b.mailbox_take(0, &street, &damaged),
        Err(ivej_node::NodeError::Refused(_))
    ));
    assert_eq!(titles(&b), before);

    // Another member's forgery: the facilitator's change, signed by Mallory's device as if
    // it were its own, in a bundle Mallory signed.
    let mallory_key = crate::hostile::signing_key(&m);
    let mut envelope = SignedSync::decode(&body).unwrap();
    for sig in &mut envelope.signatures {
        *sig = ChangeSignature::sign(&mallory_key, &street, sig.hash);
    }
    // With Mallory's own certificates, so its key is known and the bundle opens.
    for cert in m.presentation().unwrap().chain {
        envelope
            .certificates
            .push(ivej_trust::Certificate::decode(&cert).unwrap());
    }
    let forged = topic
        .seal(
            BundleKind::Changes,
            &mallory_key,
            0,
            &envelope.encode(),
            rand::random(),
        )
        .unwrap();
    let before_refusals = refused(&b);
    put_raw(&relay, &key, &street, forged.clone()).await;
    b.mailbox_take(0, &street, &forged).unwrap();
    assert_eq!(titles(&b), before, "a forged change was taken");
    assert!(refused(&b) > before_refusals, "the forgery was not noted");

    // A bundle from a key no certificate stands for (someone who has the street secret,
    // say from a lost invite, but never enrolled).
    let stranger = SigningSecret::from_seed(rand::random());
    let uncertified = topic
        .seal(BundleKind::Changes, &stranger, 0, &body, rand::random())
        .unwrap();
    let refused_now = b.mailbox_take(0, &street, &uncertified);
    assert!(
        matches!(&refused_now, Err(ivej_node::NodeError::Refused(why)) if why.contains("certificate")),
        "{refused_now:?}"
    );
    assert_eq!(titles(&b), before);

    // The facilitator's good bundle replayed into another document's topic: the relay does
    // not file it there, and a receiver handed it there does not open it.
    let minutes = "minutes:0190f4f2-0000-7000-8000-000000000000";
    let other = key.topic(minutes);
    let (c2, _) = ivej_relay::RelayClient::connect(&address).await.unwrap();
    c2.open(other.id, other.open_proof(c2.handshake_hash()))
        .await
        .unwrap();
    assert!(c2.put(other.id, good.clone()).await.is_err());
    assert!(matches!(
        b.mailbox_take(0, minutes, &good),
        Err(ivej_node::NodeError::Refused(_))
    ));
    assert_eq!(titles(&b), before);

    // An outsider without the key cannot open the topic, with a proof from another
    // connection or none.
    let (outsider, _) = ivej_relay::RelayClient::connect(&address).await.unwrap();
    let stolen = topic.open_proof(client.handshake_hash());
    assert!(outsider.open(topic.id, stolen).await.is_err());
    assert!(outsider.list(topic.id, 0, 10).await.is_err());

    // Through all that, b still takes the good bundle.
    assert!(b.mailbox_take(0, &street, &good).unwrap());
    assert!(titles(&b).contains(&"Spare CNC hours".to_string()));
    relay.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relay_instances_over_one_postgres_carry_a_street_and_eight_writers_lose_no_entry() {
    use ivej_relay::postgres::PostgresStore;
    use ivej_trust::mailbox::{BundleKind, EpochKey};

    let cluster = crate::postgres::Cluster::start();
    let key: [u8; 32] = rand::random();
    // Many puts a second from one connection: this test is about ordering, not limits.
    let limits = RelayLimits {
        puts_per_second: 100_000.0,
        puts_burst: 100_000.0,
        connects_burst: 100.0,
        ..RelayLimits::default()
    };
    let mut instances = Vec::new();
    for _ in 0..2 {
        let store = PostgresStore::connect(&cluster.url()).await.unwrap();
        let server = RelayServer::bind("127.0.0.1:0".parse().unwrap(), key, store, limits.clone())
            .await
            .unwrap();
        instances.push(server);
    }
    let reference = |i: usize| RelayRef {
        address: instances[i].local_addr().to_string(),
        key: instances[i].public_key(),
    };

    // One member on each instance: they converge through the one database.
    let dirs: Vec<TempDir> = (0..2).map(|_| TempDir::new().unwrap()).collect();
    let f = facilitator(&dirs[0]);
    f.set_relay(Some(&reference(0))).unwrap();
    let b = member(&dirs[1], &f, "Regstrup Smedie");
    b.set_relay(Some(&reference(1))).unwrap();
    post(&f, "Spare CNC hours");
    let (sf, sb) = (online(&f).await, online(&b).await);
    eventually("b, on the other instance, to hold f's post", || {
        titles(&b).contains(&"Spare CNC hours".to_string())
    })
    .await;
    post(&b, "Laser cutter, Thursdays");
    eventually("f to hold b's post", || {
        titles(&f).contains(&"Laser cutter, Thursdays".to_string())
    })
    .await;
    sf.shutdown().await;
    sb.shutdown().await;
    // Nothing readable in the database either.
    let dump = cluster.dump();
    assert!(dump.len() > 10_000, "the dump is {} bytes", dump.len());
    for (what, needle) in plaintext(&f, &[&f, &b]) {
        assert!(
            !contains(&dump, &needle),
            "the relay's database holds {what}"
        );
    }

    // 8 writers, 4 on each instance, put 500 bundles each into one topic while a reader
    // on one instance follows the topic by its cursor: it sees every entry exactly once.
    let epoch = EpochKey::new(0, rand::random());
    let topic = epoch.topic("street:load");
    let address = |i: usize| ivej_relay::RelayAddress {
        addr: instances[i].local_addr().to_string(),
        key: instances[i].public_key(),
    };
    let mut writers = Vec::new();
    for w in 0..8usize {
        let (address, topic) = (address(w % 2), topic.clone());
        writers.push(tokio::spawn(async move {
            let (client, _) = ivej_relay::RelayClient::connect(&address).await.unwrap();
            client
                .open(topic.id, topic.open_proof(client.handshake_hash()))
                .await
                .unwrap();
            let device = ivej_trust::SigningSecret::from_seed([w as u8; 32]);
            for i in 0..500u32 {
                let body = format!("writer {w} entry {i}");
                let bundle = topic
                    .seal(
                        BundleKind::Changes,
                        &device,
                        0,
                        body.as_bytes(),
                        rand::random(),
                    )
                    .unwrap();
                client.put(topic.id, bundle).await.unwrap();
            }
        }));
    }
    let (reader, _) = ivej_relay::RelayClient::connect(&address(1)).await.unwrap();
    reader
        .open(topic.id, topic.open_proof(reader.handshake_hash()))
        .await
        .unwrap();
    let mut cursor = 0u64;
    let mut seen = std::collections::HashSet::new();
    let started = std::time::Instant::now();
    while seen.len() < 4000 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} entries seen",
            seen.len()
        );
        let listing = reader.list(topic.id, cursor, 1024).await.unwrap();
        for entry in listing.entries {
            assert_eq!(entry.seq, cursor + 1, "an entry was skipped or repeated");
            cursor = entry.seq;
            let bundle = reader.get(topic.id, entry.seq).await.unwrap();
            let body = String::from_utf8(topic.open(&bundle).unwrap().body).unwrap();
            assert!(seen.insert(body.clone()), "{body} was seen twice");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for w in writers {
        w.await.unwrap();
    }
    assert_eq!(cursor, 4000);
    assert_eq!(
        reader
            .list(topic.id, cursor, 10)
            .await
            .unwrap()
            .entries
            .len(),
        0
    );
    for server in instances {
        server.shutdown().await;
    }
}

/// Every file under `dir`, read whole.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_reads_nothing_written_after_and_a_device_away_for_two_removals_catches_up(
) {
    let relay = Relay::start(RelayLimits::default()).await;
    let dirs: Vec<TempDir> = (0..5).map(|_| TempDir::new().unwrap()).collect();
    let f = facilitator(&dirs[0]);
    f.set_relay(Some(&relay.reference())).unwrap();
    let b = member(&dirs[1], &f, "Regstrup Smedie");
    let m = member(&dirs[2], &f, "Mallory ApS");
    let n = member(&dirs[3], &f, "Niels' Nitter");
    let d = member(&dirs[4], &f, "Holbæk Plast");
    post(&f, "Before anyone left");
    let servers: Vec<ivej_net::Server> = {
        let mut s = Vec::new();
        for node in [&f, &b, &m, &n, &d] {
            s.push(online(node).await);
        }
        s
    };
    let all = [&f, &b, &m, &n, &d];
    // And the facilitator to hold every member's organisation, which it removes by id
    // (under load it once had not yet taken Mallory's when it came to remove it).
    eventually("everyone to hold the first post", || {
        all.iter()
            .all(|node| titles(node).contains(&"Before anyone left".to_string()))
            && f.export().unwrap().organisations.len() == 5
    })
    .await;
    let mut servers = servers.into_iter();
    let (sf, sb, sm, sn, sd) = (
        servers.next().unwrap(),
        servers.next().unwrap(),
        servers.next().unwrap(),
        servers.next().unwrap(),
        servers.next().unwrap(),
    );
    // d is away for what follows.
    sd.shutdown().await;

    // Mallory is removed: a new epoch begins, sealed to the devices that stay.
    f.remove_member(m.own_org_id().unwrap().as_str()).unwrap();
    assert_eq!(f.epoch().unwrap(), 1);
    eventually("b to enter the new epoch", || b.epoch().unwrap() == 1).await;
    post(&f, "After Mallory left");
    post(&b, "Smithy's news after Mallory left");
    eventually("b and n to hold what came after", || {
        titles(&b).contains(&"After Mallory left".to_string())
            && titles(&n).contains(&"Smithy's news after Mallory left".to_string())
    })
    .await;
    // Then Niels is removed too: a third epoch.
    f.remove_member(n.own_org_id().unwrap().as_str()).unwrap();
    eventually("b to enter the third epoch", || b.epoch().unwrap() == 2).await;
    post(&f, "After Niels left");
    eventually("b to hold it", || {
        titles(&b).contains(&"After Niels left".to_string())
    })
    .await;

    // d comes back after both removals: two rekeys in turn, then the new epoch's mailbox.
    let sd = online(&d).await;
    eventually("d to catch up across both removals", || {
        titles(&d).contains(&"After Niels left".to_string())
            && titles(&d).contains(&"Smithy's news after Mallory left".to_string())
    })
    .await;
    assert_eq!(d.epoch().unwrap(), 2);

    // Mallory, online all along with the relay, got nothing written after its removal:
    // not on its board, not in its data directory, and it never entered a later epoch.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(m.epoch().unwrap(), 0);
    let mallory = all_bytes(dirs[2].path());
    for title in [
        "After Mallory left",
        "Smithy's news after Mallory left",
        "After Niels left",
    ] {
        assert!(
            !titles(&m).contains(&title.to_string()),
            "{title} on Mallory's board"
        );
        assert!(
            !contains(&mallory, title.as_bytes()),
            "{title} in Mallory's data"
        );
    }
    // Niels kept what came before his removal, and nothing after.
    assert!(titles(&n).contains(&"Smithy's news after Mallory left".to_string()));
    assert!(!titles(&n).contains(&"After Niels left".to_string()));
    assert_eq!(n.epoch().unwrap(), 1);
    for server in [sf, sb, sm, sn, sd] {
        server.shutdown().await;
    }
    relay.server.shutdown().await;
}

/// Documents only some may read (posts for the facilitator only or for named members, a
/// company's private document, minutes held in confidence) go through the mailbox under
/// keys only their readers hold: each reaches its readers, a device enrolled later is
/// given the keys it may read, and neither another member nor the relay reads any of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_only_some_may_read_reach_just_their_readers_through_the_mailbox() {
    use ivej_model::Visibility;
    use ivej_node::MeetingInput;

    let relay = Relay::start(RelayLimits::default()).await;
    let dirs: Vec<TempDir> = (0..5).map(|_| TempDir::new().unwrap()).collect();
    let f = facilitator(&dirs[0]);
    f.set_relay(Some(&relay.reference())).unwrap();
    let a = member(&dirs[1], &f, "Alfa Maskiner");
    let b = member(&dirs[2], &f, "Beta Plast");
    let c = member(&dirs[3], &f, "Ceta Print");
    let (cash, welder, note) = (
        "Alfa is short of cash",
        "For Beta: a spare welder",
        "Alfa's own note",
    );
    let secret = "Alfa will sell the laser cutter";
    let mut for_facilitator = PostInput::new(Direction::Need, "KNOW", cash);
    for_facilitator.visibility = Visibility::Facilitator;
    a.create_post(for_facilitator).unwrap();
    let mut for_beta = PostInput::new(Direction::Offer, "CAP.EQUIP", welder);
    for_beta.visibility = Visibility::Named;
    for_beta.visible_to = vec![b.own_org_id().unwrap()];
    a.create_post(for_beta).unwrap();
    let mut private = PostInput::new(Direction::Offer, "CAP.EQUIP", note);
    private.visibility = Visibility::Private;
    a.create_post(private).unwrap();
    post(&f, "Spare CNC hours");

    // Mailbox only: no live session carries anything here.
    let servers = [
        serve(&f, false).await,
        serve(&a, false).await,
        serve(&b, false).await,
        serve(&c, false).await,
    ];
    eventually("everyone to hold the street", || {
        [&a, &b, &c]
            .iter()
            .all(|n| titles(n).contains(&"Spare CNC hours".to_string()))
            && f.export().unwrap().organisations.len() == 4
    })
    .await;
    // Minutes of a meeting Alfa hosted, held in confidence.
    let meeting = f
        .plan_meeting(MeetingInput {
            starts_at: "2026-12-03T15:00".parse().unwrap(),
            duration_minutes: None,
            host_org: Some(a.own_org_id().unwrap()),
            location: None,
            challenge: None,
            series_id: None,
        })
        .unwrap();
    f.set_minutes_in_confidence(&meeting.id, true).unwrap();
    f.splice_minutes(&meeting.id, 0, 0, secret).unwrap();
    let minutes_text = |n: &Node| n.minutes(&meeting.id).map(|m| m.text).unwrap_or_default();
    eventually("each document at its readers", || {
        titles(&f).contains(&cash.to_string())
            && titles(&f).contains(&welder.to_string())
            && titles(&b).contains(&welder.to_string())
            && minutes_text(&a) == secret
    })
    .await;
    assert!(f.peer_statuses().unwrap().iter().all(|p| !p.connected));
    for server in servers {
        server.shutdown().await;
    }
    assert!(!titles(&b).contains(&cash.to_string()));
    assert!(!titles(&f).contains(&note.to_string()));
    for outsider in [&b, &c] {
        assert_eq!(minutes_text(outsider), "");
    }
    let of_c = titles(&c);
    for title in [cash, welder, note] {
        assert!(!of_c.contains(&title.to_string()), "{title} at c");
    }

    // Alfa enrols a second device while Alfa's first is away: the facilitator gives it
    // what it may read (it learns of the device from the key the device gives Alfa's
    // first device for their private document); once Alfa's first device is back, the
    // private document follows.
    let invite = a
        .create_invite(ivej_node::InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .unwrap();
    let a2 = crate::lan::open(&dirs[4]);
    a2.join(&invite, None).unwrap();
    a2.set_relay(Some(&relay.reference())).unwrap();
    let (sf, sa2) = (serve(&f, false).await, serve(&a2, false).await);
    eventually(
        "the new device to be given the facilitator-only post and the minutes",
        || {
            titles(&a2).contains(&cash.to_string())
                && titles(&a2).contains(&welder.to_string())
                && minutes_text(&a2) == secret
        },
    )
    .await;
    assert!(!titles(&a2).contains(&note.to_string()));
    let sa = serve(&a, false).await;
    eventually("the private document at the new device", || {
        titles(&a2).contains(&note.to_string())
    })
    .await;
    for server in [sf, sa2, sa] {
        server.shutdown().await;
    }
    assert!(!titles(&f).contains(&note.to_string()));

    // Neither the relay nor the member they were not for holds a byte of them.
    let stored = storage_bytes(&relay.store_path());
    let of_c = all_bytes(dirs[3].path());
    let mut needles = plaintext(&f, &[&f, &a, &b, &c]);
    for text in [cash, welder, note, secret, "scope:", "private:"] {
        needles.push((text.to_string(), text.as_bytes().to_vec()));
    }
    for (what, needle) in &needles {
        assert!(
            !contains(&stored, needle),
            "the relay's storage holds {what}"
        );
    }
    for text in [cash, welder, note, "laser cutter"] {
        assert!(!contains(&of_c, text.as_bytes()), "c's data holds {text}");
    }
    relay.server.shutdown().await;
}
