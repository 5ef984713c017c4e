//! Replicas that edit concurrently and then merge end up identical, and no acknowledged
//! edit is lost: posts, one organisation profile (fields and CV text), minutes text.

use std::collections::{BTreeMap, BTreeSet};

use ivej_doc::{MinutesDoc, StreetDoc};
use ivej_model::{
    Direction, LongText, OrgType, Organisation, Post, PostStatus, PriceModel, Street, StreetKind,
    Visibility,
};
use proptest::prelude::*;

const REPLICAS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    AddPost { replica: usize },
    RetitlePost { replica: usize, pick: usize },
    SetOrgField { replica: usize, field: usize },
    InsertCv { replica: usize, pick: usize },
    TypeMinutes { replica: usize, pick: usize },
    Sync { from: usize, to: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let r = 0..REPLICAS;
    prop_oneof![
        r.clone().prop_map(|replica| Op::AddPost { replica }),
        (r.clone(), any::<usize>()).prop_map(|(replica, pick)| Op::RetitlePost { replica, pick }),
        (r.clone(), 0..3usize).prop_map(|(replica, field)| Op::SetOrgField { replica, field }),
        (r.clone(), any::<usize>()).prop_map(|(replica, pick)| Op::InsertCv { replica, pick }),
        (r.clone(), any::<usize>()).prop_map(|(replica, pick)| Op::TypeMinutes { replica, pick }),
        (r.clone(), r).prop_map(|(from, to)| Op::Sync { from, to }),
    ]
}

const ORG: &str = "org-1";

