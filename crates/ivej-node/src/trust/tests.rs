//! Membership as the node enforces it: invites' uses, expiry and role, observers, keys at
//! rest, revocation and removal, each through the node's own calls.

use ivej_model::ipc::DeviceRole;
use ivej_model::{Direction, StreetKind};

use crate::{CreateStreet, InviteRequest, Node, NodeError, NodeOptions, OrgProfile, PostInput};

fn node(dir: &std::path::Path) -> Node {
    let mut options = NodeOptions::new(dir);
    options.lan_discovery = false;
    Node::open(options).unwrap()
}

fn street(dir: &std::path::Path) -> Node {
    let n = node(dir);
    n.create_street(CreateStreet {
        name: "Industrivej Regstrup".into(),
        kind: StreetKind::MiniNetwork,
        region: String::new(),
        languages: vec![],
        org: OrgProfile {
            name: "Erhvervshus Holbæk".into(),
            ..Default::default()
        },
    })
    .unwrap();
    n
}

fn profile(name: &str) -> Option<OrgProfile> {
    Some(OrgProfile {
        name: name.into(),
        ..Default::default()
    })
}

#[test]
fn an_invite_admits_no_more_devices_than_its_uses() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let invite = f.create_invite(InviteRequest::default()).unwrap();
    let first = node(dirs[1].path());
    first.join(&invite, profile("First ApS")).unwrap();
    // The same code again, on another machine: it joins locally (nobody to ask offline),
    // but no peer takes a second device from a one-use invite.
    let second = node(dirs[2].path());
    second.join(&invite, profile("Second ApS")).unwrap();
    f.admit_each_other(&first).unwrap();
    let refused = f.admit_each_other(&second);
    assert!(
        matches!(&refused, Err(NodeError::Refused(why)) if why.contains("used up")),
        "{refused:?}"
    );
    // Three uses: three devices.
    let invite = f
        .create_invite(InviteRequest {
            uses: 3,
            ..Default::default()
        })
        .unwrap();
    for i in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let n = node(dir.path());
        n.join(&invite, profile(&format!("Member {i}"))).unwrap();
        f.admit_each_other(&n).unwrap();
    }
}

