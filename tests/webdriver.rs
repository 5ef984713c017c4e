//! Drives the real desktop app in a real WebKit: a private X server (Xvfb), tauri-driver
//! and WebKitWebDriver, spoken to over the W3C WebDriver protocol on loopback. A small
//! blocking client: the tests need a dozen endpoints, not a framework.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The desktop app's binary, built by `cargo xtask test`; `None` when the tests were
/// started another way (then the end-to-end tests say so and do nothing, unless `CI` is
/// set, where they fail).
pub fn app_binary() -> Option<PathBuf> {
    let bin = std::env::var_os("IVEJ_APP_BIN").map(PathBuf::from);
    match bin {
        Some(b) if b.exists() => Some(b),
        _ if std::env::var_os("CI").is_some() => {
            panic!("IVEJ_APP_BIN must name the built app in CI (cargo xtask test sets it)")
        }
        _ => {
            eprintln!("end-to-end test not run: IVEJ_APP_BIN is not set (use cargo xtask test)");
            None
        }
    }
}

/// Where screenshots go (kept after the run, to be looked at).
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// A private X server, ended when dropped.
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Display {
        for n in 0..50 {
            let number = 140 + (std::process::id() % 50) + n;
            let lock = format!("/tmp/.X{number}-lock");
            if Path::new(&lock).exists() {
                // A lock left by an X server that is gone (killed without cleaning up) is
                // stale: take the display over. A live one is someone else's.
                let owner = std::fs::read_to_string(&lock).unwrap_or_default();
                let alive = owner
                    .trim()
                    .parse::<u32>()
                    .is_ok_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
                if alive {
                    continue;
                }
                let _ = std::fs::remove_file(&lock);
                let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{number}"));
            }
            let name = format!(":{number}");
            let mut child = Command::new("Xvfb")
                .process_group(0)
                .args([
                    name.as_str(),
                    "-screen",
                    "0",
                    "1280x860x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (installed by cargo xtask setup)");
            let socket = format!("/tmp/.X11-unix/X{number}");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if Path::new(&socket).exists() {
                    return Display { child, name };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            stop_process_group(&mut child);
        }
        panic!("no X display could be started");
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        // SIGTERM first, so the server removes its lock and socket.
        stop_process_group(&mut self.child);
    }
}

/// The processes of process group `group` that have not ended (zombies count as ended:
/// they hold nothing but a table entry until init reaps them).
pub fn processes_in_group(group: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After the command name in parentheses: state, parent, process group.
        let mut fields = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace())
            .into_iter()
            .flatten();
        let state = fields.next();
        let pgrp = fields.nth(1).and_then(|g| g.parse::<u32>().ok());
        if pgrp == Some(group) && state != Some("Z") {
            found.push(pid);
        }
    }
    found
}

