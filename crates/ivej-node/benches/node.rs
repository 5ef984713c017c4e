//! Prints how fast the node is at what users wait for. Run with `cargo xtask bench`
//! (or `cargo bench -p ivej-node --bench node`). Figures, not assertions.

// A benchmark that cannot set itself up should stop loudly.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use ivej_model::{Direction, PostFilter, PostSort, StreetKind};
use ivej_node::demo::{self, DemoSize};
use ivej_node::{clock, CreateStreet, Node, NodeOptions, OrgProfile, PostInput};

fn node(dir: &std::path::Path) -> Node {
    let mut options = NodeOptions::new(dir);
    options.lan_discovery = false;
    match Node::open(options) {
        Ok(node) => node,
        Err(e) => panic!("cannot open {}: {e}", dir.display()),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what:<58} median {:>9.3} ms   p99 {:>9.3} ms   (n={})",
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn bench_street(dir: &std::path::Path) -> Node {
    let node = node(dir);
    node.create_street(CreateStreet {
        name: "Bench street".into(),
        kind: StreetKind::MiniNetwork,
        region: String::new(),
        languages: vec![],
        org: OrgProfile {
            name: "Bench ApS".into(),
            ..Default::default()
        },
    })
    .expect("street");
    node
}

/// A durable save, on a node that signs and checks what it writes and (in a build with
/// `--features bench-without-trust`, as `cargo xtask bench` makes) on one that does not,
/// taking turns so that both see the same disk.
fn save_latency() {
    let (dir, unsigned_dir) = (
        tempfile::tempdir().expect("temp dir"),
        tempfile::tempdir().expect("temp dir"),
    );
    let node = bench_street(dir.path());
    let unsigned = without_trust(bench_street(unsigned_dir.path()));
    let save = |node: &Node, i: usize| {
        let mut input = PostInput::new(Direction::Offer, "CAP.MACH.CNC", &format!("CNC hours {i}"));
        input.body = "Five-axis mill free on Fridays; operator included on request.".into();
        time(|| node.create_post(input).expect("post")).1
    };
    let (mut signed, mut bare) = (Vec::new(), Vec::new());
    for i in 0..500 {
        signed.push(save(&node, i));
        if let Some(unsigned) = &unsigned {
            bare.push(save(unsigned, i));
        }
    }
    let median = percentile(&sorted(signed.clone()), 0.5);
    report("durable save of one post (fsync), empty street", signed);
    if !bare.is_empty() {
        let without = percentile(&sorted(bare.clone()), 0.5);
        report(
            "  the same without signing and checking (before trust)",
            bare,
        );
        println!(
            "  trust's share of a save: {:+.3} ms at the median ({:.2}x)",
            (median.as_secs_f64() - without.as_secs_f64()) * 1e3,
            median.as_secs_f64() / without.as_secs_f64()
        );
    }
}

fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort();
    v
}

/// The node with signing and checking switched off, where this build allows it.
#[cfg(feature = "bench-without-trust")]
fn without_trust(node: Node) -> Option<Node> {
    node.bench_without_trust().expect("switch trust off");
    Some(node)
}

#[cfg(not(feature = "bench-without-trust"))]
fn without_trust(_: Node) -> Option<Node> {
    println!("  (build with --features bench-without-trust for the figure without trust)");
    None
}

fn board_of(posts: usize) -> (tempfile::TempDir, Node) {
    let dir = tempfile::tempdir().expect("temp dir");
    let size = DemoSize {
        organisations: 150,
        posts,
        meetings: 0,
        minutes_chars: 0,
    };
    let street = demo::generate(size, 7, clock::now_ms(), clock::today()).expect("generate");
    let node = node(dir.path());
    node.adopt_demo(street).expect("adopt");
    (dir, node)
}

/// The open needs' ids (30 of them) and how many posts are open.
fn open_needs(node: &Node) -> (Vec<String>, usize) {
    let open = node.list_posts(&PostFilter::default()).expect("list");
    let needs = open
        .iter()
        .filter(|v| v.post.direction == Direction::Need)
        .take(30)
        .map(|v| v.post.id.clone())
        .collect();
    (needs, open.len())
}

/// Suggestions for each of `needs`, beside listing the open posts they rank (their limit),
/// measured in one run; prints both and their ratio against the 50 ms goal.
fn suggestions_beside_listing(node: &Node, needs: &[String], what: &str) {
    let suggest: Vec<Duration> = needs
        .iter()
        .map(|id| time(|| node.suggestions(id, 10).expect("suggest").len()).1)
        .collect();
    let listing: Vec<Duration> = (0..30)
        .map(|_| time(|| node.list_posts(&PostFilter::default()).expect("list").len()).1)
        .collect();
    let median = |v: &[Duration]| sorted(v.to_vec())[v.len() / 2];
    report(what, suggest.clone());
    report("  limit: listing the open posts it ranks", listing.clone());
    println!(
        "  suggestions / listing: {:.3}x (goal: 50 ms median)",
        median(&suggest).as_secs_f64() / median(&listing).as_secs_f64()
    );
}

