//! The facilitator's programme: series of meetings with a fair host rotation, the agenda's
//! time boxes, the meeting screen with carried-over actions, capturing offers, needs,
//! introductions and collaborations from the minutes, the calendar, and the report.

use std::collections::HashMap;

use ivej_model::calendar::{self, CalendarEntry};
use ivej_model::ipc::{ActionView, AttendanceLine, MeetingView};
use ivej_model::report::{self, Report, ReportInput};
use ivej_model::Validate;
use ivej_model::{
    carried_over, rotation, ActionItem, Collaboration, CollaborationInput, Interest, Meeting,
    MeetingSeries, MeetingState, Organisation, OriginKind, Post, PostFilter, PostInput, PostStatus,
    RelationKind, Relationship, SeriesInput, Stage,
};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::meetings::MeetingInput;
use crate::Node;

impl Node {
    /// Plans `count` meetings from `first_starts_at`, one every `cadence_days`, hosted in
    /// turn by the members who have hosted least (see [`rotation::next_hosts`]).
    pub fn plan_series(&self, input: SeriesInput) -> NodeResult<(MeetingSeries, Vec<Meeting>)> {
        let (street, orgs, hosted) = {
            let st = self.lock()?;
            st.require_facilitator("plan meetings")?;
            let doc = st.street()?;
            let hosted: Vec<String> = doc
                .all::<Meeting>()
                .into_iter()
                .filter_map(|m| m.host_org)
                .collect();
            (doc.street()?, doc.all::<Organisation>(), hosted)
        };
        let problem = match input.count {
            0 => Some(ivej_model::Problem::TooSmall { min: 1 }),
            53.. => Some(ivej_model::Problem::TooLarge { max: 52 }),
            _ => None,
        };
        if let Some(p) = problem {
            return Err(ivej_model::ValidationErrors::single("count", p).into());
        }
        let cadence = input.cadence_days.unwrap_or(street.cadence_days);
        let duration = input.duration_minutes.unwrap_or(street.meeting_minutes);
        let count = usize::try_from(input.count).unwrap_or(0);
        let hosts = rotation::next_hosts(&orgs, &hosted, count);
        let series = MeetingSeries {
            id: clock::new_id(),
            name: input.name.trim().to_string(),
            cadence_days: cadence,
            duration_minutes: duration,
            first_starts_at: input.first_starts_at,
            host_queue: hosts.clone(),
            created_at: clock::now_ms(),
        };
        {
            let mut st = self.lock()?;
            st.street_mut()?.put(&series)?;
            st.persist_street(|_| Ok(()))?;
        }
        let mut meetings = Vec::with_capacity(count);
        for i in 0..count {
            let offset = i64::from(cadence) * i64::try_from(i).unwrap_or(0);
            meetings.push(self.plan_meeting(MeetingInput {
                starts_at: input.first_starts_at.add_days(offset),
                duration_minutes: Some(duration),
                host_org: hosts.get(i).cloned(),
                location: None,
                challenge: None,
                series_id: Some(series.id.clone()),
            })?);
        }
        Ok((series, meetings))
    }

    /// Gives a meeting another host (the facilitator swaps turns); the location follows the
    /// host's address unless it was set by hand.
    pub fn set_meeting_host(&self, meeting_id: &str, org_id: &str) -> NodeResult<Meeting> {
        let host: Organisation = {
            let st = self.lock()?;
            st.require_facilitator("change hosts")?;
            st.street()?.require(org_id)?
        };
        let old_host: Option<Organisation> = {
            let st = self.lock()?;
            let m: Meeting = st.street()?.require(meeting_id)?;
            match m.host_org {
                Some(h) => st.street()?.get(&h)?,
                None => None,
            }
        };
        self.change_meeting(meeting_id, |m| {
            let followed_host =
                m.location.is_empty() || old_host.as_ref().is_some_and(|h| h.address == m.location);
            if followed_host {
                m.location = host.address.clone();
            }
            m.host_org = Some(host.id.clone());
            Ok(())
        })
    }

    /// Swaps the hosts of two meetings.
    pub fn swap_hosts(&self, a: &str, b: &str) -> NodeResult<(Meeting, Meeting)> {
        let (ha, hb) = (self.meeting(a)?.host_org, self.meeting(b)?.host_org);
        let (Some(ha), Some(hb)) = (ha, hb) else {
            return Err(NodeError::NotAllowed(
                "both meetings need a host to swap".into(),
            ));
        };
        let ma = self.set_meeting_host(a, &hb)?;
        let mb = self.set_meeting_host(b, &ha)?;
        Ok((ma, mb))
    }

    /// Changes an agenda item's title or time box.
    pub fn set_agenda_item(
        &self,
        meeting_id: &str,
        item_id: &str,
        title: Option<&str>,
        minutes: Option<u32>,
    ) -> NodeResult<Meeting> {
        self.lock()?.require_facilitator("change the agenda")?;
        self.change_meeting(meeting_id, |m| {
            let item = m
                .agenda
                .get_mut(item_id)
                .ok_or_else(|| NodeError::NotFound {
                    what: "agenda item",
                    id: item_id.to_string(),
                })?;
            if let Some(t) = title {
                item.title = t.trim().to_string();
            }
            if let Some(min) = minutes {
                item.minutes = min;
            }
            Ok(())
        })
    }

