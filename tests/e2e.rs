//! End-to-end tests of the desktop app: the real app in a real WebKit, driven through
//! WebDriver under a private X server, with LAN discovery off. Screenshots of each main
//! screen land in `<target>/e2e-screenshots/`.

use std::path::Path;
use std::sync::Mutex;

use crate::support::{ivej, ivej_json, ivej_ok, stderr, stdout};
use crate::webdriver::{app_binary, running_named, Display, Session};

/// One app at a time: two WebKits at once on two cores only make both slow.
static ONE_APP: Mutex<()> = Mutex::new(());

/// The message `id` of a shipped language, to compare what the UI shows.
fn message(lang: &str, id: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../frontend/locales/{lang}.ftl"));
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{id} = ")))
        .unwrap_or_else(|| panic!("{lang} lacks {id}"))
        .trim()
        .to_string()
}

/// Onboarding into a new street, up to the profile the new organisation sees first.
fn create_street(s: &Session) {
    s.type_into("#street-name", "Industrivej Regstrup");
    s.type_into("#org-name", "Regstrup Smedie");
    s.click("#create-street");
    s.find("#profile-form");
    // Whoever starts a street facilitates it, and the app says so.
    s.wait_text("#own-role", &message("en", "role-facilitator"));
}

#[test]
fn a_new_street_an_offer_found_by_search_and_filter_a_cv_and_another_language() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&app, dir.path(), &display);

    // Onboarding: a new street, whose creator is asked for the company's profile.
    s.find("#create-street");
    s.screenshot("onboarding");
    s.click("#create-street");
    s.wait_until("the empty street name to be refused", |s| {
        s.exists(".field-error[data-field='street.name']")
    });
    create_street(&s);
    assert_eq!(s.text("#street-title"), "Industrivej Regstrup");

    // The industry is picked by name, never by code.
    s.type_into("#org-industry-search", "fabricated metal");
    s.wait_until("the industry list to narrow", |s| {
        s.texts("#org-industry option").len() <= 3
    });
    let offered = s.attribute("#org-industry option", "value");
    assert_eq!(offered, "25", "NACE 25 is fabricated metal products");
    s.choose("#org-industry", "25");
    s.type_into("#org-lat", "55,651");
    s.type_into("#org-lon", "11,613");
    s.click("#org-lang-da");
    s.type_into("#org-cv", "Smedje siden 1952. CNC-fræsning og svejsning.");
    s.click("#profile-save");
    s.find("#profile-saved");
    s.screenshot("profile");

    // Ctrl+N: a new offer of spare machine hours.
    s.ctrl("n");
    s.find("#post-editor");
    s.click("#post-save");
    s.wait_until("the empty title to be refused beside its field", |s| {
        s.exists(".field-error[data-field='title']")
    });
    s.choose("#post-kind", "CAP.MACH.CNC");
    s.type_into("#post-title", "Spare CNC hours on Fridays");
    s.type_into("#post-body", "Five-axis mill, operator included.");
    s.type_into("#post-amount", "8");
    s.type_into("#post-unit", "hours");
    s.click("#add-window");
    s.choose(".window-from", "2026-12-04");
    s.choose(".window-recurrence", "weekly");
    s.screenshot("editor");
    s.click("#post-save");
    s.wait_text("#post-heading", "Spare CNC hours on Fridays");
    assert!(s.text("#author-cv").contains("Smedje siden 1952"));
    assert!(s.text(".facts").contains("8 hours"));

    // Found by search and by filter.
    s.click("#nav-board");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.type_into("#search", "fridays");
    s.wait_text("#board-count", "1 post");
    s.replace("#search", "welding");
    s.find("#board-empty");
    s.replace("#search", "");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.choose("#filter-direction", "need");
    s.find("#board-empty");
    s.choose("#filter-direction", "offer");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.choose("#filter-kind", "CAP.SPACE");
    s.find("#board-empty");
    s.choose("#filter-kind", "CAP.MACH");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.choose("#filter-industry", "C");
    s.choose("#filter-distance", "5");
    s.choose("#sort", "distance");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.choose("#filter-industry", "A");
    s.find("#board-empty");
    s.click("#reset-filters");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    // Ctrl+F puts the cursor in the search box.
    s.click("#nav-members");
    s.ctrl("f");
    s.wait_until("the search box to have the focus", |s| {
        s.script(
            "return document.activeElement && document.activeElement.id;",
            serde_json::json!([]),
        ) == "search"
    });

    // Editing the CV shows on the post.
    s.click("#nav-profile");
    s.find("#org-cv");
    s.replace("#org-cv", "Smedje siden 1952. Nu også laserskæring.");
    s.click("#profile-save");
    s.find("#profile-saved");
    s.click("#nav-board");
    s.click(".post-card");
    s.wait_text("#author-cv", "laserskæring");

    // Another language, for every string and for validation messages.
    s.click("#nav-settings");
    s.choose("#language", "da");
    s.wait_text("#nav-board", &message("da", "nav-board"));
    s.screenshot("settings-da");
    s.ctrl("n");
    s.click("#post-save");
    s.wait_text(
        ".field-error[data-field='title']",
        &message("da", "problem-empty"),
    );
    s.click("#post-discard");
    s.click("#nav-board");
    s.wait_text(".post-title", "Spare CNC hours on Fridays");
    s.screenshot("board-da");
}