fn list_and_search() {
    let (_dir, node) = board_of(10_000);
    let all_statuses = PostFilter {
        statuses: ivej_model::PostStatus::ALL.to_vec(),
        ..Default::default()
    };
    let n = node.list_posts(&all_statuses).expect("list").len();
    println!("board with {n} posts:");
    let runs = |f: &dyn Fn() -> usize| -> Vec<Duration> { (0..30).map(|_| time(f).1).collect() };
    report(
        "  list all 10,000 posts",
        runs(&|| node.list_posts(&all_statuses).expect("list").len()),
    );
    let page = PostFilter {
        limit: Some(50),
        ..Default::default()
    };
    report(
        "  list the newest 50 active posts (one board page)",
        runs(&|| node.list_posts(&page).expect("list").len()),
    );
    let offers_near = PostFilter {
        direction: Some(Direction::Offer),
        kinds: vec!["CAP.MACH".into()],
        near: Some(ivej_model::GeoPoint::new(55.651, 11.613)),
        within_km: Some(5.0),
        sort: PostSort::Distance,
        ..Default::default()
    };
    report(
        "  filter: machine-hour offers within 5 km, by distance",
        runs(&|| node.list_posts(&offers_near).expect("list").len()),
    );
    let search = PostFilter {
        text: Some("cnc fridays".into()),
        sort: PostSort::Relevance,
        statuses: ivej_model::PostStatus::ALL.to_vec(),
        ..Default::default()
    };
    let hits = node.list_posts(&search).expect("search").len();
    report(
        &format!("  full-text search `cnc fridays` ({hits} hits)"),
        runs(&|| node.list_posts(&search).expect("search").len()),
    );
    let rare = PostFilter {
        text: Some("hamburg".into()),
        limit: Some(50),
        ..Default::default()
    };
    report(
        "  full-text search `hamburg`, first 50",
        runs(&|| node.list_posts(&rare).expect("search").len()),
    );
    // Suggestions for needs, beside the listing every suggestion needs (its limit here):
    // the goal is 50 ms median on this machine.
    let (needs, open) = open_needs(&node);
    suggestions_beside_listing(
        &node,
        &needs,
        &format!(
            "  suggestions for one need among {open} open posts (the first ask prepares the board)"
        ),
    );
    // Kept fresh as posts arrive: after each new post, only that post is prepared again.
    let fresh: Vec<Duration> = (0..20)
        .map(|i| {
            node.create_post(PostInput::new(
                Direction::Offer,
                "COL.SUB",
                &format!("Welding capacity {i}"),
            ))
            .expect("post");
            time(|| node.suggestions(&needs[0], 10).expect("suggest").len()).1
        })
        .collect();
    report("  suggestions right after a new post arrives", fresh);
    let street_list: Vec<Duration> = (0..5)
        .map(|_| time(|| node.street_suggestions(20).expect("street list").len()).1)
        .collect();
    report(
        "  the facilitator's list: best offer for the 50 newest needs",
        street_list,
    );
    let (_, save) = time(|| {
        node.create_post(PostInput::new(
            Direction::Need,
            "PUR",
            "Joint energy purchase",
        ))
        .expect("post")
    });
    println!(
        "  one more durable save on the 10,000-post board: {:.3} ms",
        save.as_secs_f64() * 1e3
    );
}

fn open_two_year_street() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (street, generated) = time(|| {
        demo::generate(DemoSize::two_year(), 2017, clock::now_ms(), clock::today())
            .expect("generate")
    });
    {
        let node = node(dir.path());
        node.adopt_demo(street).expect("adopt");
    }
    println!(
        "two-year street (150 organisations, 3,000 posts, 52 meetings with minutes): generated in {:.0} ms, {:.1} MB on disk",
        generated.as_secs_f64() * 1e3,
        dir_size(dir.path()) as f64 / 1e6
    );
    let samples: Vec<Duration> = (0..10)
        .map(|_| {
            time(|| {
                let node = node(dir.path());
                node.summary().expect("summary");
            })
            .1
        })
        .collect();
    report(
        "  open the data directory (load documents, check projections)",
        samples,
    );
    let samples: Vec<Duration> = (0..5)
        .map(|_| {
            time(|| {
                let node = node(dir.path());
                node.list_posts(&PostFilter {
                    limit: Some(50),
                    ..Default::default()
                })
                .expect("list")
                .len()
            })
            .1
        })
        .collect();
    report("  open and show the first board page", samples);
    let node = node(dir.path());
    let samples: Vec<Duration> = (0..3)
        .map(|_| time(|| node.rebuild_projections().expect("rebuild")).1)
        .collect();
    report("  rebuild the query tables from the documents", samples);
}

