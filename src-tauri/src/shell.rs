//! What the shell holds: the node (or why it could not be opened).

use std::path::PathBuf;

use ivej_model::{ApiError, ErrorCode};
use std::sync::{Arc, Mutex};

use ivej_node::{Node, NodeOptions};

/// How the app was started.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellOptions {
    pub data_dir: Option<PathBuf>,
    pub lan_discovery: bool,
}

impl ShellOptions {
    /// `--data-dir DIR` (or `IVEJ_DATA_DIR`), `--no-lan` (or `IVEJ_NO_LAN=1`).
    pub fn from_env(args: impl IntoIterator<Item = String>) -> Self {
        let mut options = ShellOptions {
            data_dir: std::env::var_os("IVEJ_DATA_DIR").map(PathBuf::from),
            lan_discovery: !ivej_node::env_says_yes("IVEJ_NO_LAN"),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--data-dir" => options.data_dir = args.next().map(PathBuf::from),
                "--no-lan" => options.lan_discovery = false,
                _ => {}
            }
        }
        options
    }
}

/// The state every command reaches.
#[derive(Debug)]
pub struct Shell {
    node: Result<Arc<Node>, ApiError>,
    /// The network side, once the data directory holds a street.
    network: Mutex<Option<ivej_net::Server>>,
    /// Held while the network side starts or stops, so two quick switches of LAN discovery
    /// never start two servers.
    network_switch: tokio::sync::Mutex<()>,
}

impl Shell {
    pub fn open(options: ShellOptions) -> Self {
        let data_dir = options
            .data_dir
            .or_else(|| dirs::data_dir().map(|d| d.join("industrivej")));
        let node = match data_dir {
            Some(dir) => {
                let mut node_options = NodeOptions::new(dir);
                node_options.lan_discovery = options.lan_discovery;
                node_options.meaning_model = ivej_node::meaning::find_model(&node_options.data_dir);
                Node::open(node_options)
                    .map(Arc::new)
                    .map_err(|e| e.to_api())
            }
            None => Err(ApiError {
                code: ErrorCode::Storage,
                message: "no data directory could be found; start with --data-dir".into(),
                fields: Vec::new(),
            }),
        };
        Shell {
            node,
            network: Mutex::new(None),
            network_switch: tokio::sync::Mutex::new(()),
        }
    }

    /// The node, or the error that kept it from opening (shown by the UI).
    pub fn node(&self) -> Result<&Node, ApiError> {
        self.node.as_deref().map_err(Clone::clone)
    }

    /// The node, to hand to a task that outlives the command.
    pub fn shared_node(&self) -> Option<Arc<Node>> {
        self.node.as_ref().ok().cloned()
    }

    /// Where the network side accepts peers, when it runs.
    pub fn listening_on(&self) -> Option<String> {
        let network = self.network.lock().ok()?;
        network.as_ref().map(|s| s.local_addr().to_string())
    }

    /// "Sync now": dials every peer that is not connected at once.
    pub fn sync_now(&self) {
        if let Ok(network) = self.network.lock() {
            if let Some(server) = network.as_ref() {
                server.sync_now();
            }
        }
    }

    /// Starts dialling a peer by address (and remembers it in the node).
    pub fn add_peer(&self, address: &str) -> Result<(), ApiError> {
        let node = self.node()?;
        let address = address.trim();
        let bad = |field_problem: ivej_model::Problem| ApiError {
            code: ErrorCode::Validation,
            message: format!("`{address}` is not an address: write it as host:port"),
            fields: vec![ivej_model::FieldError {
                field: "address".into(),
                problem: field_problem,
            }],
        };
        if address.is_empty() {
            return Err(bad(ivej_model::Problem::Empty));
        }
        let port_ok = address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(bad(ivej_model::Problem::NotAllowed {
                value: address.to_string(),
                allowed: "host:port".into(),
            }));
        }
        node.add_peer_address(address).map_err(|e| e.to_api())?;
        if let Ok(mut network) = self.network.lock() {
            if let Some(server) = network.as_mut() {
                // Not resolvable now (offline, say): it is stored and dialled at next start.
                let _ = server.dial(address);
            }
        }
        Ok(())
    }

    /// Stops the network side, so that [`Shell::start_network`] starts it with new settings.
    pub async fn stop_network(&self) {
        let _switching = self.network_switch.lock().await;
        let server = self.network.lock().ok().and_then(|mut n| n.take());
        if let Some(server) = server {
            server.shutdown().await;
        }
    }

    /// Starts syncing with peers (LAN discovery unless switched off) once there is a street;
    /// does nothing when it already runs or there is no street yet. A failure to start (the
    /// port is taken by `ivej serve` on the same directory, say) leaves the app working
    /// offline.
    pub async fn start_network(&self) {
        let _switching = self.network_switch.lock().await;
        let Ok(node) = self.node.as_ref() else {
            return;
        };
        if !node.has_street().unwrap_or(false) {
            return;
        }
        if self.network.lock().map(|n| n.is_some()).unwrap_or(true) {
            return;
        }
        let lan = node.options().lan_discovery && node.lan_discovery_enabled().unwrap_or(true);
        let options = ivej_net::ServeOptions {
            lan_discovery: lan,
            listen: ivej_net::default_listen(lan),
            ..Default::default()
        };
        match ivej_net::serve(node.clone(), options).await {
            Ok(server) => {
                if let Ok(mut slot) = self.network.lock() {
                    *slot = Some(server);
                }
            }
            Err(e) => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "Industrivej works offline: the network side did not start: {e}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_flags() {
        let o =
            ShellOptions::from_env(["--data-dir".to_string(), "/tmp/x".into(), "--no-lan".into()]);
        assert_eq!(o.data_dir, Some(PathBuf::from("/tmp/x")));
        assert!(!o.lan_discovery);
    }
}
