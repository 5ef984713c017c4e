use serde::{Deserialize, Serialize};

/// How a peer is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Over the LAN (found by mDNS or dialled by address).
    Lan,
    /// Through a relay.
    Relay,
}

/// What the sync status screen shows for one peer device. `synced` is true only when
/// nothing is pending in either direction on a live connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub device_id: String,
    /// The peer's organisation as it said in its hello (empty if it failed to prove a claim).
    pub org_id: String,
    pub via: Via,
    pub connected: bool,
    /// Unix ms of the last message from the peer.
    pub last_seen: Option<i64>,
    /// Unix ms of the last moment both sides had everything of each other.
    pub last_synced: Option<i64>,
    /// This device has changes the peer has not confirmed.
    pub pending_out: bool,
    /// The peer has announced changes this device does not have yet.
    pub pending_in: bool,
}

impl PeerStatus {
    pub fn synced(&self) -> bool {
        self.connected && !self.pending_out && !self.pending_in
    }
}
