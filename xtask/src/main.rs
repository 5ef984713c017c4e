//! Developer commands of Industrivej, so a fresh machine needs nothing but cargo:
//!
//! - `cargo xtask setup`: installs what the build needs (Debian packages, the wasm32
//!   target, pinned trunk and wasm-bindgen-cli), skipping what is already there.
//! - `cargo xtask run [-- ARGS]`: set-up, frontend build, then the desktop app.
//! - `cargo xtask test`: set-up, formatting and lint checks, every test of the workspace.
//! - `cargo xtask bench`: the benchmarks, printing figures.
//!
//! It downloads nothing but packages from the Debian and crates.io registries.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Debian packages the desktop app and its tests build and run with.
const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "imagemagick",
    "iproute2",
];

/// The newest trunk that builds with this machine's Rust.
const TRUNK_VERSION: &str = "0.21.14";
const TAURI_DRIVER_VERSION: &str = "2.0.4";

fn main() -> Result<()> {
    let args: Vec<String> = env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("frontend") => {
            setup()?;
            build_frontend()
        }
        Some("run") => {
            setup()?;
            build_frontend()?;
            run_app(rest)
        }
        Some("test") => test(),
        Some("bench") => bench(),
        _ => {
            eprintln!("usage: cargo xtask <setup|frontend|run|test|bench>");
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    // At run time first: a target directory shared between clones may hold an xtask
    // binary built from another clone, whose compile-time path is gone.
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn step(what: &str) {
    eprintln!("\n==> {what}");
}

/// A command run from the workspace root, with cargo's own bin directory on PATH so
/// freshly installed tools are found.
fn cmd(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    let mut paths: Vec<PathBuf> = vec![cargo_bin_dir()];
    if let Some(path) = env::var_os("PATH") {
        paths.extend(env::split_paths(&path));
    }
    if let Ok(joined) = env::join_paths(paths) {
        c.env("PATH", joined);
    }
    c
}

fn cargo_bin_dir() -> PathBuf {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    home.join("bin")
}

fn run(mut c: Command) -> Result<()> {
    let shown = format!("{c:?}");
    let status = c
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn output(mut c: Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Where cargo puts what it builds.
fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { root().join(p) } else { p })
        .unwrap_or_else(|| root().join("target"))
}

fn cargo() -> Command {
    cmd(&env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn setup() -> Result<()> {
    install_debian_packages()?;
    install_wasm_target()?;
    install_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        &wasm_bindgen_version()?,
        false,
    )?;
    install_tool("trunk", "trunk", TRUNK_VERSION, true)?;
    // Drives the app in the end-to-end tests (with Debian's WebKitWebDriver).
    install_tool("tauri-driver", "tauri-driver", TAURI_DRIVER_VERSION, true)?;
    Ok(())
}

fn install_debian_packages() -> Result<()> {
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            let mut c = cmd("dpkg-query");
            c.args(["-W", "-f=${Status}", p]);
            !output(c).is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!(
        "installing Debian packages: {}",
        missing.join(" ")
    ));
    let mut id = cmd("id");
    id.arg("-u");
    let as_root = output(id).is_some_and(|s| s.trim() == "0");
    if !as_root {
        bail!(
            "these Debian packages are missing: {0}\ninstall them with: sudo apt-get install -y {0}",
            missing.join(" ")
        );
    }
    let mut update = cmd("apt-get");
    update.args(["update", "-qq"]);
    run(update)?;
    let mut install = cmd("apt-get");
    install
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(install)
}

fn install_wasm_target() -> Result<()> {
    let mut c = cmd("rustup");
    c.args(["target", "list", "--installed"]);
    if output(c).is_some_and(|s| s.lines().any(|l| l.trim() == "wasm32-unknown-unknown")) {
        return Ok(());
    }
    step("adding the wasm32-unknown-unknown target");
    let mut c = cmd("rustup");
    c.args(["target", "add", "wasm32-unknown-unknown"]);
    run(c)
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
            {
                return Ok(v.trim_matches('"').to_string());
            }
        }
    }
    bail!("Cargo.lock names no wasm-bindgen; is the frontend in the workspace?")
}

