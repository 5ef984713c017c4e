//! Finding peers of the same street on the LAN with mDNS (`_industrivej._tcp`).
//!
//! The announcement says nothing about who is there: the instance and host names are
//! derived from a hash of the device id, and the TXT record carries only a hash of the
//! street id keyed with the street secret (`s`) and the device id (`d`). A listener on the
//! LAN without the secret cannot tell which street, let alone which companies.

use std::net::SocketAddr;
use std::thread;

use blake2::digest::{KeyInit, Mac};
use blake2::Blake2sMac256;
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use tokio::sync::mpsc;

use crate::error::NetError;

pub const SERVICE_TYPE: &str = "_industrivej._tcp.local.";

/// A peer found on the LAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPeer {
    pub device_id: String,
    pub addresses: Vec<SocketAddr>,
}

/// The street's tag in announcements: the first 16 bytes of a keyed hash, as hex.
pub fn street_tag(secret: &[u8; 32], street_id: &str) -> String {
    ivej_model::hex::encode(&keyed_hash(secret, street_id.as_bytes())[..16])
}

pub(crate) fn keyed_hash(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    // A 32-byte key is always accepted.
    match <Blake2sMac256 as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

fn short_name(device_id: &str) -> String {
    ivej_model::hex::encode(&keyed_hash(&[0x49; 32], device_id.as_bytes())[..8])
}

/// Announces this device and reports peers of the same street while it lives.
pub struct Discovery {
    daemon: ServiceDaemon,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery").finish_non_exhaustive()
    }
}

fn mdns_error(e: mdns_sd::Error) -> NetError {
    NetError::Protocol(format!("mDNS: {e}"))
}

impl Discovery {
    /// Starts announcing `port` and browsing; found peers arrive on the returned channel.
    pub fn start(
        tag: &str,
        device_id: &str,
        port: u16,
    ) -> Result<(Discovery, mpsc::Receiver<FoundPeer>), NetError> {
        let daemon = ServiceDaemon::new().map_err(mdns_error)?;
        let name = short_name(device_id);
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &format!("ivej-{name}"),
            &format!("ivej-{name}.local."),
            "",
            port,
            [("s", tag), ("d", device_id)].as_slice(),
        )
        .map_err(mdns_error)?
        .enable_addr_auto();
        daemon.register(info).map_err(mdns_error)?;
        let events = daemon.browse(SERVICE_TYPE).map_err(mdns_error)?;
        let (tx, rx) = mpsc::channel(64);
        let (tag, me) = (tag.to_string(), device_id.to_string());
        thread::Builder::new()
            .name("mdns-browse".into())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    let ServiceEvent::ServiceResolved(service) = event else {
                        continue;
                    };
                    if service.get_property_val_str("s") != Some(tag.as_str()) {
                        continue;
                    }
                    let Some(device_id) = service.get_property_val_str("d") else {
                        continue;
                    };
                    if device_id == me {
                        continue;
                    }
                    let port = service.get_port();
                    let addresses = service
                        .get_addresses()
                        .iter()
                        .map(|ip| SocketAddr::new(ip.to_ip_addr(), port))
                        .collect();
                    let found = FoundPeer {
                        device_id: device_id.to_string(),
                        addresses,
                    };
                    if tx.blocking_send(found).is_err() {
                        break;
                    }
                }
            })
            .map_err(NetError::Io)?;
        Ok((Discovery { daemon }, rx))
    }
}

impl Drop for Discovery {
    fn drop(&mut self) {
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_depends_on_the_secret_and_hides_the_street() {
        let a = street_tag(&[1; 32], "street-1");
        assert_eq!(a.len(), 32);
        assert_eq!(a, street_tag(&[1; 32], "street-1"));
        assert_ne!(a, street_tag(&[2; 32], "street-1"));
        assert_ne!(a, street_tag(&[1; 32], "street-2"));
        assert!(!a.contains("street"));
    }
}
