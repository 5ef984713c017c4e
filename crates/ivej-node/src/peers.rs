//! Honest sync status per peer: when it was last seen and last fully synced, and whether
//! anything is pending in either direction (computed from the sync states, never assumed).

use ivej_model::{NodeEvent, PeerStatus, Via};
use ivej_store::StoredPeer;

use crate::clock;
use crate::error::NodeResult;
use crate::state::State;
use crate::Node;

/// How long the process holding a session vouches that it is live: the idle limit, after
/// which a session that heard nothing has ended anyway.
pub(crate) const LIVE_FOR_MS: i64 = 90_000;
/// While a session runs quietly, its status is stored at most this often, so that another
/// process (`ivej peers` beside `ivej serve`) reads the truth.
const STATUS_EVERY_MS: i64 = 2_000;

/// What the node remembers of a peer between sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PeerRecord {
    pub org_id: String,
    pub via: Via,
    /// A session with the peer runs in this process.
    pub connected: bool,
    /// Until when another process vouches for its session with the peer (Unix ms).
    pub live_until: Option<i64>,
    pub last_seen: Option<i64>,
    pub last_synced: Option<i64>,
}

impl PeerRecord {
    /// The row to store; `live` while a session with the peer runs in this process.
    pub(crate) fn stored(&self, device: &str, live: bool) -> StoredPeer {
        StoredPeer {
            device_id: device.to_string(),
            org_id: self.org_id.clone(),
            via: via_code(self.via).to_string(),
            last_seen: self.last_seen,
            last_synced: self.last_synced,
            live_until: live.then(|| clock::now_ms() + LIVE_FOR_MS),
        }
    }
}

fn via_code(via: Via) -> &'static str {
    match via {
        Via::Lan => "lan",
        Via::Relay => "relay",
    }
}

impl State {
    pub(crate) fn load_peers(&mut self) -> NodeResult<()> {
        for p in self.store.peers()? {
            // This process's own sessions know better than the rows.
            if self.peers.get(&p.device_id).is_some_and(|r| r.connected) {
                continue;
            }
            self.peers.insert(
                p.device_id,
                PeerRecord {
                    org_id: p.org_id,
                    via: if p.via == "relay" {
                        Via::Relay
                    } else {
                        Via::Lan
                    },
                    connected: false,
                    live_until: p.live_until,
                    last_seen: p.last_seen,
                    last_synced: p.last_synced,
                },
            );
        }
        Ok(())
    }

    /// Stores `peer`'s status and sync states if the last time is long enough ago: a
    /// quiet session's acknowledgements otherwise live only in this process's memory.
    /// Stored at once when what is pending changed (the end of a sync must not wait for
    /// the next message to be seen from outside).
    pub(crate) fn store_status_if_due(&mut self, peer: &str) -> NodeResult<()> {
        let now = clock::now_ms();
        let pending = self.pending_with(peer);
        if self
            .status_stored
            .get(peer)
            .is_some_and(|(at, was)| now - at < STATUS_EVERY_MS && *was == pending)
        {
            return Ok(());
        }
        self.status_stored.insert(peer.to_string(), (now, pending));
        let Some(row) = self.peers.get(peer).map(|r| r.stored(peer, true)) else {
            return Ok(());
        };
        let states: Vec<(String, Vec<u8>)> = self
            .sync_states
            .iter()
            .filter(|((p, _), _)| p == peer)
            .map(|((_, doc), state)| (doc.clone(), state.encode()))
            .collect();
        self.store.write(|w| {
            for (doc, state) in &states {
                w.put_sync_state(peer, doc, state)?;
            }
            w.put_peer(&row)
        })?;
        Ok(())
    }

