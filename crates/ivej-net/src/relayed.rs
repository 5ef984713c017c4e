//! A node's side of the relay: one control connection that keeps the mailbox in step
//! (puts what it lacks, takes what is new after each cursor, a snapshot now and then) and
//! makes live sessions with members online at the same time. What to put and whether to
//! take a bundle is the node's (`ivej_node::Node::mailbox_*`); this only carries bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ivej_model::NodeEvent;
use ivej_node::{MailboxDoc, Node, NodeError};
use ivej_relay::{Push, RelayAddress, RelayClient, RelayError};
use tokio::sync::{broadcast, mpsc, watch};

use crate::error::NetError;
use crate::session::{blocking, serve_relayed, SessionLimits};

/// Entries asked for at once.
const LIST_BATCH: u16 = 256;
/// How often the mailbox is listed even without a notice (a notice can be missed), and
/// the connection pinged.
const POLL_EVERY: Duration = Duration::from_secs(30);
/// How often devices not in a session are called.
const CALL_EVERY: Duration = Duration::from_secs(3);
/// The longest wait before calling a device that was not online again.
const CALL_BACKOFF_MAX: Duration = Duration::from_secs(60);
/// How long one side of a live session waits for the other to join.
const JOIN_WAIT: Duration = Duration::from_secs(20);

fn relay_error(e: RelayError) -> NetError {
    match e {
        RelayError::Io(e) => NetError::Io(e),
        RelayError::Timeout => NetError::Timeout,
        RelayError::Closed => NetError::Closed,
        other => NetError::Protocol(format!("relay: {other}")),
    }
}

/// Runs a request again after the relay's "come back in ..." (a few times).
async fn patiently<T, F, Fut>(mut f: F) -> Result<T, NetError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RelayError>>,
{
    for _ in 0..5 {
        match f().await {
            Err(e) => match ivej_relay::client::retry_after(&e) {
                Some(wait) => tokio::time::sleep(wait.min(Duration::from_secs(30))).await,
                None => return Err(relay_error(e)),
            },
            Ok(v) => return Ok(v),
        }
    }
    f().await.map_err(relay_error)
}

fn address_of(node: &Node) -> Result<Option<RelayAddress>, NodeError> {
    Ok(node.relay()?.map(|r| RelayAddress {
        addr: r.address,
        key: r.key,
    }))
}

/// How a node uses its relay.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RelayOptions {
    /// Entries in a topic after which a device up to date puts a snapshot.
    pub snapshot_every: u64,
    /// Whether to listen for and make live sessions through the relay.
    pub live: bool,
}

/// Keeps this node on its relay until `stop`: connects when a relay is set, again after
/// the connection fails (backing off, or when the relay said when), and follows a change
/// of relay.
pub(crate) async fn keep_relaying(
    node: Arc<Node>,
    limits: SessionLimits,
    options: RelayOptions,
    mut stop: watch::Receiver<bool>,
) {
    let mut events = node.subscribe();
    let mut backoff = Duration::from_millis(200);
    loop {
        if *stop.borrow() {
            return;
        }
        let address = {
            let node = node.clone();
            tokio::task::spawn_blocking(move || address_of(&node))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten()
        };
        let used = address.clone();
        let wait = match address {
            None => Duration::from_secs(3600),
            Some(address) => {
                let started = Instant::now();
                let ended =
                    on_relay(&node, &address, limits, options, &mut events, stop.clone()).await;
                if started.elapsed() > Duration::from_secs(30) {
                    backoff = Duration::from_millis(200);
                }
                let _ = blocking(&node, |n| n.relay_disconnected()).await;
                match ended {
                    Ok(()) => Duration::ZERO,
                    Err(Some(wait)) => wait,
                    Err(None) => {
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        backoff
                    }
                }
            }
        };
        if *stop.borrow() {
            return;
        }
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                event = events.recv() => {
                    // Status changes come as the same event: only another relay counts.
                    if matches!(event, Ok(NodeEvent::RelayChanged))
                        && blocking(&node, address_of).await.ok() != Some(used.clone())
                    {
                        backoff = Duration::from_millis(200);
                        break;
                    }
                    if matches!(event, Err(broadcast::error::RecvError::Closed)) {
                        return;
                    }
                }
                _ = stop.changed() => return,
            }
        }
    }
}

