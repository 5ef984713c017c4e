//! `ivej relay`: running a relay (no data directory of a street needed), and the relay
//! this device uses.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ivej_node::Node;
use ivej_relay::postgres::PostgresStore;
use ivej_relay::server::{RelayLimits, RelayServer};
use ivej_relay::sqlite::SqliteStore;

use crate::cli::RelayCommand;
use crate::output;

/// The relay's static key: read, or made on the first start (readable only by its user).
fn static_key(path: &Path) -> Result<[u8; 32]> {
    match std::fs::read(path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            anyhow::anyhow!(
                "{} is not a relay key (32 bytes); members pin the key that goes with it, \
                 so it is never replaced: move it aside only to start a new relay",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = rand::random();
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            std::fs::write(path, key)
                .with_context(|| format!("cannot write {}", path.display()))?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Where a relay keeps its bundles.
#[derive(Debug)]
pub enum Storage {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Runs a relay until SIGTERM or Ctrl-C.
pub fn serve(
    listen: std::net::SocketAddr,
    storage: Storage,
    key_file: &Path,
    grace_days: u32,
) -> Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let key = static_key(key_file)?;
    let limits = RelayLimits {
        grace: Duration::from_secs(u64::from(grace_days) * 24 * 3600),
        ..RelayLimits::default()
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the network runtime")?;
    runtime.block_on(async move {
        let server = match storage {
            Storage::Sqlite(path) => {
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("cannot create {}", parent.display()))?;
                }
                let store = SqliteStore::open(&path)
                    .with_context(|| format!("cannot open the relay's store {}", path.display()))?;
                RelayServer::bind(listen, key, store, limits).await
            }
            Storage::Postgres(url) => {
                let store = PostgresStore::connect(&url)
                    .await
                    .context("cannot use the PostgreSQL database")?;
                RelayServer::bind(listen, key, store, limits).await
            }
        }
        .with_context(|| format!("cannot listen on {listen}"))?;
        let key_hex = ivej_model::hex::encode(&server.public_key());
        // What a facilitator types into `ivej relay set`.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "relay listening on {}", server.local_addr());
        let _ = writeln!(out, "key {key_hex}");
        let _ = out.flush();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        server.shutdown().await;
        Ok(())
    })
}

/// `ivej relay set|clear|show` on this device.
pub fn device(node: &Node, cmd: RelayCommand, json: bool) -> Result<()> {
    match cmd {
        RelayCommand::Serve { .. } => bail!("`ivej relay serve` runs without a street"),
        RelayCommand::Set { address, key } => {
            let relay = node.use_relay(&address, &key)?;
            if !json {
                println!("This device uses the relay at {}.", relay.address);
            }
            Ok(())
        }
        RelayCommand::Clear => {
            node.set_relay(None)?;
            if !json {
                println!("This device uses no relay.");
            }
            Ok(())
        }
        RelayCommand::Show => output::show(json, &node.relay_status()?, output::relay),
    }
}
