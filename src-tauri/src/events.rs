//! Forwards the node's events to the UI (so changes from peers show up live), and tells the
//! UI when another organisation shows interest in one of this organisation's posts, or
//! posts a new good suggestion for one (`Node::suggestion_notices` decides), for the OS
//! notification, worded in the user's language by the UI.

use std::collections::HashSet;
use std::sync::Arc;

use ivej_model::{Interest, InterestStatus, NodeEvent};
use ivej_node::Node;
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

/// What the UI needs to word the notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterestReceived {
    pub interest_id: String,
    pub post_id: String,
    pub post_title: String,
    /// `None` when the interest is brokered and its sender not revealed.
    pub from: Option<String>,
}

/// Decides whether an interest calls for a notification: new, from another organisation,
/// on one of ours, and not notified before.
pub fn interest_to_notify(
    node: &Node,
    interest: &Interest,
    notified: &mut HashSet<String>,
) -> Option<InterestReceived> {
    if interest.status != InterestStatus::Sent || notified.contains(&interest.id) {
        return None;
    }
    let own = node.own_org_id().ok()?;
    if interest.from_org == own {
        return None;
    }
    let post = node.post(&interest.post_id).ok()?;
    if post.post.org_id != own {
        return None;
    }
    notified.insert(interest.id.clone());
    let from = if interest.brokered {
        None
    } else {
        node.organisation(&interest.from_org).ok().map(|o| o.name)
    };
    Some(InterestReceived {
        interest_id: interest.id.clone(),
        post_id: post.post.id,
        post_title: post.post.title,
        from,
    })
}

/// Runs until the node goes away: every event goes to the UI as `node-event`; interest in
/// our posts also as `interest-received`, new good suggestions as `suggestion-received`.
pub async fn forward(app: AppHandle, node: Arc<Node>) {
    let mut events = node.subscribe();
    let mut notified = HashSet::new();
    let (changed_posts, to_decide) = tokio::sync::mpsc::channel(1024);
    tauri::async_runtime::spawn(notify_suggestions(app.clone(), node.clone(), to_decide));
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            // Missed some: the UI reloads what it shows, which is all an event asks for.
            Err(RecvError::Lagged(_)) => NodeEvent::StreetChanged,
            Err(RecvError::Closed) => return,
        };
        let _ = app.emit("node-event", &event);
        if let NodeEvent::PostChanged { id } = &event {
            // Deciding may read the post with the meaning model (tens of milliseconds):
            // done beside, so events keep flowing; when it falls far behind, the posts
            // it did not get to are not notified (they are on the board all the same).
            let _ = changed_posts.try_send(id.clone());
        }
        if let NodeEvent::InterestChanged { id } = &event {
            let node = node.clone();
            let id = id.clone();
            let lookup = tauri::async_runtime::spawn_blocking(move || {
                let interest: Interest = node.interest(&id).ok()?;
                Some((node, interest))
            })
            .await;
            if let Ok(Some((node, interest))) = lookup {
                if let Some(received) = interest_to_notify(&node, &interest, &mut notified) {
                    let _ = app.emit("interest-received", &received);
                }
            }
        }
    }
}

/// Raises `suggestion-received` for each new good suggestion among the posts that changed
/// (`Node::suggestion_notices` decides), one post at a time.
async fn notify_suggestions(
    app: AppHandle,
    node: Arc<Node>,
    mut changed: tokio::sync::mpsc::Receiver<String>,
) {
    while let Some(id) = changed.recv().await {
        let node = node.clone();
        let notices = tauri::async_runtime::spawn_blocking(move || {
            node.suggestion_notices(&id).unwrap_or_default()
        })
        .await;
        for notice in notices.unwrap_or_default() {
            let _ = app.emit("suggestion-received", &notice);
        }
    }
}

/// Runs until the node goes away: the meaning model reads the board's posts and services
/// after start, and again (after a pause, so a burst of changes is read at once) when
/// posts or services change. Without a model, returns at once.
pub async fn read_meanings(node: Arc<Node>) {
    if node.options().meaning_model.is_none() {
        return;
    }
    let mut events = node.subscribe();
    loop {
        let reader = node.clone();
        // The status the UI shows moves as it reads; a failure leaves it as it was.
        let _ = tauri::async_runtime::spawn_blocking(move || reader.read_meanings(|_, _| {})).await;
        if node.meaning_status().problem.is_some() {
            return;
        }
        loop {
            match events.recv().await {
                Ok(NodeEvent::PostChanged { .. } | NodeEvent::ServiceChanged { .. })
                | Ok(NodeEvent::StreetOpened)
                | Err(RecvError::Lagged(_)) => break,
                Ok(_) => {}
                Err(RecvError::Closed) => return,
            }
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        // What came during the pause is read by the next round.
        while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) =
            events.try_recv()
        {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivej_model::{Direction, OrgProfile, PostInput, StreetKind};
    use ivej_node::{CreateStreet, NodeOptions};

    #[test]
    fn interest_from_another_member_in_our_post_is_notified_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = NodeOptions::new(dir.path());
        options.lan_discovery = false;
        let node = Node::open(options).unwrap();
        node.create_street(CreateStreet {
            name: "Industrivej".into(),
            kind: StreetKind::MiniNetwork,
            region: String::new(),
            languages: Vec::new(),
            org: OrgProfile {
                name: "Regstrup Smedie".into(),
                ..Default::default()
            },
        })
        .unwrap();
        let ours = node
            .create_post(PostInput::new(
                Direction::Offer,
                "CAP.MACH.CNC",
                "CNC Fridays",
            ))
            .unwrap();
        let own_interest_elsewhere = node.add_organisation(OrgProfile {
            name: "Tuse Træ".into(),
            ..Default::default()
        });
        let tuse = own_interest_elsewhere.unwrap();
        // An interest typed by us is no news to us.
        let theirs = node
            .create_post(PostInput {
                on_behalf_of: Some(tuse.id.clone()),
                ..PostInput::new(Direction::Need, "CAP.MACH.CNC", "Milling")
            })
            .unwrap();
        let mut notified = HashSet::new();
        let sent_by_us = node.express_interest(&theirs.id, "we can").unwrap();
        assert_eq!(interest_to_notify(&node, &sent_by_us, &mut notified), None);

        // Tuse's interest in our post (written as if it had arrived from Tuse's device).
        let mut from_tuse = sent_by_us.clone();
        from_tuse.id = "i-tuse".into();
        from_tuse.post_id = ours.id.clone();
        from_tuse.from_org = tuse.id.clone();
        let got = interest_to_notify(&node, &from_tuse, &mut notified).unwrap();
        assert_eq!(got.post_title, "CNC Fridays");
        assert_eq!(got.from.as_deref(), Some("Tuse Træ"));
        assert_eq!(interest_to_notify(&node, &from_tuse, &mut notified), None);
    }
}
