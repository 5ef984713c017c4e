//! Who hosts the next meetings: a fair rotation through the members.
//!
//! Every member hosts once before anyone hosts twice; members who have hosted least come
//! first, then those who joined earliest. Members who left, and the facilitator's own
//! organisation when it is not a company, are never picked. Pure arithmetic, so the UI can
//! show the same proposal the node stores.

use std::collections::HashMap;

use crate::organisation::{OrgType, Organisation};

/// Whether an organisation takes part in the host rotation.
pub fn can_host(org: &Organisation) -> bool {
    org.is_member() && org.org_type != OrgType::Facilitator
}

/// The next `count` hosts, given the hosts of meetings already held or planned (`hosted`,
/// any order, repeats allowed).
pub fn next_hosts(members: &[Organisation], hosted: &[String], count: usize) -> Vec<String> {
    let mut eligible: Vec<&Organisation> = members.iter().filter(|o| can_host(o)).collect();
    if eligible.is_empty() {
        return Vec::new();
    }
    eligible.sort_by(|a, b| a.joined_at.cmp(&b.joined_at).then(a.id.cmp(&b.id)));
    let mut times: HashMap<&str, usize> = eligible.iter().map(|o| (o.id.as_str(), 0)).collect();
    for id in hosted {
        if let Some(n) = times.get_mut(id.as_str()) {
            *n += 1;
        }
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        // Least hosted first; among equals the earliest to join (stable over the round).
        let Some(next) = eligible
            .iter()
            .min_by_key(|o| times.get(o.id.as_str()).copied().unwrap_or(0))
        else {
            break;
        };
        if let Some(n) = times.get_mut(next.id.as_str()) {
            *n += 1;
        }
        out.push(next.id.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, joined: i64) -> Organisation {
        crate::OrgProfile {
            name: id.to_uppercase(),
            ..Default::default()
        }
        .into_organisation(id.into(), joined)
    }

    #[test]
    fn a_full_round_gives_every_member_one_turn_in_order_of_joining() {
        let members = vec![org("c", 3), org("a", 1), org("b", 2)];
        let round = next_hosts(&members, &[], 6);
        assert_eq!(round, ["a", "b", "c", "a", "b", "c"]);
    }

    #[test]
    fn those_who_have_not_hosted_come_first() {
        let members = vec![org("a", 1), org("b", 2), org("c", 3), org("d", 4)];
        let hosted = vec!["a".to_string(), "c".to_string()];
        assert_eq!(next_hosts(&members, &hosted, 3), ["b", "d", "a"]);
    }

    #[test]
    fn members_who_left_and_the_facilitator_are_skipped() {
        let mut gone = org("b", 2);
        gone.left_at = Some(10);
        let mut facilitator = org("f", 0);
        facilitator.org_type = OrgType::Facilitator;
        let members = vec![org("a", 1), gone, org("c", 3), facilitator];
        assert_eq!(next_hosts(&members, &[], 4), ["a", "c", "a", "c"]);
        // Hosts who left still count as hosted, but are never proposed.
        assert_eq!(next_hosts(&members, &["b".into()], 1), ["a"]);
        assert!(next_hosts(&[], &[], 3).is_empty());
    }

    #[test]
    fn over_any_number_of_meetings_no_one_hosts_twice_more_than_another() {
        let members: Vec<_> = (0..7).map(|i| org(&format!("m{i}"), i)).collect();
        let hosted: Vec<String> = vec!["m3".into(), "m3".into(), "m5".into()];
        let next = next_hosts(&members, &hosted, 30);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for h in hosted.iter().chain(next.iter()) {
            *counts.entry(h.as_str()).or_default() += 1;
        }
        let (min, max) = (
            counts.values().min().unwrap(),
            counts.values().max().unwrap(),
        );
        assert!(max - min <= 1, "{counts:?}");
    }
}
