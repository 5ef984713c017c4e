//! Nodes syncing in process, with a loop as the transport: convergence of 2, 5 and 20
//! nodes, catching up after a week offline, healing a partition, refusing garbage, keeping
//! the private document among one company's devices, cheap reconnects.

use std::collections::BTreeMap;

use ivej_model::{Direction, PostFilter, PostStatus, StreetKind};
use ivej_node::{CreateStreet, MeetingInput, Node, NodeOptions, OrgPatch, OrgProfile, PostInput};
use rand::{Rng, SeedableRng};
use tempfile::TempDir;

struct Peer {
    node: Node,
    device: String,
    org: String,
    _dir: TempDir,
}

fn open(dir: &TempDir) -> Node {
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    Node::open(options).unwrap()
}

fn peer(node: Node, dir: TempDir) -> Peer {
    Peer {
        device: node.device_id().unwrap(),
        org: node.own_org_id().unwrap(),
        node,
        _dir: dir,
    }
}

/// A street with a facilitator and `members` joined members (not yet synced).
fn street(members: usize) -> Vec<Peer> {
    let dir = TempDir::new().unwrap();
    let node = open(&dir);
    let summary = node
        .create_street(CreateStreet {
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
    assert!(!summary.street.id.is_empty());
    let facilitator = node;
    let mut joined = Vec::new();
    for i in 0..members {
        let invite = facilitator
            .create_invite(ivej_node::InviteRequest::default())
            .unwrap();
        let dir = TempDir::new().unwrap();
        let node = open(&dir);
        node.join(
            &invite,
            Some(OrgProfile {
                name: format!("Member {i} ApS"),
                industries: vec!["25".into()],
                ..Default::default()
            }),
        )
        .unwrap();
        joined.push(peer(node, dir));
    }
    let mut peers = vec![peer(facilitator, dir)];
    peers.extend(joined);
    peers
}

/// A meeting planned by the facilitator (`peers[0]`), hosted by the first member.
fn meeting_hosted_by_the_first_member(peers: &[Peer]) -> ivej_model::Meeting {
    peers[0]
        .node
        .plan_meeting(MeetingInput {
            starts_at: "2026-12-03T15:00".parse().unwrap(),
            duration_minutes: None,
            host_org: Some(peers[1].org.clone()),
            location: None,
            challenge: None,
            series_id: None,
        })
        .unwrap()
}

/// Exchanges messages between two peers until both are quiet; returns (messages, bytes).
fn exchange(a: &Peer, b: &Peer) -> (usize, usize) {
    // In process, each node admits the other as a transport that proved its key would.
    a.node.admit_each_other(&b.node).unwrap();
    let mut docs = a.node.documents_shared_with(Some(&b.device)).unwrap();
    for d in b.node.documents_shared_with(Some(&a.device)).unwrap() {
        if !docs.contains(&d) {
            docs.push(d);
        }
    }
    let (mut messages, mut bytes) = (0, 0);
    for _ in 0..100 {
        let mut quiet = true;
        for doc in &docs {
            for (from, to) in [(a, b), (b, a)] {
                // The minutes of a meeting a node has not heard of yet are not shared
                // with it, either way, until the street document brings the meeting.
                let not_yet =
                    |e: &ivej_node::NodeError| matches!(e, ivej_node::NodeError::NotAllowed(_));
                let message = match from.node.sync_message(&to.device, doc) {
                    Err(e) if not_yet(&e) => None,
                    other => other.unwrap(),
                };
                if let Some(m) = message {
                    match to.node.receive_sync_message(&from.device, doc, &m) {
                        Err(e) if not_yet(&e) => {}
                        other => other.unwrap(),
                    }
                    messages += 1;
                    bytes += m.len();
                    quiet = false;
                }
            }
        }
        if quiet {
            return (messages, bytes);
        }
    }
    panic!("the peers did not go quiet after 100 rounds");
}

/// Everything along a line and back: what one has, all have.
fn gossip(peers: &[Peer]) {
    for i in 0..peers.len().saturating_sub(1) {
        exchange(&peers[i], &peers[i + 1]);
    }
    for i in (0..peers.len().saturating_sub(1)).rev() {
        exchange(&peers[i], &peers[i + 1]);
    }
}

/// What every member should see alike.
fn shared_view(node: &Node) -> serde_json::Value {
    let mut export = serde_json::to_value(node.export().unwrap()).unwrap();
    let map = export.as_object_mut().unwrap();
    for private in ["exported_at", "own_org", "private_posts"] {
        map.remove(private);
    }
    export
}

fn board_ids(node: &Node) -> Vec<String> {
    let mut ids: Vec<String> = node
        .list_posts(&PostFilter {
            statuses: PostStatus::ALL.to_vec(),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|p| p.post.id)
        .collect();
    ids.sort();
    ids
}

fn assert_converged(peers: &[Peer]) {
    let first = shared_view(&peers[0].node);
    let first_board = board_ids(&peers[0].node);
    for (i, p) in peers.iter().enumerate().skip(1) {
        assert_eq!(first, shared_view(&p.node), "node {i} differs");
        assert_eq!(first_board, board_ids(&p.node), "node {i}'s board differs");
    }
}

fn edit_randomly(peers: &[Peer], rng: &mut impl Rng) -> usize {
    let mut posts = 0;
    for (i, p) in peers.iter().enumerate() {
        for j in 0..rng.random_range(1..4) {
            let mut input = PostInput::new(
                Direction::Offer,
                "CAP.MACH.CNC",
                &format!("node {i} post {j}"),
            );
            input.body = format!("spare hours {}", rng.random::<u32>());
            p.node.create_post(input).unwrap();
            posts += 1;
        }
        p.node
            .update_own_organisation(OrgPatch {
                cv: Some(format!("CV of node {i}, version {}", rng.random::<u16>())),
                ..Default::default()
            })
            .unwrap();
    }
    posts
}

#[test]
fn two_five_and_twenty_nodes_converge_after_concurrent_edits() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2017);
    for n in [2, 5, 20] {
        let peers = street(n - 1);
        gossip(&peers);
        let meeting = meeting_hosted_by_the_first_member(&peers);
        gossip(&peers);
        let posts = edit_randomly(&peers, &mut rng);
        // Two people type into the same minutes before syncing.
        peers[0]
            .node
            .append_minutes(&meeting.id, "Facilitator's notes. ")
            .unwrap();
        peers[1]
            .node
            .append_minutes(&meeting.id, "Host's notes. ")
            .unwrap();
        gossip(&peers);
        assert_converged(&peers);
        assert_eq!(board_ids(&peers[0].node).len(), posts, "{n} nodes");
        let minutes = peers[n - 1].node.minutes(&meeting.id).unwrap().text;
        assert!(minutes.contains("Facilitator's notes.") && minutes.contains("Host's notes."));
        assert_eq!(peers[n - 1].node.summary().unwrap().members as usize, n);
    }
}

#[test]
fn a_node_offline_for_a_week_catches_up_without_loss() {
    let peers = street(2);
    gossip(&peers);
    // The shop-floor laptop (peer 2) is away; the others keep working.
    for day in 0..7 {
        for i in 0..30 {
            let title = format!("day {day} offer {i}");
            peers[i % 2]
                .node
                .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", &title))
                .unwrap();
        }
    }
    // And it posts offline too.
    peers[2]
        .node
        .create_post(PostInput::new(
            Direction::Need,
            "PUR",
            "Joint energy purchase",
        ))
        .unwrap();
    exchange(&peers[0], &peers[1]);
    exchange(&peers[2], &peers[0]);
    assert_converged(&peers[..1]);
    assert_eq!(board_ids(&peers[2].node).len(), 211);
    assert_eq!(board_ids(&peers[0].node), board_ids(&peers[2].node));
    let found = peers[2]
        .node
        .list_posts(&PostFilter {
            text: Some("day 6 offer 29".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(!found.is_empty(), "synced posts are searchable");
}

#[test]
fn a_partition_heals_and_converges() {
    let peers = street(3);
    gossip(&peers);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    edit_randomly(&peers[..2], &mut rng);
    edit_randomly(&peers[2..], &mut rng);
    exchange(&peers[0], &peers[1]);
    exchange(&peers[2], &peers[3]);
    assert_ne!(shared_view(&peers[0].node), shared_view(&peers[3].node));
    exchange(&peers[1], &peers[2]);
    gossip(&peers);
    assert_converged(&peers);
}

#[test]
fn garbage_and_documents_not_shared_are_refused_without_harm() {
    let peers = street(1);
    gossip(&peers);
    let (a, b) = (&peers[0], &peers[1]);
    let street_doc = a.node.documents_shared_with(Some(&b.device)).unwrap()[0].clone();
    let before = shared_view(&b.node);
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for len in [0, 1, 5, 64, 4096] {
        let junk: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        assert!(b
            .node
            .receive_sync_message(&a.device, &street_doc, &junk)
            .is_err());
    }
    // Someone else's private document, and documents that do not exist here.
    let private_of_a = format!("private:{}", a.org);
    assert!(b.node.sync_message(&a.device, &private_of_a).is_err());
    assert!(b
        .node
        .receive_sync_message(&a.device, "street:other", b"x")
        .is_err());
    assert_eq!(before, shared_view(&b.node));
    // And sync still works afterwards.
    a.node
        .create_post(PostInput::new(
            Direction::Offer,
            "CAP.SPACE",
            "After the junk",
        ))
        .unwrap();
    exchange(a, b);
    assert_converged(&peers);
}

#[test]
fn the_private_document_reaches_only_the_companys_own_devices() {
    let mut peers = street(1);
    gossip(&peers);
    let street_id = peers[0].node.summary().unwrap().street.id;
    let mut private = PostInput::new(Direction::Offer, "CAP.SPACE", "Only for our own eyes");
    private.visibility = ivej_model::Visibility::Private;
    peers[0].node.create_post(private).unwrap();
    // A second device of the facilitator's own organisation.
    let dir = TempDir::new().unwrap();
    let second = open(&dir);
    let invite = peers[0]
        .node
        .create_invite(ivej_node::InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(invite.street_id, street_id);
    second.join(&invite, None).unwrap();
    let second = peer(second, dir);
    exchange(&peers[0], &second);
    exchange(&peers[0], &peers[1]);
    let titles = |n: &Node| -> Vec<String> {
        n.list_posts(&PostFilter::default())
            .unwrap()
            .into_iter()
            .map(|p| p.post.title)
            .collect()
    };
    assert_eq!(titles(&second.node), vec!["Only for our own eyes"]);
    assert!(titles(&peers[1].node).is_empty());
    assert!(!peers[0]
        .node
        .documents_shared_with(Some(&peers[1].device))
        .unwrap()
        .iter()
        .any(|d| d.starts_with("private:")));
    peers.push(second);
}

#[test]
fn a_reconnect_costs_little() {
    let peers = street(1);
    for i in 0..300 {
        peers[0]
            .node
            .create_post(PostInput::new(
                Direction::Offer,
                "CAP.SPACE",
                &format!("hall {i}"),
            ))
            .unwrap();
    }
    let (_, first_bytes) = exchange(&peers[0], &peers[1]);
    // Reopen both nodes from disk: sync states were stored.
    let peers: Vec<Peer> = peers
        .into_iter()
        .map(|p| {
            let Peer { node, _dir, .. } = p;
            drop(node);
            peer(open(&_dir), _dir)
        })
        .collect();
    peers[0]
        .node
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "one more"))
        .unwrap();
    for p in &peers {
        p.node.start_sync_session(&peers[0].device, b"key").unwrap();
        p.node.start_sync_session(&peers[1].device, b"key").unwrap();
    }
    let (messages, bytes) = exchange(&peers[0], &peers[1]);
    assert_converged(&peers);
    let counts: BTreeMap<&str, usize> = [("first", first_bytes), ("reconnect", bytes)].into();
    assert!(
        bytes * 10 < first_bytes,
        "reconnect should be much cheaper: {counts:?}"
    );
    assert!(messages <= 8, "{messages} messages for one new post");
}

#[test]
fn two_people_typing_into_the_same_minutes_offline_keep_both_texts() {
    let peers = street(1);
    gossip(&peers);
    let meeting = meeting_hosted_by_the_first_member(&peers);
    peers[0]
        .node
        .set_minutes_text(&meeting.id, "Present: all.\nChallenge: idle machines.\n")
        .unwrap();
    gossip(&peers);

    // Offline, keystroke by keystroke: the facilitator types after the first line, the
    // host at the very end.
    let facilitator = "Tølløse Smedie offers Friday CNC hours. ";
    let after_first_line = "Present: all.\n".chars().count();
    for (i, c) in facilitator.chars().enumerate() {
        peers[0]
            .node
            .splice_minutes(&meeting.id, after_first_line + i, 0, &c.to_string())
            .unwrap();
    }
    let host = "Action: Jens calls the municipality.";
    let end = peers[1]
        .node
        .minutes(&meeting.id)
        .unwrap()
        .text
        .chars()
        .count();
    for (i, c) in host.chars().enumerate() {
        peers[1]
            .node
            .splice_minutes(&meeting.id, end + i, 0, &c.to_string())
            .unwrap();
    }
    gossip(&peers);
    let a = peers[0].node.minutes(&meeting.id).unwrap().text;
    let b = peers[1].node.minutes(&meeting.id).unwrap().text;
    assert_eq!(a, b, "both replicas read the same minutes");
    assert_eq!(
        a,
        format!("Present: all.\n{facilitator}Challenge: idle machines.\n{host}")
    );
}

/// Every byte of a node's data directory, as a technical member could read it.
fn data_directory_bytes(node: &Node) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(node.data_dir()).unwrap() {
        all.extend(std::fs::read(entry.unwrap().path()).unwrap_or_default());
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Minutes held in confidence reach the facilitator and the organisations present, and
/// no one else: a member who was not there finds nothing of them on its device, in its
/// export or in its database's bytes, however the others sync with it.
#[test]
fn minutes_held_in_confidence_reach_only_the_facilitator_and_those_present() {
    let peers = street(2);
    gossip(&peers);
    // Hosted by the first member; the second was not there.
    let meeting = meeting_hosted_by_the_first_member(&peers);
    gossip(&peers);
    let (facilitator, present, absent) = (&peers[0], &peers[1], &peers[2]);
    facilitator
        .node
        .set_minutes_in_confidence(&meeting.id, true)
        .unwrap();
    let secret = "Hansen will sell the laser cutter";
    facilitator
        .node
        .splice_minutes(&meeting.id, 0, 0, secret)
        .unwrap();
    for _ in 0..2 {
        exchange(facilitator, present);
        exchange(facilitator, absent);
        exchange(present, absent);
    }
    assert_eq!(present.node.minutes(&meeting.id).unwrap().text, secret);
    assert_eq!(absent.node.minutes(&meeting.id).unwrap().text, "");
    let export = serde_json::to_string(&absent.node.export().unwrap()).unwrap();
    assert!(
        !export.contains("Hansen"),
        "not in the absent member's export"
    );
    assert!(
        !contains(&data_directory_bytes(&absent.node), "Hansen"),
        "not anywhere in the absent member's data directory"
    );
    // Asked for by hand, the minutes are not shared with it.
    let doc = format!("minutes:{}", meeting.id);
    assert!(!facilitator
        .node
        .documents_shared_with(Some(&absent.device))
        .unwrap()
        .contains(&doc));
    assert!(matches!(
        facilitator.node.sync_message(&absent.device, &doc),
        Err(ivej_node::NodeError::NotAllowed(_))
    ));
    assert!(matches!(
        present.node.sync_message(&absent.device, &doc),
        Err(ivej_node::NodeError::NotAllowed(_))
    ));
    // Minutes not held in confidence go to everyone, as before.
    facilitator
        .node
        .set_minutes_in_confidence(&meeting.id, false)
        .unwrap();
    exchange(facilitator, absent);
    assert_eq!(absent.node.minutes(&meeting.id).unwrap().text, secret);
}

fn titles_of(node: &Node) -> Vec<String> {
    let mut t: Vec<String> = node
        .list_posts(&PostFilter::default())
        .unwrap()
        .into_iter()
        .map(|p| p.post.title)
        .collect();
    t.sort();
    t
}

/// A post for the facilitator only reaches the facilitator's devices; a post for named
/// members reaches them too; nobody else's device ever holds either, however the devices
/// sync among themselves: not on the board, not in an export, not in the database's bytes.
#[test]
fn posts_for_the_facilitator_or_named_members_reach_only_them() {
    let peers = street(3);
    gossip(&peers);
    let (f, author, named, other) = (&peers[0], &peers[1], &peers[2], &peers[3]);
    let mut for_facilitator = PostInput::new(
        Direction::Need,
        "KNOW",
        "Facilitator only: we are short of cash",
    );
    for_facilitator.visibility = ivej_model::Visibility::Facilitator;
    author.node.create_post(for_facilitator).unwrap();
    let mut for_named = PostInput::new(Direction::Offer, "CAP.EQUIP", "Named only: spare welder");
    for_named.visibility = ivej_model::Visibility::Named;
    for_named.visible_to = vec![named.org.clone()];
    author.node.create_post(for_named).unwrap();
    for _ in 0..2 {
        for (i, j) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
            exchange(&peers[i], &peers[j]);
        }
    }
    let cash = "Facilitator only: we are short of cash".to_string();
    let welder = "Named only: spare welder".to_string();
    assert_eq!(titles_of(&author.node), vec![cash.clone(), welder.clone()]);
    let own = serde_json::to_string(&author.node.export().unwrap()).unwrap();
    assert!(
        own.contains("short of cash") && own.contains("spare welder"),
        "in its own export"
    );
    assert_eq!(titles_of(&f.node), vec![cash.clone(), welder.clone()]);
    assert_eq!(titles_of(&named.node), vec![welder.clone()]);
    assert!(titles_of(&other.node).is_empty());
    let bytes = data_directory_bytes(&other.node);
    assert!(!contains(&bytes, "short of cash") && !contains(&bytes, "spare welder"));
    assert!(!contains(
        &data_directory_bytes(&named.node),
        "short of cash"
    ));
    let export = serde_json::to_string(&other.node.export().unwrap()).unwrap();
    assert!(!export.contains("short of cash") && !export.contains("spare welder"));
    // Shared with the street later: now everyone has it (and it left the scoped document).
    let id = author
        .node
        .list_posts(&PostFilter::default())
        .unwrap()
        .into_iter()
        .find(|p| p.post.title == welder)
        .unwrap()
        .post
        .id;
    author
        .node
        .edit_post(
            &id,
            ivej_node::PostPatch {
                visibility: Some(ivej_model::Visibility::Street),
                ..Default::default()
            },
        )
        .unwrap();
    exchange(author, other);
    assert_eq!(titles_of(&other.node), vec![welder]);
}

/// An anonymous need reaches the street as the facilitator's copy, naming no one; interest
/// in it goes through the facilitator, and each company learns the other only when the
/// author accepts. Until then no member but the author holds anything that ties the need to
/// it (not on the board, not in an export, not in its database's bytes), and no one but the
/// sender and the facilitator anything that ties the interest to the sender.
#[test]
fn an_anonymous_need_and_interest_in_it_are_brokered_by_the_facilitator_until_accepted() {
    let peers = street(3);
    gossip(&peers);
    let (f, author, sender, other) = (&peers[0], &peers[1], &peers[2], &peers[3]);
    let all_pairs = || {
        for _ in 0..2 {
            for (i, j) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
                exchange(&peers[i], &peers[j]);
            }
        }
    };
    let mut input = PostInput::new(Direction::Need, "KNOW", "Anonymous: advice on a takeover");
    input.anonymous = true;
    let need = author.node.create_post(input).unwrap();
    all_pairs();

    // Every board shows the need once; only the author and the facilitator know whose.
    for p in [f, author, sender, other] {
        assert_eq!(titles_of(&p.node), vec![need.title.clone()], "{}", p.org);
    }
    let copy = sender.node.list_posts(&PostFilter::default()).unwrap()[0].clone();
    assert_ne!(copy.post.id, need.id);
    assert_eq!(copy.org_name, None);
    assert_ne!(copy.post.org_id, author.org);
    for p in [sender, other] {
        let bytes = data_directory_bytes(&p.node);
        assert!(!contains(&bytes, &need.id), "{}: the need's own id", p.org);
        let export = serde_json::to_string(&p.node.export().unwrap()).unwrap();
        assert!(!export.contains(&need.id), "{}", p.org);
        assert!(p.node.post_detail(&copy.post.id).unwrap().author.is_none());
    }

    // Interest: the sender's message reaches the author, its name does not.
    let sent = sender
        .node
        .express_interest(&copy.post.id, "We did one last year: call us")
        .unwrap();
    all_pairs();
    let at_author = author.node.post_detail(&need.id).unwrap();
    assert_eq!(at_author.interests.len(), 1);
    let passed_on = &at_author.interests[0];
    assert_eq!(passed_on.interest.message, "We did one last year: call us");
    assert_eq!(passed_on.org_name, None);
    assert_ne!(passed_on.interest.from_org, sender.org);
    for p in [author, other] {
        let bytes = data_directory_bytes(&p.node);
        assert!(
            !contains(&bytes, &sent.id),
            "{}: the interest's own id",
            p.org
        );
    }
    assert!(!contains(
        &data_directory_bytes(&other.node),
        "We did one last year"
    ));
    let facilitator_view = f.node.post_detail(&need.id).unwrap();
    assert_eq!(facilitator_view.interests.len(), 1);

    // Accepted: each learns the other, and the street their relation.
    author
        .node
        .answer_interest(&passed_on.interest.id, true, "Yes please, Monday")
        .unwrap();
    all_pairs();
    let at_sender = sender.node.post_detail(&copy.post.id).unwrap();
    assert_eq!(at_sender.interests[0].interest.answer, "Yes please, Monday");
    assert_eq!(
        at_sender.author.map(|o| o.id),
        Some(author.org.clone()),
        "the sender learns whose need it was"
    );
    let at_author = author.node.post_detail(&need.id).unwrap();
    assert_eq!(at_author.interests[0].interest.from_org, sender.org);
    assert!(at_author.interests[0].org_name.is_some());
    assert!(other
        .node
        .relationships()
        .unwrap()
        .iter()
        .any(|r| [&r.a, &r.b].contains(&&author.org) && [&r.a, &r.b].contains(&&sender.org)));
    assert!(!contains(&data_directory_bytes(&other.node), &need.id));

    // Made public: the copy goes, the post itself takes its place.
    author
        .node
        .edit_post(
            &need.id,
            ivej_node::PostPatch {
                anonymous: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    all_pairs();
    for p in [f, author, sender, other] {
        let board = p.node.list_posts(&PostFilter::default()).unwrap();
        assert_eq!(board.len(), 1, "{}", p.org);
        assert_eq!(board[0].post.id, need.id, "{}", p.org);
    }
}
