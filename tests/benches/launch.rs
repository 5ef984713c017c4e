//! How long the desktop app takes from launch to showing the board with the two-year
//! street (150 organisations, 3,000 posts, 52 meetings), and how much memory all its
//! processes (the app and WebKit's web and network processes) hold at their peak.
//!
//! Run with `cargo xtask bench` (it builds the release app and names it in
//! `IVEJ_APP_BIN`). Needs Xvfb; starts its own display. Prints figures, asserts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ivej_node::demo::{generate, DemoSize};
use ivej_node::{Node, NodeOptions};

// The private X server of the end-to-end tests (the rest of that module goes unused here).
#[path = "../webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

const LAUNCHES: usize = 5;

fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        // The parent pid is the 2nd field after the command name in parentheses.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    out
}

/// The app and every process under it.
fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let kids = children_of(all[i]);
        all.extend(kids);
        i += 1;
    }
    all
}

fn rss_kib(pid: u32) -> u64 {
    kib_field(&format!("/proc/{pid}/status"), "VmRSS:")
}

/// Proportional set size: shared libraries counted once across the processes, so the
/// sum is what the app really costs the machine (RSS counts WebKit's libraries thrice).
fn pss_kib(pid: u32) -> u64 {
    kib_field(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
}

fn kib_field(path: &str, field: &str) -> u64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Launch {
    to_board: Duration,
    reported_ms: String,
    peak_kib: u64,
    peak_pss_kib: u64,
    processes: usize,
}

fn launch(app: &Path, data: &Path, display: &str) -> Launch {
    let started = Instant::now();
    let mut child = Command::new(app)
        .process_group(0)
        .args(["--data-dir"])
        .arg(data)
        .arg("--no-lan")
        .env("DISPLAY", display)
        .env("IVEJ_REPORT_READY", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the app");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("board shown after") {
                let _ = tx.send(line);
            }
        }
    });
    let mut peak = 0u64;
    let mut peak_pss = 0u64;
    let mut processes = 0;
    let mut shown: Option<(Duration, String)> = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    // Sample memory until two seconds after the board is shown (what it settles to).
    loop {
        let pids = tree(pid);
        let sum: u64 = pids.iter().map(|p| rss_kib(*p)).sum();
        if sum > peak {
            peak = sum;
            processes = pids.len();
        }
        peak_pss = peak_pss.max(pids.iter().map(|p| pss_kib(*p)).sum());
        if shown.is_none() {
            if let Ok(line) = rx.try_recv() {
                shown = Some((started.elapsed(), line));
            }
        }
        if let Some((at, _)) = &shown {
            if started.elapsed() > *at + Duration::from_secs(2) {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the board was not shown within two minutes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    webdriver::stop_process_group(&mut child);
    let (to_board, line) = shown.unwrap();
    Launch {
        to_board,
        reported_ms: line,
        peak_kib: peak,
        peak_pss_kib: peak_pss,
        processes,
    }
}

fn main() {
    let Some(app) = std::env::var_os("IVEJ_APP_BIN").map(PathBuf::from) else {
        eprintln!("launch benchmark not run: set IVEJ_APP_BIN (cargo xtask bench does)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    {
        let mut options = NodeOptions::new(dir.path());
        options.lan_discovery = false;
        let node = Node::open(options).unwrap();
        let now = ivej_node::clock::now_ms();
        let demo = generate(DemoSize::two_year(), 7, now, ivej_node::clock::today()).unwrap();
        node.adopt_demo(demo).unwrap();
    }
    let display = webdriver::Display::start();
    println!(
        "launch to board, two-year street, {LAUNCHES} launches ({})",
        app.display()
    );
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    let mut pss = Vec::new();
    for i in 0..LAUNCHES {
        let l = launch(&app, dir.path(), &display.name);
        println!(
            "  launch {}: board shown after {} ms (the app's own count: {}); peak RSS {:.0} MiB (PSS {:.0} MiB) over {} processes",
            i + 1,
            l.to_board.as_millis(),
            l.reported_ms.trim_start_matches("board shown after "),
            l.peak_kib as f64 / 1024.0,
            l.peak_pss_kib as f64 / 1024.0,
            l.processes
        );
        times.push(l.to_board);
        peaks.push(l.peak_kib);
        pss.push(l.peak_pss_kib);
    }
    times.sort();
    peaks.sort_unstable();
    pss.sort_unstable();
    println!(
        "launch to board: median {} ms, slowest {} ms; peak RSS of all processes: median {:.0} MiB, highest {:.0} MiB; peak PSS: median {:.0} MiB",
        times[LAUNCHES / 2].as_millis(),
        times[LAUNCHES - 1].as_millis(),
        peaks[LAUNCHES / 2] as f64 / 1024.0,
        peaks[LAUNCHES - 1] as f64 / 1024.0,
        pss[LAUNCHES / 2] as f64 / 1024.0
    );
}
