//! Creates a street if there is none, then saves posts one by one and prints
//! `saved <id>` after each save returns, until it has written `count` or is killed.

use std::io::Write;
use std::process::ExitCode;

use ivej_model::{Direction, StreetKind};
use ivej_node::{CreateStreet, Node, NodeOptions, OrgProfile, PostInput};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(tag)) = (args.next(), args.next()) else {
        eprintln!("usage: crash-writer DATA_DIR TAG [COUNT]");
        return ExitCode::from(2);
    };
    let count: usize = args
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(usize::MAX);
    let mut options = NodeOptions::new(dir);
    options.lan_discovery = false;
    let node = match Node::open(options) {
        Ok(node) => node,
        Err(e) => {
            eprintln!("open failed: {e}");
            return ExitCode::from(3);
        }
    };
    if !node.has_street().unwrap_or(false) {
        let created = node.create_street(CreateStreet {
            name: "Crash street".into(),
            kind: StreetKind::MiniNetwork,
            region: String::new(),
            languages: vec![],
            org: OrgProfile {
                name: "Crash AB".into(),
                ..Default::default()
            },
        });
        if let Err(e) = created {
            eprintln!("create failed: {e}");
            return ExitCode::from(4);
        }
    }
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let mut input = PostInput::new(Direction::Offer, "CAP.SPACE", &format!("{tag} hall {i}"));
        input.body = "x".repeat(200 + i % 400);
        match node.create_post(input) {
            Ok(post) => {
                // Only now is the post acknowledged.
                if writeln!(out, "saved {}", post.id)
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    return ExitCode::from(5);
                }
            }
            Err(e) => {
                eprintln!("save failed: {e}");
                return ExitCode::from(6);
            }
        }
    }
    ExitCode::SUCCESS
}
