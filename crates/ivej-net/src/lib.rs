//! Transports of Industrivej: TCP sessions between devices of one street, encrypted and
//! mutually authenticated with Noise (`XXpsk3_25519_ChaChaPoly_BLAKE2s`; the pre-shared key
//! is the street secret, the static keys are device identities), carrying the node's
//! sans-IO sync messages.
//!
//! A device without the street secret fails the handshake and learns nothing. Whatever a
//! peer sends is untrusted: malformed frames or messages end that session, never the process.
//!
//! Discovery on the LAN is mDNS (`discovery`); `serve` runs a node's whole network side.
//! `relayed` keeps a node on the street's relay (`ivej-relay`): the mailbox in step, and
//! live sessions through it with members on other networks.

mod channel;
mod discovery;
mod error;
mod identity;
mod relayed;
mod serve;
mod session;
mod wire;

pub use channel::{NoiseChannel, NoiseReader, NoiseWriter, Reassembly, MAX_MESSAGE, NOISE_PARAMS};
pub use discovery::{day_number, device_pseudonym, street_tag, Discovery, FoundPeer, SERVICE_TYPE};
pub use error::NetError;
pub use identity::DeviceKeys;
pub use serve::{default_listen, serve, ServeOptions, Server, DEFAULT_PORT};
pub use session::{
    connect, connect_with, serve_connection, serve_relayed, Listener, SessionLimits, SessionReport,
    MAX_SESSIONS, MAX_UNADMITTED_PER_ADDRESS,
};
pub use wire::WireMessage;
