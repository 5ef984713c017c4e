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
//! store sit behind the `server` feature, PostgreSQL storage (several stateless instances
//! over one database) behind `postgres`. The relay is pinned by the invite (its address
//! and static key), so no certificate authority or TLS set-up is needed.
//!
//! What the relay must never do: hold a street's key, read a bundle past its header, or
//! let a connection list or write a topic whose key it has not proven.

pub mod channel;
pub mod client;
#[cfg(feature = "server")]
pub mod limits;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod proto;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod sqlite;
pub mod store;

pub use client::{join, Push, RelayClient};
pub use proto::{Entry, ErrorCode};
pub use store::Listing;

/// Where a relay is and the static key it must prove (an invite carries it as
/// `ivej_model::RelayRef`, which also reads it from text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayAddress {
    /// `host:port`.
    pub addr: String,
    pub key: [u8; 32],
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
}
