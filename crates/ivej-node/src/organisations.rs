//! Use cases about the street's members and this device's own organisation.

use ivej_model::{NodeEvent, OrgPatch, OrgProfile, Organisation};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::Node;

impl Node {
    /// Changes fields of this device's own organisation (its profile and CV).
    pub fn update_own_organisation(&self, patch: OrgPatch) -> NodeResult<Organisation> {
        let id = self.own_org_id()?;
        self.update_organisation(&id, patch)
    }

    /// Changes an organisation: one's own, or any member's for the facilitator.
    pub fn update_organisation(&self, id: &str, patch: OrgPatch) -> NodeResult<Organisation> {
        self.take_in_other_writes()?;
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

    /// Marks an organisation as having left the street; its records stay. (Its devices are
    /// revoked by `Node::remove_member`.)
    pub(crate) fn mark_left(&self, id: &str) -> NodeResult<Organisation> {
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
