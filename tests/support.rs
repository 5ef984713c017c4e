//! What several scenario tests share.

use std::path::Path;
use std::process::{Command, Output};

/// Runs the CLI on a data directory with LAN discovery off, without standard input.
pub fn ivej(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ivej-under-test"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--no-lan")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output();
    match output {
        Ok(output) => output,
        Err(e) => panic!("could not run the CLI: {e}"),
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs the CLI and expects success; returns standard output.
pub fn ivej_ok(dir: &Path, args: &[&str]) -> String {
    let out = ivej(dir, args);
    assert!(
        out.status.success(),
        "ivej {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Runs the CLI with `--json` and parses what it printed.
pub fn ivej_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let text = ivej_ok(dir, &all);
    match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("ivej {args:?} printed no JSON ({e}): {text}"),
    }
}

/// The exported state without the moment of export, for before/after comparisons.
pub fn state(dir: &Path) -> serde_json::Value {
    let mut v = ivej_json(dir, &["export"]);
    if let Some(map) = v.as_object_mut() {
        map.remove("exported_at");
    }
    v
}

/// Runs `ip ARGS` (iproute2), for the tests that build network namespaces.
pub fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status();
    match status {
        Ok(s) if s.success() => {}
        other => panic!(
            "`ip {}` failed: {other:?} (this test needs root and iproute2)",
            args.join(" ")
        ),
    }
}

/// Waits (bounded by `limit`) until `check` holds, looking every 200 ms: for tests that
/// watch other processes through the CLI.
pub fn eventually_within(limit: std::time::Duration, what: &str, check: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The titles on the board of the node in `dir`, as `ivej post list` gives them.
pub fn board_titles(dir: &Path) -> Vec<String> {
    ivej_json(dir, &["post", "list"])
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["post"]["title"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