#[test]
fn interest_arrives_live_from_a_peer_is_answered_and_a_draft_survives_a_restart() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let peer = tempfile::tempdir().unwrap();
    let s = Session::start(&app, dir.path(), &display);

    create_street(&s);
    s.ctrl("n");
    s.choose("#post-kind", "CAP.SPACE");
    s.type_into("#post-title", "Forty pallet places free in January");
    s.click("#post-save");
    s.wait_text("#post-heading", "Forty pallet places");
    let post_id = s.attribute("#post-detail", "data-id");

    // The facilitator invites a member, whose device joins with the code and syncs.
    s.click("#nav-members");
    s.click("#invite-member");
    let code = s.text("#invite-code");
    assert!(code.starts_with("IVEJ-"), "{code}");
    s.screenshot("members-invite");
    s.click("#nav-sync");
    let address = s.attribute("#listening", "data-address");
    let port = address.rsplit(':').next().unwrap().to_string();
    let address = format!("127.0.0.1:{port}");
    ivej_ok(peer.path(), &["join", &code, "--org", "Tuse Træ"]);
    ivej_ok(
        peer.path(),
        &["sync", "--peer", &address, "--timeout", "30"],
    );
    s.wait_until("the peer to show on the sync screen", |s| {
        s.exists(".peer-row")
    });
    s.wait_text(".peer-row", "Tuse Træ");
    s.wait_text(".peer-row .via", &message("en", "sync-via-lan"));
    s.screenshot("sync");

    // The relay: none yet. A mistyped one is named field by field and what was typed
    // stays; a good one is used, and the mailbox is said to be pending until it is not.
    s.wait_text("#relay-none", &message("en", "sync-relay-none"));
    s.type_into("#relay-address", "relay.example");
    s.type_into("#relay-key", "abc");
    s.click("#use-relay");
    s.wait_until("both relay fields to be named", |s| {
        s.exists(".field-error[data-field=relay_address]")
            && s.exists(".field-error[data-field=relay_key]")
    });
    assert_eq!(s.value("#relay-address"), "relay.example");
    s.replace("#relay-address", "127.0.0.1:9");
    s.replace("#relay-key", &"ab".repeat(32));
    s.click("#use-relay");
    s.wait_until("the relay to be shown", |s| s.exists("#relay-state"));
    assert!(s.text("#relay-state").contains("127.0.0.1:9"));
    s.screenshot("sync-relay");

    // Tuse shows interest; the author sees it arrive without reloading, and answers.
    s.click("#nav-board");
    s.click(".post-card");
    s.find("#no-interest");
    let out = ivej(
        peer.path(),
        &[
            "post",
            "interest",
            &post_id,
            "--message",
            "We need 20 places from 5 January",
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    ivej_ok(
        peer.path(),
        &["sync", "--peer", &address, "--timeout", "30"],
    );
    s.wait_text(".interest", "Tuse Træ");
    s.screenshot("post-interest");
    s.type_into(".answer-text", "Welcome, call Jens");
    s.click(".interest .accept");
    s.wait_text(".interest", "accepted");
    ivej_ok(
        peer.path(),
        &["sync", "--peer", &address, "--timeout", "30"],
    );
    let interests = ivej_json(peer.path(), &["post", "interests", &post_id]);
    assert_eq!(interests[0]["answer"], "Welcome, call Jens", "{interests}");
    assert_eq!(interests[0]["status"], "accepted");

    // Who is who: the devices with their roles; nothing refused so far. Then the
    // member's laptop is lost: the facilitator revokes it, after a plain warning, and it
    // can no longer sync.
    s.click("#nav-sync");
    s.wait_text("#no-refused", &message("en", "sync-no-refused"));
    let peer_devices = ivej_json(peer.path(), &["device", "list"]);
    let tuse_device = peer_devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["this_device"] == true)
        .unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.click("#nav-members");
    let row = format!(".device-row[data-id='{tuse_device}']");
    s.wait_text(&row, "Tuse Træ");
    s.wait_text(&row, &message("en", "role-member"));
    s.wait_text("#device-list", &message("en", "role-facilitator"));
    s.click(&format!("{row} .revoke"));
    s.wait_text("#revoke-confirm", "cannot be recalled");
    s.screenshot("devices-revoke-warning");
    s.click("#revoke-yes");
    s.wait_text(&row, &message("en", "devices-revoked"));
    s.screenshot("devices-revoked");
    let out = ivej(
        peer.path(),
        &["sync", "--peer", &address, "--timeout", "10"],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("refused this device"),
        "{}",
        stderr(&out)
    );

    // Half a post typed, the window made smaller, then the app is closed: the draft and
    // the size are there on the next start.
    s.set_window_size(1000, 700);
    s.click("#new-post");
    s.type_into("#post-title", "Half-typed: a pallet jack to lend");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    s.click("#nav-settings");
    s.choose("#language", "sv");
    s.wait_text("#nav-board", &message("sv", "nav-board"));
    drop(s);
    let started = std::time::Instant::now();
    let s = Session::start(&app, dir.path(), &display);
    s.wait_text("#nav-board", &message("sv", "nav-board"));
    assert_eq!(
        s.window_size(),
        (1000, 700),
        "the window opens at its last size"
    );
    s.click("#new-post");
    s.find("#draft-restored");
    assert_eq!(s.value("#post-title"), "Half-typed: a pallet jack to lend");
    s.screenshot("editor-draft-sv");
    s.click("#post-discard");
    s.find(".post-card");

    // The owner's quick path, from opening the app to a posted offer of machine hours:
    // Ctrl+N, kind, title, hours, Enter. A figure, not a limit: people type slower.
    s.ctrl("n");
    s.find("#post-editor");
    assert!(!s.exists("#draft-restored"), "the discarded draft is gone");
    s.choose("#post-kind", "CAP.MACH.CNC");
    s.type_into("#post-title", "CNC hours free on Fridays");
    s.type_into("#post-amount", "16");
    s.type_into("#post-unit", "hours\u{E007}");
    s.wait_text("#post-heading", "CNC hours free on Fridays");
    println!(
        "opening the app to a posted offer, scripted: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_demo_street_opens_on_a_full_board() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&app, dir.path(), &display);
    s.click("#open-demo");
    s.find(".post-card");
    assert!(s.texts(".post-card").len() > 5);
    s.screenshot("board");
    // Interest in another member's post, from the app.
    let other = s.script(
        "const own = document.querySelector('#own-org-name').innerText; \
         const card = Array.from(document.querySelectorAll('.post-card')).find(c => c.querySelector('.author').innerText !== own); \
         return card.getAttribute('data-id');",
        serde_json::json!([]),
    );
    let other = other.as_str().unwrap().to_string();
    s.click(&format!(".post-card[data-id='{other}'] h3"));
    s.find("#post-detail");
    s.type_into("#interest-message", "We could use this in January");
    s.click("#send-interest");
    s.wait_text(".interest", "We could use this in January");
    s.screenshot("post");
    s.click("#nav-members");
    s.find(".member-row");
    s.screenshot("members");

    // The service directory: found by language, opened, a new one listed (a name is
    // asked for beside its field), and a regional directory imported from CSV (a file
    // with a bad row names it and stores nothing; a good one is previewed, then stored).
    s.click("#nav-services");
    s.find(".service-row");
    assert_eq!(s.texts(".service-row").len(), 4);
    s.choose("#service-language", "fi");
    s.wait_until("only the Finnish service", |s| {
        s.texts(".service-row").len() == 1
    });
    s.screenshot("services");
    s.click(".service-row td");
    s.wait_text("#service-provider", "Business Finland");
    s.screenshot("service");
    s.click("#nav-services");
    s.click("#new-service");
    s.find("#service-form");
    s.click("#phase-starting");
    s.click("#save-service");
    s.wait_until("the missing name to be named beside its field", |s| {
        s.exists(".field-error[data-field='name']")
    });
    s.type_into("#service-name-input", "Messestøtte");
    s.type_into("#service-region-input", "Region Sjælland");
    s.click("#service-language-da");
    s.screenshot("service-editor");
    s.click("#save-service");
    s.wait_text("#service-name", "Messestøtte");
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("bad.csv");
    std::fs::write(
        &bad,
        "name;phase\nFair support;starting\nCoaching;someday\n",
    )
    .unwrap();
    let good = files.path().join("good.csv");
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Navn;Udbyder;Fase;Sprog\nEksportrådgivning;Væksthus;begynder;dansk\nMessepulje;Væksthus;udvider;dansk|engelsk\n",
    );
    std::fs::write(&good, &cp1252).unwrap();
    s.click("#nav-services");
    s.find(".service-row");
    s.type_into("#services-import", bad.to_str().unwrap());
    s.wait_text("#import-problems", "Line 3");
    s.screenshot("services-import-problems");
    assert_eq!(
        s.texts(".service-row").len(),
        5,
        "nothing of the bad file stored"
    );
    s.type_into("#services-import", good.to_str().unwrap());
    s.find("#import-preview");
    assert!(s.text("#import-preview").contains("Eksportrådgivning"));
    s.click("#import-confirm");
    s.find("#import-done");
    s.wait_until("the imported services listed", |s| {
        s.texts(".service-row").len() == 7
    });

    // The facilitator's member list from Excel (Windows-1252, semicolons, Danish headers):
    // previewed, then added whole.
    let members = files.path().join("medlemmer.csv");
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Navn;Branche;Kommune;Sprog\nRørby Værktøj ApS;25;Kalundborg;dansk\nÅsted Tømrer;Tømrer;Holbæk;dansk\n",
    );
    std::fs::write(&members, &cp1252).unwrap();
    s.click("#nav-members");
    // The list comes in one answer: once a row is there, all are.
    s.find(".member-row");
    let before = s.texts(".member-row").len();
    s.type_into("#members-import", members.to_str().unwrap());
    s.wait_text("#import-problems", "Line 3");
    let bad_industry = s.text("#import-problems");
    assert!(bad_industry.contains("tømrer"), "{bad_industry}");
    let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Navn;Branche;Kommune;Sprog\nRørby Værktøj ApS;25;Kalundborg;dansk\nÅsted Tømrer;16;Holbæk;dansk\n",
    );
    std::fs::write(&members, &cp1252).unwrap();
    s.type_into("#members-import", members.to_str().unwrap());
    s.find("#import-preview");
    assert!(s.text("#import-preview").contains("Rørby Værktøj ApS"));
    s.screenshot("members-import-preview");
    s.click("#import-confirm");
    s.find("#import-done");
    s.wait_until("the new members listed", |s| {
        s.texts(".member-row").len() == before + 2
    });

    // A need only named members see: at least one must be named, beside the field.
    s.ctrl("n");
    s.find("#post-editor");
    s.choose("#post-kind", "CAP.SPACE");
    s.type_into(
        "#post-title",
        "Cold storage for two pallets, named members only",
    );
    s.choose("#post-visibility", "named");
    s.find(".post-named-member");
    s.click("#post-save");
    s.wait_until("naming nobody to be refused beside the list", |s| {
        s.exists(".field-error[data-field='visible_to']")
    });
    s.click(".post-named-member");
    s.screenshot("editor-named");
    s.click("#post-save");
    s.wait_text("#post-heading", "Cold storage for two pallets");
    assert!(s
        .text(".facts")
        .contains(&message("en", "visibility-named")));
    s.click("#nav-results");
    s.find("#graph-now");
    s.screenshot("dashboard-demo");
    s.script(
        "document.querySelector('#graph-now').scrollIntoView();",
        serde_json::json!([]),
    );
    s.screenshot("graph-demo");
    // On paper each node carries its name (print styles): shown here as print shows them.
    s.script(
        "const st = document.createElement('style'); \
         st.textContent = '.graph .label { display: inline } .graph { overflow: visible }'; \
         document.head.appendChild(st);",
        serde_json::json!([]),
    );
    let labels = s.script(
        "return Array.from(document.querySelectorAll('#graph-now .label')).map(l => l.textContent).join('|');",
        serde_json::json!([]),
    );
    assert!(
        labels.as_str().unwrap_or_default().contains("Holbæk"),
        "names beside the nodes: {labels}"
    );
    s.screenshot("graph-labels");
    s.click("#nav-meetings");
    s.click(".meeting-row td");
    s.find("#meeting-screen");
    s.screenshot("meeting-demo");
    // The facilitator's list of introductions to broker: one click records it as the
    // capture form does (an action "A talks to B: need ↔ offer").
    s.find("#introductions .introduction");
    let need = s.text("#introductions .introduction strong");
    s.click("#introductions .introduce");
    s.wait_until("the introduction recorded as an action", |s| {
        s.text("#actions").contains(&need)
    });
    s.screenshot("meeting-introductions");

    // Suggestions for a need, each with its reasons, in the reader's language: the demo's
    // need for advice on export financing, read in Danish, meets the directory's services.
    s.click("#nav-settings");
    s.choose("#language", "da");
    s.wait_text("#nav-board", &message("da", "nav-board"));
    s.click("#nav-board");
    s.find(".post-card");
    let need = s.script(
        "const card = Array.from(document.querySelectorAll('.post-card')).find(c => c.querySelector('.post-title').innerText === 'Advice on export financing'); \
         return card.getAttribute('data-id');",
        serde_json::json!([]),
    );
    s.click(&format!(
        ".post-card[data-id='{}'] h3",
        need.as_str().unwrap()
    ));
    s.find("#suggestions .suggestion");
    let shown = s.text("#suggestions");
    assert!(shown.contains("samme slags: Offentlige ydelser"), "{shown}");
    assert!(shown.contains("Eksportvoucher"), "{shown}");
    s.screenshot("suggestions-da");
    s.click("#suggestions .suggestion");
    s.find("#service-page");
}

