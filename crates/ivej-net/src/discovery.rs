//! Finding peers of the same street on the LAN with mDNS (`_industrivej._tcp`).
//!
//! The announcement says nothing about who is there, and nothing an outsider could follow
//! from one day to the next: the instance name and the TXT records are keyed hashes under
//! the street secret of the day's number (`t`) and the street id (`s`) or the device id
//! (`d`, also the instance name). A listener on the LAN without the secret cannot tell which
//! street or which device, and sees new names every day. Members, who hold the secret,
//! recognise their street's tag for the day before, of and after their own (clocks differ).

use std::net::SocketAddr;
use std::thread;

use blake2::digest::{KeyInit, Mac};
use blake2::Blake2sMac256;
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use tokio::sync::mpsc;

use crate::error::NetError;

pub const SERVICE_TYPE: &str = "_industrivej._tcp.local.";

/// A peer found on the LAN: its pseudonym for the day it announced, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPeer {
    /// The day (`t`) and pseudonym (`d`) it announced; ordering these decides which of two
    /// devices dials (both see the same two announcements).
    pub day: u32,
    pub pseudonym: String,
    pub addresses: Vec<SocketAddr>,
}

/// The day's number (days since 1970, UTC): what names rotate with.
pub fn day_number(unix_ms: i64) -> u32 {
    u32::try_from(unix_ms.div_euclid(86_400_000)).unwrap_or(0)
}

/// The street's tag in the day's announcements: the first 16 bytes of a keyed hash, as hex.
pub fn street_tag(secret: &[u8; 32], street_id: &str, day: u32) -> String {
    let mut data = b"street\0".to_vec();
    data.extend_from_slice(&day.to_be_bytes());
    data.extend_from_slice(street_id.as_bytes());
    ivej_model::hex::encode(&keyed_hash(secret, &data)[..16])
}

/// A device's name in the day's announcements.
pub fn device_pseudonym(secret: &[u8; 32], device_id: &str, day: u32) -> String {
    let mut data = b"device\0".to_vec();
    data.extend_from_slice(&day.to_be_bytes());
    data.extend_from_slice(device_id.as_bytes());
    ivej_model::hex::encode(&keyed_hash(secret, &data)[..12])
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
    /// Starts announcing `port` for `day` and browsing; found peers of the street arrive
    /// on the returned channel.
    pub fn start(
        secret: &[u8; 32],
        street_id: &str,
        device_id: &str,
        day: u32,
        port: u16,
    ) -> Result<(Discovery, mpsc::Receiver<FoundPeer>), NetError> {
        let daemon = ServiceDaemon::new().map_err(mdns_error)?;
        let name = device_pseudonym(secret, device_id, day);
        let tag = street_tag(secret, street_id, day);
        let day_text = day.to_string();
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &format!("ivej-{name}"),
            &format!("ivej-{name}.local."),
            "",
            port,
            [
                ("s", tag.as_str()),
                ("d", name.as_str()),
                ("t", day_text.as_str()),
            ]
            .as_slice(),
        )
        .map_err(mdns_error)?
        .enable_addr_auto();
        daemon.register(info).map_err(mdns_error)?;
        let events = daemon.browse(SERVICE_TYPE).map_err(mdns_error)?;
        let (tx, rx) = mpsc::channel(64);
        // The street's tags for the days around this one, whichever day a peer's clock says.
        let tags: Vec<(u32, String)> = [day.saturating_sub(1), day, day.saturating_add(1)]
            .into_iter()
            .map(|d| (d, street_tag(secret, street_id, d)))
            .collect();
        let me = name;
        thread::Builder::new()
            .name("mdns-browse".into())
            .spawn(move || {
                while let Ok(event) = events.recv() {
                    let ServiceEvent::ServiceResolved(service) = event else {
                        continue;
                    };
                    let (Some(tag), Some(pseudonym), Some(their_day)) = (
                        service.get_property_val_str("s"),
                        service.get_property_val_str("d"),
                        service
                            .get_property_val_str("t")
                            .and_then(|t| t.parse::<u32>().ok()),
                    ) else {
                        continue;
                    };
                    if !tags.iter().any(|(d, t)| *d == their_day && t == tag) || pseudonym == me {
                        continue;
                    }
                    let port = service.get_port();
                    let addresses = service
                        .get_addresses()
                        .iter()
                        .map(|ip| SocketAddr::new(ip.to_ip_addr(), port))
                        .collect();
                    let found = FoundPeer {
                        day: their_day,
                        pseudonym: pseudonym.to_string(),
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
    fn names_depend_on_the_secret_hide_the_street_and_the_device_and_change_every_day() {
        let a = street_tag(&[1; 32], "street-1", 20_000);
        assert_eq!(a.len(), 32);
        assert_eq!(a, street_tag(&[1; 32], "street-1", 20_000));
        assert_ne!(a, street_tag(&[2; 32], "street-1", 20_000));
        assert_ne!(a, street_tag(&[1; 32], "street-2", 20_000));
        assert_ne!(
            a,
            street_tag(&[1; 32], "street-1", 20_001),
            "a new tag each day"
        );
        assert!(!a.contains("street"));
        let d = device_pseudonym(&[1; 32], "019ab3c4-device", 20_000);
        assert_ne!(d, device_pseudonym(&[1; 32], "019ab3c4-device", 20_001));
        assert_ne!(d, device_pseudonym(&[2; 32], "019ab3c4-device", 20_000));
        assert!(!d.contains("019ab3c4"));
        assert_eq!(day_number(86_400_000 * 3 + 5), 3);
        assert_eq!(day_number(-1), 0);
    }
}