#[test]
fn an_expired_invite_is_refused_with_a_reason_and_bad_requests_name_their_field() {
    let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let mut invite = f.create_invite(InviteRequest::default()).unwrap();
    // Made with an expiry in the past, as a clock that ran on would see it.
    let mut enrolment = ivej_trust::Certificate::decode(&invite.enrolment).unwrap();
    enrolment.fields.expires_ms = 1;
    enrolment.fields.issued_ms = 0;
    let authority = f
        .lock()
        .unwrap()
        .trust
        .as_ref()
        .unwrap()
        .authority
        .clone()
        .unwrap();
    invite.enrolment = enrolment.fields.sign(&authority).encode();
    let joiner = node(dirs[1].path());
    let err = joiner.join(&invite, profile("Late ApS")).unwrap_err();
    match err {
        NodeError::Invalid(v) => assert_eq!(
            v.0[0].problem,
            ivej_model::Problem::BadInvite {
                reason: "expired".into()
            }
        ),
        other => panic!("{other:?}"),
    }
    assert!(!joiner.has_street().unwrap(), "nothing joined");
    for (request, field) in [
        (
            InviteRequest {
                uses: 0,
                ..Default::default()
            },
            "uses",
        ),
        (
            InviteRequest {
                expires_in_days: 0,
                ..Default::default()
            },
            "expires_in",
        ),
        (
            InviteRequest {
                expires_in_days: 400,
                ..Default::default()
            },
            "expires_in",
        ),
    ] {
        match f.create_invite(request) {
            Err(NodeError::Invalid(v)) => assert_eq!(v.0[0].field, field),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn only_the_facilitator_invites_new_members_and_an_observer_writes_nothing_shared() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    f.create_post(PostInput::new(
        Direction::Offer,
        "CAP.SPACE",
        "Storage hall",
    ))
    .unwrap();
    let invite = f
        .create_invite(InviteRequest {
            role: DeviceRole::Observer,
            ..Default::default()
        })
        .unwrap();
    let observer = node(dirs[1].path());
    observer.join(&invite, profile("Region Sjælland")).unwrap();
    assert_eq!(observer.own_role().unwrap(), Some(DeviceRole::Observer));
    // Its own profile is the one thing it writes (so the others see who reads along).
    observer
        .update_own_organisation(crate::OrgPatch {
            name: Some("Region Sjælland (observer)".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(matches!(
        observer.create_invite(InviteRequest::default()),
        Err(NodeError::NotAllowed(_))
    ));
    assert!(matches!(
        observer.create_post(PostInput::new(Direction::Need, "PUR", "Energy")),
        Err(NodeError::NotAllowed(_))
    ));
    // A member does not invite new members either; it may invite its own devices.
    let member = node(dirs[2].path());
    member
        .join(
            &f.create_invite(InviteRequest::default()).unwrap(),
            profile("Tuse Træ"),
        )
        .unwrap();
    assert!(matches!(
        member.create_invite(InviteRequest::default()),
        Err(NodeError::NotAllowed(_))
    ));
    let own = member
        .create_invite(InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .unwrap();
    assert!(!crate::invite_founds_organisation(&own));
    assert!(own.authority_seed.is_none(), "a member holds no authority");
}

#[test]
fn a_damaged_device_key_is_reported_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let key = {
        let f = street(dir.path());
        let key = f.signing_key().unwrap();
        f.set_local_setting("sign_seed", "not a key").unwrap();
        key
    };
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    let err = Node::open(options).unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
    let store = ivej_store::Store::open(dir.path()).unwrap();
    assert_eq!(
        store.setting("local.sign_seed").unwrap().as_deref(),
        Some("not a key"),
        "left for the user to restore, not replaced"
    );
    assert_ne!(key, [0; 32]);
}

#[test]
fn a_facilitators_second_device_is_a_facilitator_and_can_invite_members() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let invite = f
        .create_invite(InviteRequest {
            own_device: true,
            ..Default::default()
        })
        .unwrap();
    let laptop = node(dirs[1].path());
    laptop.join(&invite, None).unwrap();
    assert_eq!(laptop.own_role().unwrap(), Some(DeviceRole::Facilitator));
    f.admit_each_other(&laptop).unwrap();
    let member_invite = laptop.create_invite(InviteRequest::default()).unwrap();
    let member = node(dirs[2].path());
    member.join(&member_invite, profile("Tuse Træ")).unwrap();
    f.admit_each_other(&member).unwrap();
}

#[test]
fn removing_a_member_revokes_all_its_devices_and_the_facilitator_cannot_revoke_itself() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let member = node(dirs[1].path());
    member
        .join(
            &f.create_invite(InviteRequest::default()).unwrap(),
            profile("Tuse Træ"),
        )
        .unwrap();
    let second = node(dirs[2].path());
    second
        .join(
            &member
                .create_invite(InviteRequest {
                    own_device: true,
                    ..Default::default()
                })
                .unwrap(),
            None,
        )
        .unwrap();
    f.admit_each_other(&member).unwrap();
    f.admit_each_other(&second).unwrap();
    // The street document brings the member's organisation to the facilitator.
    push_street(&member, &f).unwrap();
    let org = member.own_org_id().unwrap();
    let removed = f.remove_member(&org).unwrap();
    assert!(removed.left_at.is_some());
    for device in [&member, &second] {
        let id = device.device_id().unwrap();
        assert!(
            matches!(f.admitted(&id), Err(NodeError::Refused(_))),
            "{id} is out"
        );
        assert!(f
            .devices()
            .unwrap()
            .iter()
            .any(|d| d.device_id == id && d.revoked.is_some()));
    }
    let own = f.device_id().unwrap();
    assert!(matches!(
        f.revoke_device(&own),
        Err(NodeError::NotAllowed(_))
    ));
}

#[test]
fn a_device_offline_across_two_removals_learns_both_when_it_is_back() {
    let dirs: Vec<_> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let join = |dir: &std::path::Path, name: &str| {
        let n = node(dir);
        n.join(
            &f.create_invite(InviteRequest::default()).unwrap(),
            profile(name),
        )
        .unwrap();
        f.admit_each_other(&n).unwrap();
        n
    };
    let (first, second, away) = (
        join(dirs[1].path(), "First ApS"),
        join(dirs[2].path(), "Second ApS"),
        join(dirs[3].path(), "Away ApS"),
    );
    // The device that will be away knows the other two as peers.
    away.admit_each_other(&first).unwrap();
    away.admit_each_other(&second).unwrap();
    // Both removed while it is away (their organisations' records reach the facilitator
    // first, as a sync would bring them).
    for member in [&first, &second] {
        push_street(member, &f).unwrap();
        f.remove_member(&member.own_org_id().unwrap()).unwrap();
    }
    assert!(
        away.admitted(&first.device_id().unwrap()).is_ok(),
        "not yet heard"
    );
    // Back: the facilitator's hello carries every revocation.
    f.admit_each_other(&away).unwrap();
    for gone in [&first, &second] {
        assert!(matches!(
            away.admitted(&gone.device_id().unwrap()),
            Err(NodeError::Refused(_))
        ));
        let refused = away.admit_each_other(gone);
        assert!(matches!(refused, Err(NodeError::Refused(_))), "{refused:?}");
    }
}

use ivej_doc::automerge::transaction::Transactable;
use ivej_doc::automerge::{AutoCommit, ObjId, ReadDoc, ROOT};

/// What a modified client on `node` stores: `edit` straight into its street document,
/// signed with its own key, without the node's own checks.
fn forge(node: &Node, edit: impl FnOnce(&mut AutoCommit)) {
    forge_record(node, |doc| {
        edit(doc.automerge_mut());
        doc.automerge_mut().commit();
    });
}

/// Like [`forge`], through the document's typed API.
fn forge_record(node: &Node, edit: impl FnOnce(&mut ivej_doc::Document)) {
    let mut st = node.lock().unwrap();
    let doc_id = format!("street:{}", st.street_id.clone().unwrap());
    let key = st.keys.sign.clone();
    let doc = st.street_mut().unwrap();
    let before = doc.heads();
    edit(doc);
    doc.automerge_mut().commit();
    let changes = doc.changes_since(&before);
    let bytes = doc.save_incremental();
    st.store
        .write(|w| {
            for c in &changes {
                let sig = ivej_trust::ChangeSignature::sign(&key, &doc_id, c.hash);
                w.put_change_signature(&doc_id, &c.hash, &sig.to_bytes())?;
            }
            w.append_changes(&doc_id, "street", &bytes)?;
            Ok(())
        })
        .unwrap();
}

fn record(am: &AutoCommit, collection: &str, key: &str) -> ObjId {
    let (_, map) = am.get(ROOT, collection).unwrap().unwrap();
    am.get(&map, key).unwrap().unwrap().1
}

/// Sends `from`'s street document to `to` until quiet; the first refusal, if any.
fn push_street(from: &Node, to: &Node) -> Result<(), NodeError> {
    from.admit_each_other(to).unwrap();
    let doc = from.documents_shared_with(None).unwrap()[0].clone();
    push_doc(from, to, &doc, |m| m)
}

/// Syncs every document `from` shares with `to`, both ways, until quiet.
fn push_all(from: &Node, to: &Node) {
    from.admit_each_other(to).unwrap();
    let docs = from
        .documents_shared_with(Some(&to.device_id().unwrap()))
        .unwrap();
    for doc in docs {
        push_doc(from, to, &doc, |m| m).unwrap();
    }
}

/// Syncs `doc` between `from` and `to` until quiet, `relay` standing between what `from`
/// sends and what `to` receives.
fn push_doc(
    from: &Node,
    to: &Node,
    doc: &str,
    relay: impl Fn(Vec<u8>) -> Vec<u8>,
) -> Result<(), NodeError> {
    let (f, t) = (from.device_id().unwrap(), to.device_id().unwrap());
    let doc = doc.to_string();
    for _ in 0..20 {
        let mut quiet = true;
        if let Some(m) = from.sync_message(&t, &doc)? {
            to.receive_sync_message(&f, &doc, &relay(m))?;
            quiet = false;
        }
        if let Some(m) = to.sync_message(&f, &doc)? {
            from.receive_sync_message(&t, &doc, &m)?;
            quiet = false;
        }
        if quiet {
            return Ok(());
        }
    }
    panic!("the pair kept answering each other");
}

/// `to` refused something `from` sent, noted with `from`'s device, and the pair still
/// went quiet.
fn assert_refused(from: &Node, to: &Node) {
    let device = from.device_id().unwrap();
    let refusals = to.refusals().unwrap();
    assert!(
        refusals.iter().any(|r| r.device_id == device),
        "{refusals:?}"
    );
}

/// A street with a facilitator, Tuse (interested in Mallory's post) and Mallory.
fn street_with_an_interest() -> (Vec<tempfile::TempDir>, Node, Node, Node, String, String) {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let f = street(dirs[0].path());
    let join = |dir: &std::path::Path, name: &str| {
        let n = node(dir);
        n.join(
            &f.create_invite(InviteRequest::default()).unwrap(),
            profile(name),
        )
        .unwrap();
        n
    };
    let (tuse, mallory) = (
        join(dirs[1].path(), "Tuse Træ"),
        join(dirs[2].path(), "Mallory ApS"),
    );
    push_street(&tuse, &f).unwrap();
    push_street(&mallory, &f).unwrap();
    let post = mallory
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "Hall"))
        .unwrap();
    push_street(&mallory, &f).unwrap();
    push_street(&f, &tuse).unwrap();
    let interest = tuse
        .express_interest(&post.id, "We need it in May")
        .unwrap();
    push_street(&tuse, &f).unwrap();
    push_street(&f, &mallory).unwrap();
    (dirs, f, tuse, mallory, post.id, interest.id)
}

/// The author of a post answers the interest in it, and only that: it can neither rewrite
/// the interested company's message nor make an interest in another company's name.
#[test]
fn a_posts_author_answers_interest_in_it_but_cannot_rewrite_or_invent_one() {
    let (_dirs, f, _tuse, mallory, _post, interest) = street_with_an_interest();
    mallory
        .answer_interest(&interest, true, "Call us on Monday")
        .unwrap();
    push_street(&mallory, &f).unwrap();

    let (_dirs, f, _tuse, mallory, _post, interest) = street_with_an_interest();
    forge(&mallory, |am| {
        let i = record(am, "interests", &interest);
        am.put(&i, "message", "We withdraw").unwrap();
    });
    push_street(&mallory, &f).unwrap();
    assert_refused(&mallory, &f);
    let kept: ivej_model::Interest = f
        .lock()
        .unwrap()
        .street()
        .unwrap()
        .require(&interest)
        .unwrap();
    assert_eq!(kept.message, "We need it in May");

    // A whole, valid record in Tuse's name, written with the document's own API.
    let (_dirs, f, tuse, mallory, _post, interest) = street_with_an_interest();
    let mut forged: ivej_model::Interest = f
        .lock()
        .unwrap()
        .street()
        .unwrap()
        .require(&interest)
        .unwrap();
    forged.id = "0193f0e0-0000-7000-8000-00000000f0f0".into();
    forged.message = "Cancel everything".into();
    assert_eq!(forged.from_org, tuse.own_org_id().unwrap());
    forge_record(&mallory, |doc| doc.put(&forged).unwrap());
    push_street(&mallory, &f).unwrap();
    assert_refused(&mallory, &f);
    assert!(f.interest(&forged.id).is_err());
}

/// A change is judged against the document as its author saw it, not as the message that
/// carries it leaves it: a member cannot add itself to a collaboration another member
/// created, by sending both changes together to a device that has neither.
#[test]
fn a_change_cannot_ride_on_another_in_the_same_message() {
    let (_dirs, f, tuse, mallory, _, _) = street_with_an_interest();
    let collab = f
        .add_collaboration(ivej_model::CollaborationInput {
            title: "Joint energy purchase".into(),
            kind: ivej_model::CollaborationKind::JointPurchase,
            orgs: vec![f.own_org_id().unwrap(), tuse.own_org_id().unwrap()],
            stage: ivej_model::Stage::Idea,
            value: Default::default(),
            origin: ivej_model::Origin {
                kind: ivej_model::OriginKind::Other,
                ref_id: None,
            },
        })
        .unwrap();
    push_street(&f, &mallory).unwrap();
    let own = mallory.own_org_id().unwrap();
    forge(&mallory, |am| {
        let c = record(am, "collaborations", &collab.id);
        let (_, orgs) = am.get(&c, "orgs").unwrap().unwrap();
        let n = am.length(&orgs);
        am.insert(&orgs, n, own.as_str()).unwrap();
    });
    // A new member's device, which has nothing of the street yet, hears from Mallory first.
    let dir = tempfile::tempdir().unwrap();
    let fresh = node(dir.path());
    fresh
        .join(
            &f.create_invite(InviteRequest::default()).unwrap(),
            profile("New ApS"),
        )
        .unwrap();
    push_street(&mallory, &fresh).unwrap();
    assert_refused(&mallory, &fresh);
}

/// A refused change is taken out of the message, with what was built on it, and the rest
/// is taken: one change the rules refuse (on this peer, or only on this one) does not keep
/// a pair from syncing everything else, now or later. Before, the whole message was refused
/// and came again every session.
#[test]
fn a_refused_change_and_what_is_built_on_it_are_left_out_and_the_rest_still_syncs() {
    let (_dirs, f, tuse, mallory, _post, interest) = street_with_an_interest();
    let before = mallory
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "Before"))
        .unwrap();
    // Not Mallory's to write: the interested company's message.
    forge(&mallory, |am| {
        let i = record(am, "interests", &interest);
        am.put(&i, "message", "We withdraw").unwrap();
    });
    // Built on the forged change (the same record, edited again).
    forge(&mallory, |am| {
        let i = record(am, "interests", &interest);
        am.put(&i, "message", "We withdraw, really").unwrap();
    });
    let after = mallory
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "After"))
        .unwrap();
    push_street(&mallory, &f).unwrap();
    assert_refused(&mallory, &f);
    let titles = |n: &Node| -> Vec<String> {
        let mut t: Vec<String> = n
            .list_posts(&Default::default())
            .unwrap()
            .into_iter()
            .map(|v| v.post.title)
            .collect();
        t.sort();
        t
    };
    assert!(f.post(&before.id).is_ok(), "what came before is taken");
    let kept: ivej_model::Interest = f
        .lock()
        .unwrap()
        .street()
        .unwrap()
        .require(&interest)
        .unwrap();
    assert_eq!(kept.message, "We need it in May");
    // "After" was made on top of the forged changes (Mallory's own head), so it goes with
    // them; what Mallory writes from here on does too, until it is revoked.
    assert!(f.post(&after.id).is_err());
    let refusals = f.refusals().unwrap();
    assert!(
        refusals
            .iter()
            .any(|r| r.reason.contains("built on a refused")),
        "{refusals:?}"
    );

    // The facilitator's and Tuse's work flows on both ways, across new sessions.
    let news = f
        .create_post(PostInput::new(Direction::Need, "CAP.SPACE", "News"))
        .unwrap();
    push_street(&f, &mallory).unwrap();
    push_street(&mallory, &f).unwrap();
    assert!(mallory.post(&news.id).is_ok());
    push_street(&f, &tuse).unwrap();
    assert_eq!(titles(&tuse), titles(&f));
    assert!(!titles(&tuse).contains(&"After".to_string()));
}

