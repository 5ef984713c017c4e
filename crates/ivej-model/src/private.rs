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

/// A suggestion a person set aside: `suggested_id` (a post or a service) is not suggested
/// for `post_id` again, on any of the company's devices (dismissals live in the private
/// document, which only they share).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Dismissal {
    pub post_id: String,
    pub suggested_id: String,
    pub at: i64,
}

impl Dismissal {
    /// Where it is kept: one entry per pair, however often it is dismissed.
    pub fn key(post_id: &str, suggested_id: &str) -> String {
        format!("{post_id} {suggested_id}")
    }
}

impl Validate for Dismissal {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("post_id", &self.post_id, limits::NAME);
        c.required_text("suggested_id", &self.suggested_id, limits::NAME);
        c.finish()
    }
}
