use serde::{Deserialize, Serialize};

use crate::ids::OrgId;
use crate::text::LongText;
use crate::validate::{limits, Checks, Validate, ValidationErrors};

/// A public promoter's offer (export advice, development cheques, mentoring).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Service {
    pub id: String,
    pub provider_org: OrgId,
    pub name: String,
    pub description: LongText,
    pub target_group: String,
    pub cost: String,
    pub languages: Vec<String>,
    pub contact: String,
    pub created_at: i64,
}

impl Validate for Service {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("name", &self.name, limits::NAME);
        c.text("description", self.description.as_str(), limits::LONG);
        c.text("target_group", &self.target_group, limits::SHORT);
        c.text("cost", &self.cost, limits::NAME);
        c.languages("languages", &self.languages);
        c.text("contact", &self.contact, limits::SHORT);
        c.finish()
    }
}