/// A Danish need meets a Finnish offer: the suggestion shows with its reasons in Danish,
/// the facilitator introduces the pair from the meeting's list, and "not relevant" keeps
/// the offer away, also after a restart, until it is suggested again.
#[test]
fn a_danish_need_meets_a_finnish_offer_which_once_dismissed_stays_away_after_a_restart() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ivej_ok(
        d,
        &[
            "init",
            "--street",
            "Industrivej Regstrup",
            "--org",
            "Regstrup Smedie",
        ],
    );
    ivej_ok(d, &["org", "add", "--org", "Jyväskylän Hitsaus Oy"]);
    ivej_ok(
        d,
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "COL.SUB",
            "--title",
            "Hitsauspalvelu ja teräsrakenteet",
            "--for",
            "Jyväskylän Hitsaus Oy",
        ],
    );
    ivej_ok(d, &["meeting", "plan", "--at", "2030-01-15T08:00"]);
    let s = Session::start(&app, d, &display);
    s.find(".post-card");
    s.click("#nav-settings");
    s.choose("#language", "da");
    s.wait_text("#nav-board", &message("da", "nav-board"));
    s.ctrl("n");
    s.find("#post-editor");
    s.choose("#post-direction", "need");
    s.choose("#post-kind", "COL.SUB");
    s.type_into("#post-title", "Svejsning af stålrammer til vores nye hal");
    s.click("#post-save");
    s.wait_text("#post-heading", "Svejsning af stålrammer");
    s.find("#suggestions .suggestion");
    let shown = s.text("#suggestions");
    assert!(
        shown.contains("Hitsauspalvelu ja teräsrakenteet"),
        "{shown}"
    );
    assert!(
        shown.contains("'svejsning' ≈ 'hitsauspalvelu'"),
        "the reason names both words: {shown}"
    );
    assert!(shown.contains("samme slags: Underleverance"), "{shown}");
    let need_id = s.attribute("#post-detail", "data-id");

    // The facilitator introduces the pair from the meeting's list.
    s.click("#nav-meetings");
    s.click(".meeting-row td");
    s.find("#introductions .introduction");
    assert!(s
        .text("#introductions")
        .contains("Hitsauspalvelu ja teräsrakenteet"));
    s.click("#introductions .introduce");
    s.wait_until("the introduction recorded as an action", |s| {
        s.text("#actions").contains("Svejsning af stålrammer")
    });

    // Not relevant: gone, and listed as set aside.
    s.click("#nav-board");
    s.click(&format!(".post-card[data-id='{need_id}'] h3"));
    s.find("#suggestions .suggestion");
    s.click("#suggestions .suggestion .dismiss");
    s.wait_until("the dismissed offer gone", |s| {
        s.exists("#no-suggestions") && s.exists("#dismissed-suggestions")
    });
    s.screenshot("suggestions-dismissed-da");
    drop(s);

    // After a restart it stays away; suggested again, it is back.
    let s = Session::start(&app, d, &display);
    s.find(".post-card");
    s.click(&format!(".post-card[data-id='{need_id}'] h3"));
    s.find("#no-suggestions");
    assert!(
        !s.exists("#suggestions .suggestion"),
        "the dismissed offer is not suggested (only listed as set aside)"
    );
    s.click("#dismissed-suggestions summary");
    s.click("#dismissed-suggestions .restore");
    s.wait_until("the offer suggested again", |s| {
        s.text("#suggestions")
            .contains("Hitsauspalvelu ja teräsrakenteet")
            && !s.exists("#dismissed-suggestions")
    });
}

