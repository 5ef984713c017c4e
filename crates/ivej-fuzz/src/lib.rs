//! Every decoder of outside input as a fuzz target: bytes from a peer (frames, wire
//! messages, automerge sync messages into each kind of document, sync states), from a file
//! (stored chunks, a picture of an invite's QR code), from the relay (its messages, sealed
//! bundles, rekeys, key grants) or typed by a user (invite codes, dates, search text,
//! hex, spreadsheets to import, a meaning model's file to install), and the pure functions that then run over records a peer
//! wrote (calendar, report, validation, rotation, carry-over, text rebase).
//!
//! Each target takes arbitrary bytes and must return: a panic, or an allocation by a
//! length the bytes declare, is a bug. `fuzz/` runs them under libFuzzer (`cargo xtask fuzz
//! [SECONDS]`, nightly); the replay test runs each target's seeds and every file kept under
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` on stable, so CI covers them on
//! any machine. This crate must never do IO in a target (only `write_seeds` writes, for `cargo xtask fuzz`), nor keep state between calls
//! beyond the read-only seed documents.

use std::cell::RefCell;
use std::sync::OnceLock;

use ivej_doc::{DocKind, Document, StreetDoc, SyncState};
use ivej_model::{
    ActionItem, Collaboration, Interest, Meeting, Organisation, Post, Relationship, Service,
    Street, Validate,
};

/// One fuzz target: its name (the file under `fuzz/fuzz_targets/`), what it runs, and
/// inputs to start from.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub run: fn(&[u8]),
    pub seeds: fn() -> Vec<Vec<u8>>,
}

pub const TARGETS: &[Target] = &[
    Target {
        name: "frames",
        run: frames,
        seeds: frame_seeds,
    },
    Target {
        name: "wire",
        run: wire,
        seeds: wire_seeds,
    },
    Target {
        name: "sync_street",
        run: sync_street,
        seeds: sync_street_seeds,
    },
    Target {
        name: "sync_minutes",
        run: sync_minutes,
        seeds: sync_minutes_seeds,
    },
    Target {
        name: "sync_private",
        run: sync_private,
        seeds: sync_private_seeds,
    },
    Target {
        name: "stored_chunks",
        run: stored_chunks,
        seeds: stored_seeds,
    },
    Target {
        name: "sync_state",
        run: sync_state,
        seeds: sync_state_seeds,
    },
    Target {
        name: "records",
        run: records,
        seeds: record_seeds,
    },
    Target {
        name: "text",
        run: text,
        seeds: text_seeds,
    },
    Target {
        name: "typed",
        run: typed,
        seeds: typed_seeds,
    },
    Target {
        name: "qr",
        run: qr,
        seeds: qr_seeds,
    },
    Target {
        name: "certificates",
        run: certificates,
        seeds: certificate_seeds,
    },
    Target {
        name: "envelope",
        run: envelope,
        seeds: envelope_seeds,
    },
    Target {
        name: "relay",
        run: relay,
        seeds: relay_seeds,
    },
    Target {
        name: "bundles",
        run: bundles,
        seeds: bundle_seeds,
    },
    Target {
        name: "rekeys",
        run: rekeys,
        seeds: rekey_seeds,
    },
    Target {
        name: "key_grants",
        run: key_grants,
        seeds: key_grant_seeds,
    },
    Target {
        name: "spreadsheets",
        run: spreadsheets,
        seeds: spreadsheet_seeds,
    },
    Target {
        name: "models",
        run: models,
        seeds: model_seeds,
    },
];

/// Writes every target's seeds into `corpus/<target>/seed-N`, for a fuzz run to start from.
pub fn write_seeds(corpus: &std::path::Path) -> std::io::Result<()> {
    for t in TARGETS {
        let dir = corpus.join(t.name);
        std::fs::create_dir_all(&dir)?;
        for (i, seed) in (t.seeds)().iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), seed)?;
        }
    }
    Ok(())
}

pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

/// Runs `target`, as the libFuzzer entry points do.
pub fn run(name: &str, data: &[u8]) {
    if let Some(t) = target(name) {
        (t.run)(data);
    }
}

// ---- the network: frames and wire messages ----

/// Frames as the stream carries them (two-byte length, then the frame), each taken as a
/// decrypted chunk into the reassembly of whole messages, which are then decoded.
fn frames(data: &[u8]) {
    let mut rest = data;
    let mut reassembly = ivej_net::Reassembly::default();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (frame, tail) = rest[2..].split_at(len);
        rest = tail;
        match reassembly.push(frame) {
            Ok(Some(message)) => wire(&message),
            Ok(None) => {}
            Err(_) => return,
        }
    }
}

fn frame_seeds() -> Vec<Vec<u8>> {
    let mut two = vec![0, 3, 0, 1, 2];
    two.extend([0, 2, 1, 3]);
    vec![vec![0, 1, 1], two]
}

fn wire(data: &[u8]) {
    if let Ok(message) = ivej_net::WireMessage::decode(data) {
        let again = ivej_net::WireMessage::decode(&message.encode());
        assert_eq!(again.ok(), Some(message), "a decoded message encodes back");
    }
}

fn wire_seeds() -> Vec<Vec<u8>> {
    vec![
        ivej_net::WireMessage::Hello {
            chain: certificate_seeds(),
            revocations: vec![vec![1, 2, 3]],
            docs: vec!["street:s".into(), "minutes:m".into()],
        }
        .encode(),
        ivej_net::WireMessage::Revocations(vec![vec![1; 40]]).encode(),
        ivej_net::WireMessage::Sync {
            doc_id: "street:s".into(),
            payload: vec![0x42, 0, 0, 0, 0],
        }
        .encode(),
    ]
}

// ---- automerge: sync messages into each kind of document ----

/// The small demo street, saved once: what the sync targets start from.
fn demo() -> &'static (Vec<u8>, Vec<u8>, Vec<u8>) {
    static DEMO: OnceLock<(Vec<u8>, Vec<u8>, Vec<u8>)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let Some(today) = ivej_model::Date::from_ymd(2026, 11, 29) else {
            return Default::default();
        };
        match ivej_node::demo::generate(ivej_node::demo::DemoSize::small(), 7, 0, today) {
            Ok(mut demo) => {
                let minutes = demo
                    .minutes
                    .first_mut()
                    .map(|(_, m)| m.save())
                    .unwrap_or_default();
                (demo.street.save(), minutes, demo.private.save())
            }
            Err(_) => Default::default(),
        }
    })
}

/// A message into `doc`; when it applies, the answer, and every record read back as the
/// projections would.
fn receive_into(doc: &mut Document, data: &[u8]) {
    let mut state = SyncState::new();
    if let Ok(touched) = doc.receive_sync_message(&mut state, data) {
        let _ = doc.generate_sync_message(&mut state);
        if touched.changed {
            read_every_record(doc);
        }
    }
}

fn read_every_record(doc: &Document) {
    let _ = doc.all::<Organisation>();
    let _ = doc.all::<Post>();
    let _ = doc.all::<Interest>();
    let _ = doc.all::<Meeting>();
    let _ = doc.all::<ActionItem>();
    let _ = doc.all::<Collaboration>();
    let _ = doc.all::<Relationship>();
    let _ = doc.all::<Service>();
    let _ = doc.all::<ivej_model::Decision>();
    let _ = doc.all::<ivej_model::PrivateNote>();
}

/// A fresh copy of the demo's document of `kind`: loaded once per thread, then forked for
/// each input (loading costs far more than copying, and the fuzzer runs millions).
fn demo_doc(kind: DocKind) -> Option<Document> {
    thread_local! {
        static LOADED: RefCell<Option<Vec<Document>>> = const { RefCell::new(None) };
    }
    LOADED.with(|cell| {
        let mut cell = cell.borrow_mut();
        let docs = cell.get_or_insert_with(|| {
            let (street, minutes, private) = demo();
            [
                (DocKind::Street, street),
                (DocKind::Minutes, minutes),
                (DocKind::Private, private),
            ]
            .into_iter()
            .filter_map(|(kind, bytes)| Document::load(kind, bytes).ok())
            .collect()
        });
        docs.iter_mut()
            .find(|d| d.kind() == kind)
            .map(Document::fork)
    })
}

fn sync_street(data: &[u8]) {
    if let Some(mut doc) = demo_doc(DocKind::Street) {
        receive_into(&mut doc, data);
    }
}

fn sync_minutes(data: &[u8]) {
    if let Some(mut doc) = demo_doc(DocKind::Minutes) {
        receive_into(&mut doc, data);
    }
}

fn sync_private(data: &[u8]) {
    if let Some(mut doc) = demo_doc(DocKind::Private) {
        receive_into(&mut doc, data);
    }
}

/// The messages an honest empty peer and the demo street exchange for a document.
fn exchange(saved: &[u8], kind: DocKind) -> Vec<Vec<u8>> {
    let (Ok(mut full), Ok(mut empty)) = (Document::load(kind, saved), Document::new(kind)) else {
        return Vec::new();
    };
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    let mut seen = Vec::new();
    for _ in 0..10 {
        if let Ok(Some(m)) = full.generate_sync_message(&mut sa) {
            let _ = empty.receive_sync_message(&mut sb, &m);
            seen.push(m);
        }
        if let Ok(Some(m)) = empty.generate_sync_message(&mut sb) {
            let _ = full.receive_sync_message(&mut sa, &m);
            seen.push(m);
        }
    }
    seen
}

fn sync_street_seeds() -> Vec<Vec<u8>> {
    exchange(&demo().0, DocKind::Street)
}

fn sync_minutes_seeds() -> Vec<Vec<u8>> {
    exchange(&demo().1, DocKind::Minutes)
}

fn sync_private_seeds() -> Vec<Vec<u8>> {
    exchange(&demo().2, DocKind::Private)
}

/// Bytes as storage holds them: their integrity checked, loaded as each kind, and applied
/// onto the demo street.
fn stored_chunks(data: &[u8]) {
    let _ = ivej_doc::inbound::check_integrity(data);
    for kind in [DocKind::Street, DocKind::Minutes, DocKind::Private] {
        if let Ok(doc) = Document::load(kind, data) {
            read_every_record(&doc);
        }
    }
    if let Some(mut doc) = demo_doc(DocKind::Street) {
        if doc.apply_saved(data).is_ok_and(|touched| touched.changed) {
            read_every_record(&doc);
        }
    }
}

fn stored_seeds() -> Vec<Vec<u8>> {
    let (street, minutes, private) = demo();
    vec![street.clone(), minutes.clone(), private.clone()]
}

/// A stored sync state, then used to answer a peer.
fn sync_state(data: &[u8]) {
    let decoded = ivej_doc::inbound::decode_sync_state(data);
    if let (Ok(mut state), Some(mut doc)) = (decoded, demo_doc(DocKind::Street)) {
        let _ = doc.generate_sync_message(&mut state);
    }
}

fn sync_state_seeds() -> Vec<Vec<u8>> {
    let mut state = SyncState::new();
    let mut seeds = vec![state.encode()];
    if let Ok(mut doc) = StreetDoc::load(&demo().0) {
        let _ = doc.generate_sync_message(&mut state);
        state.shared_heads = doc.heads();
        seeds.push(state.encode());
    }
    seeds
}

// ---- records a peer wrote, and the pure functions over them ----

/// Records as JSON (what hydration yields), then everything the screens compute from them.
#[derive(Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
struct Records {
    street: Option<Street>,
    organisations: Vec<Organisation>,
    posts: Vec<Post>,
    interests: Vec<Interest>,
    meetings: Vec<Meeting>,
    actions: Vec<ActionItem>,
    collaborations: Vec<Collaboration>,
    relationships: Vec<Relationship>,
}

fn records(data: &[u8]) {
    let Ok(r) = serde_json::from_slice::<Records>(data) else {
        return;
    };
    let _ = r.street.as_ref().map(Validate::validate);
    r.organisations.iter().for_each(|o| drop(o.validate()));
    r.posts.iter().for_each(|p| drop(p.validate()));
    r.interests.iter().for_each(|i| drop(i.validate()));
    r.meetings.iter().for_each(|m| drop(m.validate()));
    r.actions.iter().for_each(|a| drop(a.validate()));
    r.collaborations.iter().for_each(|c| drop(c.validate()));
    r.relationships.iter().for_each(|c| drop(c.validate()));
    let entries: Vec<ivej_model::calendar::CalendarEntry<'_>> = r
        .meetings
        .iter()
        .map(|meeting| ivej_model::calendar::CalendarEntry {
            meeting,
            host_name: Some("Regstrup Smedie"),
        })
        .collect();
    let _ = ivej_model::calendar::ics("Industrivej", &entries, 0);
    for meeting in r.meetings.iter().take(8) {
        let _ = ivej_model::carried_over(meeting, &r.meetings, &r.actions);
        let _ = meeting.agenda_in_order();
    }
    let hosted: Vec<String> = r
        .meetings
        .iter()
        .filter_map(|m| m.host_org.clone())
        .collect();
    let _ = ivej_model::rotation::next_hosts(&r.organisations, &hosted, 8);
    if let Some(street) = &r.street {
        let _ = ivej_model::report::report(ivej_model::report::ReportInput {
            street,
            organisations: &r.organisations,
            posts: &r.posts,
            interests: &r.interests,
            meetings: &r.meetings,
            collaborations: &r.collaborations,
            relationships: &r.relationships,
        });
    }
}

fn record_seeds() -> Vec<Vec<u8>> {
    let Ok(doc) = StreetDoc::load(&demo().0) else {
        return Vec::new();
    };
    let r = Records {
        street: doc.street().ok(),
        organisations: doc.all(),
        posts: doc.all::<Post>().into_iter().take(6).collect(),
        interests: doc.all(),
        meetings: doc.all(),
        actions: doc.all(),
        collaborations: doc.all(),
        relationships: doc.all(),
    };
    serde_json::to_vec(&r).into_iter().collect()
}

/// Three texts separated by 0xff bytes: what was received, what was typed, what is there
/// now; the minutes screen's diff and rebase over them.
fn text(data: &[u8]) {
    let mut parts = data.split(|b| *b == 0xff).map(String::from_utf8_lossy);
    let base = parts.next().unwrap_or_default();
    let edited = parts.next().unwrap_or_default();
    let current = parts.next().unwrap_or_default();
    let splice = ivej_model::text::diff(&base, &edited);
    let _ = ivej_model::text::apply(&base, &splice);
    let rebased = ivej_model::text::rebase(&base, &edited, &current);
    let _ = ivej_model::text::apply(&current, &rebased);
}

fn text_seeds() -> Vec<Vec<u8>> {
    vec![b"Hansen presented\xffHansen presented the mill\xffHansen presented; coffee".to_vec()]
}

/// What users type or paste: invite codes, dates, search text, hex.
fn typed(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = ivej_model::Invite::from_code(&text);
    if let Ok(date) = text.parse::<ivej_model::Date>() {
        let _ = date.add_days(i64::from(data.first().copied().unwrap_or(0)) << 40);
    }
    if let Ok(at) = text.parse::<ivej_model::LocalDateTime>() {
        let _ = at.add_days(-(1 << 40));
    }
    if let Some(query) = ivej_store::fts_query(&text) {
        assert!(query.starts_with('"'), "only quoted terms: {query}");
    }
    if let Some(bytes) = ivej_model::hex::decode(&text) {
        assert_eq!(
            ivej_model::hex::decode(&ivej_model::hex::encode(&bytes)),
            Some(bytes)
        );
    }
}

fn typed_seeds() -> Vec<Vec<u8>> {
    vec![
        b"2026-12-03".to_vec(),
        b"2026-12-03T15:00".to_vec(),
        b"cnc fr\xc3\xa6s".to_vec(),
        b"00ff7a".to_vec(),
        b"IVEJ-0123456789ABCDEFGHJKMNPQRSTVWXYZ".to_vec(),
    ]
}

// ---- trust: certificates, revocations, signed sync envelopes ----

/// A certificate, revocation or change signature as a peer sends it. What decodes must
/// encode back to the same bytes (its signature holds over exactly those), and a
/// membership takes or refuses it without panicking.
fn certificates(data: &[u8]) {
    if let Ok(cert) = ivej_trust::Certificate::decode(data) {
        assert_eq!(cert.encode(), data, "a certificate encodes back");
        let mut membership = ivej_trust::Membership::new(&cert.fields.street_id, cert.issuer);
        if membership.add_certificate(cert.clone(), 0).is_ok() {
            let _ = membership.identity(&cert.subject());
            let _ = membership.chain(&cert.subject());
        }
    }
    if let Ok(rev) = ivej_trust::Revocation::decode(data) {
        assert_eq!(rev.encode(), data, "a revocation encodes back");
        let mut membership = ivej_trust::Membership::new(&rev.street_id, rev.issuer);
        let _ = membership.add_revocation(rev);
        let _ = membership.change_allowed(data, &[0; 32]);
    }
    if let Ok(sig) = ivej_trust::ChangeSignature::from_bytes(data) {
        let _ = sig.verify("street:s");
    }
}

fn certificate_seeds() -> Vec<Vec<u8>> {
    let authority = ivej_trust::SigningSecret::from_seed([1; 32]);
    let device = ivej_trust::SigningSecret::from_seed([2; 32]);
    let cert = ivej_trust::CertificateFields {
        kind: ivej_trust::CertKind::Device,
        street_id: "s".into(),
        subject: device.public(),
        noise_key: [3; 32],
        device_id: "d".into(),
        org_id: "o".into(),
        role: ivej_trust::Role::Member,
        uses: 0,
        issued_ms: 1,
        expires_ms: 0,
        label: "laptop".into(),
    }
    .sign(&authority);
    let rev = ivej_trust::Revocation::sign(
        &authority,
        "s",
        ivej_trust::RevocationTarget::Device(device.public()),
        2,
        vec![[3; 32]],
    );
    let sig = ivej_trust::ChangeSignature::sign(&device, "street:s", [4; 32]);
    vec![cert.encode(), rev.encode(), sig.to_bytes().to_vec()]
}

/// A signed sync message: the envelope, then the changes' headers read from its payload
/// before automerge would see them.
fn envelope(data: &[u8]) {
    if let Ok(env) = ivej_trust::SignedSync::decode(data) {
        if let Ok(headers) = ivej_doc::inbound::change_headers(&env.payload) {
            for h in headers {
                if let Some(sig) = env.signatures.iter().find(|s| s.hash == h.hash) {
                    let _ = sig.verify("street:s");
                }
            }
            // A node takes the message without the changes it refused: the first one and
            // what its dependencies name stand for a refusal here.
            if let Some(first) = headers_of(&env.payload).first() {
                let refused = std::collections::HashMap::from([(first.hash, first.deps.clone())]);
                let _ = ivej_doc::inbound::without_changes(
                    &env.payload,
                    &refused,
                    std::slice::from_ref(&env.payload),
                    <[[u8; 32]]>::to_vec,
                );
            }
        }
    }
}

fn headers_of(payload: &[u8]) -> Vec<ivej_doc::inbound::ChangeHeader> {
    ivej_doc::inbound::change_headers(payload).unwrap_or_default()
}

fn envelope_seeds() -> Vec<Vec<u8>> {
    let device = ivej_trust::SigningSecret::from_seed([2; 32]);
    sync_street_seeds()
        .into_iter()
        .map(|payload| {
            ivej_trust::SignedSync {
                signatures: vec![ivej_trust::ChangeSignature::sign(
                    &device, "street:s", [4; 32],
                )],
                certificates: Vec::new(),
                payload,
            }
            .encode()
        })
        .collect()
}

/// A picture the user opens to read an invite from.
fn qr(data: &[u8]) {
    let _ = ivej_node::qr::read_invite(data);
}

fn qr_seeds() -> Vec<Vec<u8>> {
    // A tiny valid PNG (1x1, grey), so the fuzzer starts inside the decoder.
    vec![vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 0x0a, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1, 0x73, 0x75, 0x01, 0x18, 0, 0, 0, 0,
        0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ]]
}

// ---- the relay: its messages, sealed bundles, rekeys, key grants ----

/// What a relay reads from a client and a client from a relay, and a bundle's header (all
/// a relay reads of a bundle). What decodes must encode back to the same bytes.
fn relay(data: &[u8]) {
    use ivej_relay::proto::{Reply, Request};
    if let Ok(request) = Request::decode(data) {
        assert_eq!(request.encode(), data, "a request encodes back");
    }
    if let Ok(reply) = Reply::decode(data) {
        let again = Reply::decode(&reply.encode());
        assert_eq!(again.as_ref().ok(), Some(&reply), "a reply reads back");
    }
    let _ = ivej_trust::mailbox::BundleHeader::decode(data);
}

fn relay_seeds() -> Vec<Vec<u8>> {
    use ivej_relay::proto::{Entry, ErrorCode, Reply, Request};
    let entry = Entry {
        seq: 3,
        len: 1024,
        snapshot: true,
        covers: 2,
    };
    vec![
        Request::Open {
            topic: [1; 32],
            proof: [2; 64],
        }
        .encode(),
        Request::List {
            topic: [1; 32],
            after: 7,
            max: 256,
        }
        .encode(),
        Request::PutSnapshot {
            topic: [1; 32],
            covers: 2,
            bundle: vec![9; 64],
        }
        .encode(),
        Reply::Listed {
            topic: [1; 32],
            snapshot: Some(entry),
            entries: vec![entry, entry],
            last_seq: 4,
        }
        .encode(),
        Reply::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: 50,
            text: "too fast".into(),
        }
        .encode(),
    ]
}

fn fuzz_topic() -> ivej_trust::mailbox::Topic {
    ivej_trust::mailbox::EpochKey::new(0, [7; 32]).topic("street:s")
}

/// A bundle's plaintext as a member could seal it: past the AEAD (sealed here with the
/// topic's key), the reader of signer, time, body, signature and padding.
fn bundles(data: &[u8]) {
    let topic = fuzz_topic();
    let sealed = topic.seal_plaintext(ivej_trust::mailbox::BundleKind::Changes, data, [0; 24]);
    if let Ok(opened) = topic.open(&sealed) {
        let _ = ivej_trust::SignedSync::decode(&opened.body);
    }
    // And the bytes as a sealed bundle themselves (a relay's or a stranger's).
    let _ = topic.open(data);
}

fn bundle_seeds() -> Vec<Vec<u8>> {
    // A plaintext laid out as `seal` lays it out (with a signature that does not hold),
    // and a whole sealed bundle.
    let device = ivej_trust::SigningSecret::from_seed([1; 32]);
    let body = ivej_trust::SignedSync {
        payload: vec![0x42, 0, 0, 0, 0],
        signatures: vec![],
        certificates: vec![],
    }
    .encode();
    let mut plain = device.public().to_vec();
    plain.extend(5i64.to_be_bytes());
    plain.extend((body.len() as u32).to_be_bytes());
    plain.extend(&body);
    plain.extend([0u8; 64]);
    plain.resize(1024, 0);
    let sealed = fuzz_topic()
        .seal(
            ivej_trust::mailbox::BundleKind::Changes,
            &device,
            5,
            &body,
            [3; 24],
        )
        .unwrap_or_default();
    vec![plain, sealed]
}

/// A rekey as the control topic carries it: decoded, checked, and opened with a device key.
fn rekeys(data: &[u8]) {
    if let Ok(rekey) = ivej_trust::Rekey::decode(data) {
        assert_eq!(rekey.encode(), data, "a rekey encodes back");
        let _ = rekey.verify(&rekey.street_id, &rekey.issuer);
        let _ = rekey.open(&[2; 32]);
    }
}

fn rekey_seeds() -> Vec<Vec<u8>> {
    let authority = ivej_trust::SigningSecret::from_seed([1; 32]);
    let key = ivej_trust::mailbox::EpochKey::new(1, [9; 32]);
    let devices = [
        ivej_trust::noise_public_key(&[2; 32]),
        ivej_trust::noise_public_key(&[3; 32]),
    ];
    vec![ivej_trust::Rekey::new(&authority, "s", &key, 1, &devices, 5, [4; 32]).encode()]
}

/// A CSV file a user imports (a service directory): read in whatever encoding and with
/// whatever delimiter, then its rows into services.
fn spreadsheets(data: &[u8]) {
    if let Ok(table) = ivej_node::spreadsheet::read_table(data) {
        assert!(table.rows.len() <= ivej_node::spreadsheet::MAX_ROWS);
        if let Ok(rows) = ivej_node::read_services(&table) {
            assert_eq!(rows.len(), table.rows.len());
        }
    }
}

/// A meaning model's file, as a user installs it (`ivej model install`): checked whole,
/// and, when it loads, used to read a text.
fn models(data: &[u8]) {
    if ivej_meaning::check_model_bytes(data).is_ok() {
        if let Ok(model) = ivej_meaning::Model::from_bytes(data.to_vec()) {
            let v = model.embed("Svejsning af stålrammer", ivej_meaning::Role::Passage);
            assert_eq!(v.len(), model.dimension());
        }
    }
}

/// A whole model of one small layer, in the real format (made by `ivej-meaning`'s
/// `tests/malformed.rs` builder).
fn model_seeds() -> Vec<Vec<u8>> {
    let tiny = include_bytes!("../seeds/model-tiny.bin").to_vec();
    vec![tiny.clone(), tiny[..64].to_vec(), b"E5S1".to_vec()]
}

fn spreadsheet_seeds() -> Vec<Vec<u8>> {
    let finnish = "Nimi;Palveluntarjoaja;Vaihe;Kielet;Kanavat\nVientisparraus;Business Finland;\
                   aloittaa|laajentaa;suomi, englanti;puhelin/verkossa\n";
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(finnish);
    vec![
        finnish.as_bytes().to_vec(),
        cp1252.into_owned(),
        b"\xef\xbb\xbfname,phase\n\"Advice, free\",starting\n,x\n".to_vec(),
    ]
}

/// Keys of documents only some may read, as a control bundle's envelope carries them:
/// decoded, and opened with a device key.
fn key_grants(data: &[u8]) {
    if let Ok(grants) = ivej_trust::KeyGrants::decode(data) {
        assert_eq!(grants.encode(), data, "key grants encode back");
        for granted in grants.open(&grants.street_id, &[2; 32]) {
            assert_eq!(granted.key.epoch, grants.epoch);
        }
    }
}

fn key_grant_seeds() -> Vec<Vec<u8>> {
    let key = ivej_trust::ScopeKey::new(1, [9; 32]);
    let items = [
        (ivej_trust::noise_public_key(&[2; 32]), "scope:o1:o2", &key),
        (ivej_trust::noise_public_key(&[3; 32]), "private:o1", &key),
    ];
    let mut n = 0u8;
    let grants = ivej_trust::KeyGrants::seal("s", 1, &items, || {
        n = n.wrapping_add(1);
        [n; 32]
    });
    vec![grants.encode()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Files kept for a target: its corpus (seeds a fuzz run found interesting) and the
    /// inputs of every crash found and fixed.
    fn kept(name: &str) -> Vec<Vec<u8>> {
        let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut out = Vec::new();
        for dir in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(name)) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    out.push(bytes);
                }
            }
        }
        out
    }

    thread_local! {
        static PANICS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Runs `input` through `target` and says whether anything panicked on the way, even a
    /// panic the code under test caught (libFuzzer counts those as crashes too).
    fn panics(target: &Target, input: &[u8]) -> bool {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICS.with(|p| p.set(p.get() + 1));
                previous(info);
            }));
        });
        let before = PANICS.with(std::cell::Cell::get);
        let _ = std::panic::catch_unwind(|| (target.run)(input));
        PANICS.with(std::cell::Cell::get) != before
    }

    #[test]
    fn every_target_runs_its_seeds_and_kept_inputs_without_panicking() {
        for t in TARGETS {
            let seeds = (t.seeds)();
            assert!(!seeds.is_empty(), "{} has seeds", t.name);
            // And a few inputs no seed covers.
            let junk: [&[u8]; 4] = [
                b"",
                b"\0",
                &[0xff; 64],
                b"\x42\x00\x00\x01\x00\x03\x01\x00\x01\x00",
            ];
            let kept = kept(t.name);
            let inputs = seeds
                .iter()
                .map(Vec::as_slice)
                .chain(kept.iter().map(Vec::as_slice))
                .chain(junk);
            for input in inputs {
                assert!(!panics(t, input), "{} panicked on {input:?}", t.name);
            }
        }
    }

    #[test]
    fn the_sync_seeds_are_real_messages() {
        assert!(sync_street_seeds().len() >= 2);
        assert!(sync_minutes_seeds().len() >= 2);
        assert!(!record_seeds()[0].is_empty());
    }

    #[test]
    fn every_target_has_a_libfuzzer_entry_point() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
        for t in TARGETS {
            assert!(
                dir.join(format!("{}.rs", t.name)).exists(),
                "fuzz/fuzz_targets/{}.rs",
                t.name
            );
        }
    }
}
