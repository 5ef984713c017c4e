use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{ActionId, MeetingId, OrgId, SeriesId};
use crate::time::{Date, LocalDateTime};
use crate::validate::{limits, Checks, Problem, Validate, ValidationErrors};

/// A planned run of meetings with the street's cadence and a host rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct MeetingSeries {
    pub id: SeriesId,
    pub name: String,
    pub cadence_days: u32,
    pub duration_minutes: u32,
    pub first_starts_at: LocalDateTime,
    /// Hosts in the order they take their turn.
    pub host_queue: Vec<OrgId>,
    pub created_at: i64,
}

impl Validate for MeetingSeries {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("name", &self.name, limits::NAME);
        c.range("cadence_days", i64::from(self.cadence_days), 1, 366);
        c.range(
            "duration_minutes",
            i64::from(self.duration_minutes),
            10,
            480,
        );
        c.list_len("host_queue", &self.host_queue, 500);
        c.finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum MeetingState {
    Planned,
    InProgress,
    Finalized,
}

impl MeetingState {
    pub fn code(self) -> &'static str {
        match self {
            MeetingState::Planned => "planned",
            MeetingState::InProgress => "in_progress",
            MeetingState::Finalized => "finalized",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum AgendaKind {
    Presentation,
    SharingChallenge,
    FollowUp,
    Round,
    Other,
}

/// One time-boxed item. Kept in a map keyed by id with an explicit position, so two
/// people adding items at once never conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct AgendaItem {
    pub position: u32,
    pub kind: AgendaKind,
    pub title: String,
    pub minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Attendance {
    pub present: bool,
    /// How many people came from the organisation.
    pub people: u32,
}

/// A meeting's metadata; its minutes text lives in a document of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Meeting {
    pub id: MeetingId,
    pub series_id: Option<SeriesId>,
    pub starts_at: LocalDateTime,
    pub duration_minutes: u32,
    pub host_org: Option<OrgId>,
    pub location: String,
    pub state: MeetingState,
    pub agenda: BTreeMap<String, AgendaItem>,
    pub attendance: BTreeMap<OrgId, Attendance>,
    /// The challenge set for this meeting's sharing half hour.
    pub challenge: Option<String>,
    pub created_at: i64,
}

impl Meeting {
    /// The agenda in its presentation order.
    pub fn agenda_in_order(&self) -> Vec<(&String, &AgendaItem)> {
        let mut items: Vec<_> = self.agenda.iter().collect();
        items.sort_by_key(|(id, item)| (item.position, *id));
        items
    }

    pub fn present_count(&self) -> usize {
        self.attendance.values().filter(|a| a.present).count()
    }
}

impl Validate for Meeting {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.range(
            "duration_minutes",
            i64::from(self.duration_minutes),
            10,
            480,
        );
        c.text("location", &self.location, limits::SHORT);
        if let Some(ch) = &self.challenge {
            c.text("challenge", ch, limits::SHORT * 4);
        }
        let total: u32 = self.agenda.values().map(|a| a.minutes).sum();
        for (id, item) in &self.agenda {
            c.required_text(&format!("agenda.{id}.title"), &item.title, limits::TITLE);
            c.range(
                &format!("agenda.{id}.minutes"),
                i64::from(item.minutes),
                1,
                480,
            );
        }
        if total > self.duration_minutes.saturating_mul(2) {
            c.push(
                "agenda",
                Problem::TooLarge {
                    max: i64::from(self.duration_minutes) * 2,
                },
            );
        }
        for (org, a) in &self.attendance {
            c.range(
                &format!("attendance.{org}.people"),
                i64::from(a.people),
                0,
                100,
            );
        }
        c.finish()
    }
}

/// A task agreed at a meeting. Lives in the street document so that open actions carry
/// over from meeting to meeting until they are done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct ActionItem {
    pub id: ActionId,
    pub meeting_id: MeetingId,
    pub text: String,
    pub owner_org: Option<OrgId>,
    pub due: Option<Date>,
    pub done_at: Option<i64>,
    pub created_at: i64,
}

impl Validate for ActionItem {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("text", &self.text, limits::SHORT);
        if let Some(due) = &self.due {
            let created = Date::from_unix_ms(self.created_at);
            c.in_order("created_at", &created, "due", due);
        }
        if let Some(done) = self.done_at {
            c.in_order("created_at", &self.created_at, "done_at", &done);
        }
        c.finish()
    }
}

/// A decision recorded in a meeting's minutes document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Decision {
    pub id: String,
    pub text: String,
    pub created_at: i64,
}

impl Validate for Decision {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("text", &self.text, limits::SHORT * 2);
        c.finish()
    }
}
