//! Use cases of the fortnightly meeting: planning, attendance, minutes, decisions, actions.

use std::collections::BTreeMap;

use ivej_model::{
    ActionItem, AgendaItem, AgendaKind, Attendance, Date, Decision, LocalDateTime, Meeting,
    MeetingState, NodeEvent, OrgId, Organisation, SeriesId,
};
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::Node;

/// A meeting to plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingInput {
    pub starts_at: LocalDateTime,
    /// Defaults to the street's meeting length.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub host_org: Option<OrgId>,
    /// Defaults to the host's address.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub challenge: Option<String>,
    #[serde(default)]
    pub series_id: Option<SeriesId>,
}

/// A meeting's minutes as the UI shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinutesView {
    pub meeting_id: String,
    pub text: String,
    pub in_confidence: bool,
    pub decisions: Vec<Decision>,
}

/// The seed's hour: half on the host's presentation, half on the sharing challenge.
/// The seed's meeting: the host presents itself, then the sharing challenge, then the open
/// actions are followed up. With an hour: 30, 20 and 10 minutes; every time box is editable.
pub(crate) fn default_agenda(duration: u32) -> BTreeMap<String, AgendaItem> {
    let follow_up = if duration >= 30 { duration / 6 } else { 0 };
    let presentation = (duration / 2).max(1);
    let challenge = duration.saturating_sub(presentation + follow_up).max(1);
    let mut items = vec![
        (
            AgendaKind::Presentation,
            "Presentation of the host",
            presentation,
        ),
        (AgendaKind::SharingChallenge, "Sharing challenge", challenge),
    ];
    if follow_up > 0 {
        items.push((AgendaKind::FollowUp, "Follow-up of open actions", follow_up));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(position, (kind, title, minutes))| {
            (
                clock::new_id(),
                AgendaItem {
                    position: u32::try_from(position).unwrap_or(0),
                    kind,
                    title: title.into(),
                    minutes,
                },
            )
        })
        .collect()
}