/// Two sessions with one device (the invite's address and mDNS both dialled it): the one a
/// newer session replaced can neither take nor send a message, so the two never mix one
/// sync state. (The replaced one used to go on until its next turn of the loop.)
#[test]
fn a_replaced_session_leaves_the_newer_ones_sync_state_alone() {
    let (_dirs, f, _tuse, mallory, _post, _interest) = street_with_an_interest();
    mallory.admit_each_other(&f).unwrap();
    let (m, doc) = (
        mallory.device_id().unwrap(),
        f.documents_shared_with(None).unwrap()[0].clone(),
    );
    let key = mallory.noise_keys().unwrap().1;
    let old = f.start_sync_session(&m, &key).unwrap();
    let new = f.start_sync_session(&m, &key).unwrap();
    mallory
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "Yard"))
        .unwrap();
    let message = mallory
        .sync_message(&f.device_id().unwrap(), &doc)
        .unwrap()
        .unwrap();
    assert!(matches!(
        f.receive_sync_message_in_session(&m, old, &doc, &message),
        Err(NodeError::Superseded)
    ));
    assert!(matches!(
        f.sync_message_in_session(&m, old, &doc),
        Err(NodeError::Superseded)
    ));
    f.receive_sync_message_in_session(&m, new, &doc, &message)
        .unwrap();
    assert!(f.sync_message_in_session(&m, new, &doc).is_ok());
    f.end_sync_session(&m, old).unwrap();
    assert!(
        f.sync_message_in_session(&m, new, &doc).is_ok(),
        "ending the old one leaves the new"
    );
}

