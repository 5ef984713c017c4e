//! The blind relay: how members of a street on different networks reach each other
//! without a server that can read anything.
//!
//! - **Live**: two members online at once each ask the relay for the other by a
//!   rendezvous name; the relay pairs their connections and copies bytes. The members'
//!   own Noise session (certificates and all) runs inside, unchanged.
//! - **Mailbox**: members not online together leave sealed bundles under topic ids
//!   (`ivej_trust::mailbox`) and fetch what is new after their cursor.
//!
//! The client is always built (`client`, `proto`, `channel`); the server and its SQLite
//! store sit behind the `server` feature. The relay is pinned by the invite (its address
//! and static key), so no certificate authority or TLS set-up is needed.
//!
//! What the relay must never do: hold a street's key, read a bundle past its header, or
//! let a connection list or write a topic whose key it has not proven.

pub mod channel;
pub mod client;
#[cfg(feature = "server")]
pub mod limits;
pub mod proto;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod sqlite;
pub mod store;

pub use client::{join, Push, RelayClient};
pub use proto::{Entry, ErrorCode};
pub use store::Listing;

/// Where a relay is and the static key it must prove: what an invite carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayAddress {
    /// `host:port`.
    pub addr: String,
    pub key: [u8; 32],
}

impl RelayAddress {
    /// From `host:port` and the key as 64 hex digits.
    pub fn parse(addr: &str, key_hex: &str) -> Result<RelayAddress, RelayError> {
        let addr = addr.trim();
        let valid_port = addr.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0)
        });
        if !valid_port {
            return Err(RelayError::BadAddress(addr.to_string()));
        }
        let key_hex = key_hex.trim();
        if key_hex.len() != 64 || !key_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RelayError::BadKey);
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&key_hex[2 * i..2 * i + 2], 16)
                .map_err(|_| RelayError::BadKey)?;
        }
        Ok(RelayAddress {
            addr: addr.to_string(),
            key,
        })
    }

    pub fn key_hex(&self) -> String {
        self.key.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    #[error("the relay's handshake failed (is the key right?): {0}")]
    Handshake(String),
    #[error("relay protocol: {0}")]
    Protocol(&'static str),
    #[error("the relay did not answer in time")]
    Timeout,
    #[error("the connection to the relay closed")]
    Closed,
    #[error("the relay refused ({code:?}): {text}")]
    Refused {
        code: ErrorCode,
        retry_after: std::time::Duration,
        text: String,
    },
    #[error("not a relay address (host:port): {0}")]
    BadAddress(String),
    #[error("a relay key is 64 hexadecimal digits")]
    BadKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_address_needs_a_port_and_a_whole_key() {
        let key = "ab".repeat(32);
        let a = RelayAddress::parse("relay.example:7118", &key).unwrap();
        assert_eq!(a.key, [0xab; 32]);
        assert_eq!(a.key_hex(), key);
        assert!(RelayAddress::parse("relay.example", &key).is_err());
        assert!(RelayAddress::parse(":7118", &key).is_err());
        assert!(RelayAddress::parse("relay.example:0", &key).is_err());
        assert!(RelayAddress::parse("relay.example:7118", "abc").is_err());
        assert!(RelayAddress::parse("relay.example:7118", &"zz".repeat(32)).is_err());
    }
}