/// One document's topic on this connection.
struct Topic {
    doc: MailboxDoc,
    /// The newest snapshot seen in it (0: none seen).
    snapshot_at: u64,
}

/// One connection to the relay, until it fails (`Err(retry after, if the relay said)`),
/// the relay setting changes or `stop` (`Ok`).
async fn on_relay(
    node: &Arc<Node>,
    address: &RelayAddress,
    limits: SessionLimits,
    options: RelayOptions,
    events: &mut broadcast::Receiver<NodeEvent>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Option<Duration>> {
    let fail = |_: NetError| -> Option<Duration> { None };
    let (client, mut pushes) = match RelayClient::connect(address).await {
        Ok(c) => c,
        Err(e) => return Err(ivej_relay::client::retry_after(&e)),
    };
    let client = Arc::new(client);
    let own = blocking(node, |n| n.device_id()).await.map_err(fail)?;
    let rendezvous = blocking(node, move |n| n.rendezvous(&own))
        .await
        .map_err(fail)?;
    if options.live {
        client
            .listen(rendezvous)
            .await
            .map_err(|e| ivej_relay::client::retry_after(&e))?;
    }
    blocking(node, |n| n.relay_connected())
        .await
        .map_err(fail)?;
    // The epoch first: rekeys this device began go out, and one that came for it moves
    // it on (the topics below are then the new epoch's).
    put_rekeys(node, &client).await.map_err(fail)?;
    let mut control = blocking(node, |n| n.control_topic()).await.map_err(fail)?;
    let epoch = control.topic.epoch;
    let control_id = control.topic.id;
    let proof = control.topic.open_proof(client.handshake_hash());
    patiently(|| client.open(control_id, proof))
        .await
        .map_err(fail)?;
    if follow_control(node, &client, &mut control)
        .await
        .map_err(fail)?
    {
        return Ok(());
    }
    put_key_grants(node, &client, &control)
        .await
        .map_err(fail)?;
    let mut topics: HashMap<[u8; 32], Topic> = HashMap::new();
    open_new_topics(node, &client, &mut topics, options.snapshot_every)
        .await
        .map_err(fail)?;
    let (session_stop, session_stop_rx) = watch::channel(false);
    let (ended_tx, mut ended) = mpsc::channel::<()>(16);
    let mut calls: HashMap<String, (Instant, Duration)> = HashMap::new();
    let mut poll = tokio::time::interval(POLL_EVERY);
    poll.tick().await;
    let mut call = tokio::time::interval(CALL_EVERY);
    let result = loop {
        tokio::select! {
            push = pushes.recv() => {
                match push {
                    None => break Err(None),
                    Some(Push::Notify { topic, .. }) if topic == control_id => {
                        if follow_control(node, &client, &mut control).await.map_err(fail)? {
                            break Ok(());
                        }
                        // Keys may have come: their topics.
                        open_new_topics(node, &client, &mut topics, options.snapshot_every).await.map_err(fail)?;
                    }
                    Some(Push::Notify { topic, .. }) => {
                        if topics.contains_key(&topic) {
                            exchange(node, &client, &mut topics, topic, options.snapshot_every).await.map_err(fail)?;
                        }
                    }
                    Some(Push::Called { key }) => {
                        spawn_live(node, address, key, false, limits, session_stop_rx.clone(), ended_tx.clone());
                    }
                }
            }
            event = events.recv() => {
                let mut burst = Vec::new();
                let mut lagged = false;
                match event {
                    Ok(e) => burst.push(e),
                    Err(broadcast::error::RecvError::Lagged(_)) => lagged = true,
                    Err(broadcast::error::RecvError::Closed) => break Ok(()),
                }
                while let Ok(e) = events.try_recv() {
                    burst.push(e);
                }
                let relay_changed = burst.iter().any(|e| matches!(e, NodeEvent::RelayChanged));
                if lagged || relay_changed {
                    // Another relay, or none, or a new epoch: start again (whatever else
                    // came in the same burst).
                    let now = blocking(node, address_of).await.map_err(fail)?;
                    let now_epoch = blocking(node, |n| n.epoch()).await.map_err(fail)?;
                    if now.as_ref() != Some(address) || now_epoch != epoch {
                        break Ok(());
                    }
                }
                // A new meeting, a device enrolled, a post for some, minutes now held in
                // confidence, a key made or taken here: keys to give, topics to open.
                let new_topics = lagged
                    || relay_changed
                    || burst.iter().any(|e| matches!(e,
                        NodeEvent::MeetingChanged { .. }
                        | NodeEvent::MembershipChanged
                        | NodeEvent::PostChanged { .. }
                        | NodeEvent::MinutesChanged { .. }
                        | NodeEvent::PrivateChanged));
                if new_topics {
                    put_key_grants(node, &client, &control).await.map_err(fail)?;
                    open_new_topics(node, &client, &mut topics, options.snapshot_every).await.map_err(fail)?;
                }
                let touched = blocking(node, move |n| {
                    if lagged { Ok(None) } else { n.documents_touched_by(&burst).map(Some) }
                }).await.map_err(fail)?;
                let ids: Vec<[u8; 32]> = topics
                    .iter()
                    .filter(|(_, t)| touched.as_ref().is_none_or(|d| d.contains(&t.doc.doc_id)))
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    put_pending(node, &client, &mut topics, id).await.map_err(fail)?;
                }
            }
            _ = poll.tick() => {
                if client.ping().await.is_err() {
                    break Err(None);
                }
                blocking(node, |n| n.relay_connected()).await.map_err(fail)?;
                if follow_control(node, &client, &mut control).await.map_err(fail)? {
                    break Ok(());
                }
                put_key_grants(node, &client, &control).await.map_err(fail)?;
                open_new_topics(node, &client, &mut topics, options.snapshot_every).await.map_err(fail)?;
                for id in topics.keys().copied().collect::<Vec<_>>() {
                    exchange(node, &client, &mut topics, id, options.snapshot_every).await.map_err(fail)?;
                }
            }
            _ = call.tick(), if options.live => {
                let devices = blocking(node, |n| n.devices_to_call()).await.map_err(fail)?;
                let now = Instant::now();
                for device in devices {
                    if calls.get(&device).is_some_and(|(next, _)| *next > now) {
                        continue;
                    }
                    let d = device.clone();
                    let rendezvous = blocking(node, move |n| n.rendezvous(&d)).await.map_err(fail)?;
                    match client.call(rendezvous).await {
                        Ok(key) => {
                            calls.insert(device, (now + JOIN_WAIT, CALL_EVERY));
                            spawn_live(node, address, key, true, limits, session_stop_rx.clone(), ended_tx.clone());
                        }
                        Err(RelayError::Refused { .. }) => {
                            // Not online: call again later, less and less often.
                            let wait = calls.get(&device).map_or(CALL_EVERY, |(_, w)| (*w * 2).min(CALL_BACKOFF_MAX));
                            calls.insert(device, (now + wait, wait));
                        }
                        Err(_) => break,
                    }
                }
            }
            Some(()) = ended.recv() => {
                // A live session ended: its device may be called again at once.
                calls.retain(|_, (next, _)| *next > Instant::now() + JOIN_WAIT);
            }
            _ = stop.changed() => break Ok(()),
        }
    };
    let _ = session_stop.send(true);
    result
}

