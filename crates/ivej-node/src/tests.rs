use ivej_model::{
    Direction, GeoPoint, PostFilter, PostSort, PostStatus, Problem, StreetKind, Visibility,
};

use crate::{
    CreateStreet, Node, NodeError, NodeOptions, OrgPatch, OrgProfile, PostInput, PostPatch,
};

pub(crate) fn new_node(dir: &std::path::Path) -> Node {
    let mut options = NodeOptions::new(dir);
    options.lan_discovery = false;
    Node::open(options).unwrap()
}

pub(crate) fn street(node: &Node) {
    node.create_street(CreateStreet {
        name: "Industrivej Regstrup".into(),
        kind: StreetKind::MiniNetwork,
        region: "Region Sjælland".into(),
        languages: vec!["da".into()],
        org: OrgProfile {
            name: "Regstrup Smedie".into(),
            industries: vec!["25".into()],
            geo: Some(GeoPoint::new(55.651, 11.613)),
            ..Default::default()
        },
    })
    .unwrap();
}

fn cnc_offer() -> PostInput {
    let mut p = PostInput::new(
        Direction::Offer,
        "CAP.MACH.CNC",
        "Spare CNC hours on Fridays",
    );
    p.body = "Five-axis mill, operator included".into();
    p
}

#[test]
fn a_post_is_listed_filtered_and_found_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = new_node(dir.path());
        street(&node);
        node.create_post(cnc_offer()).unwrap();
        node.create_post(PostInput::new(
            Direction::Need,
            "PUR",
            "Joint energy purchase",
        ))
        .unwrap();
    }
    let node = new_node(dir.path());
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 2);
    let offers = node
        .list_posts(&PostFilter {
            direction: Some(Direction::Offer),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(offers.len(), 1);
    assert_eq!(offers[0].org_name.as_deref(), Some("Regstrup Smedie"));
    let by_kind = node
        .list_posts(&PostFilter {
            kinds: vec!["CAP.MACH".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_kind.len(), 1, "a parent kind matches its children");
    let by_industry = node
        .list_posts(&PostFilter {
            industries: vec!["C".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_industry.len(), 2);
    let by_author = node
        .list_posts(&PostFilter {
            text: Some("smedie".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_author.len(), 2, "the author's name is searchable");
    for text in ["five-axis", "cnc", "Maskintimer"] {
        let hits = node
            .list_posts(&PostFilter {
                text: Some(text.into()),
                sort: PostSort::Relevance,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(hits.len(), 1, "search for {text}");
    }
    let near = node
        .list_posts(&PostFilter {
            near: Some(GeoPoint::new(55.7167, 11.7167)),
            within_km: Some(5.0),
            ..Default::default()
        })
        .unwrap();
    assert!(near.is_empty(), "Regstrup is ~9 km from Holbæk");
    let near = node
        .list_posts(&PostFilter {
            near: Some(GeoPoint::new(55.7167, 11.7167)),
            within_km: Some(15.0),
            sort: PostSort::Distance,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(near.len(), 2);
    assert!(near[0].distance_km.unwrap() > 5.0);
}

#[test]
fn closing_renewing_and_editing_change_what_the_board_shows() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let post = node.create_post(cnc_offer()).unwrap();
    node.edit_post(
        &post.id,
        PostPatch {
            title: Some("Spare CNC hours, also Saturdays".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let hits = node
        .list_posts(&PostFilter {
            text: Some("saturdays".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(hits.len(), 1);
    node.close_post(&post.id).unwrap();
    assert!(node.list_posts(&PostFilter::default()).unwrap().is_empty());
    let closed = node
        .list_posts(&PostFilter {
            statuses: vec![PostStatus::Closed],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert!(matches!(
        node.renew_post(&post.id, None),
        Err(NodeError::NotAllowed(_))
    ));
}

#[test]
fn an_expired_post_reads_as_expired_until_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let post = node.create_post(cnc_offer()).unwrap();
    let yesterday = crate::clock::today().add_days(-1);
    // Age the post as if it was created long ago and expired yesterday.
    {
        let mut st = node.lock().unwrap();
        let mut p: ivej_model::Post = st.street().unwrap().require(&post.id).unwrap();
        p.created_at -= 90 * 86_400_000;
        p.expires_on = Some(yesterday);
        st.street_mut().unwrap().put(&p).unwrap();
        st.persist_street(|w| w.upsert_post(&p, None)).unwrap();
    }
    assert!(node.list_posts(&PostFilter::default()).unwrap().is_empty());
    assert_eq!(node.post(&post.id).unwrap().status, PostStatus::Expired);
    let renewed = node.renew_post(&post.id, Some(30)).unwrap();
    assert_eq!(renewed.expires_on, Some(crate::clock::today().add_days(30)));
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 1);
}

#[test]
fn invalid_input_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let mut bad = cnc_offer();
    bad.title = "  ".into();
    bad.kind = "CAP.NOPE".into();
    let err = node.create_post(bad).unwrap_err();
    let api = err.to_api();
    assert_eq!(api.code, ivej_model::ErrorCode::Validation);
    assert!(api
        .fields
        .iter()
        .any(|f| f.field == "title" && f.problem == Problem::Empty));
    assert!(node.list_posts(&PostFilter::default()).unwrap().is_empty());
    let before = node.export().unwrap();
    assert!(node
        .update_own_organisation(OrgPatch {
            geo: Some(GeoPoint::new(123.0, 0.0)),
            ..Default::default()
        })
        .is_err());
    let mut after = node.export().unwrap();
    after.exported_at = before.exported_at;
    assert_eq!(before, after);
}

#[test]
fn private_posts_stay_out_of_the_street_document() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let mut input = cnc_offer();
    input.visibility = Visibility::Private;
    let post = node.create_post(input).unwrap();
    let export = node.export().unwrap();
    assert!(export.posts.is_empty());
    assert_eq!(export.private_posts.len(), 1);
    // Still on this company's own board, also after a rebuild of the projections.
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 1);
    drop(node);
    let node = new_node(dir.path());
    node.lock()
        .unwrap()
        .store
        .write(|w| w.clear_projections())
        .unwrap();
    drop(node);
    let node = new_node(dir.path());
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 1);
    // Sharing it moves it to the street document.
    node.edit_post(
        &post.id,
        PostPatch {
            visibility: Some(Visibility::Street),
            ..Default::default()
        },
    )
    .unwrap();
    let export = node.export().unwrap();
    assert_eq!((export.posts.len(), export.private_posts.len()), (1, 0));
}

#[test]
fn the_demo_street_opens_with_members_posts_and_meetings() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    assert!(matches!(node.summary(), Err(NodeError::NoStreet)));
    let summary = node.open_demo().unwrap();
    assert_eq!(summary.street.name, "Industrivej Regstrup (demo)");
    assert!(summary.members >= 14);
    assert!(summary.active_posts > 0);
    assert_eq!(summary.meetings, 8);
    assert!(node.is_facilitator().unwrap());
    let meetings = node.meetings().unwrap();
    let past = &meetings[0];
    assert!(!node.minutes(&past.id).unwrap().text.is_empty());
    assert!(matches!(node.open_demo(), Err(NodeError::AlreadyExists(_))));
    let found = node.organisations(Some("smedie")).unwrap();
    assert!(!found.is_empty());
}

#[test]
fn meetings_minutes_actions_and_collaborations_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let other = node
        .add_organisation(OrgProfile {
            name: "Virkelyst Plast".into(),
            industries: vec!["22".into()],
            ..Default::default()
        })
        .unwrap();
    let me = node.own_org_id().unwrap();
    let meeting = node
        .plan_meeting(crate::MeetingInput {
            starts_at: "2026-12-03T15:00".parse().unwrap(),
            duration_minutes: None,
            host_org: Some(other.id.clone()),
            location: None,
            challenge: Some("Idle machines in summer".into()),
            series_id: None,
        })
        .unwrap();
    assert_eq!(
        meeting.agenda.len(),
        3,
        "presentation, challenge, follow-up"
    );
    node.record_attendance(&meeting.id, &other.id, true, 2)
        .unwrap();
    node.append_minutes(&meeting.id, "Virkelyst Plast presented.\n")
        .unwrap();
    node.splice_minutes(&meeting.id, 0, 0, "Present: 2\n")
        .unwrap();
    node.add_decision(&meeting.id, "Visit each other's workshops")
        .unwrap();
    let action = node
        .add_action(&meeting.id, "Send energy figures", Some(&me), None)
        .unwrap();
    assert_eq!(node.actions(true).unwrap().len(), 1);
    node.complete_action(&action.id).unwrap();
    assert!(node.actions(true).unwrap().is_empty());
    let c = node
        .add_collaboration(crate::CollaborationInput {
            title: "Plastic parts for gates".into(),
            kind: ivej_model::CollaborationKind::JointProduct,
            orgs: vec![me.clone(), other.id.clone()],
            stage: ivej_model::Stage::Idea,
            value: Default::default(),
            origin: ivej_model::Origin {
                kind: ivej_model::OriginKind::Meeting,
                ref_id: Some(meeting.id.clone()),
            },
        })
        .unwrap();
    let c = node
        .set_collaboration_stage(&c.id, ivej_model::Stage::Agreed, "signed")
        .unwrap();
    assert_eq!(c.history.len(), 2);
    node.record_relationship(&me, &other.id, ivej_model::RelationKind::MetHere, false)
        .unwrap();
    drop(node);
    let node = new_node(dir.path());
    let minutes = node.minutes(&meeting.id).unwrap();
    assert_eq!(minutes.text, "Present: 2\nVirkelyst Plast presented.\n");
    assert_eq!(minutes.decisions.len(), 1);
    assert_eq!(node.meeting(&meeting.id).unwrap().present_count(), 1);
    assert_eq!(node.relationships().unwrap().len(), 1);
    assert_eq!(node.summary().unwrap().street.current_challenge, None);
}

#[test]
fn only_the_facilitator_plans_meetings_and_edits_other_members() {
    let (dir, dir_m) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let node = new_node(dir.path());
    street(&node);
    let member = member_of(&node, dir_m.path(), "Tuse Træ");
    sync_pair(&node, &member);
    assert!(matches!(
        member.plan_meeting(crate::MeetingInput {
            starts_at: "2026-12-03T15:00".parse().unwrap(),
            duration_minutes: None,
            host_org: None,
            location: None,
            challenge: None,
            series_id: None,
        }),
        Err(NodeError::NotAllowed(_))
    ));
    let facilitator = member.summary().unwrap().street.facilitator_org;
    assert!(matches!(
        member.update_organisation(
            &facilitator,
            OrgPatch {
                name: Some("Hijacked".into()),
                ..Default::default()
            }
        ),
        Err(NodeError::NotAllowed(_))
    ));
    // Around the node's methods, straight into the document: the write rule still holds
    // before anything is stored, so this device never holds a change its peers refuse.
    {
        let mut st = member.lock().unwrap();
        let mut org: ivej_model::Organisation = st.street().unwrap().require(&facilitator).unwrap();
        org.name = "Hijacked".into();
        st.street_mut().unwrap().put(&org).unwrap();
        let refused = st.persist_street(|_| Ok(()));
        assert!(
            matches!(refused, Err(NodeError::NotAllowed(_))),
            "{refused:?}"
        );
    }
    let org = member.organisation(&facilitator).unwrap();
    assert_ne!(org.name, "Hijacked", "memory is read again from disk");
}

#[test]
fn events_name_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let mut events = node.subscribe();
    let post = node.create_post(cnc_offer()).unwrap();
    assert_eq!(
        events.try_recv().unwrap(),
        ivej_model::NodeEvent::PostChanged { id: post.id }
    );
}

#[test]
fn many_writes_compact_and_reopen_intact() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let n = crate::COMPACT_AFTER_CHANGES + 10;
    for i in 0..n {
        node.create_post(PostInput::new(
            Direction::Offer,
            "CAP.SPACE",
            &format!("Hall {i}"),
        ))
        .unwrap();
    }
    let doc_id = crate::state::street_doc_id(&node.summary().unwrap().street.id);
    let stored = node
        .lock()
        .unwrap()
        .store
        .load_document(&doc_id)
        .unwrap()
        .unwrap();
    assert!(stored.change_count() < crate::COMPACT_AFTER_CHANGES);
    drop(node);
    let node = new_node(dir.path());
    assert_eq!(node.summary().unwrap().active_posts as usize, n);
}

#[test]
fn a_second_process_on_the_same_directory_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let serve = new_node(dir.path());
    let cli = new_node(dir.path());
    // Nothing there yet for either; then the "CLI" creates the street.
    assert!(!serve.refresh_from_disk().unwrap());
    street(&cli);
    assert!(serve.refresh_from_disk().unwrap());
    let mut events = serve.subscribe();
    let post = cli.create_post(cnc_offer()).unwrap();
    assert!(serve.refresh_from_disk().unwrap());
    assert_eq!(serve.post(&post.id).unwrap().post.title, post.title);
    assert_eq!(
        events.try_recv().unwrap(),
        ivej_model::NodeEvent::PostChanged {
            id: post.id.clone()
        }
    );
    assert!(!serve.refresh_from_disk().unwrap(), "nothing new");
    // What the serving process writes next does not repeat the CLI's change.
    serve
        .create_post(PostInput::new(Direction::Need, "PUR", "Energy"))
        .unwrap();
    drop((serve, cli));
    let reopened = new_node(dir.path());
    assert_eq!(
        reopened.list_posts(&PostFilter::default()).unwrap().len(),
        2
    );
}

/// A new member of `street`'s street, joined with an invite.
pub(crate) fn member_of(street: &Node, dir: &std::path::Path, name: &str) -> Node {
    member_with(
        street,
        dir,
        OrgProfile {
            name: name.into(),
            ..Default::default()
        },
    )
}

#[test]
fn every_way_into_a_street_leaves_the_secret_and_the_certificate_sync_needs() {
    let dir = tempfile::tempdir().unwrap();
    let demo = new_node(dir.path());
    demo.open_demo().unwrap();
    assert!(demo.street_secret().is_ok() && demo.presentation().is_ok());
    assert_eq!(
        demo.own_role().unwrap(),
        Some(ivej_model::ipc::DeviceRole::Facilitator)
    );
    let dir = tempfile::tempdir().unwrap();
    let created = new_node(dir.path());
    street(&created);
    let secret = created.street_secret().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let joined = member_of(&created, dir.path(), "Member");
    assert_eq!(joined.street_secret().unwrap(), secret);
    assert_ne!(
        joined.own_org_id().unwrap(),
        created.own_org_id().unwrap(),
        "a new member is its own organisation"
    );
    assert_eq!(
        joined.own_role().unwrap(),
        Some(ivej_model::ipc::DeviceRole::Member)
    );
    assert!(!joined.is_facilitator().unwrap());
    created.admit_each_other(&joined).unwrap();
}

#[test]
fn an_organisation_named_twice_in_a_collaboration_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let other = node
        .add_organisation(OrgProfile {
            name: "Virkelyst Plast".into(),
            ..Default::default()
        })
        .unwrap();
    let me = node.own_org_id().unwrap();
    let input = |orgs: Vec<String>| crate::CollaborationInput {
        title: "Plastic parts for gates".into(),
        kind: ivej_model::CollaborationKind::JointProduct,
        orgs,
        stage: ivej_model::Stage::Idea,
        value: Default::default(),
        origin: ivej_model::Origin {
            kind: ivej_model::OriginKind::Other,
            ref_id: None,
        },
    };
    let c = node
        .add_collaboration(input(vec![me.clone(), other.id.clone(), me.clone()]))
        .unwrap();
    assert_eq!(c.orgs, vec![me.clone(), other.id.clone()]);
    // One organisation alone is no collaboration, however often it is named.
    assert!(node.add_collaboration(input(vec![me.clone(), me])).is_err());
}

#[test]
fn a_draft_survives_reopening_and_is_gone_once_discarded() {
    let dir = tempfile::tempdir().unwrap();
    {
        let node = new_node(dir.path());
        street(&node);
        assert_eq!(node.draft("post:new").unwrap(), None);
        node.save_draft("post:new", "{\"title\":\"CNC fre\"}")
            .unwrap();
        node.save_draft("post:new", "{\"title\":\"CNC fredage\"}")
            .unwrap();
    }
    let node = new_node(dir.path());
    assert_eq!(
        node.draft("post:new").unwrap().as_deref(),
        Some("{\"title\":\"CNC fredage\"}")
    );
    node.discard_draft("post:new").unwrap();
    assert_eq!(node.draft("post:new").unwrap(), None);
    assert_eq!(new_node(dir.path()).draft("post:new").unwrap(), None);
}

#[test]
fn a_huge_draft_is_refused_with_a_field_error() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let err = node.save_draft("k", &"x".repeat(300 * 1024)).unwrap_err();
    assert_eq!(err.code(), ivej_model::ErrorCode::Validation);
}

/// A new member of `street`'s street, joined with an invite, with `profile`.
fn member_with(street: &Node, dir: &std::path::Path, profile: OrgProfile) -> Node {
    let invite = street
        .create_invite(crate::InviteRequest::default())
        .unwrap();
    let node = new_node(dir);
    node.join(&invite, Some(profile)).unwrap();
    node
}

#[test]
fn a_post_opened_in_full_shows_interest_to_its_author_and_only_their_own_to_others() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let node = new_node(dirs[0].path());
    street(&node);
    let smithy = node.own_org_id().unwrap();
    let tuse = member_with(
        &node,
        dirs[1].path(),
        OrgProfile {
            name: "Tuse Træ".into(),
            geo: Some(GeoPoint::new(55.70, 11.70)),
            ..Default::default()
        },
    );
    let far = member_with(
        &node,
        dirs[2].path(),
        OrgProfile {
            name: "Aarhus Plast".into(),
            geo: Some(GeoPoint::new(56.15, 10.20)),
            ..Default::default()
        },
    );
    let post = node.create_post(cnc_offer()).unwrap();
    sync_pair(&node, &tuse);
    sync_pair(&node, &far);

    // Tuse and Aarhus each show interest.
    tuse.express_interest(&post.id, "Fridays suit us").unwrap();
    let seen_by_tuse = tuse.post_detail(&post.id).unwrap();
    assert!(!seen_by_tuse.mine && !seen_by_tuse.can_edit);
    assert_eq!(seen_by_tuse.author.unwrap().name, "Regstrup Smedie");
    sync_pair(&node, &tuse);
    sync_pair(&node, &far);
    far.express_interest(&post.id, "Us too").unwrap();
    let seen_by_far = far.post_detail(&post.id).unwrap();
    assert_eq!(seen_by_far.interests.len(), 1, "only one's own interest");
    assert_eq!(seen_by_far.interests[0].interest.message, "Us too");
    sync_pair(&node, &far);

    // The author sees both, with names.
    let seen_by_author = node.post_detail(&post.id).unwrap();
    assert!(seen_by_author.mine && seen_by_author.can_edit);
    let names: Vec<_> = seen_by_author
        .interests
        .iter()
        .map(|i| i.org_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Tuse Træ", "Aarhus Plast"]);

    // The directory: own organisation first, then nearest, with open post counts.
    let members = node.members(None).unwrap();
    let order: Vec<_> = members.iter().map(|m| m.org.name.as_str()).collect();
    assert_eq!(order, ["Regstrup Smedie", "Tuse Træ", "Aarhus Plast"]);
    assert_eq!(members[0].open_posts, 1);
    assert!(members[1].distance_km.unwrap() < 10.0);
    assert!(members[2].distance_km.unwrap() > 100.0);
    let detail = node.member(&smithy).unwrap();
    assert_eq!(detail.posts.len(), 1);
    assert!(detail.member.own);
}

#[test]
fn a_joined_device_waits_for_its_first_sync_instead_of_failing() {
    let dir = tempfile::tempdir().unwrap();
    let facilitator = new_node(dir.path());
    street(&facilitator);
    let dir = tempfile::tempdir().unwrap();
    let node = member_of(&facilitator, dir.path(), "Tuse Træ");
    assert_eq!(
        node.summary().unwrap_err().code(),
        ivej_model::ErrorCode::AwaitingFirstSync
    );
}

/// A meeting on 3 December 2026 at 15:00 with nothing else set.
fn plan_plain_meeting(node: &Node) -> ivej_model::Meeting {
    node.plan_meeting(crate::MeetingInput {
        starts_at: "2026-12-03T15:00".parse().unwrap(),
        duration_minutes: None,
        host_org: None,
        location: None,
        challenge: None,
        series_id: None,
    })
    .unwrap()
}

fn members(node: &Node, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            node.add_organisation(OrgProfile {
                name: (*n).into(),
                address: format!("{n}vej 1"),
                ..Default::default()
            })
            .unwrap()
            .id
        })
        .collect()
}

#[test]
fn a_series_rotates_hosts_fairly_and_the_facilitator_can_swap_them() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let own = node.own_org_id().unwrap();
    let ids = members(&node, &["Tuse Træ", "Holbæk Plast"]);
    let (series, meetings) = node
        .plan_series(ivej_model::SeriesInput {
            name: "Autumn 2026".into(),
            first_starts_at: "2026-12-03T15:00".parse().unwrap(),
            cadence_days: None,
            duration_minutes: None,
            count: 4,
        })
        .unwrap();
    assert_eq!(series.cadence_days, 14);
    let starts: Vec<String> = meetings.iter().map(|m| m.starts_at.to_string()).collect();
    assert_eq!(
        starts,
        [
            "2026-12-03T15:00",
            "2026-12-17T15:00",
            "2026-12-31T15:00",
            "2027-01-14T15:00"
        ]
    );
    let hosts: Vec<String> = meetings
        .iter()
        .map(|m| m.host_org.clone().unwrap())
        .collect();
    // The street's founder joined first, then Tuse, then Holbæk; then round two.
    assert_eq!(
        hosts,
        [own.clone(), ids[0].clone(), ids[1].clone(), own.clone()]
    );
    assert_eq!(meetings[1].location, "Tuse Trævej 1", "held at the host's");
    let agenda: Vec<u32> = meetings[0]
        .agenda_in_order()
        .iter()
        .map(|(_, i)| i.minutes)
        .collect();
    assert_eq!(agenda, [30, 20, 10]);

    // The next series goes on where this one stopped.
    let (_, more) = node
        .plan_series(ivej_model::SeriesInput {
            name: "Spring 2027".into(),
            first_starts_at: "2027-01-28T15:00".parse().unwrap(),
            cadence_days: Some(90),
            duration_minutes: Some(90),
            count: 2,
        })
        .unwrap();
    assert_eq!(more[0].host_org.as_deref(), Some(ids[0].as_str()));
    assert_eq!(more[1].starts_at.to_string(), "2027-04-28T15:00");

    let (a, b) = node.swap_hosts(&meetings[1].id, &meetings[2].id).unwrap();
    assert_eq!(a.host_org.as_deref(), Some(ids[1].as_str()));
    assert_eq!(a.location, "Holbæk Plastvej 1");
    assert_eq!(b.host_org.as_deref(), Some(ids[0].as_str()));
    let (item, _) = meetings[0].agenda_in_order()[1];
    let m = node
        .set_agenda_item(&meetings[0].id, item, Some("Idle machines"), Some(25))
        .unwrap();
    assert_eq!(m.agenda[item].minutes, 25);
    assert_eq!(m.agenda[item].title, "Idle machines");

    let ics = node.meetings_ics().unwrap();
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 6);
    assert!(ics.contains("DTSTART:20261203T150000"));
}

#[test]
fn the_meeting_screen_carries_open_actions_and_captures_link_to_the_meeting() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let ids = members(&node, &["Tuse Træ", "Holbæk Plast"]);
    let (_, meetings) = node
        .plan_series(ivej_model::SeriesInput {
            name: "Autumn".into(),
            first_starts_at: "2026-12-03T15:00".parse().unwrap(),
            cadence_days: None,
            duration_minutes: None,
            count: 2,
        })
        .unwrap();
    let (first, second) = (&meetings[0].id, &meetings[1].id);
    node.record_attendance(first, &ids[0], true, 2).unwrap();
    let open = node
        .add_action(
            first,
            "Ask the municipality about the hall",
            Some(&ids[0]),
            None,
        )
        .unwrap();
    let done = node
        .add_action(first, "Send the minutes", None, None)
        .unwrap();
    node.complete_action(&done.id).unwrap();
    let mut offer = cnc_offer();
    offer.on_behalf_of = Some(ids[1].clone());
    let post = node.capture_post(first, offer).unwrap();
    assert_eq!(post.origin_meeting.as_deref(), Some(first.as_str()));
    let intro = node
        .capture_introduction(first, &ids[0], &ids[1], "pallets")
        .unwrap();
    assert_eq!(intro.text, "Tuse Træ talks to Holbæk Plast: pallets");
    let collab = node
        .capture_collaboration(
            first,
            crate::CollaborationInput {
                title: "Shared forklift".into(),
                kind: ivej_model::CollaborationKind::CapacityTrade,
                orgs: vec![ids[0].clone(), ids[1].clone()],
                stage: ivej_model::Stage::Agreed,
                value: Default::default(),
                origin: ivej_model::Origin {
                    kind: ivej_model::OriginKind::Other,
                    ref_id: None,
                },
            },
        )
        .unwrap();

    let here = node.meeting_view(first).unwrap();
    assert_eq!(here.actions.len(), 3);
    assert_eq!(here.captured_posts.len(), 1);
    assert_eq!(here.captured_collaborations[0].id, collab.id);
    assert!(here
        .attendance
        .iter()
        .any(|a| a.name == "Tuse Træ" && a.present && a.people == 2));
    let next = node.meeting_view(second).unwrap();
    let carried: Vec<&str> = next
        .carried_over
        .iter()
        .map(|a| a.action.text.as_str())
        .collect();
    assert_eq!(carried, [open.text.as_str(), intro.text.as_str()]);
    assert_eq!(next.carried_over[0].owner_name.as_deref(), Some("Tuse Træ"));
    node.complete_action(&open.id).unwrap();
    assert_eq!(node.meeting_view(second).unwrap().carried_over.len(), 1);

    // The introduction and the agreed collaboration are relations made in the network.
    let rels = node.relationships().unwrap();
    assert_eq!(rels.len(), 1, "one pair, however it met");
    assert_eq!(rels[0].kind, ivej_model::RelationKind::Collaborating);
    node.set_meeting_state(first, ivej_model::MeetingState::Finalized)
        .unwrap();
    let report = node.report().unwrap();
    assert_eq!(report.collaborations_agreed, 1);
    assert_eq!(report.new_relations, 1);
    assert_eq!(report.companies, 3);
    assert!((report.new_relations_per_company - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(report.meetings_held, 1);
    assert_eq!(report.meetings_planned, 1);
    assert_eq!(report.attendance_average, 1.0);
    assert_eq!(report.posts, 1);
    assert_eq!(report.graph.now.len(), 1);
    assert!(report.graph.then.is_empty());
}

#[test]
fn accepted_interest_puts_two_members_in_touch() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let own = node.own_org_id().unwrap();
    let ids = members(&node, &["Tuse Træ"]);
    let post = node.create_post(cnc_offer()).unwrap();
    node.lock().unwrap().own_org = Some(ids[0].clone());
    let interest = node.express_interest(&post.id, "yes").unwrap();
    assert!(
        node.relationships().unwrap().is_empty(),
        "not before an answer"
    );
    node.lock().unwrap().own_org = Some(own);
    node.answer_interest(&interest.id, true, "welcome").unwrap();
    let rels = node.relationships().unwrap();
    assert_eq!(rels.len(), 1);
    assert_eq!(rels[0].kind, ivej_model::RelationKind::MetHere);
    assert!(!rels[0].baseline);
}

#[test]
fn a_member_records_whom_it_already_knew_and_can_take_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let ids = members(&node, &["Tuse Træ", "Holbæk Plast"]);
    let mut knew = node.set_own_baseline(&ids).unwrap();
    knew.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(knew, expected);
    // Holbæk was met again here later; taking it off the baseline keeps that relation.
    let own = node.own_org_id().unwrap();
    node.record_relationship(&own, &ids[1], ivej_model::RelationKind::Trading, false)
        .unwrap();
    assert_eq!(node.set_own_baseline(&[]).unwrap(), Vec::<String>::new());
    let rels = node.relationships().unwrap();
    assert_eq!(rels.len(), 1);
    assert!(!rels[0].baseline);
    assert_eq!(node.report().unwrap().graph.then.len(), 0);
}