/// `ivej serve` for a facilitator's data directory, stopped (SIGTERM, by its PID) when dropped.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

#[test]
fn a_member_joins_with_a_picture_of_the_invite_qr_code_and_gets_the_street() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());

    // The facilitator's device: a street with an offer, serving on loopback.
    let facilitator = tempfile::tempdir().unwrap();
    ivej_ok(
        facilitator.path(),
        &[
            "init",
            "--street",
            "Industrivej Tuse",
            "--org",
            "Tuse Erhverv",
        ],
    );
    ivej_ok(
        facilitator.path(),
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.TRANS",
            "--title",
            "Half-empty truck to Holbæk on Tuesdays",
        ],
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    // A picture of the QR code, as a phone photo or screenshot would be (PNG).
    let png = facilitator.path().join("invite.png");
    let invite = ivej_json(
        facilitator.path(),
        &[
            "invite",
            "create",
            "--address",
            &address,
            "--qr",
            png.to_str().unwrap(),
        ],
    );
    let code = invite["code"].as_str().unwrap().to_string();
    let serving = Serving(
        std::process::Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
            .arg("--data-dir")
            .arg(facilitator.path())
            .args(["--no-lan", "serve", "--listen", &address])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );

    // The new member opens the picture, gives its name and joins.
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&app, dir.path(), &display);
    s.find("#invite-image");
    s.type_into("#invite-image", png.to_str().unwrap());
    s.wait_until("the code to be read from the picture", |s| {
        s.value("#invite-code") == code
    });
    s.screenshot("onboarding-join");
    s.type_into("#join-org-name", "Tuse Træ");
    s.click("#join-street");
    // Its device dials the address in the invite and receives the street.
    s.wait_text("#street-title", "Industrivej Tuse");
    s.find("#profile-form");
    s.click("#nav-board");
    s.wait_text(".post-title", "Half-empty truck to Holbæk");
    drop(s);
    drop(serving);

    // A mistyped code is refused beside the field, in the user's language.
    let other = tempfile::tempdir().unwrap();
    let s = Session::start(&app, other.path(), &display);
    // One character wrong in the middle of the code, as when typing it off paper.
    let mut chars: Vec<char> = code.chars().collect();
    let middle = chars.len() / 2;
    let at = (middle..chars.len())
        .find(|i| chars[*i].is_ascii_alphanumeric())
        .unwrap();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let typo: String = chars.into_iter().collect();
    s.type_into("#invite-code", &typo);
    s.type_into("#join-org-name", "Tuse Træ");
    s.click("#join-street");
    s.wait_text(
        ".field-error[data-field='code']",
        &message("en", "problem-invite-typo"),
    );
}

