//! Meetings as iCalendar (RFC 5545), for the members' own calendars.
//!
//! Times are written as floating local times: a street's members live in one time zone and
//! the meeting is "15:00 at the host's", whatever the calendar's zone.

use crate::meeting::Meeting;
use crate::time::LocalDateTime;

/// One meeting with what the calendar entry shows besides the meeting itself.
#[derive(Debug, Clone)]
pub struct CalendarEntry<'a> {
    pub meeting: &'a Meeting,
    pub host_name: Option<&'a str>,
}

fn stamp(t: LocalDateTime) -> String {
    t.0.format("%Y%m%dT%H%M%S").to_string()
}

/// Text as iCalendar wants it: backslash, comma, semicolon and newline escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line, folded at 75 octets (never inside a UTF-8 character), CRLF-ended.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

/// The calendar of `street_name`'s meetings. `now` (Unix ms) is the moment of export.
pub fn ics(street_name: &str, entries: &[CalendarEntry<'_>], now: i64) -> String {
    let exported = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|| "19700101T000000Z".into());
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Industrivej//Meetings//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(street_name)));
    for e in entries {
        let m = e.meeting;
        let end =
            LocalDateTime(m.starts_at.0 + chrono::Duration::minutes(i64::from(m.duration_minutes)));
        let mut description: Vec<String> = m
            .agenda_in_order()
            .into_iter()
            .map(|(_, item)| format!("{} ({} min)", item.title, item.minutes))
            .collect();
        if let Some(challenge) = &m.challenge {
            description.push(String::new());
            description.push(challenge.clone());
        }
        let summary = match e.host_name {
            Some(host) => format!("{street_name}: {host}"),
            None => street_name.to_string(),
        };
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@industrivej", m.id));
        line(&mut out, &format!("DTSTAMP:{exported}"));
        line(&mut out, &format!("DTSTART:{}", stamp(m.starts_at)));
        line(&mut out, &format!("DTEND:{}", stamp(end)));
        line(&mut out, &format!("SUMMARY:{}", escape(&summary)));
        if !m.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape(&m.location)));
        }
        line(
            &mut out,
            &format!("DESCRIPTION:{}", escape(&description.join("\n"))),
        );
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::meeting::{AgendaItem, AgendaKind, MeetingState};

    fn meeting() -> Meeting {
        Meeting {
            id: "m1".into(),
            series_id: None,
            starts_at: "2026-12-03T15:00".parse().unwrap(),
            duration_minutes: 60,
            host_org: Some("o".into()),
            location: "Industrivej 4, Regstrup".into(),
            state: MeetingState::Planned,
            agenda: BTreeMap::from([(
                "a".to_string(),
                AgendaItem {
                    position: 0,
                    kind: AgendaKind::Presentation,
                    title: "Presentation of the host".into(),
                    minutes: 30,
                },
            )]),
            attendance: BTreeMap::new(),
            challenge: Some("Idle machines; who, when?".into()),
            created_at: 0,
        }
    }

    #[test]
    fn a_meeting_becomes_an_event_with_escaped_and_folded_lines() {
        let m = meeting();
        let text = ics(
            "Industrivej Regstrup",
            &[CalendarEntry {
                meeting: &m,
                host_name: Some("Regstrup Smedie"),
            }],
            1_800_000_000_000,
        );
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.contains("DTSTART:20261203T150000\r\n"));
        assert!(text.contains("DTEND:20261203T160000\r\n"));
        assert!(text.contains("LOCATION:Industrivej 4\\, Regstrup\r\n"));
        assert!(text.contains("SUMMARY:Industrivej Regstrup: Regstrup Smedie\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        // Unfolding gives back the description line whole.
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(
            "DESCRIPTION:Presentation of the host (30 min)\\n\\nIdle machines\\; who\\, when?"
        ));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let mut out = String::new();
        line(&mut out, &"æ".repeat(100));
        for l in out.split("\r\n") {
            assert!(l.len() <= 75);
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), "æ".repeat(100));
    }
}
