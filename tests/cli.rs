//! The `ivej` CLI end to end: what a script or an always-on box would do.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{ivej, ivej_json, ivej_ok, state, stderr};

/// A new street whose facilitator offers a storage hall.
fn street_with_an_offer(dir: &std::path::Path) {
    init(dir);
    ivej_ok(
        dir,
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.SPACE",
            "--title",
            "Storage hall",
        ],
    );
}

fn init(dir: &std::path::Path) {
    ivej_ok(
        dir,
        &[
            "init",
            "--street",
            "Industrivej Regstrup",
            "--region",
            "Region Sjælland",
            "--org",
            "Regstrup Smedie",
            "--industry",
            "25",
            "--lat",
            "55.651",
            "--lon",
            "11.613",
        ],
    );
}

#[test]
fn a_street_is_created_posted_to_searched_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    ivej_ok(
        d,
        &[
            "org",
            "set",
            "--cv",
            "We weld gates and railings.",
            "--language",
            "da",
            "--language",
            "de",
        ],
    );
    ivej_ok(
        d,
        &[
            "org",
            "add",
            "--org",
            "Virkelyst Plast",
            "--industry",
            "22.2",
        ],
    );
    let post = ivej_json(
        d,
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.MACH.CNC",
            "--title",
            "Spare CNC hours",
            "--body",
            "Five-axis mill free on Fridays",
            "--quantity",
            "40",
            "--unit",
            "hours",
            "--from",
            "2026-12-01",
            "--to",
            "2026-12-31",
            "--weekly",
            "--price",
            "market",
        ],
    );
    let id = post["post"]["id"].as_str().unwrap().to_string();
    ivej_ok(
        d,
        &[
            "post",
            "add",
            "--need",
            "--kind",
            "PUR",
            "--title",
            "Joint energy purchase",
            "--for",
            "Virkelyst",
        ],
    );

    let offers = ivej_json(d, &["post", "list", "--offers"]);
    assert_eq!(offers.as_array().unwrap().len(), 1);
    let found = ivej_json(d, &["post", "search", "five-axis"]);
    assert_eq!(found[0]["post"]["id"], id.as_str());
    let by_industry = ivej_json(d, &["post", "list", "--industry", "22"]);
    assert_eq!(by_industry[0]["post"]["title"], "Joint energy purchase");
    let human = ivej_ok(d, &["post", "list"]);
    assert!(human.contains("Spare CNC hours") && human.contains("2 posts"));

    // Ids can be abbreviated as in git.
    ivej_ok(d, &["post", "renew", &id[..13], "--days", "30"]);
    ivej_ok(d, &["post", "close", &id[..13]]);
    assert_eq!(
        ivej_json(d, &["post", "list", "--offers"])
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let meeting = ivej_json(
        d,
        &[
            "meeting",
            "plan",
            "--at",
            "2026-12-03T15:00",
            "--host",
            "Virkelyst Plast",
        ],
    );
    let mid = meeting["id"].as_str().unwrap().to_string();
    ivej_ok(
        d,
        &[
            "meeting",
            "attend",
            &mid,
            "--org",
            "Virkelyst Plast",
            "--people",
            "2",
        ],
    );
    ivej_ok(
        d,
        &[
            "meeting",
            "minutes",
            &mid,
            "--append",
            "Virkelyst Plast presented.",
        ],
    );
    ivej_ok(
        d,
        &["meeting", "decide", &mid, "Visit each other's workshops"],
    );
    ivej_ok(
        d,
        &[
            "meeting",
            "action",
            &mid,
            "--text",
            "Send energy figures",
            "--owner",
            "Regstrup Smedie",
        ],
    );
    ivej_ok(
        d,
        &[
            "collab",
            "add",
            "--title",
            "Plastic parts for gates",
            "--kind",
            "joint_product",
            "--org",
            "Regstrup Smedie",
            "--org",
            "Virkelyst Plast",
        ],
    );

    let export = state(d);
    assert_eq!(export["format"], "industrivej-export/1");
    assert_eq!(export["organisations"].as_array().unwrap().len(), 2);
    assert_eq!(export["posts"].as_array().unwrap().len(), 2);
    assert_eq!(export["minutes"][0]["text"], "Virkelyst Plast presented.");
    assert_eq!(export["actions"].as_array().unwrap().len(), 1);
    assert_eq!(export["collaborations"].as_array().unwrap().len(), 1);

    let out = dir.path().join("export.json");
    ivej_ok(d, &["export", "--out", out.to_str().unwrap()]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(written["street"]["name"], "Industrivej Regstrup");
}

#[test]
fn bad_input_gets_a_clear_message_a_failure_code_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    ivej_ok(
        d,
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.SPACE",
            "--title",
            "Storage hall",
        ],
    );
    let before = state(d);

    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "post", "add", "--offer", "--kind", "CAP.NOPE", "--title", "x",
            ],
            "not a known kind of post",
        ),
        (
            &["post", "add", "--need", "--kind", "PUR", "--title", "   "],
            "title: must not be empty",
        ),
        (
            &[
                "post",
                "add",
                "--offer",
                "--kind",
                "CAP.SPACE",
                "--title",
                "x",
                "--quantity",
                "-5",
                "--unit",
                "m2",
            ],
            "must not be below zero",
        ),
        (
            &[
                "post",
                "add",
                "--offer",
                "--kind",
                "CAP.SPACE",
                "--title",
                "x",
                "--from",
                "2026-12-10",
                "--to",
                "2026-12-01",
            ],
            "must not be before",
        ),
        (
            &[
                "post",
                "add",
                "--offer",
                "--kind",
                "CAP.SPACE",
                "--title",
                "x",
                "--from",
                "2026-13-40",
            ],
            "not a valid date",
        ),
        (
            &["org", "set", "--lat", "95", "--lon", "10"],
            "latitude 95 is outside",
        ),
        (
            &["org", "set", "--industry", "99.99.9"],
            "not a known NACE industry code",
        ),
        (
            &[
                "org",
                "set",
                "--register-scheme",
                "dk-cvr",
                "--register-id",
                "12345678",
            ],
            "not a valid CVR number",
        ),
        (&["org", "set", "--cv", &"x".repeat(20_001)], "too long"),
        (
            &["post", "close", "ffffffff"],
            "no post with an id starting",
        ),
        (
            &["meeting", "plan", "--at", "tomorrow"],
            "not a valid date and time",
        ),
        (
            &["init", "--street", "Again", "--org", "Again"],
            "already holds a street",
        ),
    ];
    for (args, expected) in cases {
        let out = ivej(d, args);
        assert!(!out.status.success(), "ivej {args:?} should fail");
        let err = stderr(&out);
        assert!(
            err.contains(expected),
            "ivej {args:?}: expected `{expected}` in: {err}"
        );
    }
    assert_eq!(
        before,
        state(d),
        "failed commands must leave the data unchanged"
    );

    // With --json the error is {code, message, fields} for scripts.
    let out = ivej(
        d,
        &[
            "--json", "post", "add", "--offer", "--kind", "X", "--title", "x",
        ],
    );
    let err: serde_json::Value = serde_json::from_str(stderr(&out).trim()).unwrap();
    assert_eq!(err["error"]["code"], "validation");
    assert_eq!(err["error"]["fields"][0]["field"], "kind");
}

