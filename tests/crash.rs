//! Kill a writer with SIGKILL at random moments, many times: every post it reported as
//! saved must be there afterwards, and the data directory must always open.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ivej_node::{Node, NodeOptions};
use rand::{Rng, SeedableRng};

/// Runs in CI by default; raise with IVEJ_CRASH_RUNS for a longer soak.
fn runs() -> usize {
    std::env::var("IVEJ_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

#[test]
fn every_acknowledged_post_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let seed: u64 = rand::rng().random();
    println!("crash test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acknowledged: Vec<String> = Vec::new();
    for run in 0..runs() {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(dir.path())
            .arg(format!("run{run}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(id) = line.strip_prefix("saved ") {
                    let _ = tx.send(id.to_string());
                }
            }
        });
        // Kill at a random moment: sometimes during start-up, mostly mid-write.
        let wait = Duration::from_millis(rng.random_range(5..400));
        std::thread::sleep(wait);
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        acknowledged.extend(rx.try_iter());

        let mut options = NodeOptions::new(dir.path());
        options.lan_discovery = false;
        let node = Node::open(options).unwrap_or_else(|e| {
            panic!("run {run} (seed {seed}): the data directory did not open: {e}")
        });
        for id in &acknowledged {
            if let Err(e) = node.post(id) {
                panic!("run {run} (seed {seed}): acknowledged post {id} is missing: {e}");
            }
        }
    }
    assert!(
        acknowledged.len() > runs(),
        "the writer should have saved posts in most runs (saved {})",
        acknowledged.len()
    );
}