/// A record that today's validation refuses (one an older version wrote, say) leaves out
/// the change that made it, and what was built on it, and nothing else: the member's other
/// work still arrives and the pair goes quiet. Before, the whole message was refused and
/// came again every session, so one bad record held up everything after it.
#[test]
fn a_change_that_leaves_a_record_invalid_is_left_out_and_the_rest_is_taken() {
    let (_dirs, f, _tuse, mallory, post, _interest) = street_with_an_interest();
    let before = mallory
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "Before"))
        .unwrap();
    forge(&mallory, |am| {
        let p = record(am, "posts", &post);
        am.put(&p, "kind", "NOT.A.KIND").unwrap();
    });
    push_street(&mallory, &f).unwrap();
    assert!(f.post(&before.id).is_ok(), "what came before is taken");
    assert_eq!(f.post(&post).unwrap().post.kind, "CAP.SPACE");
    let refusals = f.refusals().unwrap();
    assert!(
        refusals.iter().any(|r| r.reason.contains("not valid")),
        "{refusals:?}"
    );
    // The facilitator's work still reaches Mallory and the pair stays quiet.
    let news = f
        .create_post(PostInput::new(Direction::Need, "CAP.SPACE", "News"))
        .unwrap();
    push_street(&f, &mallory).unwrap();
    assert!(mallory.post(&news.id).is_ok());
}