/// Puts the rekeys this device began into the control topic of the epoch before each.
async fn put_rekeys(node: &Arc<Node>, client: &RelayClient) -> Result<(), NetError> {
    for (epoch, topic, bundle) in blocking(node, |n| n.rekeys_to_put()).await? {
        let proof = topic.open_proof(client.handshake_hash());
        patiently(|| client.open(topic.id, proof)).await?;
        patiently(|| client.put(topic.id, bundle.clone())).await?;
        blocking(node, move |n| n.rekey_put(epoch)).await?;
    }
    Ok(())
}

/// Gives the keys of documents only some may read to the reader devices that lack them,
/// in the epoch's control topic.
async fn put_key_grants(
    node: &Arc<Node>,
    client: &RelayClient,
    control: &MailboxDoc,
) -> Result<(), NetError> {
    let Some(grants) = blocking(node, |n| n.key_grants_to_put()).await? else {
        return Ok(());
    };
    if grants.epoch != control.topic.epoch {
        return Ok(());
    }
    patiently(|| client.put(control.topic.id, grants.bundle.clone())).await?;
    blocking(node, move |n| n.key_grants_put(&grants)).await
}

/// Reads the epoch's control topic after its cursor; returns whether a rekey moved this
/// device to the next epoch.
async fn follow_control(
    node: &Arc<Node>,
    client: &RelayClient,
    control: &mut MailboxDoc,
) -> Result<bool, NetError> {
    let id = control.topic.id;
    let epoch = control.topic.epoch;
    loop {
        let listing = patiently(|| client.list(id, control.cursor, LIST_BATCH)).await?;
        control.last_seq = control.last_seq.max(listing.last_seq);
        let count = listing.entries.len();
        for entry in listing.entries {
            let bundle = patiently(|| client.get(id, entry.seq)).await?;
            let entered = match blocking(node, move |n| n.control_take(&bundle)).await {
                Ok(entered) => entered,
                // Not a rekey from the authority: it will never be one.
                Err(NetError::Node(NodeError::Refused(_))) => false,
                Err(e) => return Err(e),
            };
            if entered {
                return Ok(true);
            }
            control.cursor = entry.seq;
            let (cursor, last) = (control.cursor, control.last_seq);
            blocking(node, move |n| {
                n.mailbox_advance(epoch, ivej_node::CONTROL, cursor, last)
            })
            .await?;
        }
        if count < usize::from(LIST_BATCH) {
            return Ok(false);
        }
    }
}

