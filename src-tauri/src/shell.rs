//! What the shell holds: the node (or why it could not be opened).

use std::path::PathBuf;

use ivej_model::{ApiError, ErrorCode};
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
            lan_discovery: !std::env::var("IVEJ_NO_LAN").is_ok_and(|v| !v.is_empty() && v != "0"),
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
    node: Result<Node, ApiError>,
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
                Node::open(node_options).map_err(|e| e.to_api())
            }
            None => Err(ApiError {
                code: ErrorCode::Storage,
                message: "no data directory could be found; start with --data-dir".into(),
                fields: Vec::new(),
            }),
        };
        Shell { node }
    }

    /// The node, or the error that kept it from opening (shown by the UI).
    pub fn node(&self) -> Result<&Node, ApiError> {
        self.node.as_ref().map_err(Clone::clone)
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
