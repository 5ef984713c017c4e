//! Three members who never share a network, and a relay they all reach: four hosts in
//! network namespaces this test creates. Each member's host has a link to the relay's
//! host only, which forwards nothing, so a member can reach the relay and no other member.
//! They converge through the relay, live and by mailbox (one of them offline meanwhile).
//! The namespaces are removed afterwards, also when the test fails.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{ip, ivej_json, ivej_ok};

/// The relay's address, on its host's loopback, routed to from every member's host.
const RELAY_IP: &str = "10.78.0.1";

struct Hosts {
    prefix: String,
    members: usize,
    processes: Vec<(String, Child)>,
}

impl Hosts {
    fn new(members: usize) -> Hosts {
        let hosts = Hosts {
            prefix: format!("ir{}", std::process::id() % 100_000),
            members,
            processes: Vec::new(),
        };
        let relay = hosts.relay_ns();
        ip(&["netns", "add", &relay]);
        ip(&["-n", &relay, "link", "set", "lo", "up"]);
        ip(&[
            "-n",
            &relay,
            "addr",
            "add",
            &format!("{RELAY_IP}/32"),
            "dev",
            "lo",
        ]);
        for m in 0..members {
            let ns = hosts.member_ns(m);
            let (inner, outer) = (
                format!("{}m{m}", hosts.prefix),
                format!("{}r{m}", hosts.prefix),
            );
            ip(&["netns", "add", &ns]);
            ip(&[
                "link", "add", &inner, "netns", &ns, "type", "veth", "peer", "name", &outer,
                "netns", &relay,
            ]);
            let net = m + 1;
            ip(&[
                "-n",
                &relay,
                "addr",
                "add",
                &format!("10.78.{net}.1/24"),
                "dev",
                &outer,
            ]);
            ip(&["-n", &relay, "link", "set", &outer, "up"]);
            ip(&["-n", &ns, "link", "set", "lo", "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.78.{net}.2/24"),
                "dev",
                &inner,
            ]);
            ip(&["-n", &ns, "link", "set", &inner, "up", "multicast", "on"]);
            // mDNS inside the host's own network finds nobody (the LAN is the host alone).
            ip(&["-n", &ns, "route", "add", "224.0.0.0/4", "dev", &inner]);
            ip(&[
                "-n",
                &ns,
                "route",
                "add",
                &format!("{RELAY_IP}/32"),
                "via",
                &format!("10.78.{net}.1"),
            ]);
        }
        hosts
    }

    fn relay_ns(&self) -> String {
        format!("{}rl", self.prefix)
    }

    fn member_ns(&self, m: usize) -> String {
        format!("{}h{m}", self.prefix)
    }

    /// Runs `ivej ARGS` in namespace `ns`, kept under `name` until stopped.
    fn spawn(&mut self, name: &str, ns: &str, args: &[&str], stdout: Stdio) -> &mut Child {
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(env!("CARGO_BIN_EXE_ivej-under-test"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start ivej in {ns}: {e}"));
        self.processes.push((name.to_string(), child));
        &mut self.processes.last_mut().unwrap().1
    }

    /// Starts the relay; returns its key.
    fn relay(&mut self, store: &Path) -> String {
        let ns = self.relay_ns();
        let listen = format!("{RELAY_IP}:7118");
        let store = store.to_str().unwrap().to_string();
        let child = self.spawn(
            "relay",
            &ns,
            &["relay", "serve", "--listen", &listen, "--store", &store],
            Stdio::piped(),
        );
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let _ = lines.next();
        let key = lines.next().unwrap().unwrap();
        key.strip_prefix("key ").unwrap().to_string()
    }

    /// Starts `ivej serve` on member host `m` (with the LAN off for the last one: it must
    /// make no difference).
    fn serve(&mut self, m: usize, dir: &Path) {
        let ns = self.member_ns(m);
        let dir = dir.to_str().unwrap().to_string();
        let mut args = vec!["--data-dir", dir.as_str()];
        if m + 1 == self.members {
            args.push("--no-lan");
        }
        args.extend(["serve", "--listen", "0.0.0.0:7117"]);
        self.spawn(&format!("member {m}"), &ns, &args, Stdio::null());
    }

    /// Stops what runs under `name` with SIGTERM (as a user closing the app would).
    fn stop(&mut self, name: &str) {
        let Some(i) = self.processes.iter().position(|(n, _)| n == name) else {
            return;
        };
        let (_, mut child) = self.processes.remove(i);
        terminate(&mut child);
    }

    /// Whether host `m` can open a TCP connection to `addr`.
    fn reaches(&self, m: usize, addr: &str) -> bool {
        let ns = self.member_ns(m);
        let (host, port) = addr.rsplit_once(':').unwrap();
        Command::new("ip")
            .args(["netns", "exec", &ns, "timeout", "3", "bash", "-c"])
            .arg(format!("exec 3<>/dev/tcp/{host}/{port}"))
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for (_, child) in &mut self.processes {
            terminate(child);
        }
        for m in 0..self.members {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.member_ns(m)])
                .status();
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.relay_ns()])
            .status();
    }
}