#[test]
fn commands_before_a_street_exists_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = ivej(dir.path(), &["post", "list"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no street yet"), "{}", stderr(&out));
    let demo = ivej_json(dir.path(), &["demo"]);
    assert_eq!(demo["street"]["name"], "Industrivej Regstrup (demo)");
}

#[test]
fn reference_data_is_listed_in_each_language() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = ivej_ok(dir.path(), &["reference", "kinds", "--lang", "fi"]);
    assert!(kinds.contains("CAP.MACH.WELD") && kinds.contains("Hitsaus"));
    let found = ivej_json(
        dir.path(),
        &[
            "reference",
            "industries",
            "--lang",
            "sv",
            "--search",
            "metallvaror",
        ],
    );
    assert_eq!(found[0]["code"], "25");
}

#[test]
fn invite_join_serve_and_sync_now_from_the_command_line() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    street_with_an_offer(a.path());
    let qr = a.path().join("invite.svg");
    let invite = ivej_json(
        a.path(),
        &["invite", "create", "--qr", qr.to_str().unwrap()],
    );
    let code = invite["code"].as_str().unwrap().to_string();
    assert!(std::fs::read_to_string(&qr).unwrap().contains("<svg"));
    // The same code as a PNG picture, to print or send.
    let png = a.path().join("invite.png");
    ivej_ok(
        a.path(),
        &["invite", "create", "--qr", png.to_str().unwrap()],
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n"));
    // A typo in the code is caught before anything is written.
    let typo = code.replacen('-', "", 3).replace('A', "B");
    let out = ivej(b.path(), &["join", &typo, "--org", "Virkelyst Plast"]);
    assert!(!out.status.success());
    ivej_ok(b.path(), &["join", &code, "--org", "Virkelyst Plast"]);

    // LAN discovery off as a stored setting this time (the other runs use --no-lan).
    ivej_ok(a.path(), &["lan", "off"]);
    let (mut server, addr, line) = serve(a.path(), &[]);
    assert!(line.contains("LAN discovery off"), "{line}");

    let synced = ivej_json(b.path(), &["sync", "--peer", &addr, "--timeout", "30"]);
    assert!(synced["received"].as_u64().unwrap() > 0);
    let titles = ivej_json(b.path(), &["post", "list"]);
    assert_eq!(titles[0]["post"]["title"], "Storage hall");
    let peers = ivej_json(b.path(), &["peers"]);
    assert_eq!(peers.as_array().map(Vec::len), Some(1));
    assert!(peers[0]["last_synced"].as_i64().is_some());

    // SIGTERM ends the server cleanly.
    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    let status = server.wait().unwrap();
    assert!(
        status.success(),
        "serve should exit cleanly on SIGTERM: {status}"
    );
}