    fn action_views(
        &self,
        actions: &[&ActionItem],
        names: &HashMap<String, String>,
        meetings: &[Meeting],
    ) -> Vec<ActionView> {
        actions
            .iter()
            .map(|a| ActionView {
                owner_name: a.owner_org.as_ref().and_then(|o| names.get(o).cloned()),
                from_meeting: meetings
                    .iter()
                    .find(|m| m.id == a.meeting_id)
                    .map(|m| m.starts_at),
                action: (*a).clone(),
            })
            .collect()
    }

    /// The meeting screen in one answer.
    pub fn meeting_view(&self, id: &str) -> NodeResult<MeetingView> {
        let meeting = self.meeting(id)?;
        let minutes = self.minutes(id)?;
        let (orgs, meetings, actions, collaborations) = {
            let st = self.lock()?;
            let doc = st.street()?;
            (
                doc.all::<Organisation>(),
                doc.all::<Meeting>(),
                doc.all::<ActionItem>(),
                doc.all::<Collaboration>(),
            )
        };
        let names: HashMap<String, String> = orgs
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect();
        let mut here: Vec<&ActionItem> = actions.iter().filter(|a| a.meeting_id == id).collect();
        here.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        let carried = carried_over(&meeting, &meetings, &actions);
        let mut attendance: Vec<AttendanceLine> = orgs
            .iter()
            .filter(|o| o.is_member() || meeting.attendance.contains_key(&o.id))
            .map(|o| {
                let a = meeting.attendance.get(&o.id);
                AttendanceLine {
                    org_id: o.id.clone(),
                    name: o.name.clone(),
                    present: a.is_some_and(|a| a.present),
                    people: a.map(|a| a.people).unwrap_or(0),
                }
            })
            .collect();
        attendance.sort_by_key(|a| a.name.to_lowercase());
        let captured_posts = self
            .list_posts(&PostFilter {
                statuses: PostStatus::ALL.to_vec(),
                limit: None,
                ..Default::default()
            })?
            .into_iter()
            .filter(|v| v.post.origin_meeting.as_deref() == Some(id))
            .collect();
        let captured_collaborations = collaborations
            .into_iter()
            .filter(|c| {
                c.origin.kind == OriginKind::Meeting && c.origin.ref_id.as_deref() == Some(id)
            })
            .collect();
        Ok(MeetingView {
            host_name: meeting
                .host_org
                .as_ref()
                .and_then(|h| names.get(h).cloned()),
            minutes_text: minutes.text,
            in_confidence: minutes.in_confidence,
            decisions: minutes.decisions,
            attendance,
            actions: self.action_views(&here, &names, &meetings),
            carried_over: self.action_views(&carried, &names, &meetings),
            captured_posts,
            captured_collaborations,
            meeting,
        })
    }

    /// An offer or need captured from the minutes, for the member who voiced it.
    pub fn capture_post(&self, meeting_id: &str, mut input: PostInput) -> NodeResult<Post> {
        self.meeting(meeting_id)?;
        input.origin_meeting = Some(meeting_id.to_string());
        self.create_post(input)
    }

    /// "A should talk to B": recorded as a relation made here and an action for A.
    pub fn capture_introduction(
        &self,
        meeting_id: &str,
        a: &str,
        b: &str,
        note: &str,
    ) -> NodeResult<ActionItem> {
        let (name_a, name_b) = (self.organisation(a)?.name, self.organisation(b)?.name);
        self.meeting(meeting_id)?;
        let note = note.trim();
        let text = if note.is_empty() {
            format!("{name_a} talks to {name_b}")
        } else {
            format!("{name_a} talks to {name_b}: {note}")
        };
        // Both records are checked before either is written, so a refused introduction
        // leaves nothing behind.
        let probe = ActionItem {
            id: String::new(),
            meeting_id: meeting_id.to_string(),
            text: text.clone(),
            owner_org: Some(a.to_string()),
            due: None,
            done_at: None,
            created_at: clock::now_ms(),
        };
        probe.validate().map_err(|e| {
            // The action's text is made of the names and the note: the note is what to shorten.
            ivej_model::ValidationErrors(
                e.0.into_iter()
                    .map(|f| ivej_model::FieldError {
                        field: "note".into(),
                        problem: f.problem,
                    })
                    .collect(),
            )
        })?;
        if a == b {
            return Err(ivej_model::ValidationErrors::single(
                "b",
                ivej_model::Problem::NotAllowed {
                    value: b.to_string(),
                    allowed: "another organisation".into(),
                },
            )
            .into());
        }
        self.record_relationship(a, b, RelationKind::MetHere, false)?;
        self.add_action(meeting_id, &text, Some(a), None)
    }