/// Installs `krate` at exactly `version` unless `tool --version` already reports it.
fn install_tool(tool: &str, krate: &str, version: &str, locked: bool) -> Result<()> {
    let mut c = cmd(tool);
    c.arg("--version");
    if output(c).is_some_and(|s| s.split_whitespace().any(|w| w == version)) {
        return Ok(());
    }
    // Tools without --version (tauri-driver): what cargo install recorded, if the binary
    // is still there.
    let mut list = cargo();
    list.args(["install", "--list"]);
    let recorded = output(list).is_some_and(|s| {
        s.lines()
            .any(|l| l.starts_with(&format!("{krate} v{version}:")))
    });
    if recorded && cargo_bin_dir().join(tool).exists() {
        return Ok(());
    }
    step(&format!(
        "installing {krate} {version} (a few minutes, once)"
    ));
    let mut c = cargo();
    c.args(["install", krate, "--version", &format!("={version}")]);
    if locked {
        c.arg("--locked");
    }
    // Its own build directory, so it never shares a lock with the workspace's builds.
    c.env_remove("CARGO_TARGET_DIR");
    run(c)
}

fn build_frontend() -> Result<()> {
    build_frontend_as(false)
}

/// `release`: an optimised wasm module, for the release app the launch benchmark measures.
fn build_frontend_as(release: bool) -> Result<()> {
    // trunk builds offline (so it never downloads tools); fetch the crates first.
    let mut fetch = cargo();
    fetch.arg("fetch");
    run(fetch)?;
    step("building the frontend (trunk, wasm32)");
    let mut c = cmd("trunk");
    c.current_dir(root().join("frontend"))
        .args(["build", "--offline"]);
    if release {
        c.arg("--release");
    }
    run(c)
}

fn run_app(args: &[String]) -> Result<()> {
    step("starting Industrivej");
    let mut c = cargo();
    c.args(["run", "--package", "industrivej-app", "--"])
        .args(args);
    run(c)
}

fn test() -> Result<()> {
    setup()?;
    step("checking formatting");
    let mut c = cargo();
    c.args(["fmt", "--all", "--", "--check"]);
    run(c)?;
    build_frontend()?;
    step("clippy, warnings denied");
    let mut c = cargo();
    c.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(c)?;
    step("building the desktop app for the end-to-end tests");
    let mut c = cargo();
    c.args(["build", "--package", "industrivej-app"]);
    run(c)?;
    step("every test of the workspace");
    let mut c = cargo();
    c.args(["test", "--workspace"]).env(
        "IVEJ_APP_BIN",
        target_dir().join("debug").join("industrivej"),
    );
    run_tests(c)
}

/// Runs cargo test, passing its output through, and closes with the totals of every test
/// binary (`N passed, N failed`): cargo's own last line is that of the last binary only.
fn run_tests(mut c: Command) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let shown = format!("{c:?}");
    let mut child = c
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {shown}"))?;
    let (mut passed, mut failed, mut ignored) = (0u64, 0u64, 0u64);
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading test output")?;
            println!("{line}");
            if let Some(result) = line.strip_prefix("test result: ") {
                for part in result.split(['.', ';']) {
                    let mut words = part.split_whitespace();
                    if let (Some(n), Some(what)) = (words.next(), words.next()) {
                        let n: u64 = n.parse().unwrap_or(0);
                        match what {
                            "passed" => passed += n,
                            "failed" => failed += n,
                            "ignored" => ignored += n,
                            _ => {}
                        }
                    }
                }
            }
        }
    }
    let status = child.wait().context("waiting for the tests")?;
    println!("\nAll test binaries together:");
    println!("{passed} passed, {failed} failed, {ignored} skipped");
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn bench() -> Result<()> {
    step("benchmarks (release build)");
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-node", "--bench", "node"]);
    run(c)?;
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-net", "--bench", "sync"]);
    run(c)?;
    setup()?;
    build_frontend_as(true)?;
    step("launch to board and peak memory of the desktop app (release build)");
    let mut c = cargo();
    c.args(["build", "--release", "--package", "industrivej-app"]);
    run(c)?;
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-tests", "--bench", "launch"])
        .env(
            "IVEJ_APP_BIN",
            target_dir().join("release").join("industrivej"),
        );
    run(c)
}