#[test]
fn the_facilitator_plans_a_series_runs_a_meeting_and_reports_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    for name in ["Tuse Træ", "Holbæk Plast"] {
        ivej_ok(
            d,
            &[
                "org",
                "add",
                "--org",
                name,
                "--address",
                &format!("{name}vej 1"),
            ],
        );
    }
    let planned = ivej_json(
        d,
        &[
            "meeting",
            "series",
            "--name",
            "Autumn",
            "--first",
            "2026-12-03T15:00",
            "--count",
            "3",
        ],
    );
    let meetings = planned["meetings"].as_array().unwrap();
    assert_eq!(meetings.len(), 3);
    let first = meetings[0]["id"].as_str().unwrap().to_string();
    let second = meetings[1]["id"].as_str().unwrap().to_string();
    assert_eq!(meetings[1]["starts_at"], "2026-12-17T15:00");

    // Hosts swap; the time box of the challenge changes.
    ivej_ok(d, &["meeting", "swap", &first, &second]);
    let swapped = ivej_json(d, &["meeting", "show", &first]);
    assert_eq!(swapped["host_org"], meetings[1]["host_org"]);
    ivej_ok(d, &["meeting", "agenda", &first, "2", "--minutes", "25"]);

    // At the meeting: attendance, minutes, an action, an introduction.
    ivej_ok(d, &["meeting", "start", &first]);
    ivej_ok(
        d,
        &[
            "meeting", "attend", &first, "--org", "Tuse", "--people", "2",
        ],
    );
    ivej_ok(
        d,
        &[
            "meeting",
            "minutes",
            &first,
            "--append",
            "Tuse Træ presented.",
        ],
    );
    ivej_ok(
        d,
        &[
            "meeting",
            "action",
            &first,
            "--text",
            "Visit the hall",
            "--owner",
            "Tuse",
        ],
    );
    ivej_ok(
        d,
        &[
            "meeting",
            "introduce",
            &first,
            "Tuse",
            "Holbæk",
            "--note",
            "pallets",
        ],
    );
    ivej_ok(d, &["meeting", "finish", &first]);
    let next = ivej_ok(d, &["meeting", "view", &second]);
    assert!(next.contains("carried over: Visit the hall"), "{next}");

    let ics = ivej_ok(d, &["meeting", "ical"]);
    assert_eq!(
        ics.matches("BEGIN:VEVENT").count(),
        2,
        "the finished one is left out"
    );
    let report = ivej_json(d, &["report"]);
    assert_eq!(report["meetings_held"], 1);
    assert_eq!(report["new_relations"], 1);
    assert_eq!(report["companies"], 3);
    assert_eq!(report["targets"]["collaborations_min"], 3);
    assert_eq!(report["graph"]["now"].as_array().unwrap().len(), 1);
    let text = ivej_ok(d, &["report"]);
    assert!(text.contains("new relations per company: 0.7"), "{text}");

    // Planning nothing is refused, naming the field.
    let out = ivej(
        d,
        &[
            "meeting",
            "series",
            "--name",
            "x",
            "--first",
            "2027-01-01T15:00",
            "--count",
            "0",
        ],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("count"), "{}", stderr(&out));
}

/// `ivej serve` for `dir` (whose LAN discovery the caller switched off) on a free loopback
/// port, dialling `peers`; returns the process, the address it serves on and its first line.
/// An `ivej serve` process that is ended when dropped, also when its test fails (a
/// failed test used to leave it running, holding the test's output pipe open).
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl std::ops::Deref for Served {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Served {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

fn serve(dir: &std::path::Path, peers: &[&str]) -> (Served, String, String) {
    let mut args = vec!["--listen", "127.0.0.1:0"];
    for peer in peers {
        args.extend(["--peer", peer]);
    }
    serve_with(dir, &args)
}

/// `ivej serve ARGS` on `dir`, with the address from its first line and that line.
fn serve_with(dir: &std::path::Path, args: &[&str]) -> (Served, String, String) {
    let mut server = Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .arg("--data-dir")
        .arg(dir)
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Served(server);
    let addr = line
        .trim()
        .strip_prefix("serving on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line from serve: {line}"))
        .to_string();
    (server, addr, line)
}

/// Waits (bounded) until `check` holds.
fn eventually(what: &str, check: impl Fn() -> bool) {
    crate::support::eventually_within(std::time::Duration::from_secs(30), what, check);
}

/// `ivej peers` is another process than the `ivej serve` that holds the session: it must
/// still say the truth (it said "offline, changes to send, synced never").
#[test]
fn peers_read_beside_a_running_serve_show_the_live_session_as_it_is() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    street_with_an_offer(a.path());
    let invite = ivej_json(a.path(), &["invite", "create"]);
    ivej_ok(
        b.path(),
        &[
            "join",
            invite["code"].as_str().unwrap(),
            "--org",
            "Virkelyst Plast",
        ],
    );
    for dir in [a.path(), b.path()] {
        ivej_ok(dir, &["lan", "off"]);
    }
    let (mut server_a, addr, _) = serve(a.path(), &[]);
    let (mut server_b, _, _) = serve(b.path(), &[&addr]);
    eventually("b to receive a's post", || {
        ivej_json(b.path(), &["post", "list"])[0]["post"]["title"] == "Storage hall"
    });
    eventually(
        "ivej peers beside a's serve to show b connected and synced",
        || {
            let peers = ivej_json(a.path(), &["peers"]);
            let p = &peers[0];
            peers.as_array().map(Vec::len) == Some(1)
                && p["connected"] == true
                && p["pending_out"] == false
                && p["pending_in"] == false
                && p["last_synced"].as_i64().is_some()
        },
    );
    for server in [&mut server_a, &mut server_b] {
        Command::new("kill")
            .arg(server.id().to_string())
            .status()
            .unwrap();
        assert!(server.wait().unwrap().success());
    }
    // The session ended with its process: no longer vouched for.
    let peers = ivej_json(a.path(), &["peers"]);
    assert_eq!(peers[0]["connected"], false);
}