    /// A collaboration captured from the minutes, with the meeting as its origin.
    pub fn capture_collaboration(
        &self,
        meeting_id: &str,
        mut input: CollaborationInput,
    ) -> NodeResult<Collaboration> {
        self.meeting(meeting_id)?;
        input.origin.kind = OriginKind::Meeting;
        input.origin.ref_id = Some(meeting_id.to_string());
        self.add_collaboration(input)
    }

    /// Relations that come of a collaboration: its organisations now know each other
    /// (collaborating, once agreed).
    pub(crate) fn relate_collaborators(&self, c: &Collaboration) -> NodeResult<()> {
        let kind = if matches!(c.stage, Stage::Agreed | Stage::Realised) {
            RelationKind::Collaborating
        } else {
            RelationKind::MetHere
        };
        for (i, a) in c.orgs.iter().enumerate() {
            for b in &c.orgs[i + 1..] {
                self.record_relationship(a, b, kind, false)?;
            }
        }
        Ok(())
    }

    /// An accepted interest puts the two organisations in touch.
    pub(crate) fn relate_on_interest(&self, interest: &Interest) -> NodeResult<()> {
        let post = self.post(&interest.post_id)?;
        if post.post.org_id != interest.from_org {
            self.record_relationship(
                &post.post.org_id,
                &interest.from_org,
                RelationKind::MetHere,
                false,
            )?;
        }
        Ok(())
    }

    /// The street's results against its targets (the dashboard and `ivej report`).
    pub fn report(&self) -> NodeResult<Report> {
        let st = self.lock()?;
        let doc = st.street()?;
        let street = doc.street()?;
        let organisations: Vec<Organisation> = doc.all();
        let posts: Vec<Post> = doc.all();
        let interests: Vec<Interest> = doc.all();
        let meetings: Vec<Meeting> = doc.all();
        let collaborations: Vec<Collaboration> = doc.all();
        let relationships: Vec<Relationship> = doc.all();
        Ok(report::report(ReportInput {
            street: &street,
            organisations: &organisations,
            posts: &posts,
            interests: &interests,
            meetings: &meetings,
            collaborations: &collaborations,
            relationships: &relationships,
        }))
    }

    /// Every meeting that is not over, as an iCalendar file.
    pub fn meetings_ics(&self) -> NodeResult<String> {
        let street = self.summary()?.street;
        let meetings: Vec<Meeting> = self
            .meetings()?
            .into_iter()
            .filter(|m| m.state != MeetingState::Finalized)
            .collect();
        let names = self.org_names()?;
        let entries: Vec<CalendarEntry<'_>> = meetings
            .iter()
            .map(|m| CalendarEntry {
                meeting: m,
                host_name: m
                    .host_org
                    .as_ref()
                    .and_then(|h| names.get(h).map(String::as_str)),
            })
            .collect();
        Ok(calendar::ics(&street.name, &entries, clock::now_ms()))
    }
}

impl Node {
    /// The members this organisation said it already knew when it joined (its baseline).
    pub fn own_baseline(&self) -> NodeResult<Vec<String>> {
        let own = self.own_org_id()?;
        Ok(self
            .relationships()?
            .into_iter()
            .filter(|r| r.baseline && (r.a == own || r.b == own))
            .map(|r| if r.a == own { r.b } else { r.a })
            .collect())
    }

    /// Marks (or unmarks) one member as known before joining. Unmarking takes the baseline
    /// mark off the pair, and the pair goes if that was all it was.
    pub fn set_knew_before(&self, other: &str, knew: bool) -> NodeResult<Vec<String>> {
        self.take_in_other_writes()?;
        let own = self.own_org_id()?;
        if other == own {
            return self.own_baseline();
        }
        if knew {
            self.record_relationship(&own, other, RelationKind::KnewBefore, true)?;
            return self.own_baseline();
        }
        let key = Relationship::pair_key(&own, other);
        let mut st = self.lock()?;
        let Some(mut r) = st.street()?.get::<Relationship>(&key)? else {
            drop(st);
            return self.own_baseline();
        };
        if r.baseline {
            if r.kind == RelationKind::KnewBefore {
                st.street_mut()?.remove::<Relationship>(&key)?;
            } else {
                r.baseline = false;
                st.street_mut()?.put(&r)?;
            }
            st.persist_street(|_| Ok(()))?;
            drop(st);
            self.emit(ivej_model::NodeEvent::RelationshipChanged { key });
        } else {
            drop(st);
        }
        self.own_baseline()
    }

    /// Sets the whole list of members this organisation already knew.
    pub fn set_own_baseline(&self, knew: &[String]) -> NodeResult<Vec<String>> {
        for other in self.own_baseline()? {
            if !knew.contains(&other) {
                self.set_knew_before(&other, false)?;
            }
        }
        for other in knew {
            self.set_knew_before(other, true)?;
        }
        self.own_baseline()
    }
}
