//! Use cases about what the street achieves: collaborations and relationships.

use std::collections::BTreeMap;

use ivej_model::{
    Collaboration, CollaborationInput, NodeEvent, OrgId, Organisation, RelationKind, Relationship,
    Stage, StageChange,
};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::Node;

impl Node {
    pub fn add_collaboration(&self, input: CollaborationInput) -> NodeResult<Collaboration> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        for org in &input.orgs {
            st.street()?.require::<Organisation>(org)?;
        }
        let now = clock::now_ms();
        // The same organisation named twice counts once (order kept as given).
        let mut orgs: Vec<OrgId> = Vec::with_capacity(input.orgs.len());
        for org in input.orgs {
            if !orgs.contains(&org) {
                orgs.push(org);
            }
        }
        let collaboration = Collaboration {
            id: clock::new_id(),
            title: input.title.trim().to_string(),
            kind: input.kind,
            orgs,
            stage: input.stage,
            value: input.value,
            origin: input.origin,
            history: BTreeMap::from([(
                clock::new_id(),
                StageChange {
                    stage: input.stage,
                    at: now,
                    note: String::new(),
                },
            )]),
            created_at: now,
        };
        st.street_mut()?.put(&collaboration)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::CollaborationChanged {
            id: collaboration.id.clone(),
        });
        self.relate_collaborators(&collaboration)?;
        Ok(collaboration)
    }

    /// Moves a collaboration to another stage, keeping the history of stages.
    pub fn set_collaboration_stage(
        &self,
        id: &str,
        stage: Stage,
        note: &str,
    ) -> NodeResult<Collaboration> {
        let mut st = self.lock()?;
        let mut c: Collaboration = st.street()?.require(id)?;
        if c.stage == stage {
            return Err(NodeError::AlreadyExists(format!(
                "the collaboration is already at stage {}",
                stage.code()
            )));
        }
        c.stage = stage;
        c.history.insert(
            clock::new_id(),
            StageChange {
                stage,
                at: clock::now_ms(),
                note: note.trim().to_string(),
            },
        );
        st.street_mut()?.put(&c)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::CollaborationChanged { id: id.to_string() });
        self.relate_collaborators(&c)?;
        Ok(c)
    }

    /// Every collaboration, newest first.
    pub fn collaborations(&self) -> NodeResult<Vec<Collaboration>> {
        let st = self.lock()?;
        let mut all: Vec<Collaboration> = st.street()?.all();
        all.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    /// Records that two organisations know each other. `baseline` marks a relation that
    /// existed before the member joined. A stronger kind replaces a weaker one.
    pub fn record_relationship(
        &self,
        a: &str,
        b: &str,
        kind: RelationKind,
        baseline: bool,
    ) -> NodeResult<Relationship> {
        let mut st = self.lock()?;
        let (rel, _) = st.put_relationship(a, b, kind, baseline)?;
        drop(st);
        self.emit(NodeEvent::RelationshipChanged {
            key: Relationship::pair_key(a, b),
        });
        Ok(rel)
    }

    pub fn relationships(&self) -> NodeResult<Vec<Relationship>> {
        let st = self.lock()?;
        let mut all: Vec<Relationship> = st.street()?.all();
        all.sort_by_key(|r| r.key());
        Ok(all)
    }
}

impl crate::state::State {
    /// Records that `a` and `b` are related as `kind` at least (a relation only grows).
    /// Returns it, and whether anything was written.
    pub(crate) fn put_relationship(
        &mut self,
        a: &str,
        b: &str,
        kind: RelationKind,
        baseline: bool,
    ) -> NodeResult<(Relationship, bool)> {
        self.street()?.require::<Organisation>(a)?;
        self.street()?.require::<Organisation>(b)?;
        let key = Relationship::pair_key(a, b);
        let existing: Option<Relationship> = self.street()?.get(&key)?;
        let rel = match existing.clone() {
            Some(mut r) => {
                r.kind = r.kind.max(kind);
                r.baseline |= baseline;
                r
            }
            None => Relationship {
                a: a.to_string(),
                b: b.to_string(),
                kind,
                since: clock::today(),
                baseline,
            },
        };
        if existing.as_ref() == Some(&rel) {
            return Ok((rel, false));
        }
        self.street_mut()?.put(&rel)?;
        self.persist_street(|_| Ok(()))?;
        Ok((rel, true))
    }
}