/// The sender of interest in an anonymous need writes its own record of that interest: an
/// answer it writes there itself counts for nothing. Only the author's answer (kept in the
/// author's scope) reveals the author and records the relation.
#[test]
fn a_sender_cannot_accept_its_own_brokered_interest_to_learn_who_posted_the_need() {
    use ivej_model::{Interest, InterestStatus};
    let (_dirs, f, tuse, mallory, _post, _interest) = street_with_an_interest();
    let mut input = PostInput::new(Direction::Need, "KNOW", "Anonymous: advice on a takeover");
    input.anonymous = true;
    let need = tuse.create_post(input).unwrap();
    push_all(&tuse, &f);
    push_all(&f, &mallory);
    let copy = ivej_trust::brokered_id(&need.id);
    let sent = mallory.express_interest(&copy, "Who are you?").unwrap();
    // Mallory marks its own record accepted, in its own scope (as its write rule allows).
    {
        let scope = crate::scoped::scope_id(&mallory.own_org_id().unwrap(), &[]);
        let mut st = mallory.lock().unwrap();
        let mut forged: Interest = st.scoped_mut(&scope).unwrap().require(&sent.id).unwrap();
        forged.status = InterestStatus::Accepted;
        st.scoped_mut(&scope).unwrap().put(&forged).unwrap();
        st.persist_scoped(&scope, |_| Ok(())).unwrap();
    }
    push_all(&mallory, &f);
    push_all(&f, &mallory);
    push_all(&f, &tuse);
    let at_mallory = mallory.interest(&sent.id).unwrap();
    assert_eq!(at_mallory.status, InterestStatus::Sent);
    assert_eq!(at_mallory.revealed_author, None);
    assert!(mallory.post_detail(&copy).unwrap().author.is_none());
    let related = |n: &Node| {
        let (a, b) = (tuse.own_org_id().unwrap(), mallory.own_org_id().unwrap());
        n.relationships()
            .unwrap()
            .iter()
            .any(|r| [&r.a, &r.b].contains(&&a) && [&r.a, &r.b].contains(&&b))
    };
    assert!(!related(&f));
    // The author accepts: now each knows the other.
    let passed_on = tuse.interests(&need.id).unwrap()[0].id.clone();
    tuse.answer_interest(&passed_on, true, "Call us").unwrap();
    push_all(&tuse, &f);
    push_all(&f, &mallory);
    assert_eq!(
        mallory.interest(&sent.id).unwrap().revealed_author,
        Some(tuse.own_org_id().unwrap())
    );
    assert!(related(&f));
}

/// A change a peer relays without its author's signature is refused from that peer only:
/// the same change from a peer that sends it whole is taken. (The refusal used to be
/// remembered for every peer, so a member could keep honest work out of a node.)
#[test]
fn a_change_relayed_without_its_signature_is_refused_from_that_peer_only() {
    let (_dirs, f, tuse, mallory, _post, _interest) = street_with_an_interest();
    let honest = f
        .create_post(PostInput::new(Direction::Offer, "CAP.SPACE", "Honest hall"))
        .unwrap();
    push_street(&f, &mallory).unwrap();
    mallory.admit_each_other(&tuse).unwrap();
    let doc = f.documents_shared_with(None).unwrap()[0].clone();
    let strip = |m: Vec<u8>| {
        let mut envelope = ivej_trust::SignedSync::decode(&m).unwrap();
        envelope.signatures.clear();
        envelope.encode()
    };
    push_doc(&mallory, &tuse, &doc, strip).unwrap();
    assert!(tuse.post(&honest.id).is_err());
    assert_refused(&mallory, &tuse);
    push_street(&f, &tuse).unwrap();
    assert!(
        tuse.post(&honest.id).is_ok(),
        "taken from a peer that sends it whole"
    );
}