#[test]
fn the_facilitator_plans_a_series_runs_a_meeting_and_sees_the_results_move() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let display = Display::start();
    let dir = tempfile::tempdir().unwrap();
    let s = Session::start(&app, dir.path(), &display);
    create_street(&s);
    // Two members join (added here through the CLI on the same data directory: the app
    // picks up what another process writes).
    for name in ["Tuse Træ", "Holbæk Plast"] {
        ivej_ok(dir.path(), &["org", "add", "--org", name]);
    }
    let orgs = ivej_json(dir.path(), &["org", "list"]);
    let id_of = |name: &str| {
        orgs.as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .and_then(|o| o["id"].as_str())
            .unwrap()
            .to_string()
    };
    let tuse = id_of("Tuse Træ");
    s.wait_text("#members", "3");

    // The founder already knew Holbæk Plast before the network: the baseline.
    s.click("#nav-profile");
    s.click(".knew[data-name='Holbæk Plast']");
    s.wait_until("the baseline to be stored", |_| {
        ivej_json(dir.path(), &["relation", "list"])
            .as_array()
            .is_some_and(|r| r.len() == 1 && r[0]["baseline"] == true)
    });

    // A series of three, fortnightly; the founder hosts first.
    s.click("#nav-meetings");
    s.find("#no-meetings");
    s.type_into("#series-name", "Winter 2026");
    s.choose("#series-first", "2026-12-03T15:00");
    s.replace("#series-count", "3");
    s.click("#plan-series");
    s.wait_until("three meetings to be listed", |s| {
        s.texts(".meeting-row").len() == 3
    });
    assert_eq!(s.texts(".meeting-row .host")[0], "Regstrup Smedie");
    assert_eq!(s.texts(".meeting-row .host")[1], "Tuse Træ");

    // Before the meeting the dashboard counts none held.
    s.click("#nav-results");
    s.wait_text("#kpi-meetings .kpi-value", "0");

    // The meeting: attendance, minutes, a decision, an action, a captured offer.
    s.click("#nav-meetings");
    s.click(".meeting-row td");
    s.find("#meeting-screen");
    let first = s.attribute("#meeting-screen", "data-id");
    s.click("#start-meeting");
    s.wait_text("#meeting-state", "Under way");
    s.replace(
        "#challenge-text",
        "Who has idle machines in the quiet weeks?",
    );
    s.click("#set-challenge");
    s.click(".attend[data-name='Tuse Træ']");
    s.type_into("#minutes", "Tuse Trae presented their new press line.");
    let minutes_now = || ivej_ok(dir.path(), &["meeting", "minutes", &first]);
    s.wait_until("the minutes to be saved", |_| {
        minutes_now().contains("press line")
    });
    // Someone else adds to the same minutes (another process on this data directory, as a
    // colleague's device would through sync): it shows up here, and typing on keeps both.
    ivej_ok(
        dir.path(),
        &[
            "meeting",
            "minutes",
            &first,
            "--append",
            " Host: thanks all.",
        ],
    );
    s.wait_until("the colleague's text to show", |s| {
        s.value("#minutes").contains("thanks all")
    });
    s.type_into("#minutes", " Coffee next time.");
    s.wait_until("both texts to be kept", |_| {
        let text = minutes_now();
        text.contains("press line") && text.contains("thanks all") && text.contains("Coffee")
    });
    s.type_into("#decision-text", "Next challenge: shared transport");
    s.click("#add-decision");
    s.wait_text(".decision", "shared transport");
    s.type_into("#action-text", "Visit the press hall");
    s.choose("#action-owner", &tuse);
    s.click("#add-action");
    s.wait_text("#actions .action", "Visit the press hall");
    s.choose("#capture-direction", "offer");
    s.choose("#capture-kind", "CAP.MACH.CNC");
    s.type_into("#capture-title", "Spare press hours");
    s.choose("#capture-org", &tuse);
    s.click("#capture-post");
    s.wait_text(".captured-post", "Spare press hours");
    s.script(
        "document.querySelector('#meeting-heading').scrollIntoView();",
        serde_json::json!([]),
    );
    s.screenshot("meeting");
    s.click("#finish-meeting");
    s.wait_text("#meeting-state", "Held");

    // The open action carries over to the next meeting.
    s.click("#nav-meetings");
    s.wait_until("the second meeting to be listed", |s| {
        s.texts(".meeting-row").len() == 3
    });
    s.script(
        "document.querySelectorAll('.meeting-row')[1].click();",
        serde_json::json!([]),
    );
    s.wait_text("#carried .action", "Visit the press hall");
    s.wait_text("#carried .action", "Tuse Træ");

    // The captured offer is on the board under Tuse's name, under the challenge.
    s.click("#nav-board");
    s.wait_text("#challenge", "idle machines in the quiet weeks");
    s.wait_text(".post-title", "Spare press hours");
    s.wait_text(".post-card .author", "Tuse Træ");

    // The dashboard moved: one meeting held, and its attendance.
    s.click("#nav-results");
    s.wait_text("#kpi-meetings .kpi-value", "1");
    s.find("#graph-now");
    s.wait_text(".graphs figure:first-child figcaption", ": 1");
    s.screenshot("dashboard");
}