/// Joins a live session through the relay and runs it in its own task.
fn spawn_live(
    node: &Arc<Node>,
    address: &RelayAddress,
    key: [u8; 32],
    initiator: bool,
    limits: SessionLimits,
    stop: watch::Receiver<bool>,
    ended: mpsc::Sender<()>,
) {
    let node = node.clone();
    let address = address.clone();
    tokio::spawn(async move {
        if let Ok(stream) = ivej_relay::join(&address, key, JOIN_WAIT).await {
            let _ = serve_relayed(node, stream, initiator, limits, stop).await;
        }
        let _ = ended.send(()).await;
    });
}

/// Opens the topics that joined the mailbox (a new meeting's minutes, a key of a document
/// only some may read) and brings each up to date.
async fn open_new_topics(
    node: &Arc<Node>,
    client: &RelayClient,
    topics: &mut HashMap<[u8; 32], Topic>,
    snapshot_every: u64,
) -> Result<(), NetError> {
    let docs = blocking(node, |n| n.mailbox_documents()).await?;
    let mut opened = Vec::new();
    for doc in docs {
        if topics.contains_key(&doc.topic.id) {
            continue;
        }
        let proof = doc.topic.open_proof(client.handshake_hash());
        let id = doc.topic.id;
        let last_seq = patiently(|| client.open(id, proof)).await?;
        let mut doc = doc;
        doc.last_seq = doc.last_seq.max(last_seq);
        topics.insert(
            id,
            Topic {
                doc,
                snapshot_at: 0,
            },
        );
        opened.push(id);
    }
    for id in opened {
        exchange(node, client, topics, id, snapshot_every).await?;
    }
    Ok(())
}

/// Takes what is new in a topic, puts what it lacks, and a snapshot when one is due.
async fn exchange(
    node: &Arc<Node>,
    client: &RelayClient,
    topics: &mut HashMap<[u8; 32], Topic>,
    id: [u8; 32],
    snapshot_every: u64,
) -> Result<(), NetError> {
    take_new(node, client, topics, id).await?;
    put_pending(node, client, topics, id).await?;
    let Some(topic) = topics.get(&id) else {
        return Ok(());
    };
    let up_to_date = topic.doc.cursor >= topic.doc.last_seq;
    if up_to_date && topic.doc.last_seq >= topic.snapshot_at + snapshot_every {
        let doc_id = topic.doc.doc_id.clone();
        let covers = topic.doc.cursor;
        if let Some(bundle) = blocking(node, move |n| n.mailbox_snapshot(&doc_id, &id)).await? {
            let seq = patiently(|| client.put_snapshot(id, covers, bundle.clone())).await?;
            if let Some(t) = topics.get_mut(&id) {
                t.snapshot_at = seq;
            }
        }
    }
    Ok(())
}