impl Node {
    /// Plans a meeting with the default agenda (the facilitator's job).
    pub fn plan_meeting(&self, input: MeetingInput) -> NodeResult<Meeting> {
        let mut st = self.lock()?;
        st.require_facilitator("plan meetings")?;
        let street = st.street()?.street()?;
        let host: Option<Organisation> = match &input.host_org {
            Some(id) => Some(st.street()?.require(id)?),
            None => None,
        };
        let duration = input.duration_minutes.unwrap_or(street.meeting_minutes);
        let meeting = Meeting {
            id: clock::new_id(),
            series_id: input.series_id,
            starts_at: input.starts_at,
            duration_minutes: duration,
            location: input
                .location
                .or_else(|| host.as_ref().map(|h| h.address.clone()))
                .unwrap_or_default(),
            host_org: host.map(|h| h.id),
            state: MeetingState::Planned,
            agenda: default_agenda(duration),
            attendance: BTreeMap::new(),
            challenge: input
                .challenge
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            created_at: clock::now_ms(),
        };
        st.street_mut()?.put(&meeting)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::MeetingChanged {
            id: meeting.id.clone(),
        });
        Ok(meeting)
    }

    /// Every meeting, earliest first.
    pub fn meetings(&self) -> NodeResult<Vec<Meeting>> {
        let st = self.lock()?;
        let mut all: Vec<Meeting> = st.street()?.all();
        all.sort_by(|a, b| a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    pub fn meeting(&self, id: &str) -> NodeResult<Meeting> {
        Ok(self.lock()?.street()?.require(id)?)
    }

    pub(crate) fn change_meeting(
        &self,
        id: &str,
        change: impl FnOnce(&mut Meeting) -> NodeResult<()>,
    ) -> NodeResult<Meeting> {
        let mut st = self.lock()?;
        let mut meeting: Meeting = st.street()?.require(id)?;
        change(&mut meeting)?;
        st.street_mut()?.put(&meeting)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::MeetingChanged { id: id.to_string() });
        Ok(meeting)
    }

    pub fn set_meeting_state(&self, id: &str, state: MeetingState) -> NodeResult<Meeting> {
        self.lock()?
            .require_facilitator("start or finalize meetings")?;
        self.change_meeting(id, |m| {
            m.state = state;
            Ok(())
        })
    }

    /// Records whether an organisation attended, and with how many people.
    pub fn record_attendance(
        &self,
        meeting_id: &str,
        org_id: &str,
        present: bool,
        people: u32,
    ) -> NodeResult<Meeting> {
        self.lock()?.street()?.require::<Organisation>(org_id)?;
        self.change_meeting(meeting_id, |m| {
            m.attendance.insert(
                org_id.to_string(),
                Attendance {
                    present,
                    people: if present { people.max(1) } else { 0 },
                },
            );
            Ok(())
        })
    }

    /// Sets the sharing challenge of a meeting; it is shown on the board as the street's
    /// current challenge.
    pub fn set_challenge(&self, meeting_id: &str, challenge: &str) -> NodeResult<Meeting> {
        self.lock()?.require_facilitator("set the challenge")?;
        let challenge = challenge.trim().to_string();
        let meeting = self.change_meeting(meeting_id, |m| {
            m.challenge = Some(challenge.clone()).filter(|c| !c.is_empty());
            Ok(())
        })?;
        let mut st = self.lock()?;
        let mut street = st.street()?.street()?;
        street.current_challenge = meeting.challenge.clone();
        st.street_mut()?.set_street(&street)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::StreetChanged);
        Ok(meeting)
    }

    pub fn minutes(&self, meeting_id: &str) -> NodeResult<MinutesView> {
        let mut st = self.lock()?;
        st.street()?.require::<Meeting>(meeting_id)?;
        let doc = st.minutes_mut(meeting_id)?;
        let mut decisions: Vec<Decision> = doc.all();
        decisions.sort_by_key(|d| d.created_at);
        Ok(MinutesView {
            meeting_id: meeting_id.to_string(),
            text: doc.text()?,
            in_confidence: doc.in_confidence()?,
            decisions,
        })
    }

    fn change_minutes(
        &self,
        meeting_id: &str,
        change: impl FnOnce(&mut ivej_doc::MinutesDoc) -> NodeResult<()>,
    ) -> NodeResult<MinutesView> {
        let mut st = self.lock()?;
        st.street()?.require::<Meeting>(meeting_id)?;
        let doc = st.minutes_mut(meeting_id)?;
        change(doc)?;
        st.persist_minutes(meeting_id, |_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::MinutesChanged {
            meeting_id: meeting_id.to_string(),
        });
        self.minutes(meeting_id)
    }

    /// Replaces the minutes text (only the difference is recorded, so a colleague's
    /// concurrent typing elsewhere in the text is kept).
    pub fn set_minutes_text(&self, meeting_id: &str, text: &str) -> NodeResult<MinutesView> {
        self.change_minutes(meeting_id, |doc| Ok(doc.set_text(text)?))
    }

    /// An edit from the meeting screen: the editor turned `base` (the minutes as it last
    /// received them) into `text`. Others may have typed since; the edit is moved past their
    /// text so both stay ([`ivej_model::text::rebase`]).
    pub fn edit_minutes(
        &self,
        meeting_id: &str,
        base: &str,
        text: &str,
    ) -> NodeResult<MinutesView> {
        self.change_minutes(meeting_id, |doc| {
            let current = doc.text()?;
            let edit = ivej_model::text::rebase(base, text, &current);
            if edit.delete == 0 && edit.insert.is_empty() {
                return Ok(());
            }
            Ok(doc.splice(edit.pos, edit.delete, &edit.insert)?)
        })
    }

    /// Adds text at the end of the minutes.
    pub fn append_minutes(&self, meeting_id: &str, text: &str) -> NodeResult<MinutesView> {
        self.change_minutes(meeting_id, |doc| {
            let end = doc.len_chars()?;
            Ok(doc.splice(end, 0, text)?)
        })
    }

    /// Deletes `delete` characters at `pos` and inserts `insert`: one keystroke or paste.
    pub fn splice_minutes(
        &self,
        meeting_id: &str,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> NodeResult<MinutesView> {
        self.change_minutes(meeting_id, |doc| Ok(doc.splice(pos, delete, insert)?))
    }

    pub fn set_minutes_in_confidence(
        &self,
        meeting_id: &str,
        flag: bool,
    ) -> NodeResult<MinutesView> {
        self.change_minutes(meeting_id, |doc| Ok(doc.set_in_confidence(flag)?))
    }

    pub fn add_decision(&self, meeting_id: &str, text: &str) -> NodeResult<Decision> {
        let decision = Decision {
            id: clock::new_id(),
            text: text.trim().to_string(),
            created_at: clock::now_ms(),
        };
        self.change_minutes(meeting_id, |doc| Ok(doc.put(&decision)?))?;
        Ok(decision)
    }

    /// An action item agreed at a meeting; it stays open, meeting after meeting, until done.
    pub fn add_action(
        &self,
        meeting_id: &str,
        text: &str,
        owner_org: Option<&str>,
        due: Option<Date>,
    ) -> NodeResult<ActionItem> {
        let mut st = self.lock()?;
        st.street()?.require::<Meeting>(meeting_id)?;
        if let Some(owner) = owner_org {
            st.street()?.require::<Organisation>(owner)?;
        }
        let action = ActionItem {
            id: clock::new_id(),
            meeting_id: meeting_id.to_string(),
            text: text.trim().to_string(),
            owner_org: owner_org.map(str::to_string),
            due,
            done_at: None,
            created_at: clock::now_ms(),
        };
        st.street_mut()?.put(&action)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::ActionChanged {
            id: action.id.clone(),
        });
        Ok(action)
    }

    pub fn complete_action(&self, id: &str) -> NodeResult<ActionItem> {
        let mut st = self.lock()?;
        let mut action: ActionItem = st.street()?.require(id)?;
        if action.done_at.is_some() {
            return Err(NodeError::AlreadyExists(
                "the action is already done".into(),
            ));
        }
        action.done_at = Some(clock::now_ms().max(action.created_at));
        st.street_mut()?.put(&action)?;
        st.persist_street(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::ActionChanged { id: id.to_string() });
        Ok(action)
    }

    /// Action items, oldest first; only the open ones when `open_only`.
    pub fn actions(&self, open_only: bool) -> NodeResult<Vec<ActionItem>> {
        let st = self.lock()?;
        let mut all: Vec<ActionItem> = st
            .street()?
            .all::<ActionItem>()
            .into_iter()
            .filter(|a| !open_only || a.done_at.is_none())
            .collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }
}