    /// (pending out, pending in) with `peer` over every document this node shares with it.
    pub(crate) fn pending_with(&mut self, peer: &str) -> (bool, bool) {
        let mut keys: Vec<(String, String)> = self
            .sync_states
            .keys()
            .filter(|(p, _)| p == peer)
            .cloned()
            .collect();
        if keys.is_empty() {
            // None in memory (another process holds the session, or none ran since this
            // one opened): what was stored.
            for doc in self.store.sync_state_docs(peer).unwrap_or_default() {
                if self.sync_state(peer, &doc).is_ok() {
                    keys.push((peer.to_string(), doc));
                }
            }
        }
        if keys.is_empty() {
            return (true, false);
        }
        let (mut out, mut incoming) = (false, false);
        for key in keys {
            let Some(state) = self.sync_states.get(&key).cloned() else {
                continue;
            };
            let doc_id = key.1.as_str();
            let pending = if doc_id.starts_with("street:") {
                self.street.as_mut().map(|d| d.pending_with(&state))
            } else if doc_id.starts_with("private:") {
                self.private.as_mut().map(|d| d.pending_with(&state))
            } else {
                doc_id
                    .strip_prefix("minutes:")
                    .and_then(|m| self.minutes.get_mut(m))
                    .map(|d| d.pending_with(&state))
            };
            if let Some((o, i)) = pending {
                out |= o;
                incoming |= i;
            }
        }
        (out, incoming)
    }

    /// Notes a message from `peer`; marks it synced when nothing is pending either way.
    /// Returns the row to store.
    pub(crate) fn note_peer(&mut self, peer: &str) -> Option<PeerRecord> {
        let (out, incoming) = self.pending_with(peer);
        let now = clock::now_ms();
        let record = self.peers.get_mut(peer)?;
        record.last_seen = Some(now);
        if !out && !incoming {
            record.last_synced = Some(now);
        }
        Some(record.clone())
    }
}

impl Node {
    /// A session with `device` began.
    pub fn peer_connected(&self, device: &str, org_id: &str, via: Via) -> NodeResult<()> {
        let mut st = self.lock()?;
        let now = clock::now_ms();
        let previous = st.peers.get(device).cloned();
        let record = PeerRecord {
            org_id: org_id.to_string(),
            via,
            connected: true,
            live_until: None,
            last_seen: Some(now),
            last_synced: previous.and_then(|p| p.last_synced),
        };
        st.store
            .write(|w| w.put_peer(&record.stored(device, true)))?;
        st.peers.insert(device.to_string(), record);
        drop(st);
        self.emit(NodeEvent::PeerChanged {
            device_id: device.to_string(),
        });
        Ok(())
    }

    /// The session with `device` ended.
    /// Stores what the peer is known to have, so the next connection costs little.
    pub fn peer_disconnected(&self, device: &str) -> NodeResult<()> {
        let mut st = self.lock()?;
        let states: Vec<(String, Vec<u8>)> = st
            .sync_states
            .iter()
            .filter(|((p, _), _)| p == device)
            .map(|((_, doc), state)| (doc.clone(), state.encode()))
            .collect();
        st.status_stored.remove(device);
        let record = st.peers.get_mut(device).map(|p| {
            p.connected = false;
            p.clone()
        });
        st.store.write(|w| {
            for (doc, state) in &states {
                w.put_sync_state(device, doc, state)?;
            }
            if let Some(r) = &record {
                w.put_peer(&r.stored(device, false))?;
            }
            Ok(())
        })?;
        drop(st);
        self.emit(NodeEvent::PeerChanged {
            device_id: device.to_string(),
        });
        Ok(())
    }

    /// `device`'s session is alive (a keepalive arrived): noted, and stored now and then so
    /// another process sees the session too.
    pub fn peer_alive(&self, device: &str) -> NodeResult<()> {
        let mut st = self.lock()?;
        if let Some(record) = st.peers.get_mut(device) {
            record.last_seen = Some(clock::now_ms());
        }
        st.store_status_if_due(device)
    }

    /// Every peer this device has talked to, with what is pending.
    pub fn peer_statuses(&self) -> NodeResult<Vec<PeerStatus>> {
        let mut st = self.lock()?;
        let devices: Vec<String> = st.peers.keys().cloned().collect();
        let mut out = Vec::with_capacity(devices.len());
        for device in devices {
            let (pending_out, pending_in) = st.pending_with(&device);
            if let Some(p) = st.peers.get(&device) {
                out.push(PeerStatus {
                    device_id: device.clone(),
                    org_id: p.org_id.clone(),
                    via: p.via,
                    // Another process's session counts while that process vouches for it.
                    connected: p.connected
                        || p.live_until.is_some_and(|until| until > clock::now_ms()),
                    last_seen: p.last_seen,
                    last_synced: p.last_synced,
                    pending_out,
                    pending_in,
                });
            }
        }
        Ok(out)
    }
}