#[test]
fn an_edit_from_an_old_view_of_the_minutes_keeps_what_others_typed_since() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let meeting = plan_plain_meeting(&node);
    let base = "Present: all.\n";
    node.set_minutes_text(&meeting.id, base).unwrap();
    // A colleague appends while this screen still shows `base`.
    node.append_minutes(&meeting.id, "Action: Jens calls.\n")
        .unwrap();
    let view = node
        .edit_minutes(&meeting.id, base, "Tuse presented.\nPresent: all.\n")
        .unwrap();
    assert_eq!(
        view.text,
        "Tuse presented.\nPresent: all.\nAction: Jens calls.\n"
    );
    // Nothing changed, nothing written.
    let again = node
        .edit_minutes(&meeting.id, &view.text, &view.text)
        .unwrap();
    assert_eq!(again.text, view.text);
}

#[test]
fn an_edit_can_empty_a_quantity_and_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let mut input = cnc_offer();
    input.quantity = Some(ivej_model::Quantity {
        amount: 8.0,
        unit: "hours".into(),
    });
    let post = node.create_post(input).unwrap();
    let edited = node
        .edit_post(
            &post.id,
            PostPatch {
                clear: vec!["quantity".into()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(edited.quantity, None);
    let org = node
        .update_own_organisation(OrgPatch {
            clear: vec!["geo".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(org.geo, None, "the street's founder had a location");
}

#[test]
fn a_private_post_written_by_another_process_is_announced_as_a_post() {
    let dir = tempfile::tempdir().unwrap();
    let app = new_node(dir.path());
    street(&app);
    let mut events = app.subscribe();
    let cli = new_node(dir.path());
    let mut input = cnc_offer();
    input.visibility = Visibility::Private;
    let post = cli.create_post(input).unwrap();
    assert!(app.refresh_from_disk().unwrap());
    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    assert!(
        seen.contains(&ivej_model::NodeEvent::PostChanged { id: post.id }),
        "{seen:?}"
    );
}

#[test]
fn a_refused_introduction_leaves_no_relation_behind() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let ids = members(&node, &["Tuse Træ", "Holbæk Plast"]);
    let meeting = plan_plain_meeting(&node);
    let err = node
        .capture_introduction(&meeting.id, &ids[0], &ids[1], &"x".repeat(2000))
        .unwrap_err();
    assert_eq!(err.to_api().fields[0].field, "note");
    assert!(node.relationships().unwrap().is_empty());
    assert!(node.actions(false).unwrap().is_empty());
}

/// A panic while the state is held (a bug, since peer input is checked and automerge is
/// caught) poisons the lock; the node reads its state again from disk and carries on.
#[test]
fn a_panic_while_the_state_is_held_does_not_stop_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    node.create_post(cnc_offer()).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _held = node.lock().unwrap();
        panic!("a bug in the middle of an operation");
    }));
    assert!(panicked.is_err());
    assert!(node.state.is_poisoned());
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 1);
    node.create_post(PostInput::new(
        Direction::Need,
        "PUR",
        "Joint energy purchase",
    ))
    .unwrap();
    assert!(!node.state.is_poisoned());
    assert_eq!(node.list_posts(&PostFilter::default()).unwrap().len(), 2);
}

