//! The street's results against its targets: the arithmetic of the dashboard and of
//! `ivej report`. Pure, so it is tested with hand-made records.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::collaboration::{Collaboration, RelationKind, Relationship, Stage};
use crate::interest::Interest;
use crate::meeting::{Meeting, MeetingState};
use crate::organisation::Organisation;
use crate::post::Post;
use crate::rotation::can_host;
use crate::street::{KpiTargets, Street};
use crate::time::Date;

/// What the report is computed from.
#[derive(Debug, Clone, Copy)]
pub struct ReportInput<'a> {
    pub street: &'a Street,
    pub organisations: &'a [Organisation],
    pub posts: &'a [Post],
    pub interests: &'a [Interest],
    pub meetings: &'a [Meeting],
    pub collaborations: &'a [Collaboration],
    pub relationships: &'a [Relationship],
}

/// Figures of one calendar month (`YYYY-MM`); results are cumulative to the month's end.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct MonthFigures {
    pub month: String,
    pub posts: u32,
    pub interests: u32,
    pub meetings_held: u32,
    pub collaborations_agreed_total: u32,
    pub new_relations_total: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEdge {
    pub a: String,
    pub b: String,
    pub kind: RelationKind,
    /// Known before joining (the baseline), as opposed to made in the network.
    pub baseline: bool,
}

/// The relationship graph: `then` is the baseline, `now` every relation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub then: Vec<GraphEdge>,
    pub now: Vec<GraphEdge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub street_name: String,
    pub targets: KpiTargets,
    /// Member companies (members who can host; not the facilitator's organisation).
    pub companies: u32,
    /// Collaborations now agreed or realised (the target counts these).
    pub collaborations_agreed: u32,
    pub collaborations_total: u32,
    /// Relations made in the network (not in the baseline).
    pub new_relations: u32,
    /// Each new relation counts for both companies it joins.
    pub new_relations_per_company: f64,
    /// Meetings started or finished.
    pub meetings_held: u32,
    pub meetings_planned: u32,
    /// Member companies present per meeting held, on average.
    pub attendance_average: f64,
    /// That average as a share of the member companies (0..1).
    pub attendance_rate: f64,
    pub posts: u32,
    pub interests: u32,
    pub months: Vec<MonthFigures>,
    pub graph: Graph,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn month_of_ms(ms: i64) -> String {
    Date::from_unix_ms(ms).0.format("%Y-%m").to_string()
}

fn month_of(d: Date) -> String {
    d.0.format("%Y-%m").to_string()
}