/// Invites with uses, expiry and role; the devices and their roles; removing a member,
/// after which its device cannot sync; changes refused, by device. All with `--json`, and
/// bad requests named.
#[test]
fn membership_from_the_command_line() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    street_with_an_offer(a.path());
    // A member cannot be made facilitator, nor an invite good for nobody.
    let out = ivej(a.path(), &["invite", "create", "--role", "facilitator"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("member or observer"),
        "{}",
        stderr(&out)
    );
    let out = ivej(a.path(), &["invite", "create", "--uses", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("uses"), "{}", stderr(&out));

    let invite = ivej_json(
        a.path(),
        &[
            "invite",
            "create",
            "--uses",
            "2",
            "--expires-in",
            "3",
            "--role",
            "observer",
        ],
    );
    let code = invite["code"].as_str().unwrap();
    ivej_ok(b.path(), &["join", code, "--org", "Region Sjælland"]);
    let own = ivej_json(b.path(), &["device", "list"]);
    let me = own
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["this_device"] == true)
        .unwrap();
    assert_eq!(me["role"], "observer");
    let b_device = me["device_id"].as_str().unwrap().to_string();

    for dir in [a.path(), b.path()] {
        ivej_ok(dir, &["lan", "off"]);
    }
    let (mut server, addr, _) = serve(a.path(), &[]);
    ivej_json(b.path(), &["sync", "--peer", &addr, "--timeout", "30"]);
    assert_eq!(
        ivej_json(b.path(), &["post", "list"])[0]["post"]["title"],
        "Storage hall"
    );
    // The observer's device is known to the facilitator, with its role.
    let devices = ivej_json(a.path(), &["device", "list"]);
    let entry = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == b_device.as_str())
        .unwrap_or_else(|| panic!("{devices}"));
    assert_eq!(entry["role"], "observer");
    assert!(entry["revoked"].is_null());
    let human = ivej_ok(a.path(), &["device", "list"]);
    assert!(
        human.contains("observer") && human.contains("facilitator"),
        "{human}"
    );

    // Removed (by the CLI beside the running serve): its device can no longer sync.
    let removed = ivej_ok(a.path(), &["member", "remove", "Region Sjælland"]);
    assert!(removed.contains("cannot be recalled"), "{removed}");
    let devices = ivej_json(a.path(), &["device", "list"]);
    assert!(devices
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["device_id"] == b_device.as_str() && d["revoked"].is_string()));
    std::thread::sleep(std::time::Duration::from_millis(600));
    let out = ivej(b.path(), &["sync", "--peer", &addr, "--timeout", "10"]);
    assert!(
        !out.status.success(),
        "a removed member's device cannot sync"
    );
    let why = stderr(&out);
    assert!(
        why.contains("refused this device") && why.contains("removed from the street"),
        "{why}"
    );
    assert_eq!(ivej_json(a.path(), &["refused"]), serde_json::json!([]));
    assert!(ivej_ok(a.path(), &["refused"]).contains("0 refused"));
    // Revoking by a prefix of the id that matches nothing is named.
    let out = ivej(a.path(), &["device", "revoke", "zzzz"]);
    assert!(!out.status.success());

    Command::new("kill")
        .arg("-TERM")
        .arg(server.id().to_string())
        .status()
        .unwrap();
    assert!(server.wait().unwrap().success());
}

/// With LAN discovery off and no `--listen`, `ivej serve` accepts peers on loopback only:
/// a user who switched the LAN off is not reachable from it. (It used to listen on every
/// interface all the same.)
#[test]
fn serve_with_the_lan_off_listens_on_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    ivej_ok(dir.path(), &["lan", "off"]);
    let (_server, addr, line) = serve_with(dir.path(), &[]);
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert!(addr.ip().is_loopback(), "{line}");
}