/// Ends `leader`, a child started with `process_group(0)`, and every process it started
/// in turn (tauri-driver's WebKitWebDriver, the app, WebKit's helpers): SIGTERM to the
/// whole group so each can clean up, then SIGKILL to whatever is left after a grace
/// period. Killing only the leader re-parents its children to init, where they stay.
pub fn stop_process_group(leader: &mut Child) {
    let group = leader.id();
    let signal = |name: &str| {
        let _ = Command::new("kill")
            .args([name, "--", &format!("-{group}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    };
    signal("-TERM");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        // Reap the leader as soon as it ends, or it lingers as a zombie of ours.
        let _ = leader.try_wait();
        if processes_in_group(group).is_empty() {
            break;
        }
        if Instant::now() > deadline {
            signal("-KILL");
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = leader.wait();
}

/// How many running processes were started from a program of this file name.
pub fn running_named(program: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            let path = e.path();
            let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                == Some("Z");
            let cmdline = std::fs::read(path.join("cmdline")).unwrap_or_default();
            let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let name = argv0.rsplit(|b| *b == b'/').next().unwrap_or_default();
            !zombie && name == program.as_bytes()
        })
        .count()
}

/// One session: tauri-driver started for it, the app launched by it. Dropping it (also
/// while a failed test unwinds) ends all of them.
pub struct Session {
    driver: Child,
    port: u16,
    id: String,
    pub shots: PathBuf,
}

impl Session {
    /// Starts the app on `data_dir` with LAN discovery off.
    pub fn start(app: &Path, data_dir: &Path, display: &Display) -> Session {
        let port = free_port();
        let native_port = free_port();
        // Its own process group, so that the WebKitWebDriver it starts, and the app that
        // one starts, end with it (see `stop_process_group`).
        let driver = Command::new("tauri-driver")
            .process_group(0)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("IVEJ_NO_LAN", "1")
            // A fixed language: the tests switch it themselves.
            .env("LANG", "en_US.UTF-8")
            .env("LANGUAGE", "en")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver (installed by cargo xtask setup)");
        let mut session = Session {
            driver,
            port,
            id: String::new(),
            shots: screenshot_dir(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": {
                        "application": app,
                        "args": ["--data-dir", data_dir, "--no-lan"],
                    }
                }
            }
        });
        let mut last = Value::Null;
        for _ in 0..3 {
            match session.raw("POST", "/session", Some(caps.clone())) {
                Ok(v) => {
                    if let Some(id) = v["sessionId"].as_str() {
                        session.id = id.to_string();
                        break;
                    }
                    last = v;
                }
                Err(e) => last = json!(e),
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(!session.id.is_empty(), "no WebDriver session: {last}");
        session
    }

    /// One request. An empty answer is tried again: tauri-driver then lost its pooled
    /// connection to WebKitWebDriver before the request went through (seen now and then).
    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut last = String::new();
        for _ in 0..4 {
            match self.raw_once(method, path, body.clone()) {
                Err(e) if e == "empty answer" => {
                    last = e;
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
        Err(last)
    }

    fn raw_once(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        let body = body.map(|b| ascii_json(&b.to_string())).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .map_err(|e| e.to_string())?;
        if response.is_empty() {
            return Err("empty answer".into());
        }
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| format!("no HTTP body in {:?}", String::from_utf8_lossy(&response)))?;
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        let raw_body = &response[split + 4..];
        let body = if head.contains("transfer-encoding: chunked") {
            String::from_utf8_lossy(&dechunk(raw_body)).into_owned()
        } else {
            String::from_utf8_lossy(raw_body).into_owned()
        };
        let value: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
        let value = value.get("value").cloned().unwrap_or(value);
        if value.get("error").is_some() {
            return Err(value.to_string());
        }
        Ok(value)
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        self.raw(method, &format!("/session/{}{path}", self.id), body)
    }

    /// Finds `css`, waiting up to ten seconds for it to appear.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            );
            if let Ok(v) = found {
                if let Some(id) = v[ELEMENT].as_str() {
                    return id.to_string();
                }
            }
            if Instant::now() >= deadline {
                self.screenshot("failed");
                panic!("`{css}` did not appear (screen in failed.png)");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn exists(&self, css: &str) -> bool {
        self.script(
            "return document.querySelector(arguments[0]) !== null;",
            json!([css]),
        )
        .as_bool()
        .unwrap_or(false)
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/click"), Some(json!({})))
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Types `text` into `css` (after what is there). Text beyond ASCII arrives as an input
    /// method would deliver it (one input event): WebKitWebDriver under Xvfb has no key
    /// for `æ` and drops the connection.
    pub fn type_into(&self, css: &str, text: &str) {
        // WebDriver's own keys (Enter is U+E007) are private-use characters: those go as keys.
        let plain = |c: char| c.is_ascii() || ('\u{E000}'..='\u{F8FF}').contains(&c);
        if !text.chars().all(plain) {
            self.find(css);
            self.script(
                "const e = document.querySelector(arguments[0]); e.focus(); e.value = e.value + arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));",
                json!([css, text]),
            );
            return;
        }
        let el = self.find(css);
        self.call(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Empties `css` and types `text`.
    pub fn replace(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.call("POST", &format!("/element/{el}/clear"), Some(json!({})))
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        // Clearing fires no input event in WebKit: tell the app, then type.
        self.script(
            "const e = document.querySelector(arguments[0]); e.dispatchEvent(new Event('input', {bubbles: true}));",
            json!([css]),
        );
        if !text.is_empty() {
            self.type_into(css, text);
        }
    }

    /// Picks `value` in a select (or sets a date input) as the user would.
    pub fn choose(&self, css: &str, value: &str) {
        self.find(css);
        self.script(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('change', {bubbles: true}));",
            json!([css, value]),
        );
    }

    pub fn text(&self, css: &str) -> String {
        let el = self.find(css);
        self.call("GET", &format!("/element/{el}/text"), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn value(&self, css: &str) -> String {
        self.find(css);
        self.script(
            "return document.querySelector(arguments[0]).value;",
            json!([css]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub fn attribute(&self, css: &str, name: &str) -> String {
        self.find(css);
        self.script(
            "return document.querySelector(arguments[0]).getAttribute(arguments[1]);",
            json!([css, name]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The texts of every element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText);",
            json!([css]),
        )
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
    }

    /// Waits until `check` holds, up to ten seconds.
    pub fn wait_until(&self, what: &str, mut check: impl FnMut(&Session) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check(self) {
            if Instant::now() >= deadline {
                self.screenshot("failed");
                panic!("timed out waiting: {what} (screen in failed.png)");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the text of `css` contains `text`.
    pub fn wait_text(&self, css: &str, text: &str) {
        self.wait_until(&format!("`{css}` to read `{text}`"), |s| {
            s.texts(css).iter().any(|t| t.contains(text))
        });
    }

    pub fn script(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Presses `key` with Ctrl held, through the real keyboard path (W3C actions).
    pub fn ctrl(&self, key: &str) {
        let ctrl = "\u{E009}";
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{
                "type": "key", "id": "keyboard",
                "actions": [
                    {"type": "keyDown", "value": ctrl},
                    {"type": "keyDown", "value": key},
                    {"type": "keyUp", "value": key},
                    {"type": "keyUp", "value": ctrl},
                ]
            }]})),
        )
        .unwrap_or_else(|e| panic!("keys: {e}"));
    }

    /// The window's size, as the window manager sees it.
    pub fn window_size(&self) -> (i64, i64) {
        let rect = self.call("GET", "/window/rect", None).unwrap_or_default();
        (
            rect["width"].as_i64().unwrap_or(0),
            rect["height"].as_i64().unwrap_or(0),
        )
    }

    pub fn set_window_size(&self, width: i64, height: i64) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .unwrap_or_else(|e| panic!("resize: {e}"));
    }

    /// Saves what the window shows as `<name>.png` in [`screenshot_dir`].
    pub fn screenshot(&self, name: &str) {
        let Ok(v) = self.call("GET", "/screenshot", None) else {
            return;
        };
        if let Some(png) = v.as_str().and_then(base64_decode) {
            let _ = std::fs::write(self.shots.join(format!("{name}.png")), png);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.raw("DELETE", &format!("/session/{}", self.id), None);
        }
        stop_process_group(&mut self.driver);
    }
}

/// JSON with every non-ASCII character escaped: WebKitWebDriver drops requests that carry
/// raw UTF-8 (seen with the Ctrl key's private-use character).
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{:04x}", unit));
            }
        }
    }
    out
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..end]);
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let data = &rest[end + 2..];
        if n == 0 || data.len() < n {
            break;
        }
        out.extend_from_slice(&data[..n]);
        rest = data[n..].strip_prefix(b"\r\n").unwrap_or(&data[n..]);
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' => continue,
            _ => return None,
        };
        buf = (buf << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    Some(out)
}