fn eventually(what: &str, check: impl Fn() -> bool) {
    crate::support::eventually_within(Duration::from_secs(60), what, check);
}

fn titles(dir: &Path) -> Vec<String> {
    crate::support::board_titles(dir)
}

fn offer(dir: &Path, title: &str) {
    ivej_ok(
        dir,
        &[
            "post",
            "add",
            "--offer",
            "--kind",
            "CAP.SPACE",
            "--title",
            title,
        ],
    );
}

#[test]
fn three_members_on_separate_networks_converge_through_the_relay_live_and_by_mailbox() {
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let (f, b, c, relay_dir) = (
        dirs[0].path(),
        dirs[1].path(),
        dirs[2].path(),
        dirs[3].path(),
    );
    let mut hosts = Hosts::new(3);
    let key = hosts.relay(&relay_dir.join("relay.sqlite"));
    let relay = format!("{RELAY_IP}:7118");

    ivej_ok(
        f,
        &[
            "init",
            "--street",
            "Industrivej Regstrup",
            "--org",
            "Erhvervshus Holbæk",
        ],
    );
    ivej_ok(f, &["relay", "set", &relay, &key]);
    for (dir, name) in [(b, "Regstrup Smedie"), (c, "Holbæk Plast")] {
        let invite = ivej_json(f, &["invite", "create"]);
        ivej_ok(
            dir,
            &["join", invite["code"].as_str().unwrap(), "--org", name],
        );
    }
    offer(f, "Storage hall");
    for (m, dir) in [f, b, c].into_iter().enumerate() {
        hosts.serve(m, dir);
    }
    // The hosts reach the relay and not each other.
    assert!(hosts.reaches(0, &relay));
    assert!(
        !hosts.reaches(0, "10.78.2.2:7117"),
        "member hosts reach each other"
    );

    eventually("b and c to get f's offer through the relay", || {
        titles(b).contains(&"Storage hall".to_string())
            && titles(c).contains(&"Storage hall".to_string())
    });
    eventually("live sessions through the relay", || {
        let peers = ivej_json(f, &["peers"]);
        peers.as_array().is_some_and(|p| {
            p.iter()
                .filter(|p| p["via"] == "relay" && p["connected"] == true)
                .count()
                == 2
        })
    });
    offer(b, "Half-empty truck");
    eventually("b's offer at f and c", || {
        titles(f).contains(&"Half-empty truck".to_string())
            && titles(c).contains(&"Half-empty truck".to_string())
    });

    // c goes offline; b writes and goes offline too; c comes back while b is away: only
    // the mailbox holds b's offer.
    hosts.stop("member 2");
    offer(b, "Welding robot, weekends");
    eventually("b's new offer in the mailbox", || {
        ivej_json(b, &["relay", "show"])["pending_out"] == 0
            && titles(f).contains(&"Welding robot, weekends".to_string())
    });
    hosts.stop("member 1");
    hosts.stop("member 0");
    hosts.serve(2, c);
    eventually("c to catch up from the mailbox", || {
        titles(c).contains(&"Welding robot, weekends".to_string())
    });
    eventually("c's mailbox to show nothing pending", || {
        let shown = ivej_json(c, &["relay", "show"]);
        shown["connected"] == true && shown["pending_in"] == 0 && shown["pending_out"] == 0
    });
}
