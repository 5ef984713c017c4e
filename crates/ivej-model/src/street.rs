use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, StreetId};
use crate::validate::{limits, Checks, Validate, ValidationErrors};

/// The kinds of network the seeds describe; cadence and targets differ by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum StreetKind {
    MiniNetwork,
    ExportClub,
    ExportRing,
    Cluster,
}

impl StreetKind {
    pub const ALL: [StreetKind; 4] = [
        StreetKind::MiniNetwork,
        StreetKind::ExportClub,
        StreetKind::ExportRing,
        StreetKind::Cluster,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StreetKind::MiniNetwork => "mini_network",
            StreetKind::ExportClub => "export_club",
            StreetKind::ExportRing => "export_ring",
            StreetKind::Cluster => "cluster",
        }
    }

    /// The meeting cadence a new street of this kind starts with.
    pub fn default_cadence_days(self) -> u32 {
        match self {
            StreetKind::MiniNetwork | StreetKind::Cluster => 14,
            StreetKind::ExportClub | StreetKind::ExportRing => 91,
        }
    }
}

/// What the funders measure the street against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct KpiTargets {
    /// New commercial collaborations over the programme (seed: 3-5).
    pub collaborations_min: u32,
    pub collaborations_max: u32,
    /// New business relations per company (seed: 2-5).
    pub relations_per_company_min: u32,
    pub relations_per_company_max: u32,
}

impl Default for KpiTargets {
    fn default() -> Self {
        KpiTargets {
            collaborations_min: 3,
            collaborations_max: 5,
            relations_per_company_min: 2,
            relations_per_company_max: 5,
        }
    }
}

/// The network itself: one per street document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Street {
    pub id: StreetId,
    pub name: String,
    pub kind: StreetKind,
    pub region: String,
    pub cadence_days: u32,
    pub meeting_minutes: u32,
    pub languages: Vec<String>,
    pub funders: Vec<String>,
    pub targets: KpiTargets,
    /// The organisation of the facilitator who created the street.
    pub facilitator_org: OrgId,
    /// The challenge the facilitator set for the next meeting; shown on the board.
    pub current_challenge: Option<String>,
    pub created_at: i64,
}

impl Validate for Street {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("name", &self.name, limits::NAME);
        c.text("region", &self.region, limits::NAME);
        c.range("cadence_days", i64::from(self.cadence_days), 1, 366);
        c.range("meeting_minutes", i64::from(self.meeting_minutes), 10, 480);
        c.languages("languages", &self.languages);
        c.texts("funders", &self.funders, limits::LIST, limits::NAME);
        if let Some(ch) = &self.current_challenge {
            c.text("current_challenge", ch, limits::SHORT * 4);
        }
        let t = &self.targets;
        c.in_order(
            "targets.collaborations_min",
            &t.collaborations_min,
            "targets.collaborations_max",
            &t.collaborations_max,
        );
        c.in_order(
            "targets.relations_per_company_min",
            &t.relations_per_company_min,
            "targets.relations_per_company_max",
            &t.relations_per_company_max,
        );
        c.finish()
    }
}