/// Compaction runs after the change is committed; when it fails, the write still succeeded
/// and must say so, or a retry would post twice.
#[test]
fn a_failed_compaction_after_a_durable_write_reports_success() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    // Make every compaction fail, as a full disk would (it deletes the appended chunks).
    let db = rusqlite::Connection::open(dir.path().join("industrivej.sqlite3")).unwrap();
    db.execute_batch(
        "CREATE TRIGGER no_compaction BEFORE DELETE ON doc_changes
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    for i in 0..crate::COMPACT_AFTER_CHANGES + 5 {
        let mut post = cnc_offer();
        post.title = format!("Spare CNC hours, week {i}");
        node.create_post(post)
            .unwrap_or_else(|e| panic!("write {i} was committed but reported {e}"));
    }
    drop(node);
    let node = new_node(dir.path());
    assert_eq!(
        node.list_posts(&PostFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .unwrap()
        .len(),
        crate::COMPACT_AFTER_CHANGES + 5
    );
}

/// Sessions flush only what events touched: typing the minutes of one meeting must not
/// make every session send every document.
#[test]
fn events_name_the_documents_they_touched() {
    use ivej_model::NodeEvent;
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    let street_doc = format!("street:{}", node.street_id().unwrap());
    let private_doc = format!("private:{}", node.own_org_id().unwrap());
    let touched = |events: &[NodeEvent]| -> Vec<String> {
        node.documents_touched_by(events)
            .unwrap()
            .into_iter()
            .collect()
    };
    assert_eq!(
        touched(&[NodeEvent::MinutesChanged {
            meeting_id: "m1".into()
        }]),
        vec!["minutes:m1".to_string()]
    );
    assert_eq!(
        touched(&[NodeEvent::OrganisationChanged { id: "o".into() }]),
        vec![street_doc.clone()]
    );
    let mut both = vec![private_doc.clone(), street_doc.clone()];
    both.sort();
    assert_eq!(touched(&[NodeEvent::PostChanged { id: "p".into() }]), both);
    assert_eq!(touched(&[NodeEvent::PrivateChanged]), vec![private_doc]);
    assert!(touched(&[NodeEvent::PeerChanged {
        device_id: "d".into()
    }])
    .is_empty());
    assert!(touched(&[]).is_empty());
}

/// Exchanges sync messages between two nodes until both are quiet.
pub(crate) fn sync_pair(a: &Node, b: &Node) {
    a.admit_each_other(b).unwrap();
    let (da, db) = (a.device_id().unwrap(), b.device_id().unwrap());
    for _ in 0..50 {
        let mut quiet = true;
        let mut docs = a.documents_shared_with(Some(&db)).unwrap();
        docs.extend(b.documents_shared_with(Some(&da)).unwrap());
        for doc in &docs {
            for (from, to, from_id, to_id) in [(a, b, &da, &db), (b, a, &db, &da)] {
                let Ok(Some(m)) = from.sync_message(to_id, doc) else {
                    continue;
                };
                quiet = false;
                let _ = to.receive_sync_message(from_id, doc, &m);
            }
        }
        if quiet {
            return;
        }
    }
}

/// One damaged chunk on disk must not stop the node from opening: what loads is kept,
/// the rest is kept aside and said, and the next sync brings back what went missing.
#[test]
fn a_damaged_stored_chunk_is_kept_aside_and_the_node_opens_and_recovers_from_a_peer() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = new_node(dir_a.path());
    street(&a);
    let b = member_of(&a, dir_b.path(), "Virkelyst Plast");
    for title in ["Spare CNC hours", "Storage hall", "Half-empty truck"] {
        a.create_post(PostInput::new(Direction::Offer, "CAP.SPACE", title))
            .unwrap();
    }
    sync_pair(&a, &b);
    assert_eq!(b.list_posts(&PostFilter::default()).unwrap().len(), 3);
    let street_doc = format!("street:{}", a.street_id().unwrap());
    drop(a);

    // Cut every appended change chunk short, as a bad disk or a torn write would.
    let db = rusqlite::Connection::open(dir_a.path().join("industrivej.sqlite3")).unwrap();
    let damaged = db
        .execute(
            "UPDATE doc_changes SET bytes = substr(bytes, 1, length(bytes) - 3) WHERE doc_id = ?1",
            [&street_doc],
        )
        .unwrap();
    assert!(damaged >= 3, "the three posts' changes at least");
    drop(db);

    let a = new_node(dir_a.path());
    let summary = a.summary().expect("the node opens");
    assert_eq!(
        summary.damaged_chunks as usize, damaged,
        "and says which chunks were kept aside"
    );
    assert!(a.list_posts(&PostFilter::default()).unwrap().is_empty());
    // Opening again finds nothing new to set aside.
    drop(a);
    let a = new_node(dir_a.path());
    assert_eq!(a.summary().unwrap().damaged_chunks as usize, damaged);
    sync_pair(&a, &b);
    assert_eq!(
        a.list_posts(&PostFilter::default()).unwrap().len(),
        3,
        "the missing post came back from the peer"
    );
}

