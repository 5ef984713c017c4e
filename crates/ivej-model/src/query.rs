use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::ids::OrgId;
use crate::organisation::Organisation;
use crate::post::{Direction, Post, PostStatus};
use crate::street::Street;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostSort {
    #[default]
    Newest,
    /// Nearest first; needs [`PostFilter::near`].
    Distance,
    /// Best full-text match first; needs [`PostFilter::text`].
    Relevance,
}

/// What the board asks for. Empty lists mean "any".
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PostFilter {
    pub direction: Option<Direction>,
    /// Taxonomy codes; a parent code also matches its children.
    pub kinds: Vec<String>,
    /// NACE codes of the author's industry: a section letter or a division.
    pub industries: Vec<String>,
    pub near: Option<GeoPoint>,
    pub within_km: Option<f64>,
    /// Statuses as a reader sees them today; empty means open or in dialogue.
    pub statuses: Vec<PostStatus>,
    pub text: Option<String>,
    pub org_id: Option<OrgId>,
    pub sort: PostSort,
    pub limit: Option<u32>,
}

/// A post as the board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    pub post: Post,
    /// The author's name, or `None` for an anonymous need.
    pub org_name: Option<String>,
    /// The status as of today (an open post past its expiry reads as expired).
    pub status: PostStatus,
    pub distance_km: Option<f64>,
    /// Expires within a week: the board offers to renew it.
    pub expiring_soon: bool,
}

/// The street at a glance: what the window title and the start screen need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreetSummary {
    pub street: Street,
    pub own_org: Option<Organisation>,
    pub members: u32,
    pub active_posts: u32,
    pub meetings: u32,
    /// Stored chunks that would not load and were kept aside when the data directory was
    /// opened; what they held comes back with the next sync.
    #[serde(default)]
    pub damaged_chunks: u32,
    /// This device's role, as its certificate says (`None` before it has one).
    #[serde(default)]
    pub role: Option<crate::ipc::DeviceRole>,
}

impl StreetSummary {
    /// Whether this device's organisation facilitates the street.
    pub fn is_facilitator(&self) -> bool {
        if let Some(role) = self.role {
            return role == crate::ipc::DeviceRole::Facilitator;
        }
        self.own_org
            .as_ref()
            .is_some_and(|o| o.id == self.street.facilitator_org)
    }
}
