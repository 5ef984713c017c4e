use serde::{Deserialize, Serialize};

use crate::text::LongText;
use crate::validate::{limits, Checks, Validate, ValidationErrors};

/// A note only the company's own devices see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct PrivateNote {
    pub id: String,
    /// What it is about (an organisation, a post, a meeting), if anything.
    pub about: Option<String>,
    pub text: LongText,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Validate for PrivateNote {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("text", self.text.as_str(), limits::LONG);
        c.finish()
    }
}