/// What trust costs per change: signing one (on every save) and checking one's signature
/// (on every change received), set against a save and against the two-year street's whole
/// history (what a new device checks on its first sync).
fn trust_costs() {
    let key = ivej_trust::SigningSecret::from_seed([7; 32]);
    let hashes: Vec<[u8; 32]> = (0..2_000u32)
        .map(|i| {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_be_bytes());
            h
        })
        .collect();
    let mut signatures = Vec::with_capacity(hashes.len());
    let sign: Vec<Duration> = hashes
        .iter()
        .map(|h| {
            let (sig, took) = time(|| ivej_trust::ChangeSignature::sign(&key, "street:s", *h));
            signatures.push(sig);
            took
        })
        .collect();
    let verify: Vec<Duration> = signatures
        .iter()
        .map(|sig| time(|| sig.verify("street:s").expect("verifies")).1)
        .collect();
    let median = |mut v: Vec<Duration>| {
        v.sort();
        percentile(&v, 0.5)
    };
    let (sign_each, verify_each) = (median(sign.clone()), median(verify.clone()));
    report("sign one change (every save)", sign);
    report(
        "verify one change's signature (every change received)",
        verify,
    );
    let mut street = demo::generate(DemoSize::two_year(), 2017, clock::now_ms(), clock::today())
        .expect("generate");
    let changes = street.street.changes_since(&[]).len()
        + street
            .minutes
            .iter_mut()
            .map(|(_, m)| m.changes_since(&[]).len())
            .sum::<usize>();
    println!(
        "{:<58} {changes} changes: verifying all {:>7.1} ms",
        "two-year street, first sync",
        verify_each.as_secs_f64() * 1e3 * changes as f64
    );
    println!(
        "{:<58} {:>7.3} ms of signing per save",
        "one post saved",
        sign_each.as_secs_f64() * 1e3
    );
}

/// The 10,000-post board with the meaning model: reading its open posts once (the
/// background's work after a first sync), then suggestions for one need, beside the
/// listing they rank, as for words alone (section `board`).
fn meaning_on_the_board() {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let model = target.join("models").join(ivej_node::meaning::MODEL_FILE);
    if !model.is_file() {
        println!(
            "meaning: no model at {} (cargo xtask model)",
            model.display()
        );
        return;
    }
    let (dir, node) = board_of(10_000);
    drop(node);
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    options.meaning_model = Some(model);
    let node = Node::open(options).expect("open");
    let (read, took) = time(|| node.read_meanings(|_, _| {}).expect("read"));
    let status = node.meaning_status();
    println!(
        "meaning: {read} distinct texts of {} open posts and services read in {:.1} s ({:.1} ms each)",
        status.total,
        took.as_secs_f64(),
        took.as_secs_f64() * 1e3 / read.max(1) as f64
    );
    let (needs, open) = open_needs(&node);
    let (_, first) = time(|| node.suggestions(&needs[0], 10).expect("suggest").len());
    println!(
        "  the first ask, which prepares the board with meaning: {:.1} ms",
        first.as_secs_f64() * 1e3
    );
    suggestions_beside_listing(
        &node,
        &needs,
        &format!("  suggestions with meaning for one need among {open} open posts"),
    );
}

/// Spreadsheets of 5,000 rows, as Excel writes them in Denmark (Windows-1252, semicolons):
/// a member list, then posts for those members; checked (the preview) and stored whole.
fn imports() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let node = bench_street(dir.path());
    let mut members = String::from("Navn;Branche;Adresse;Kommune;E-mail;Sprog\n");
    for i in 0..5_000 {
        members.push_str(&format!(
            "Virksomhed nr. {i} ApS;25;Industrivej {i};Holbæk;kontakt{i}@firma.dk;dansk, engelsk\n"
        ));
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&members);
    let (rows, took) = time(|| node.preview_member_import(&bytes).expect("a good list"));
    println!(
        "{:<58} {:>9.1} ms   ({} rows)",
        "member list of 5,000 rows checked (preview)",
        took.as_secs_f64() * 1e3,
        rows.len()
    );
    let (done, took) = time(|| node.import_members(&bytes).expect("imported"));
    println!(
        "{:<58} {:>9.1} ms   ({} members, {})",
        "member list of 5,000 rows imported",
        took.as_secs_f64() * 1e3,
        done.imported,
        done.encoding
    );
    let mut posts = String::from("Retning;Slags;Titel;Beskrivelse;Virksomhed;Udløber\n");
    for i in 0..5_000 {
        posts.push_str(&format!(
            "tilbud;Svejsning;Ledige svejsetimer uge {};Robotcelle, stål og rustfrit;Virksomhed nr. {i} ApS;31.12.2027\n",
            i % 52 + 1
        ));
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&posts);
    let (done, took) = time(|| node.import_posts(&bytes).expect("imported"));
    println!(
        "{:<58} {:>9.1} ms   ({} posts)",
        "5,000 posts for those members imported",
        took.as_secs_f64() * 1e3,
        done.imported
    );
}

fn main() {
    // `cargo test --benches` runs this too; keep that quick.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    println!(
        "Industrivej node benchmarks (debug builds are slower; `cargo xtask bench` uses release)"
    );
    // `cargo bench -p ivej-node --bench node -- board` runs only the sections named.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sections: [(&str, fn()); 6] = [
        ("save", save_latency),
        ("trust", trust_costs),
        ("board", list_and_search),
        ("meaning", meaning_on_the_board),
        ("open", open_two_year_street),
        ("import", imports),
    ];
    for (name, run) in sections {
        if only.is_empty() || only.iter().any(|o| o == name) {
            run();
        }
    }
}
