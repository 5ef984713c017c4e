//! LAN discovery for real: four hosts in network namespaces this test creates (a bridge in
//! its own namespace, a veth pair per host). Three hosts of one street find each other by
//! mDNS alone and a post made on one appears on the other two; the fourth host, of another
//! street, sees nothing. Nothing multicast ever touches the default namespace, and the
//! namespaces are removed afterwards, also when the test fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{ip, ivej_json, ivej_ok};

/// The namespaces, and the `ivej serve` processes in them; cleaned up on drop.
struct Lan {
    prefix: String,
    hosts: usize,
    servers: Vec<Child>,
}

impl Lan {
    fn new(hosts: usize) -> Lan {
        let prefix = format!("iv{}", std::process::id() % 100_000);
        let lan = Lan {
            prefix,
            hosts,
            servers: Vec::new(),
        };
        let br = lan.bridge_ns();
        ip(&["netns", "add", &br]);
        ip(&["-n", &br, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &br, "link", "set", "br0", "up"]);
        for h in 0..hosts {
            let ns = lan.host_ns(h);
            let (inner, outer) = (format!("{}h{h}", lan.prefix), format!("{}b{h}", lan.prefix));
            ip(&["netns", "add", &ns]);
            // Created here and moved at once: neither end stays in the default namespace.
            ip(&[
                "link", "add", &inner, "netns", &ns, "type", "veth", "peer", "name", &outer,
                "netns", &br,
            ]);
            ip(&["-n", &br, "link", "set", &outer, "master", "br0"]);
            ip(&["-n", &br, "link", "set", &outer, "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.77.0.{}/24", h + 1),
                "dev",
                &inner,
            ]);
            ip(&["-n", &ns, "link", "set", &inner, "up", "multicast", "on"]);
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", &inner]);
        }
        lan
    }

    fn bridge_ns(&self) -> String {
        format!("{}br", self.prefix)
    }

    fn host_ns(&self, h: usize) -> String {
        format!("{}n{h}", self.prefix)
    }

    /// Starts `ivej serve` with LAN discovery inside host `h`'s namespace.
    fn serve(&mut self, h: usize, dir: &Path) {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.host_ns(h)])
            .arg(env!("CARGO_BIN_EXE_ivej-under-test"))
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", "0.0.0.0:7117"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ivej serve: {e}"));
        self.servers.push(child);
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for child in &mut self.servers {
            // SIGTERM, so the server ends its sessions cleanly; then make sure.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for child in &mut self.servers {
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for h in 0..self.hosts {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.host_ns(h)])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.bridge_ns()])
            .status();
    }
}

fn titles(dir: &Path) -> Vec<String> {
    crate::support::board_titles(dir)
}

#[test]
fn three_hosts_of_a_street_find_each_other_and_a_fourth_street_sees_nothing() {
    let root = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = (0..4)
        .map(|h| root.path().join(format!("host{h}")))
        .collect();
    ivej_ok(
        &dirs[0],
        &[
            "init",
            "--street",
            "Industrivej Regstrup",
            "--org",
            "Erhvervshus Holbæk",
        ],
    );
    for (h, name) in [(1, "Regstrup Smedie"), (2, "Virkelyst Plast")] {
        // Member invites without an address: the hosts must find each other by mDNS.
        let invite = ivej_json(&dirs[0], &["invite", "create"]);
        let code = invite["code"].as_str().unwrap();
        ivej_ok(&dirs[h], &["join", code, "--org", name]);
    }
    ivej_ok(
        &dirs[3],
        &[
            "init",
            "--street",
            "Another street",
            "--org",
            "Outsider ApS",
        ],
    );

    let mut lan = Lan::new(4);
    for (h, dir) in dirs.iter().enumerate() {
        lan.serve(h, dir);
    }
    ivej_ok(
        &dirs[0],
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.MACH.CNC",
            "--title",
            "Spare CNC hours",
        ],
    );

    let start = Instant::now();
    loop {
        let seen: Vec<bool> = dirs[1..3]
            .iter()
            .map(|d| titles(d) == vec!["Spare CNC hours".to_string()])
            .collect();
        if seen.iter().all(|s| *s) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the post did not reach hosts 1 and 2 by mDNS discovery: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    // The members also learned of each other's organisations.
    let members = ivej_json(&dirs[2], &["org", "list"]);
    assert_eq!(members.as_array().map(Vec::len), Some(3));
    // The fourth host, of another street, got nothing, and gave nothing.
    assert!(titles(&dirs[3]).is_empty());
    assert_eq!(
        ivej_json(&dirs[3], &["org", "list"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        ivej_json(&dirs[0], &["org", "list"])
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}
