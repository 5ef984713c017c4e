//! What the frontend asks of the shell, beyond the record types themselves.

use serde::{Deserialize, Serialize};

use crate::street::StreetKind;

/// Onboarding: a new street with the facilitator's own organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateStreetRequest {
    pub street_name: String,
    pub org_name: String,
    pub kind: StreetKind,
    pub region: String,
}