/// A document a newer version wrote is whole: the node says it cannot read it, and never
/// "recovers" it into an empty one.
#[test]
fn a_document_from_a_newer_version_is_refused_not_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let node = new_node(dir.path());
    street(&node);
    node.create_post(cnc_offer()).unwrap();
    let street_doc = format!("street:{}", node.street_id().unwrap());
    drop(node);
    let db = rusqlite::Connection::open(dir.path().join("industrivej.sqlite3")).unwrap();
    let (snapshot, changes): (Vec<u8>, Vec<Vec<u8>>) = {
        let snapshot: Vec<u8> = db
            .query_row(
                "SELECT snapshot FROM documents WHERE doc_id = ?1",
                [&street_doc],
                |r| r.get(0),
            )
            .unwrap();
        let mut stmt = db
            .prepare("SELECT bytes FROM doc_changes WHERE doc_id = ?1 ORDER BY seq")
            .unwrap();
        let changes = stmt
            .query_map([&street_doc], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (snapshot, changes)
    };
    let mut doc =
        ivej_doc::automerge::AutoCommit::load(&[snapshot, changes.concat()].concat()).unwrap();
    ivej_doc::automerge::transaction::Transactable::put(
        &mut doc,
        ivej_doc::automerge::ROOT,
        "schema_version",
        ivej_doc::schema::CURRENT_VERSION + 1,
    )
    .unwrap();
    let newer = doc.save();
    db.execute(
        "UPDATE documents SET snapshot = ?2 WHERE doc_id = ?1",
        rusqlite::params![street_doc, newer],
    )
    .unwrap();
    db.execute("DELETE FROM doc_changes WHERE doc_id = ?1", [&street_doc])
        .unwrap();
    let mut options = NodeOptions::new(dir.path());
    options.lan_discovery = false;
    let refused = Node::open(options);
    assert!(
        matches!(&refused, Err(e) if e.code() == ivej_model::ErrorCode::NewerVersion),
        "{refused:?}"
    );
    let stored: Vec<u8> = db
        .query_row(
            "SELECT snapshot FROM documents WHERE doc_id = ?1",
            [&street_doc],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, newer, "left as it was");
    let quarantined: i64 = db
        .query_row("SELECT COUNT(*) FROM quarantine", [], |r| r.get(0))
        .unwrap();
    assert_eq!(quarantined, 0);
}

/// The screens read the query tables, which another process's write (the CLI beside the
/// app) updates at once; a use case acting on what the screen showed takes that write in
/// first instead of answering "no longer there" until the next poll.
#[test]
fn a_use_case_acts_on_what_another_process_just_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let app = new_node(dir.path());
    street(&app);
    let cli = new_node(dir.path());
    let added = cli
        .add_organisation(OrgProfile {
            name: "Holbæk Plast".into(),
            ..Default::default()
        })
        .unwrap();
    // No poll in between.
    let known = app.set_knew_before(&added.id, true).unwrap();
    assert_eq!(known, vec![added.id.clone()]);
}
