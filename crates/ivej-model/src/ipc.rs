//! What the frontend asks of the shell, beyond the record types themselves.

use serde::{Deserialize, Serialize};

use crate::input::OrgProfile;
use crate::street::StreetKind;
use crate::{Interest, Lang, Organisation, PeerStatus, PostView};

/// Onboarding: a new street with the facilitator's own organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateStreetRequest {
    pub street_name: String,
    pub org_name: String,
    pub kind: StreetKind,
    pub region: String,
}

/// Onboarding: joining a street with an invite code. The profile is needed when the invite
/// is for a new member, not for another device of an organisation already in the street.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub code: String,
    #[serde(default)]
    pub profile: Option<OrgProfile>,
}

/// An interest as its reader sees it: with the name of the organisation that sent it, or
/// `None` while brokered interest is not yet revealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterestView {
    pub interest: Interest,
    pub org_name: Option<String>,
}

/// One post opened in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostDetail {
    pub view: PostView,
    /// The author, unless the post is anonymous to this reader.
    pub author: Option<Organisation>,
    /// This device's organisation wrote it.
    pub mine: bool,
    /// It may change it: its author, or the facilitator.
    pub can_edit: bool,
    /// Interest shown in it: all of it for the author, only one's own for everybody else.
    pub interests: Vec<InterestView>,
}

/// An entry of the members directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub org: Organisation,
    /// From this organisation's premises, when both have a location.
    pub distance_km: Option<f64>,
    /// Open offers and needs under its name (anonymous needs are not counted).
    pub open_posts: u32,
    pub own: bool,
}

/// A member opened in full: its CV and its open posts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub member: MemberView,
    pub posts: Vec<PostView>,
}

/// A peer device on the sync status screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerView {
    pub status: PeerStatus,
    pub org_name: Option<String>,
}

/// The sync status screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub peers: Vec<PeerView>,
    /// The user's setting.
    pub lan_discovery: bool,
    /// False when the app was started with `--no-lan`: the setting then has no effect.
    pub lan_allowed: bool,
    /// Where this device accepts peers (`0.0.0.0:7117`), when the network side runs.
    pub listening_on: Option<String>,
    /// Peers dialled by address.
    pub peer_addresses: Vec<String>,
    /// The relay and its mailbox.
    pub relay: RelayStatus,
}

/// The relay this device uses and where its mailbox stands: the sync screen and
/// `ivej relay show`. Never "nothing pending" while the relay reported entries this device
/// has not taken.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RelayStatus {
    pub relay: Option<crate::RelayRef>,
    /// The relay's key as 64 hexadecimal digits (as `ivej relay serve` prints it).
    pub key: Option<String>,
    /// A process on this data directory holds a connection to it.
    pub connected: bool,
    /// Documents with changes the mailbox does not hold yet.
    pub pending_out: usize,
    /// Entries in the mailbox this device has not taken yet.
    pub pending_in: u64,
}

/// A new member's invite as the facilitator hands it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteView {
    pub code: String,
    /// The code as a QR image (SVG markup).
    pub qr_svg: String,
}

/// Preferences of this device's user.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UiSettings {
    /// `None` follows the system's language.
    pub language: Option<Lang>,
}

/// An action item with the names the meeting screen shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    pub action: crate::ActionItem,
    pub owner_name: Option<String>,
    /// When the meeting it was agreed at took place.
    pub from_meeting: Option<crate::LocalDateTime>,
}

/// One organisation's attendance line on the meeting screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttendanceLine {
    pub org_id: String,
    pub name: String,
    pub present: bool,
    pub people: u32,
}

/// The meeting screen: the meeting, its minutes, what was agreed there, what carries over
/// from earlier meetings, and what was captured from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingView {
    pub meeting: crate::Meeting,
    pub host_name: Option<String>,
    pub minutes_text: String,
    pub in_confidence: bool,
    pub decisions: Vec<crate::Decision>,
    pub attendance: Vec<AttendanceLine>,
    pub actions: Vec<ActionView>,
    pub carried_over: Vec<ActionView>,
    pub captured_posts: Vec<PostView>,
    pub captured_collaborations: Vec<crate::Collaboration>,
}

/// A line of the meetings list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingRow {
    pub meeting: crate::Meeting,
    pub host_name: Option<String>,
}

/// What a device may do in the street, as its certificate says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    Observer,
    Member,
    Facilitator,
}

impl DeviceRole {
    pub fn name(self) -> &'static str {
        match self {
            DeviceRole::Observer => "observer",
            DeviceRole::Member => "member",
            DeviceRole::Facilitator => "facilitator",
        }
    }
}

/// A device whose certificate this node knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub device_id: String,
    pub org_id: String,
    pub org_name: Option<String>,
    pub role: DeviceRole,
    pub label: String,
    /// When its certificate was issued (Unix ms).
    pub enrolled_at: i64,
    /// This is the device the node runs on.
    pub this_device: bool,
    /// Why it is out of the street, if it is.
    pub revoked: Option<String>,
}

/// A change refused from a peer: not applied, not stored, not passed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalView {
    pub at: i64,
    /// The device that sent it.
    pub device_id: String,
    pub org_name: Option<String>,
    /// The device that made it, when that is another one (a change passed on).
    pub author: String,
    pub doc_id: String,
    pub reason: String,
}

/// Whether suggestions read meaning across languages, and how far: the multilingual model
/// reads each open post and service once, in the background.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeaningStatus {
    /// The model is installed and loads: suggestions use meaning beside words.
    pub available: bool,
    /// Why it is not, when a model file was found but does not load.
    pub problem: Option<String>,
    /// Open posts and services read so far, of all.
    pub read: usize,
    pub total: usize,
}

/// What a CSV export holds: what a facilitator pastes into a funder's spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvExport {
    /// The board: every post this device may read, in every status.
    Posts,
    /// The member directory.
    Members,
    /// Collaborations and their stage and value.
    Collaborations,
    /// Each meeting and who came.
    Attendance,
}

impl CsvExport {
    pub const ALL: [CsvExport; 4] = [
        CsvExport::Posts,
        CsvExport::Members,
        CsvExport::Collaborations,
        CsvExport::Attendance,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CsvExport::Posts => "posts",
            CsvExport::Members => "members",
            CsvExport::Collaborations => "collaborations",
            CsvExport::Attendance => "attendance",
        }
    }

    pub fn from_code(code: &str) -> Option<CsvExport> {
        CsvExport::ALL.into_iter().find(|e| e.code() == code)
    }
}