/// Takes every entry after the topic's cursor. The cursor moves only over entries that
/// are settled (stored or refused), so none is ever skipped.
async fn take_new(
    node: &Arc<Node>,
    client: &RelayClient,
    topics: &mut HashMap<[u8; 32], Topic>,
    id: [u8; 32],
) -> Result<(), NetError> {
    let Some(topic) = topics.get_mut(&id) else {
        return Ok(());
    };
    let doc_id = topic.doc.doc_id.clone();
    let row = topic.doc.row.clone();
    let epoch = topic.doc.topic.epoch;
    let mut after = topic.doc.cursor;
    let mut cursor = topic.doc.cursor;
    let mut blocked = false;
    'listing: loop {
        let listing = patiently(|| client.list(id, after, LIST_BATCH)).await?;
        topic.doc.last_seq = topic.doc.last_seq.max(listing.last_seq);
        if let Some(snapshot) = listing.snapshot {
            // What this device had not taken was pruned: the snapshot stands in for it.
            let bundle = patiently(|| client.get(id, snapshot.seq)).await?;
            let d = doc_id.clone();
            match blocking(node, move |n| n.mailbox_take(epoch, &d, &bundle)).await {
                Ok(_) | Err(NetError::Node(NodeError::Refused(_))) => {}
                Err(e) => return Err(e),
            }
            topic.snapshot_at = topic.snapshot_at.max(snapshot.seq);
            if !blocked {
                cursor = cursor.max(snapshot.covers);
            }
        }
        let count = listing.entries.len();
        for entry in &listing.entries {
            after = entry.seq;
            if entry.snapshot {
                // Everything in a snapshot is in the entries before it too.
                topic.snapshot_at = topic.snapshot_at.max(entry.seq);
            } else {
                let bundle = match client.get(id, entry.seq).await {
                    Ok(bundle) => bundle,
                    // Pruned since it was listed: list again, from what is taken (the
                    // relay then sends the snapshot that stands in for it).
                    Err(RelayError::Refused {
                        code: ivej_relay::ErrorCode::NotFound,
                        ..
                    }) => {
                        after = cursor;
                        continue 'listing;
                    }
                    Err(e) => match ivej_relay::client::retry_after(&e) {
                        Some(_) => patiently(|| client.get(id, entry.seq)).await?,
                        None => return Err(relay_error(e)),
                    },
                };
                let d = doc_id.clone();
                let settled =
                    match blocking(node, move |n| n.mailbox_take(epoch, &d, &bundle)).await {
                        Ok(settled) => settled,
                        // Refused whole (a damaged bundle, an uncertified signer): it will never
                        // be better, and nothing of it was taken.
                        Err(NetError::Node(NodeError::Refused(_))) => true,
                        Err(e) => return Err(e),
                    };
                blocked |= !settled;
            }
            if !blocked {
                cursor = entry.seq;
            }
        }
        let (r, last) = (row.clone(), topic.doc.last_seq);
        blocking(node, move |n| n.mailbox_advance(epoch, &r, cursor, last)).await?;
        topic.doc.cursor = cursor;
        if count < usize::from(LIST_BATCH) {
            return Ok(());
        }
    }
}

/// Puts every change the mailbox lacks.
async fn put_pending(
    node: &Arc<Node>,
    client: &RelayClient,
    topics: &mut HashMap<[u8; 32], Topic>,
    id: [u8; 32],
) -> Result<(), NetError> {
    let Some(topic) = topics.get_mut(&id) else {
        return Ok(());
    };
    let doc_id = topic.doc.doc_id.clone();
    let row = topic.doc.row.clone();
    let d = doc_id.clone();
    let Some(outgoing) = blocking(node, move |n| n.mailbox_outgoing(&d, &id)).await? else {
        return Ok(());
    };
    for bundle in outgoing.bundles {
        let seq = patiently(|| client.put(id, bundle.clone())).await?;
        // Its own entry, right after what it had taken: nothing to take back.
        if seq == topic.doc.cursor + 1 {
            topic.doc.cursor = seq;
        }
        topic.doc.last_seq = topic.doc.last_seq.max(seq);
    }
    let (cursor, last, epoch) = (topic.doc.cursor, topic.doc.last_seq, topic.doc.topic.epoch);
    blocking(node, move |n| {
        n.mailbox_put(epoch, &doc_id, &outgoing.heads)?;
        n.mailbox_advance(epoch, &row, cursor, last)
    })
    .await
}