fn org() -> Organisation {
    Organisation {
        id: ORG.into(),
        name: "Regstrup Smedie".into(),
        register: None,
        org_type: OrgType::Sme,
        industries: vec!["25".into()],
        national_code: None,
        size_band: None,
        address: "Industrivej 1".into(),
        municipality: "Holbæk".into(),
        geo: None,
        languages: vec![],
        export_markets: vec![],
        certifications: vec![],
        cv: LongText("<cv>".into()),
        contact: Default::default(),
        joined_at: 1,
        left_at: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn post(id: &str, title: &str) -> Post {
    Post {
        id: id.into(),
        org_id: ORG.into(),
        direction: Direction::Offer,
        kind: "CAP.SPACE".into(),
        title: title.into(),
        body: LongText::default(),
        quantity: None,
        location: None,
        availability: vec![],
        price: PriceModel::Free,
        visibility: Visibility::Street,
        visible_to: vec![],
        anonymous: false,
        status: PostStatus::Open,
        expires_on: None,
        origin_meeting: None,
        created_at: 1,
        updated_at: 1,
    }
}

/// Positions in `text` where a marker may go without splitting another marker.
fn boundaries(text: &str) -> Vec<usize> {
    let mut out = vec![0];
    for (i, c) in text.chars().enumerate() {
        if c == '>' {
            out.push(i + 1);
        }
    }
    out
}

/// Everything a replica shows, for comparing replicas.
fn snapshot(
    street: &StreetDoc,
    minutes: &MinutesDoc,
) -> (BTreeMap<String, Post>, Organisation, String) {
    let posts = street
        .all::<Post>()
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    (
        posts,
        street.require::<Organisation>(ORG).unwrap(),
        minutes.text().unwrap(),
    )
}

fn run(ops: Vec<Op>) {
    let street = Street {
        id: "s".into(),
        name: "Industrivej".into(),
        kind: StreetKind::MiniNetwork,
        region: String::new(),
        cadence_days: 14,
        meeting_minutes: 60,
        languages: vec![],
        funders: vec![],
        targets: Default::default(),
        facilitator_org: ORG.into(),
        current_challenge: None,
        created_at: 1,
    };
    let mut first = StreetDoc::create(&street).unwrap();
    first.put(&org()).unwrap();
    let mut first_minutes = MinutesDoc::create("m1").unwrap();
    let mut streets: Vec<StreetDoc> = Vec::new();
    let mut minutes: Vec<MinutesDoc> = Vec::new();
    for _ in 0..REPLICAS {
        streets.push(StreetDoc::load(&first.save()).unwrap());
        minutes.push(MinutesDoc::load(&first_minutes.save()).unwrap());
    }

    // What each acknowledged edit promises.
    let mut posts_added: BTreeSet<String> = BTreeSet::new();
    let mut titles_written: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut field_values: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut cv_markers: Vec<String> = Vec::new();
    let mut minutes_markers: Vec<String> = Vec::new();

    for (n, op) in ops.into_iter().enumerate() {
        match op {
            Op::AddPost { replica } => {
                let id = format!("p{n}");
                let title = format!("hall {n}");
                streets[replica].put(&post(&id, &title)).unwrap();
                posts_added.insert(id.clone());
                titles_written.entry(id).or_default().push(title);
            }
            Op::RetitlePost { replica, pick } => {
                let mut posts = streets[replica].all::<Post>();
                posts.sort_by(|a, b| a.id.cmp(&b.id));
                if posts.is_empty() {
                    continue;
                }
                let mut p = posts[pick % posts.len()].clone();
                p.title = format!("retitled {n}");
                streets[replica].put(&p).unwrap();
                titles_written
                    .entry(p.id.clone())
                    .or_default()
                    .push(p.title);
            }
            Op::SetOrgField { replica, field } => {
                let mut o: Organisation = streets[replica].require(ORG).unwrap();
                let value = format!("v{n}");
                match field {
                    0 => o.name = value.clone(),
                    1 => o.address = value.clone(),
                    _ => o.municipality = value.clone(),
                }
                streets[replica].put(&o).unwrap();
                field_values.entry(field).or_default().push(value);
            }
            Op::InsertCv { replica, pick } => {
                let mut o: Organisation = streets[replica].require(ORG).unwrap();
                let marker = format!("<c{n}>");
                let chars: Vec<char> = o.cv.0.chars().collect();
                let b = boundaries(&o.cv.0);
                let at = b[pick % b.len()];
                let mut text: String = chars[..at].iter().collect();
                text.push_str(&marker);
                text.extend(&chars[at..]);
                o.cv = LongText(text);
                streets[replica].put(&o).unwrap();
                cv_markers.push(marker);
            }
            Op::TypeMinutes { replica, pick } => {
                let text = minutes[replica].text().unwrap();
                let b = boundaries(&text);
                let marker = format!("<m{n}>");
                minutes[replica]
                    .splice(b[pick % b.len()], 0, &marker)
                    .unwrap();
                minutes_markers.push(marker);
            }
            Op::Sync { from, to } => {
                if from != to {
                    let (a, b) = pair(&mut streets, to, from);
                    a.merge(b).unwrap();
                    let (a, b) = pair(&mut minutes, to, from);
                    a.merge(b).unwrap();
                }
            }
        }
    }

    // Everyone syncs with everyone.
    for to in 0..REPLICAS {
        for from in 0..REPLICAS {
            if from != to {
                let (a, b) = pair(&mut streets, to, from);
                a.merge(b).unwrap();
                let (a, b) = pair(&mut minutes, to, from);
                a.merge(b).unwrap();
            }
        }
    }

    let first_snapshot = snapshot(&streets[0], &minutes[0]);
    for r in 1..REPLICAS {
        assert_eq!(
            first_snapshot,
            snapshot(&streets[r], &minutes[r]),
            "replica {r} differs"
        );
        assert_eq!(streets[0].heads_hex(), streets[r].heads_hex());
    }
    let (posts, org, minutes_text) = first_snapshot;
    for id in &posts_added {
        let p = posts
            .get(id)
            .unwrap_or_else(|| panic!("post {id} was lost"));
        assert!(
            titles_written[id].contains(&p.title),
            "post {id} has a title nobody wrote"
        );
    }
    for (field, values) in &field_values {
        let got = match field {
            0 => &org.name,
            1 => &org.address,
            _ => &org.municipality,
        };
        assert!(
            values.contains(got),
            "field {field} is `{got}`, which nobody wrote"
        );
    }
    for m in &cv_markers {
        assert!(
            org.cv.0.contains(m.as_str()),
            "CV edit {m} was lost: {}",
            org.cv.0
        );
    }
    for m in &minutes_markers {
        assert!(
            minutes_text.contains(m.as_str()),
            "minutes edit {m} was lost: {minutes_text}"
        );
    }
}

fn pair<T>(items: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    assert_ne!(a, b);
    if a < b {
        let (left, right) = items.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = items.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_edits_converge_without_loss(ops in proptest::collection::vec(op(), 1..40)) {
        run(ops);
    }
}

#[test]
fn two_replicas_editing_different_fields_of_one_profile_keep_both() {
    run(vec![
        Op::SetOrgField {
            replica: 0,
            field: 0,
        },
        Op::SetOrgField {
            replica: 1,
            field: 1,
        },
        Op::InsertCv {
            replica: 0,
            pick: 0,
        },
        Op::InsertCv {
            replica: 1,
            pick: 1,
        },
        Op::TypeMinutes {
            replica: 0,
            pick: 0,
        },
        Op::TypeMinutes {
            replica: 2,
            pick: 0,
        },
    ]);
}
