use serde::{Deserialize, Serialize};

use crate::ids::OrgId;
use crate::text::LongText;
use crate::validate::{limits, Checks, Validate, ValidationErrors};

/// A public promoter's offer (export advice, development cheques, mentoring), after
/// CPSV-AP's fields. Fields added after the first version read as empty in records an
/// earlier version wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Service {
    pub id: String,
    /// The organisation that lists it (and edits it).
    pub provider_org: OrgId,
    pub name: String,
    /// Who provides it, when not the organisation that lists it (a regional directory
    /// lists many agencies' services).
    #[serde(default)]
    #[cfg_attr(feature = "automerge", autosurgeon(missing = "Default::default"))]
    pub provider_name: String,
    pub description: LongText,
    pub target_group: String,
    /// The phases of going abroad it serves.
    #[serde(default)]
    #[cfg_attr(feature = "automerge", autosurgeon(missing = "Default::default"))]
    pub phases: Vec<ExportPhase>,
    pub cost: String,
    pub languages: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "automerge", autosurgeon(missing = "Default::default"))]
    pub region: String,
    /// The contact point.
    pub contact: String,
    #[serde(default)]
    #[cfg_attr(feature = "automerge", autosurgeon(missing = "Default::default"))]
    pub channels: Vec<Channel>,
    pub created_at: i64,
}

/// Where a company stands in going abroad, as the Finnish regional database sorts its
/// services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum ExportPhase {
    /// Thinking about it.
    Considering,
    /// First markets.
    Starting,
    /// Growing abroad.
    Expanding,
    /// Abroad for years.
    Established,
}

impl ExportPhase {
    pub const ALL: [ExportPhase; 4] = [
        ExportPhase::Considering,
        ExportPhase::Starting,
        ExportPhase::Expanding,
        ExportPhase::Established,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ExportPhase::Considering => "considering",
            ExportPhase::Starting => "starting",
            ExportPhase::Expanding => "expanding",
            ExportPhase::Established => "established",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// How a service is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    InPerson,
    Phone,
    Email,
    Online,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::InPerson,
        Channel::Phone,
        Channel::Email,
        Channel::Online,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::InPerson => "in_person",
            Channel::Phone => "phone",
            Channel::Email => "email",
            Channel::Online => "online",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl Validate for Service {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("name", &self.name, limits::NAME);
        c.text("provider_name", &self.provider_name, limits::NAME);
        c.text("description", self.description.as_str(), limits::LONG);
        c.text("target_group", &self.target_group, limits::SHORT);
        c.text("cost", &self.cost, limits::NAME);
        c.languages("languages", &self.languages);
        c.text("region", &self.region, limits::NAME);
        c.text("contact", &self.contact, limits::SHORT);
        c.finish()
    }
}

// The directory's requests and answers, shared by the node, the CLI and the app.

/// A service as a user enters it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInput {
    pub name: String,
    #[serde(default)]
    pub provider_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub target_group: String,
    #[serde(default)]
    pub phases: Vec<ExportPhase>,
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// The organisation that lists it: the facilitator may list a promoter's; `None` is
    /// this device's own.
    #[serde(default)]
    pub for_org: Option<OrgId>,
}

/// What the directory shows: services whose text matches (all when empty), for a phase,
/// in a language, in a region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFilter {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub phase: Option<ExportPhase>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

/// A service with who lists it and whether this device may edit it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceView {
    pub service: Service,
    /// The listing organisation's name.
    pub listed_by: String,
    pub can_edit: bool,
}
