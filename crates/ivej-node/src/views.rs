//! Composite answers for the desktop app's screens: a post with its author and the interest
//! shown in it, the members directory with distances, peers with their organisations' names.
//! Each is one call so the UI never stitches records together itself.

use std::collections::HashMap;

use ivej_model::ipc::{InterestView, MemberDetail, MemberView, PeerView, PostDetail};
use ivej_model::{InterestStatus, Organisation, PostFilter, PostStatus};

use crate::error::NodeResult;
use crate::Node;

fn km(from: &Organisation, to: &Organisation) -> Option<f64> {
    Some(from.geo.as_ref()?.distance_km(to.geo.as_ref()?))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Node {
    /// Every organisation's name by id (members who left included: their records stay).
    pub fn org_names(&self) -> NodeResult<HashMap<String, String>> {
        let st = self.lock()?;
        Ok(st
            .street()?
            .all::<Organisation>()
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect())
    }

    /// The meetings list: each meeting with its host's name, earliest first.
    pub fn meeting_rows(&self) -> NodeResult<Vec<ivej_model::ipc::MeetingRow>> {
        let names = self.org_names()?;
        Ok(self
            .meetings()?
            .into_iter()
            .map(|meeting| ivej_model::ipc::MeetingRow {
                host_name: meeting
                    .host_org
                    .as_ref()
                    .and_then(|h| names.get(h).cloned()),
                meeting,
            })
            .collect())
    }

    /// A post in full, with its author (unless anonymous to this reader) and interest: all of
    /// it for the author and the facilitator, only one's own for everybody else.
    pub fn post_detail(&self, id: &str) -> NodeResult<PostDetail> {
        let view = self.post(id)?;
        let own = self.own_org_id()?;
        let facilitator = self.is_facilitator()?;
        let authored = view.post.org_id == own;
        let interests_here = self.interests(id)?;
        // An anonymous need's author, once it accepted this organisation's interest.
        let revealed = interests_here
            .iter()
            .find(|i| i.from_org == own && i.status == InterestStatus::Accepted)
            .and_then(|i| i.revealed_author.clone());
        let author = match (&view.org_name, revealed) {
            (Some(_), _) => Some(self.organisation(&view.post.org_id)?),
            (None, Some(org)) => self.organisation(&org).ok(),
            (None, None) => None,
        };
        let names = self.org_names()?;
        let interests = interests_here
            .into_iter()
            .filter(|i| authored || facilitator || i.from_org == own)
            .map(|interest| {
                let revealed = !interest.brokered
                    || facilitator
                    || interest.from_org == own
                    || interest.status == InterestStatus::Accepted;
                InterestView {
                    org_name: revealed
                        .then(|| names.get(&interest.from_org).cloned())
                        .flatten(),
                    interest,
                }
            })
            .collect();
        Ok(PostDetail {
            mine: authored,
            can_edit: authored || facilitator,
            author,
            interests,
            view,
        })
    }

    /// The members directory (or those matching `text`), nearest first when this
    /// organisation has a location, else by name.
    pub fn members(&self, text: Option<&str>) -> NodeResult<Vec<MemberView>> {
        let own = self.own_organisation()?;
        let mut open: HashMap<String, usize> = HashMap::new();
        for view in self.list_posts(&PostFilter::default())? {
            if view.org_name.is_some() {
                *open.entry(view.post.org_id).or_default() += 1;
            }
        }
        let searching = text.is_some_and(|t| !t.trim().is_empty());
        let mut members: Vec<MemberView> = self
            .organisations(text)?
            .into_iter()
            .filter(Organisation::is_member)
            .map(|org| MemberView {
                distance_km: if org.id == own.id {
                    None
                } else {
                    km(&own, &org)
                },
                open_posts: count(open.get(&org.id).copied().unwrap_or(0)),
                own: org.id == own.id,
                org,
            })
            .collect();
        if !searching {
            // Own organisation first, then by distance, then the ones without a location.
            members.sort_by(|a, b| {
                b.own
                    .cmp(&a.own)
                    .then(
                        a.distance_km
                            .unwrap_or(f64::INFINITY)
                            .total_cmp(&b.distance_km.unwrap_or(f64::INFINITY)),
                    )
                    .then_with(|| a.org.name.to_lowercase().cmp(&b.org.name.to_lowercase()))
            });
        }
        Ok(members)
    }

    /// One member with its CV and the offers and needs under its name.
    pub fn member(&self, id: &str) -> NodeResult<MemberDetail> {
        let own = self.own_organisation()?;
        let org = self.organisation(id)?;
        let posts: Vec<_> = self
            .list_posts(&PostFilter {
                org_id: Some(id.to_string()),
                statuses: vec![PostStatus::Open, PostStatus::InDialogue],
                ..Default::default()
            })?
            .into_iter()
            .filter(|v| v.org_name.is_some())
            .collect();
        Ok(MemberDetail {
            member: MemberView {
                distance_km: if org.id == own.id {
                    None
                } else {
                    km(&own, &org)
                },
                open_posts: count(posts.len()),
                own: org.id == own.id,
                org,
            },
            posts,
        })
    }

    /// Peer devices with the names of their organisations, connected ones first.
    pub fn peer_views(&self) -> NodeResult<Vec<PeerView>> {
        let mut views: Vec<PeerView> = self
            .peer_statuses()?
            .into_iter()
            .map(|status| {
                let org_name = self.lock().ok().and_then(|st| st.org_name(&status.org_id));
                PeerView { status, org_name }
            })
            .collect();
        views.sort_by(|a, b| {
            b.status
                .connected
                .cmp(&a.status.connected)
                .then(b.status.last_seen.cmp(&a.status.last_seen))
        });
        Ok(views)
    }
}
