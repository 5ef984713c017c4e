use serde::{Deserialize, Serialize};

/// What changed in the node, for the UI to refresh live. Events name records, never carry
/// them: the receiver asks for the current state, so a missed event costs nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum NodeEvent {
    StreetOpened,
    StreetChanged,
    OrganisationChanged {
        id: String,
    },
    PostChanged {
        id: String,
    },
    InterestChanged {
        id: String,
    },
    MeetingChanged {
        id: String,
    },
    MinutesChanged {
        meeting_id: String,
    },
    ActionChanged {
        id: String,
    },
    CollaborationChanged {
        id: String,
    },
    RelationshipChanged {
        key: String,
    },
    ServiceChanged {
        id: String,
    },
    PrivateChanged,
    /// What suggestions show changed without any post changing: a suggestion dismissed
    /// or restored (here or on another of the company's devices), or the meaning model
    /// read more posts.
    SuggestionsChanged,
    /// A peer connected or disconnected: the sync screen's status changed. (Also what tells
    /// a session that a newer one with the same device took its place.)
    PeerChanged {
        device_id: String,
    },
    /// A certificate or a revocation arrived, or this device revoked one: who is in the
    /// street changed (sessions check their peer again).
    MembershipChanged,
    /// Changes from this peer were refused (see `Node::refusals`).
    ChangeRefused {
        device_id: String,
    },
    /// The relay this device uses, or what is pending with its mailbox, changed: the sync
    /// screen's status changed (no document did).
    RelayChanged,
}