/// `ivej relay serve` prints where it listens and its key and stops cleanly on SIGTERM;
/// `ivej relay set` (a bad relay named), the invite that carries it, `ivej relay show`;
/// two members with the LAN off and no address of each other meet through it, and
/// `ivej peers` says so.
#[test]
fn a_relay_from_the_command_line_brings_two_members_together_with_the_lan_off() {
    let (relay_dir, a, b) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let store = relay_dir.path().join("relay.sqlite");
    let mut relay = Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(relay.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let mut relay = Served(relay);
    let address = first
        .strip_prefix("relay listening on ")
        .unwrap()
        .to_string();
    let key = second.strip_prefix("key ").unwrap().to_string();
    assert_eq!(key.len(), 64, "{second}");
    // The key is kept beside the store, readable only by its user.
    let key_file = relay_dir.path().join("relay.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    street_with_an_offer(a.path());
    let out = ivej(a.path(), &["relay", "set", "relay.example", &key]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("host:port"), "{}", stderr(&out));
    ivej_ok(a.path(), &["relay", "set", &address, &key]);
    let shown = ivej_json(a.path(), &["relay", "show"]);
    assert_eq!(shown["relay"]["address"], address.as_str());
    assert_eq!(shown["key"], key.as_str());
    assert_eq!(shown["connected"], false);

    // The invite carries the relay.
    let invite = ivej_json(a.path(), &["invite", "create"]);
    ivej_ok(
        b.path(),
        &[
            "join",
            invite["code"].as_str().unwrap(),
            "--org",
            "Virkelyst Plast",
        ],
    );
    assert_eq!(
        ivej_json(b.path(), &["relay", "show"])["relay"]["address"],
        address.as_str()
    );
    for dir in [a.path(), b.path()] {
        ivej_ok(dir, &["lan", "off"]);
    }
    let (mut server_a, _, _) = serve(a.path(), &[]);
    let (mut server_b, _, _) = serve(b.path(), &[]);
    eventually("b to receive a's post through the relay", || {
        ivej_json(b.path(), &["post", "list"])[0]["post"]["title"] == "Storage hall"
    });
    eventually("a live session through the relay", || {
        let peers = ivej_json(a.path(), &["peers"]);
        peers[0]["via"] == "relay" && peers[0]["connected"] == true
    });
    let text = ivej_ok(a.path(), &["peers"]);
    assert!(text.contains("  relay  "), "{text}");
    assert!(text.contains("relay: "), "{text}");
    eventually("a's mailbox to say nothing pending", || {
        let shown = ivej_json(a.path(), &["relay", "show"]);
        shown["connected"] == true && shown["pending_out"] == 0 && shown["pending_in"] == 0
    });

    for server in [&mut server_a, &mut server_b, &mut relay] {
        Command::new("kill")
            .arg(server.0.id().to_string())
            .status()
            .unwrap();
        assert!(server.0.wait().unwrap().success());
    }
    // The relay's key stays: started again, it is the same relay.
    let again = Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .args(["relay", "serve", "--listen", "127.0.0.1:0", "--store"])
        .arg(&store)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut again = Served(again);
    let mut lines = BufReader::new(again.0.stdout.take().unwrap()).lines();
    let _ = lines.next();
    assert_eq!(lines.next().unwrap().unwrap(), second);
}

/// The service directory from the command line: listed, found, shown, edited, and a
/// regional directory imported from CSV as Excel writes it; a file with bad rows stores
/// nothing and names every bad row.
#[test]
fn the_service_directory_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    ivej_ok(d, &["org", "add", "--org", "Erhvervshus Sjælland"]);
    let added = ivej_json(
        d,
        &[
            "service",
            "add",
            "--name",
            "Export advice",
            "--description",
            "First meeting about export markets",
            "--phase",
            "starting",
            "--language",
            "da",
            "--language",
            "en",
            "--channel",
            "phone",
            "--for",
            "Erhvervshus Sjælland",
        ],
    );
    assert_eq!(added["listed_by"], "Erhvervshus Sjælland");
    assert_eq!(added["service"]["phases"][0], "starting");
    let id = added["service"]["id"].as_str().unwrap().to_string();

    // A directory in Finnish, semicolons, saved by Excel as Windows-1252 ("ä", "ö").
    let finnish = "Nimi;Palveluntarjoaja;Kuvaus;Kohderyhmä;Vaihe;Kielet;Alue;Kanavat\n\
                   Vientisparraus;Business Finland;Sparrausta ja kumppanihakua;Pk-yritykset;laajentaa;suomi|englanti;Keski-Suomi;verkossa\n\
                   Messutuki;Keski-Suomen liitto;Tukea messumatkoille;Yritykset, jotka menevät messuille;aloittaa;fi;Keski-Suomi;puhelin\n";
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(finnish);
    let good = d.join("palvelut.csv");
    std::fs::write(&good, &cp1252).unwrap();
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "name,phase,languages\nFair support,starting,da\n,starting,da\nCoaching,someday,klingon\n",
    )
    .unwrap();

    let before = state(d);
    let out = ivej(d, &["service", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for row in ["rows.3.name", "rows.4.phases", "rows.4.languages"] {
        assert!(err.contains(row), "{row} in {err}");
    }
    assert_eq!(
        state(d),
        before,
        "nothing of a file with bad rows is stored"
    );
    // A workbook saved as .xlsx (a zip file), not CSV: said so, nothing stored.
    let book = d.join("palvelut.xlsx");
    std::fs::write(&book, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00").unwrap();
    let out = ivej(d, &["service", "import", book.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("CSV"), "{}", stderr(&out));
    assert_eq!(state(d), before);
    let preview = ivej_json(
        d,
        &["service", "import", "--dry-run", good.to_str().unwrap()],
    );
    assert_eq!(preview.as_array().unwrap().len(), 2);
    assert_eq!(state(d), before, "a dry run stores nothing");
    let report = ivej_json(d, &["service", "import", good.to_str().unwrap()]);
    assert_eq!(report["imported"], 2);
    assert_eq!(report["encoding"], "windows-1252");

    let all = ivej_json(d, &["service", "list"]);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["service"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Export advice", "Messutuki", "Vientisparraus"]);
    let finnish_only = ivej_json(
        d,
        &[
            "service",
            "list",
            "--language",
            "fi",
            "--phase",
            "expanding",
        ],
    );
    assert_eq!(finnish_only.as_array().unwrap().len(), 1);
    assert_eq!(
        finnish_only[0]["service"]["provider_name"],
        "Business Finland"
    );
    let found = ivej_json(d, &["service", "search", "kumppanihakua"]);
    assert_eq!(found[0]["service"]["name"], "Vientisparraus");
    let shown = ivej_ok(
        d,
        &[
            "service",
            "show",
            found[0]["service"]["id"].as_str().unwrap(),
        ],
    );
    assert!(shown.contains("Pk-yritykset"));
    let fair = ivej_json(d, &["service", "search", "messuille"]);
    assert_eq!(
        fair[0]["service"]["target_group"],
        "Yritykset, jotka menevät messuille"
    );

    ivej_ok(
        d,
        &[
            "service",
            "edit",
            &id,
            "--name",
            "Export advice and cheques",
            "--phase",
            "considering",
        ],
    );
    let shown = ivej_ok(d, &["service", "show", &id]);
    assert!(shown.contains("Export advice and cheques") && shown.contains("considering"));
    assert!(shown.contains("Erhvervshus Sjælland"));
}

/// Suggestions from the command line: a Danish need for welding meets a Finnish offer of
/// welding and a service, with reasons that name both words; an offer of something else
/// and another need are not suggested.
#[test]
fn suggestions_for_a_danish_need_name_the_finnish_offer_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    ivej_ok(
        d,
        &[
            "org",
            "add",
            "--org",
            "Jyväskylän Hitsaus Oy",
            "--lat",
            "55.70",
            "--lon",
            "11.70",
        ],
    );
    let need = ivej_json(
        d,
        &[
            "post",
            "add",
            "--need",
            "--kind",
            "COL.SUB",
            "--title",
            "Svejsning af stålrammer til vores nye hal",
        ],
    );
    let need_id = need["post"]["id"]
        .as_str()
        .unwrap_or_else(|| need["id"].as_str().unwrap())
        .to_string();
    for (direction, kind, title) in [
        ("--offer", "COL.SUB", "Hitsauspalvelu ja teräsrakenteet"),
        ("--offer", "CAP.SPACE", "Varastotilaa lavoille"),
        ("--need", "COL.SUB", "Hitsaaja tarvitaan"),
    ] {
        ivej_ok(
            d,
            &[
                "post",
                "add",
                direction,
                "--kind",
                kind,
                "--title",
                title,
                "--for",
                "Jyväskylän Hitsaus Oy",
            ],
        );
    }
    ivej_ok(
        d,
        &[
            "service",
            "add",
            "--name",
            "Hitsauskoulutus",
            "--description",
            "Welding courses for staff",
            "--for",
            "Jyväskylän Hitsaus Oy",
        ],
    );
    let found = ivej_json(d, &["suggest", &need_id]);
    let titles: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["Hitsauspalvelu ja teräsrakenteet", "Hitsauskoulutus"]
    );
    assert_eq!(found[0]["kind"], "post");
    assert_eq!(found[1]["kind"], "service");
    let text = ivej_ok(d, &["suggest", &need_id]);
    assert!(
        text.contains("'svejsning' ≈ 'hitsauspalvelu' ≈ welding"),
        "{text}"
    );
    assert!(text.contains("same kind: Subcontracting"), "{text}");
    // The facilitator's list for the meeting: each need with its best offer.
    let pairs = ivej_json(d, &["suggest", "--street"]);
    assert_eq!(
        pairs[0]["need_title"],
        "Svejsning af stålrammer til vores nye hal"
    );
    assert_eq!(
        pairs[0]["best"]["title"],
        "Hitsauspalvelu ja teräsrakenteet"
    );
    let out = ivej(d, &["suggest"]);
    assert!(!out.status.success(), "a post or --street is asked for");

    // Dismissed by the start of its id: gone from the list, listed as dismissed, back
    // when restored.
    let offer_id = found[0]["id"].as_str().unwrap();
    let rest = ivej_json(d, &["suggest", &need_id, "--dismiss", &offer_id[..13]]);
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["title"], "Hitsauskoulutus");
    let text = ivej_ok(d, &["suggest", &need_id, "--dismissed"]);
    assert!(text.contains("Hitsauspalvelu ja teräsrakenteet"), "{text}");
    let out = ivej(d, &["suggest", &need_id, "--dismiss", "zzz"]);
    assert!(
        !out.status.success(),
        "an id that is no suggestion is refused"
    );
    let back = ivej_json(d, &["suggest", &need_id, "--restore", offer_id]);
    assert_eq!(back.as_array().unwrap().len(), 2);
}

/// The meaning model where `cargo xtask model` puts it; the test fails, saying how to get
/// it, when it is not there.
fn meaning_model() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("models/e5-small-q4.bin");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo xtask model` (cargo xtask test does)",
        path.display()
    );
    path
}

/// With the meaning model in the data directory's `models/`, suggestions read meaning
/// across languages: a Danish need for someone to translate a manual into German meets a
/// Finnish offer of a German-speaking employee, with no word or glossary concept shared,
/// and "close in meaning" says why. Without it, the same ask finds nothing and says the
/// suggestions read words only.
#[test]
fn with_the_meaning_model_a_danish_need_meets_a_finnish_offer_by_meaning_alone() {
    let model = meaning_model();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    ivej_ok(d, &["org", "add", "--org", "Jyväskylän Kone Oy"]);
    let add = |direction: &str, kind: &str, title: &str, body: &str| {
        let v = ivej_json(
            d,
            &[
                "post",
                "add",
                direction,
                "--kind",
                kind,
                "--title",
                title,
                "--body",
                body,
                "--for",
                "Jyväskylän Kone Oy",
            ],
        );
        v["post"]["id"]
            .as_str()
            .unwrap_or_else(|| v["id"].as_str().unwrap())
            .to_string()
    };
    // A street of a dozen posts, so each language's mean says something.
    for (kind, title, body) in [
        (
            "CAP.SPACE",
            "Lagerhal til leje",
            "Tør hal med port og truck, ledig fra marts.",
        ),
        (
            "CAP.TRANS",
            "Halvtom lastbil til Odense",
            "Vi kører hver tirsdag og har plads til seks paller.",
        ),
        (
            "CAP.MACH.CNC",
            "Ledige timer på CNC-fræser",
            "Femakset fræser står stille om fredagen.",
        ),
        (
            "CAP.FLOW.HEAT",
            "Overskudsvarme fra kompressorer",
            "Jævn varme hele året til en nabo.",
        ),
        (
            "CAP.EQUIP",
            "Gaffeltruck til udlån",
            "I weekenden, I henter selv.",
        ),
        (
            "CAP.SPACE",
            "Varastotilaa vuokrattavana",
            "Lämmin varasto lastauslaiturilla.",
        ),
        (
            "CAP.MACH.LASER",
            "Laserleikkausta ohutlevylle",
            "Kuitulaser, levyt 20 mm asti.",
        ),
        (
            "CAP.TRANS",
            "Kuljetus Tampereelle",
            "Puolityhjä rekka torstaisin.",
        ),
        (
            "CAP.MACH.PAINT",
            "Jauhemaalausta pienille sarjoille",
            "Uuni vapaana iltaisin.",
        ),
        (
            "CAP.FLOW.PACK",
            "Lavoja ja pahvia ilmaiseksi",
            "Joka viikko, noutamalla.",
        ),
    ] {
        add("--offer", kind, title, body);
    }
    let german = add(
        "--offer",
        "CAP.STAFF.LANG",
        "Saksaa puhuva työntekijä",
        "Työntekijämme puhuu sujuvaa saksaa ja voi kääntää käyttöohjeita ja tuote-esitteitä.",
    );
    let need = ivej_json(
        d,
        &[
            "post",
            "add",
            "--need",
            "--kind",
            "KNOW",
            "--title",
            "Hjælp til tysk oversættelse",
            "--body",
            "Vores brugsanvisning skal oversættes til tysk før messen i Hannover.",
        ],
    );
    let need = need["post"]["id"]
        .as_str()
        .unwrap_or_else(|| need["id"].as_str().unwrap())
        .to_string();

    // Without the model: words only, and nothing shared.
    let status = ivej_ok(d, &["model", "status"]);
    assert!(status.contains("No model"), "{status}");
    let found = ivej_json(d, &["suggest", &need]);
    assert!(
        !found
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == german.as_str()),
        "{found}"
    );

    // With it: the Finnish offer, first, close in meaning.
    std::fs::create_dir_all(d.join("models")).unwrap();
    std::os::unix::fs::symlink(&model, d.join("models/e5-small-q4.bin")).unwrap();
    let found = ivej_json(d, &["suggest", &need]);
    assert_eq!(found[0]["id"], german.as_str(), "{found}");
    let reasons = found[0]["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r["reason"] == "close_in_meaning"),
        "{found}"
    );
    let text = ivej_ok(d, &["suggest", &need]);
    assert!(text.contains("close in meaning"), "{text}");
    let status = ivej_ok(d, &["model", "status"]);
    assert!(status.contains("Read 12 of 12"), "{status}");
}

/// A facilitator's member list and a list of posts come in from spreadsheets as they are
/// kept: Excel's Windows-1252 with semicolons and Danish headers, UTF-8 with a byte-order
/// mark and Finnish headers. A file with 3 bad rows among 200 adds nothing and names every
/// bad row; the same list twice adds nobody twice.
#[test]
fn members_and_posts_come_in_from_spreadsheets_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    init(d);
    let files = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = files.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (members, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Navn;CVR;Branche;Adresse;Kommune;Kontaktperson;E-mail;Sprog\r\n\
         Tuse Træ ApS;CVR 10150817;16;Tusevej 3;Holbæk;Søren;s@tusetrae.dk;dansk\r\n\
         Jyväskylän Kone Oy;;Fremstilling af maskiner;;Jyväskylä;;;finsk, engelsk\r\n\
         Holbæk Plast;;22;Industrivej 9;Holbæk;;;dansk\r\n",
    );
    let members = write("medlemmer.csv", &members);
    let preview = ivej_ok(d, &["org", "import", &members, "--dry-run"]);
    assert!(preview.contains("3 members would be added"), "{preview}");
    assert!(preview.contains("Tuse Træ ApS"), "{preview}");
    let done = ivej_json(d, &["org", "import", &members]);
    assert_eq!(done["imported"], 3);
    assert_eq!(done["encoding"], "windows-1252");
    let list = ivej_json(d, &["org", "list"]);
    let tuse = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Tuse Træ ApS")
        .unwrap()
        .clone();
    assert_eq!(tuse["industries"][0], "16");
    assert_eq!(tuse["register"]["scheme"], "dk_cvr");
    assert_eq!(tuse["contact"]["email"], "s@tusetrae.dk");
    // Again: nobody twice, nothing added.
    let out = ivej(d, &["org", "import", &members]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("rows.2.name"), "{}", stderr(&out));

    // 200 rows, 3 of them bad: nothing added, each named by its line.
    let before = state(d);
    let mut many = String::from("name,industry,languages\n");
    for i in 0..200 {
        let row = match i {
            41 => format!("Firm {i},00,da\n"),
            99 => ",,da\n".to_string(),
            150 => format!("Firm {i},25,klingon\n"),
            _ => format!("Firm {i},25,da\n"),
        };
        many.push_str(&row);
    }
    let many = write("many.csv", many.as_bytes());
    let out = ivej(d, &["org", "import", &many]);
    assert!(!out.status.success());
    let err = stderr(&out);
    for field in ["rows.43.industries", "rows.101.name", "rows.152.languages"] {
        assert!(err.contains(field), "{field} not named: {err}");
    }
    assert_eq!(state(d), before, "nothing of the bad file stored");

    // Posts in Finnish headers, UTF-8 with a byte-order mark, for the members just added.
    let posts = write(
        "ilmoitukset.csv",
        "\u{feff}Tyyppi,Laji,Otsikko,Kuvaus,Yritys,Vanhenee\n\
         tarjous,Hitsaus,Hitsauspalvelu,Ruostumaton teräs,Jyväskylän Kone Oy,31.3.2030\n\
         tarve,CAP.SPACE,Varastotilaa,,Tuse Træ ApS,\n"
            .as_bytes(),
    );
    let done = ivej_json(d, &["post", "import", &posts]);
    assert_eq!(done["imported"], 2);
    assert_eq!(done["encoding"], "UTF-8");
    let list = ivej_json(d, &["post", "list"]);
    let weld = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["post"]["title"] == "Hitsauspalvelu")
        .unwrap()
        .clone();
    assert_eq!(weld["post"]["kind"], "CAP.MACH.WELD");
    assert_eq!(weld["org_name"], "Jyväskylän Kone Oy");
    assert_eq!(weld["post"]["expires_on"], "2030-03-31");
    let bad = write(
        "bad-posts.csv",
        b"direction;kind;title;organisation\nmaybe;CAP.SPACE;Hall;\noffer;CAP.SPACE;Hall;Nobody\n",
    );
    let out = ivej(d, &["post", "import", &bad, "--dry-run"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("rows.2.direction") && err.contains("rows.3.organisation"),
        "{err}"
    );
}

/// `ivej post list | head` ends quietly when `head` has read enough, and `IVEJ_NO_LAN`
/// takes what people write (it refused `1`).
#[test]
fn a_closed_pipe_ends_a_listing_quietly_and_the_lan_switch_takes_yes_and_no() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ivej_ok(d, &["demo"]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .arg("--data-dir")
        .arg(d)
        .args(["--no-lan", "post", "list"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the listing is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}: {}", out.status, stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    for value in ["1", "true", "yes", "0", "no", "off"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
            .arg("--data-dir")
            .arg(d)
            .args(["street"])
            .env("IVEJ_NO_LAN", value)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "IVEJ_NO_LAN={value}: {}",
            stderr(&out)
        );
    }
}

/// The tables a facilitator pastes into a funder's spreadsheet, from the command line.
#[test]
fn the_board_members_collaborations_and_attendance_export_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ivej_ok(d, &["demo"]);
    for (table, header) in [
        (
            "posts",
            "direction;kind;kind_name;title;organisation;status",
        ),
        ("members", "name;register;register_number;industries"),
        ("collaborations", "title;kind;stage;organisations"),
        ("attendance", "meeting;host;place;organisation;attended"),
    ] {
        let out = d.join(format!("{table}.csv"));
        ivej_ok(
            d,
            &["export", "--csv", table, "--out", out.to_str().unwrap()],
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.starts_with(&format!("\u{feff}{header}")),
            "{table}: {text}"
        );
        assert!(text.lines().count() > 2, "{table} has rows");
    }
    let out = ivej(d, &["export", "--csv", "invoices"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("posts, members, collaborations or attendance"));
}