/// `YYYY-MM` months from `first` to `last`, both included.
fn months_between(first: &str, last: &str) -> Vec<String> {
    let parse = |m: &str| -> Option<(i32, u32)> {
        let (y, mo) = m.split_once('-')?;
        Some((y.parse().ok()?, mo.parse().ok()?))
    };
    let (Some((mut y, mut m)), Some(end)) = (parse(first), parse(last)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // At most a few decades of months: a guard against a nonsense date from a peer.
    while (y, m) <= end && out.len() < 1200 {
        out.push(format!("{y:04}-{m:02}"));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

fn held(m: &Meeting) -> bool {
    m.state != MeetingState::Planned
}

/// When a collaboration first reached agreed (or realised), Unix ms.
fn agreed_at(c: &Collaboration) -> Option<i64> {
    let from_history = c
        .history
        .values()
        .filter(|h| matches!(h.stage, Stage::Agreed | Stage::Realised))
        .map(|h| h.at)
        .min();
    match c.stage {
        Stage::Agreed | Stage::Realised => from_history.or(Some(c.created_at)),
        _ => None,
    }
}

pub fn report(input: ReportInput<'_>) -> Report {
    let companies = input.organisations.iter().filter(|o| can_host(o)).count();
    let agreed: Vec<i64> = input.collaborations.iter().filter_map(agreed_at).collect();
    let new_relations: Vec<&Relationship> =
        input.relationships.iter().filter(|r| !r.baseline).collect();
    let held_meetings: Vec<&Meeting> = input.meetings.iter().filter(|m| held(m)).collect();
    let hosts: BTreeSet<&str> = input
        .organisations
        .iter()
        .filter(|o| can_host(o))
        .map(|o| o.id.as_str())
        .collect();
    // Member companies present (the facilitator's organisation is there anyway), so the
    // rate never passes 100 %.
    let present: usize = held_meetings
        .iter()
        .map(|m| {
            m.attendance
                .iter()
                .filter(|(org, a)| a.present && hosts.contains(org.as_str()))
                .count()
        })
        .sum();
    let attendance_average = if held_meetings.is_empty() {
        0.0
    } else {
        present as f64 / held_meetings.len() as f64
    };

    // Months from the first record to the last.
    let mut per_month: BTreeMap<String, MonthFigures> = BTreeMap::new();
    let mut bump = |month: String, f: &dyn Fn(&mut MonthFigures)| {
        let entry = per_month
            .entry(month.clone())
            .or_insert_with(|| MonthFigures {
                month,
                ..Default::default()
            });
        f(entry);
    };
    for p in input.posts {
        bump(month_of_ms(p.created_at), &|m| m.posts += 1);
    }
    for i in input.interests {
        bump(month_of_ms(i.created_at), &|m| m.interests += 1);
    }
    for m in &held_meetings {
        bump(month_of(m.starts_at.date()), &|f| f.meetings_held += 1);
    }
    let agreed_months: Vec<String> = agreed.iter().map(|t| month_of_ms(*t)).collect();
    let relation_months: Vec<String> = new_relations.iter().map(|r| month_of(r.since)).collect();
    for m in agreed_months.iter().chain(relation_months.iter()) {
        bump(m.clone(), &|_| {});
    }
    // Every month from the first to the last, so the chart's axis is time.
    if let (Some(first), Some(last)) = (
        per_month.keys().next().cloned(),
        per_month.keys().next_back().cloned(),
    ) {
        for month in months_between(&first, &last) {
            per_month
                .entry(month.clone())
                .or_insert_with(|| MonthFigures {
                    month,
                    ..Default::default()
                });
        }
    }
    let months: Vec<MonthFigures> = per_month
        .into_values()
        .map(|mut f| {
            f.collaborations_agreed_total =
                count(agreed_months.iter().filter(|m| **m <= f.month).count());
            f.new_relations_total =
                count(relation_months.iter().filter(|m| **m <= f.month).count());
            f
        })
        .collect();

    let members: BTreeSet<&str> = input
        .organisations
        .iter()
        .filter(|o| o.is_member())
        .map(|o| o.id.as_str())
        .collect();
    let edge = |r: &Relationship| GraphEdge {
        a: r.a.clone(),
        b: r.b.clone(),
        kind: r.kind,
        baseline: r.baseline,
    };
    let mut nodes: Vec<GraphNode> = input
        .organisations
        .iter()
        .filter(|o| o.is_member())
        .map(|o| GraphNode {
            id: o.id.clone(),
            name: o.name.clone(),
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    let on_graph =
        |r: &&Relationship| members.contains(r.a.as_str()) && members.contains(r.b.as_str());
    let graph = Graph {
        nodes,
        then: input
            .relationships
            .iter()
            .filter(|r| r.baseline)
            .filter(on_graph)
            .map(edge)
            .collect(),
        now: input
            .relationships
            .iter()
            .filter(on_graph)
            .map(edge)
            .collect(),
    };

    Report {
        street_name: input.street.name.clone(),
        targets: input.street.targets.clone(),
        companies: count(companies),
        collaborations_agreed: count(agreed.len()),
        collaborations_total: count(input.collaborations.len()),
        new_relations: count(new_relations.len()),
        new_relations_per_company: if companies == 0 {
            0.0
        } else {
            2.0 * new_relations.len() as f64 / companies as f64
        },
        meetings_held: count(held_meetings.len()),
        meetings_planned: count(input.meetings.len() - held_meetings.len()),
        attendance_average,
        attendance_rate: if companies == 0 {
            0.0
        } else {
            attendance_average / companies as f64
        },
        posts: count(input.posts.len()),
        interests: count(input.interests.len()),
        months,
        graph,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::collaboration::{
        CollaborationKind, CollaborationValue, Origin, OriginKind, StageChange,
    };
    use crate::meeting::Attendance;
    use crate::organisation::OrgType;
    use crate::street::StreetKind;

    fn ms(date: &str) -> i64 {
        let d: Date = date.parse().unwrap();
        d.0.and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn org(id: &str, kind: OrgType) -> Organisation {
        crate::OrgProfile {
            name: id.to_uppercase(),
            org_type: Some(kind),
            ..Default::default()
        }
        .into_organisation(id.into(), 0)
    }

    fn street() -> Street {
        Street {
            id: "s".into(),
            name: "Industrivej".into(),
            kind: StreetKind::MiniNetwork,
            region: String::new(),
            cadence_days: 14,
            meeting_minutes: 60,
            languages: Vec::new(),
            funders: Vec::new(),
            targets: KpiTargets::default(),
            facilitator_org: "f".into(),
            current_challenge: None,
            created_at: 0,
        }
    }

    fn meeting(id: &str, at: &str, state: MeetingState, present: &[&str]) -> Meeting {
        Meeting {
            id: id.into(),
            series_id: None,
            starts_at: at.parse().unwrap(),
            duration_minutes: 60,
            host_org: None,
            location: String::new(),
            state,
            agenda: BTreeMap::new(),
            attendance: present
                .iter()
                .map(|o| {
                    (
                        (*o).to_string(),
                        Attendance {
                            present: true,
                            people: 1,
                        },
                    )
                })
                .collect(),
            challenge: None,
            created_at: 0,
        }
    }

    fn collab(id: &str, stages: &[(Stage, &str)]) -> Collaboration {
        let history: BTreeMap<String, StageChange> = stages
            .iter()
            .enumerate()
            .map(|(i, (stage, at))| {
                (
                    format!("{id}{i}"),
                    StageChange {
                        stage: *stage,
                        at: ms(at),
                        note: String::new(),
                    },
                )
            })
            .collect();
        Collaboration {
            id: id.into(),
            title: id.into(),
            kind: CollaborationKind::CapacityTrade,
            orgs: vec!["a".into(), "b".into()],
            stage: stages.last().map(|s| s.0).unwrap_or(Stage::Idea),
            value: CollaborationValue::default(),
            origin: Origin {
                kind: OriginKind::Meeting,
                ref_id: None,
            },
            history,
            created_at: ms(stages[0].1),
        }
    }

    fn relation(a: &str, b: &str, since: &str, baseline: bool) -> Relationship {
        Relationship {
            a: a.into(),
            b: b.into(),
            kind: if baseline {
                RelationKind::KnewBefore
            } else {
                RelationKind::MetHere
            },
            since: since.parse().unwrap(),
            baseline,
        }
    }

    #[test]
    fn the_kpis_count_what_the_targets_count() {
        let street = street();
        let mut gone = org("d", OrgType::Sme);
        gone.left_at = Some(5);
        let orgs = vec![
            org("f", OrgType::Facilitator),
            org("a", OrgType::Sme),
            org("b", OrgType::Sme),
            org("c", OrgType::Sme),
            gone,
        ];
        let meetings = vec![
            meeting(
                "m1",
                "2026-09-03T15:00",
                MeetingState::Finalized,
                &["a", "b", "f"],
            ),
            meeting("m2", "2026-10-01T15:00", MeetingState::Finalized, &["a"]),
            meeting("m3", "2026-12-03T15:00", MeetingState::Planned, &[]),
        ];
        let collaborations = vec![
            collab(
                "agreed",
                &[(Stage::Idea, "2026-09-03"), (Stage::Agreed, "2026-10-10")],
            ),
            collab(
                "realised",
                &[
                    (Stage::Negotiating, "2026-09-10"),
                    (Stage::Agreed, "2026-09-20"),
                    (Stage::Realised, "2026-11-01"),
                ],
            ),
            collab(
                "dropped",
                &[
                    (Stage::Agreed, "2026-09-05"),
                    (Stage::Dropped, "2026-09-30"),
                ],
            ),
            collab("idea", &[(Stage::Idea, "2026-10-02")]),
        ];
        let relationships = vec![
            relation("a", "b", "2026-08-01", true),
            relation("a", "c", "2026-09-03", false),
            relation("b", "c", "2026-10-01", false),
            relation("c", "d", "2026-10-05", false),
        ];
        let r = report(ReportInput {
            street: &street,
            organisations: &orgs,
            posts: &[],
            interests: &[],
            meetings: &meetings,
            collaborations: &collaborations,
            relationships: &relationships,
        });
        assert_eq!(r.companies, 3, "neither the facilitator nor who left");
        assert_eq!(
            r.collaborations_agreed, 2,
            "agreed or realised now; dropped does not count"
        );
        assert_eq!(r.collaborations_total, 4);
        assert_eq!(r.new_relations, 3, "the baseline does not count");
        assert!(
            (r.new_relations_per_company - 2.0).abs() < 1e-9,
            "3 relations, 2 ends each, 3 companies"
        );
        assert_eq!((r.meetings_held, r.meetings_planned), (2, 1));
        assert!(
            (r.attendance_average - 1.5).abs() < 1e-9,
            "(2 + 1) / 2 meetings"
        );
        assert!((r.attendance_rate - 0.5).abs() < 1e-9);
        // Months are cumulative for results.
        let months: Vec<(&str, u32, u32, u32)> = r
            .months
            .iter()
            .map(|m| {
                (
                    m.month.as_str(),
                    m.meetings_held,
                    m.collaborations_agreed_total,
                    m.new_relations_total,
                )
            })
            .collect();
        assert_eq!(
            months,
            [("2026-09", 1, 1, 1), ("2026-10", 1, 2, 3)],
            "realised counted from when it was agreed"
        );
        assert_eq!(
            months_between("2025-11", "2026-02"),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        // The graph: then is the baseline, now all; the member who left is not drawn.
        assert_eq!(r.graph.then.len(), 1);
        assert_eq!(r.graph.now.len(), 3);
        assert_eq!(r.graph.nodes.len(), 4);
    }
}
