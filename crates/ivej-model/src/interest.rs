use serde::{Deserialize, Serialize};

use crate::ids::{InterestId, OrgId, PostId};
use crate::validate::{limits, Checks, Validate, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum InterestStatus {
    Sent,
    Accepted,
    Declined,
}

/// "I am interested" from one organisation on a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Interest {
    pub id: InterestId,
    pub post_id: PostId,
    pub from_org: OrgId,
    pub message: String,
    pub status: InterestStatus,
    /// Sent through the facilitator, who reveals identities on acceptance.
    pub brokered: bool,
    pub answer: String,
    pub created_at: i64,
    pub answered_at: Option<i64>,
    /// Brokered interest, accepted: the organisation behind the anonymous post, as the
    /// facilitator's device reveals it to the interested one. (Missing in records an
    /// earlier version wrote.)
    #[serde(default)]
    #[cfg_attr(feature = "automerge", autosurgeon(missing = "none"))]
    pub revealed_author: Option<OrgId>,
}

#[cfg(feature = "automerge")]
fn none<T>() -> Option<T> {
    None
}

/// The author a brokered copy of an anonymous need names: no organisation at all. Only the
/// facilitator's devices write it (peers refuse a member that does), and the author's
/// own post stays in a document only its devices and the facilitator's hold.
pub const BROKERED_ORG: &str = "brokered";

impl Validate for Interest {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.text("message", &self.message, limits::SHORT * 4);
        c.text("answer", &self.answer, limits::SHORT * 4);
        if let Some(at) = self.answered_at {
            c.in_order("created_at", &self.created_at, "answered_at", &at);
        }
        c.finish()
    }
}
