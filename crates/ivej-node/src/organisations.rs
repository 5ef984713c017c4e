//! Use cases about the street's members and this device's own organisation.

use ivej_model::{
    Contact, GeoPoint, LongText, NodeEvent, OrgType, Organisation, RegisterId, SizeBand,
};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::Node;

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
    pub(crate) fn into_organisation(self, id: String, now: i64) -> Organisation {
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
}

impl OrgPatch {
    pub fn is_empty(&self) -> bool {
        self == &OrgPatch::default()
    }

    fn apply(self, org: &mut Organisation) {
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
    }
}

impl Node {
    /// Changes fields of this device's own organisation (its profile and CV).
    pub fn update_own_organisation(&self, patch: OrgPatch) -> NodeResult<Organisation> {
        let id = self.own_org_id()?;
        self.update_organisation(&id, patch)
    }

    /// Changes an organisation: one's own, or any member's for the facilitator.
    pub fn update_organisation(&self, id: &str, patch: OrgPatch) -> NodeResult<Organisation> {
        let mut st = self.lock()?;
        if st.own_org_id()? != id {
            st.require_facilitator("edit another member's profile")?;
        }
        let mut org: Organisation = st.street()?.require(id)?;
        patch.apply(&mut org);
        org.updated_at = clock::now_ms().max(org.created_at);
        st.street_mut()?.put(&org)?;
        st.persist_street(|w| w.upsert_organisation(&org))?;
        drop(st);
        self.emit(NodeEvent::OrganisationChanged { id: id.to_string() });
        Ok(org)
    }

    /// Adds a member organisation to the street (the facilitator's job).
    pub fn add_organisation(&self, profile: OrgProfile) -> NodeResult<Organisation> {
        let mut st = self.lock()?;
        st.require_facilitator("add members")?;
        let org = profile.into_organisation(clock::new_id(), clock::now_ms());
        st.street_mut()?.put(&org)?;
        st.persist_street(|w| w.upsert_organisation(&org))?;
        drop(st);
        self.emit(NodeEvent::OrganisationChanged { id: org.id.clone() });
        Ok(org)
    }

    pub fn organisation(&self, id: &str) -> NodeResult<Organisation> {
        Ok(self.lock()?.street()?.require(id)?)
    }

    pub fn own_organisation(&self) -> NodeResult<Organisation> {
        let id = self.own_org_id()?;
        self.organisation(&id)
    }

    /// The directory: every organisation, or those matching `text` (name, CV, place,
    /// industry in any of the four languages).
    pub fn organisations(&self, text: Option<&str>) -> NodeResult<Vec<Organisation>> {
        let st = self.lock()?;
        st.street()?;
        Ok(st.store.search_organisations(text)?)
    }

    /// Marks an organisation as having left the street; its records stay.
    pub fn remove_member(&self, id: &str) -> NodeResult<Organisation> {
        let mut st = self.lock()?;
        st.require_facilitator("remove members")?;
        let mut org: Organisation = st.street()?.require(id)?;
        if org.left_at.is_some() {
            return Err(NodeError::AlreadyExists(format!(
                "{} has already left",
                org.name
            )));
        }
        let now = clock::now_ms().max(org.joined_at);
        org.left_at = Some(now);
        org.updated_at = now;
        st.street_mut()?.put(&org)?;
        st.persist_street(|w| w.upsert_organisation(&org))?;
        drop(st);
        self.emit(NodeEvent::OrganisationChanged { id: id.to_string() });
        Ok(org)
    }
}
