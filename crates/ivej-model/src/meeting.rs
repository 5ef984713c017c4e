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

/// More time boxes than any hour-long meeting has.
const MAX_AGENDA_ITEMS: usize = 50;

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
        // Summed wide: a peer's agenda of huge time boxes must not overflow the check.
        let total: u64 = self.agenda.values().map(|a| u64::from(a.minutes)).sum();
        if self.agenda.len() > MAX_AGENDA_ITEMS {
            c.push(
                "agenda",
                Problem::TooMany {
                    max: MAX_AGENDA_ITEMS,
                    actual: self.agenda.len(),
                },
            );
        }
        for (id, item) in &self.agenda {
            c.required_text(&format!("agenda.{id}.title"), &item.title, limits::TITLE);
            c.range(
                &format!("agenda.{id}.minutes"),
                i64::from(item.minutes),
                1,
                480,
            );
        }
        if total > u64::from(self.duration_minutes) * 2 {
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

/// Unix ms of a meeting's local start, read as UTC: good enough to order it against the
/// moments actions were created and done (a street lives in one time zone).
fn start_ms(m: &Meeting) -> i64 {
    m.starts_at.0.and_utc().timestamp_millis()
}

/// The actions that carry over into `meeting`: agreed at an earlier meeting and not done
/// before this one started. Oldest first.
pub fn carried_over<'a>(
    meeting: &Meeting,
    meetings: &[Meeting],
    actions: &'a [ActionItem],
) -> Vec<&'a ActionItem> {
    let start = start_ms(meeting);
    let earlier: std::collections::BTreeSet<&str> = meetings
        .iter()
        .filter(|m| m.id != meeting.id && (m.starts_at, &m.id) < (meeting.starts_at, &meeting.id))
        .map(|m| m.id.as_str())
        .collect();
    let mut out: Vec<&ActionItem> = actions
        .iter()
        .filter(|a| earlier.contains(a.meeting_id.as_str()))
        .filter(|a| a.done_at.is_none_or(|done| done > start))
        .collect();
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod carry_over_tests {
    use super::*;

    #[test]
    fn an_agenda_of_huge_time_boxes_is_invalid_not_an_overflow() {
        let mut m = meeting("m", "2026-12-03T15:00");
        for i in 0..3 {
            m.agenda.insert(
                format!("a{i}"),
                AgendaItem {
                    position: i,
                    kind: AgendaKind::Round,
                    title: "Round".into(),
                    minutes: u32::MAX,
                },
            );
        }
        assert!(m.validate().is_err());
    }

    fn meeting(id: &str, at: &str) -> Meeting {
        Meeting {
            id: id.into(),
            series_id: None,
            starts_at: at.parse().unwrap(),
            duration_minutes: 60,
            host_org: None,
            location: String::new(),
            state: MeetingState::Planned,
            agenda: BTreeMap::new(),
            attendance: BTreeMap::new(),
            challenge: None,
            created_at: 0,
        }
    }

    fn action(id: &str, meeting: &str, done_at: Option<i64>, created_at: i64) -> ActionItem {
        ActionItem {
            id: id.into(),
            meeting_id: meeting.into(),
            text: id.into(),
            owner_org: None,
            due: None,
            done_at,
            created_at,
        }
    }

    #[test]
    fn open_actions_carry_over_until_done() {
        let first = meeting("m1", "2026-12-03T15:00");
        let second = meeting("m2", "2026-12-17T15:00");
        let third = meeting("m3", "2026-12-31T15:00");
        let meetings = vec![first.clone(), second.clone(), third.clone()];
        let done_between = start_ms(&second) + 1;
        let actions = vec![
            action("open", "m1", None, 1),
            action("done-before-m2", "m1", Some(start_ms(&second) - 1), 2),
            action("done-after-m2", "m1", Some(done_between), 3),
            action("from-m2", "m2", None, 4),
        ];
        let ids = |m: &Meeting| -> Vec<String> {
            carried_over(m, &meetings, &actions)
                .iter()
                .map(|a| a.id.clone())
                .collect()
        };
        assert!(ids(&first).is_empty(), "nothing comes before the first");
        assert_eq!(ids(&second), ["open", "done-after-m2"]);
        assert_eq!(ids(&third), ["open", "from-m2"]);
    }
}
