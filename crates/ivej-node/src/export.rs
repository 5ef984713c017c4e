//! The whole state of a data directory as one JSON-ready value.

use ivej_doc::PostsDoc;
use ivej_model::{
    ActionItem, Collaboration, Interest, Meeting, MeetingSeries, Organisation, Post, Relationship,
    Service, Street,
};
use serde::{Deserialize, Serialize};

use crate::error::NodeResult;
use crate::meetings::MinutesView;
use crate::Node;

/// Everything the street document holds, plus this company's own private posts, the posts
/// shared with it (for the facilitator only, or named members) and the minutes it holds.
/// Only what this device may read: a device holds nothing else. Meant for backups, scripts
/// and funders' spreadsheets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Export {
    pub format: String,
    pub exported_at: i64,
    pub street: Street,
    pub own_org: Option<String>,
    pub organisations: Vec<Organisation>,
    pub posts: Vec<Post>,
    pub private_posts: Vec<Post>,
    /// Posts shared with some (the facilitator only, or named members) that this device
    /// holds.
    #[serde(default)]
    pub shared_posts: Vec<Post>,
    pub interests: Vec<Interest>,
    pub series: Vec<MeetingSeries>,
    pub meetings: Vec<Meeting>,
    pub minutes: Vec<MinutesView>,
    pub actions: Vec<ActionItem>,
    pub collaborations: Vec<Collaboration>,
    pub relationships: Vec<Relationship>,
    pub services: Vec<Service>,
}

/// Identifies the export format for readers; bump on incompatible changes.
pub const EXPORT_FORMAT: &str = "industrivej-export/1";

fn sorted<T>(mut items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    items.sort_by_key(|i| key(i));
    items
}

impl Node {
    pub fn export(&self) -> NodeResult<Export> {
        let meetings = self.meetings()?;
        let mut minutes = Vec::with_capacity(meetings.len());
        for m in &meetings {
            minutes.push(self.minutes(&m.id)?);
        }
        let st = self.lock()?;
        let doc = st.street()?;
        Ok(Export {
            format: EXPORT_FORMAT.to_string(),
            exported_at: crate::clock::now_ms(),
            street: doc.street()?,
            own_org: st.own_org.clone(),
            organisations: sorted(doc.all(), |o: &Organisation| o.id.clone()),
            posts: sorted(doc.all(), |p: &Post| p.id.clone()),
            private_posts: st
                .private
                .as_ref()
                .map(|p| sorted(p.posts(), |p: &Post| p.id.clone()))
                .unwrap_or_default(),
            shared_posts: sorted(
                st.scoped.values().flat_map(|d| d.posts()).collect(),
                |p: &Post| p.id.clone(),
            ),
            interests: sorted(doc.all(), |i: &Interest| i.id.clone()),
            series: sorted(doc.all(), |s: &MeetingSeries| s.id.clone()),
            meetings,
            minutes,
            actions: sorted(doc.all(), |a: &ActionItem| a.id.clone()),
            collaborations: sorted(doc.all(), |c: &Collaboration| c.id.clone()),
            relationships: sorted(doc.all(), |r: &Relationship| r.key()),
            services: sorted(doc.all(), |s: &Service| s.id.clone()),
        })
    }
}