/// What an end-to-end test leaves running: the X server, tauri-driver, its
/// WebKitWebDriver and the app, counted by program name.
fn left_running(app: &Path) -> [usize; 4] {
    let app_name = app
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    [
        running_named("Xvfb"),
        running_named("tauri-driver"),
        running_named("WebKitWebDriver"),
        running_named(&app_name),
    ]
}

#[test]
fn an_end_to_end_session_leaves_no_process_behind_even_when_its_test_fails() {
    let Some(app) = app_binary() else { return };
    let _one = ONE_APP.lock().unwrap_or_else(|e| e.into_inner());
    let before = left_running(&app);

    // A session that ends normally.
    {
        let display = Display::start();
        let dir = tempfile::tempdir().unwrap();
        let s = Session::start(&app, dir.path(), &display);
        s.find("#create-street");
        let during = left_running(&app);
        assert_eq!(
            during,
            before.map(|n| n + 1),
            "one X server, tauri-driver, WebKitWebDriver and app while the session runs"
        );
    }
    assert_eq!(left_running(&app), before, "all ended with the session");

    // A test that fails while its session is open.
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let display = Display::start();
        let dir = tempfile::tempdir().unwrap();
        let s = Session::start(&app, dir.path(), &display);
        s.find("#create-street");
        panic!("a test that fails half-way");
    }));
    assert!(failed.is_err());
    assert_eq!(
        left_running(&app),
        before,
        "all ended while the failed test unwound"
    );
}
