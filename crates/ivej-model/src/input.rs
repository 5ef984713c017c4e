//! What the editors send: new records and changes to them, shared by the UI, the CLI and
//! the node so that all three speak the same types.

use serde::{Deserialize, Serialize};

use crate::{
    AvailabilityWindow, Contact, Date, Direction, GeoPoint, LongText, MeetingId, OrgId, OrgType,
    Organisation, Post, PostStatus, PriceModel, Quantity, RegisterId, SizeBand, Visibility,
};

/// Everything about an organisation that its people fill in.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgProfile {
    pub name: String,
    pub register: Option<RegisterId>,
    pub org_type: Option<OrgType>,
    pub industries: Vec<String>,
    pub national_code: Option<String>,
    pub size_band: Option<SizeBand>,
    pub address: String,
    pub municipality: String,
    pub geo: Option<GeoPoint>,
    pub languages: Vec<String>,
    pub export_markets: Vec<String>,
    pub certifications: Vec<String>,
    pub cv: String,
    pub contact: Contact,
}

impl OrgProfile {
    pub fn into_organisation(self, id: String, now: i64) -> Organisation {
        Organisation {
            id,
            name: self.name.trim().to_string(),
            register: self.register,
            org_type: self.org_type.unwrap_or(OrgType::Sme),
            industries: self.industries,
            national_code: self.national_code,
            size_band: self.size_band,
            address: self.address,
            municipality: self.municipality,
            geo: self.geo,
            languages: self.languages,
            export_markets: self.export_markets,
            certifications: self.certifications,
            cv: LongText(self.cv),
            contact: self.contact,
            joined_at: now,
            left_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A change to some fields of an organisation; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub register: Option<RegisterId>,
    pub org_type: Option<OrgType>,
    pub industries: Option<Vec<String>>,
    pub national_code: Option<String>,
    pub size_band: Option<SizeBand>,
    pub address: Option<String>,
    pub municipality: Option<String>,
    pub geo: Option<GeoPoint>,
    pub languages: Option<Vec<String>>,
    pub export_markets: Option<Vec<String>>,
    pub certifications: Option<Vec<String>>,
    pub cv: Option<String>,
    pub contact: Option<Contact>,
    /// Fields to empty: `register`, `national_code`, `size_band`, `geo` (a `None` above
    /// leaves a field as it is, so emptying needs saying).
    pub clear: Vec<String>,
}

impl OrgPatch {
    pub fn is_empty(&self) -> bool {
        self == &OrgPatch::default()
    }

    pub fn apply(self, org: &mut Organisation) {
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = self.$field { org.$field = v; }
            )*};
        }
        set!(
            org_type,
            industries,
            address,
            municipality,
            languages,
            export_markets,
            certifications,
            contact
        );
        if let Some(name) = self.name {
            org.name = name.trim().to_string();
        }
        if let Some(cv) = self.cv {
            org.cv = LongText(cv);
        }
        if self.register.is_some() {
            org.register = self.register;
        }
        if self.national_code.is_some() {
            org.national_code = self.national_code;
        }
        if self.size_band.is_some() {
            org.size_band = self.size_band;
        }
        if self.geo.is_some() {
            org.geo = self.geo;
        }
        for field in &self.clear {
            match field.as_str() {
                "register" => org.register = None,
                "national_code" => org.national_code = None,
                "size_band" => org.size_band = None,
                "geo" => org.geo = None,
                _ => {}
            }
        }
    }
}

/// A new offer or need as the editor sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostInput {
    pub direction: Direction,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub quantity: Option<Quantity>,
    #[serde(default)]
    pub location: Option<GeoPoint>,
    #[serde(default)]
    pub availability: Vec<AvailabilityWindow>,
    pub price: PriceModel,
    pub visibility: Visibility,
    #[serde(default)]
    pub visible_to: Vec<OrgId>,
    #[serde(default)]
    pub anonymous: bool,
    /// Defaults to the node's default lifetime from today.
    #[serde(default)]
    pub expires_on: Option<Date>,
    #[serde(default)]
    pub origin_meeting: Option<MeetingId>,
    /// Posting for another member (the facilitator capturing at a meeting).
    #[serde(default)]
    pub on_behalf_of: Option<OrgId>,
    /// Save as a draft instead of opening it.
    #[serde(default)]
    pub draft: bool,
}

impl PostInput {
    /// An open offer or need of `kind` visible to the whole street, with nothing else set.
    pub fn new(direction: Direction, kind: &str, title: &str) -> Self {
        PostInput {
            direction,
            kind: kind.to_string(),
            title: title.to_string(),
            body: String::new(),
            quantity: None,
            location: None,
            availability: Vec::new(),
            price: PriceModel::Negotiable,
            visibility: Visibility::Street,
            visible_to: Vec::new(),
            anonymous: false,
            expires_on: None,
            origin_meeting: None,
            on_behalf_of: None,
            draft: false,
        }
    }
}

/// Changes to a post; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PostPatch {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub quantity: Option<Quantity>,
    pub location: Option<GeoPoint>,
    pub availability: Option<Vec<AvailabilityWindow>>,
    pub price: Option<PriceModel>,
    pub visibility: Option<Visibility>,
    pub visible_to: Option<Vec<OrgId>>,
    pub anonymous: Option<bool>,
    pub expires_on: Option<Date>,
    pub status: Option<PostStatus>,
    /// Fields to empty: `quantity`, `location`.
    pub clear: Vec<String>,
}

impl PostPatch {
    pub fn apply(self, post: &mut Post) {
        macro_rules! set {
            ($($field:ident),*) => {$(
                if let Some(v) = self.$field { post.$field = v; }
            )*};
        }
        set!(
            kind,
            title,
            availability,
            price,
            visibility,
            visible_to,
            anonymous,
            status
        );
        if let Some(body) = self.body {
            post.body = LongText(body);
        }
        if self.quantity.is_some() {
            post.quantity = self.quantity;
        }
        if self.location.is_some() {
            post.location = self.location;
        }
        if self.expires_on.is_some() {
            post.expires_on = self.expires_on;
        }
        for field in &self.clear {
            match field.as_str() {
                "quantity" => post.quantity = None,
                "location" => post.location = None,
                _ => {}
            }
        }
    }
}

/// A run of meetings the facilitator plans at once; hosts are proposed by the rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesInput {
    pub name: String,
    pub first_starts_at: crate::LocalDateTime,
    /// Defaults to the street's cadence (14 days, or quarterly for an export club).
    #[serde(default)]
    pub cadence_days: Option<u32>,
    /// Defaults to the street's meeting length (60 minutes).
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    /// How many meetings to plan.
    pub count: u32,
}

/// A collaboration as recorded (by the facilitator, or captured at a meeting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollaborationInput {
    pub title: String,
    pub kind: crate::CollaborationKind,
    pub orgs: Vec<OrgId>,
    pub stage: crate::Stage,
    #[serde(default)]
    pub value: crate::CollaborationValue,
    pub origin: crate::Origin,
}

/// What an import of a spreadsheet (services, members, posts) stored, and how its bytes
/// were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    pub imported: usize,
    pub encoding: String,
}
