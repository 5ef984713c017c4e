use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{CollaborationId, OrgId};
use crate::time::Date;
use crate::validate::{limits, Checks, Problem, Validate, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum CollaborationKind {
    JointPurchase,
    SharedStaff,
    CapacityTrade,
    JointProduct,
    NewCustomer,
    NewMarket,
    NewCompany,
    MiniCluster,
    Export,
}

impl CollaborationKind {
    pub const ALL: [CollaborationKind; 9] = [
        CollaborationKind::JointPurchase,
        CollaborationKind::SharedStaff,
        CollaborationKind::CapacityTrade,
        CollaborationKind::JointProduct,
        CollaborationKind::NewCustomer,
        CollaborationKind::NewMarket,
        CollaborationKind::NewCompany,
        CollaborationKind::MiniCluster,
        CollaborationKind::Export,
    ];

    pub fn code(self) -> &'static str {
        match self {
            CollaborationKind::JointPurchase => "joint_purchase",
            CollaborationKind::SharedStaff => "shared_staff",
            CollaborationKind::CapacityTrade => "capacity_trade",
            CollaborationKind::JointProduct => "joint_product",
            CollaborationKind::NewCustomer => "new_customer",
            CollaborationKind::NewMarket => "new_market",
            CollaborationKind::NewCompany => "new_company",
            CollaborationKind::MiniCluster => "mini_cluster",
            CollaborationKind::Export => "export",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Idea,
    Explored,
    Negotiating,
    Agreed,
    Realised,
    Dropped,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Idea,
        Stage::Explored,
        Stage::Negotiating,
        Stage::Agreed,
        Stage::Realised,
        Stage::Dropped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Idea => "idea",
            Stage::Explored => "explored",
            Stage::Negotiating => "negotiating",
            Stage::Agreed => "agreed",
            Stage::Realised => "realised",
            Stage::Dropped => "dropped",
        }
    }

    /// What the funders count as a new collaboration.
    pub fn counts_for_funders(self) -> bool {
        matches!(self, Stage::Agreed | Stage::Realised)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum OriginKind {
    Post,
    Meeting,
    Introduction,
    Suggestion,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Origin {
    pub kind: OriginKind,
    /// The post, meeting or introduction it came from.
    pub ref_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct CollaborationValue {
    /// Yearly turnover it brings, in the street's currency.
    pub turnover: Option<f64>,
    pub savings: Option<f64>,
    pub jobs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct StageChange {
    pub stage: Stage,
    pub at: i64,
    pub note: String,
}

/// What the funders count: two or more organisations doing business together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Collaboration {
    pub id: CollaborationId,
    pub title: String,
    pub kind: CollaborationKind,
    pub orgs: Vec<OrgId>,
    pub stage: Stage,
    pub value: CollaborationValue,
    pub origin: Origin,
    /// Stage changes keyed by a time-ordered id, so concurrent changes are all kept.
    pub history: BTreeMap<String, StageChange>,
    pub created_at: i64,
}

impl Validate for Collaboration {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("title", &self.title, limits::TITLE);
        if self.orgs.len() < 2 {
            c.push("orgs", Problem::TooSmall { min: 2 });
        }
        c.list_len("orgs", &self.orgs, 50);
        if let Some(v) = self.value.turnover {
            c.non_negative("value.turnover", v);
        }
        if let Some(v) = self.value.savings {
            c.non_negative("value.savings", v);
        }
        if let Some(v) = self.value.jobs {
            c.non_negative("value.jobs", v);
        }
        for (id, change) in &self.history {
            c.text(&format!("history.{id}.note"), &change.note, limits::SHORT);
        }
        c.finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    KnewBefore,
    MetHere,
    Trading,
    Collaborating,
}

/// An edge of the relationship graph. `baseline` marks what a member said it already knew
/// when it joined, which is what makes "new relations per company" measurable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Relationship {
    pub a: OrgId,
    pub b: OrgId,
    pub kind: RelationKind,
    pub since: Date,
    pub baseline: bool,
}

impl Relationship {
    /// The key of the pair, the same whichever way round it is given.
    pub fn pair_key(a: &str, b: &str) -> String {
        if a <= b {
            format!("{a}|{b}")
        } else {
            format!("{b}|{a}")
        }
    }

    pub fn key(&self) -> String {
        Relationship::pair_key(&self.a, &self.b)
    }
}

impl Validate for Relationship {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        if self.a == self.b {
            c.push(
                "b",
                Problem::NotAllowed {
                    value: self.b.clone(),
                    allowed: "another organisation".into(),
                },
            );
        }
        c.finish()
    }
}
