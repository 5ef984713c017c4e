//! A made-up street for first start, screenshots and benchmarks.
//!
//! [`DemoSize::small`] is the demo street a new user can open; [`DemoSize::two_year`] is
//! the benchmark's street after two years (150 organisations, 3,000 posts, 52 meetings
//! with minutes). Both are generated from a seed, so a run can be repeated exactly.

use std::collections::BTreeMap;

use ivej_doc::{MinutesDoc, PrivateDoc, StreetDoc};
use ivej_model::{
    ActionItem, Attendance, AvailabilityWindow, Channel, Collaboration, CollaborationKind,
    CollaborationValue, Contact, Date, Decision, Direction, ExportPhase, GeoPoint, KpiTargets,
    LocalDateTime, LongText, Meeting, MeetingState, OrgType, Organisation, Origin, OriginKind,
    Post, PostStatus, PriceModel, Quantity, Recurrence, RegisterId, RegisterScheme, RelationKind,
    Relationship, Service, SizeBand, StageChange, Street, StreetKind, Visibility,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock;
use crate::error::NodeResult;
use crate::meetings::default_agenda;
use crate::Node;

/// How big a generated street is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSize {
    pub organisations: usize,
    pub posts: usize,
    pub meetings: usize,
    /// Characters of minutes per meeting, roughly.
    pub minutes_chars: usize,
}

impl DemoSize {
    /// The demo street offered on first start.
    pub fn small() -> Self {
        DemoSize {
            organisations: 14,
            posts: 32,
            meetings: 8,
            minutes_chars: 900,
        }
    }

    /// A street after two years of fortnightly meetings.
    pub fn two_year() -> Self {
        DemoSize {
            organisations: 150,
            posts: 3000,
            meetings: 52,
            minutes_chars: 3000,
        }
    }
}

/// The documents of a generated street.
#[derive(Debug)]
pub struct DemoStreet {
    pub street: StreetDoc,
    pub private: PrivateDoc,
    pub minutes: Vec<(String, MinutesDoc)>,
    pub street_id: String,
    /// The facilitator's organisation: the one the demo user acts as.
    pub own_org: String,
}

const NAME_PLACES: &[&str] = &[
    "Regstrup",
    "Virkelyst",
    "Holbæk",
    "Tølløse",
    "Jyderup",
    "Mørkøv",
    "Vipperød",
    "Svinninge",
    "Tuse",
    "Ugerløse",
];
const NAME_TRADES: &[(&str, &str)] = &[
    ("Smedie", "25"),
    ("Plast", "22"),
    ("Maskinfabrik", "28"),
    ("Træindustri", "16"),
    ("Fødevarer", "10"),
    ("Service & Reparation", "33"),
    ("Byg", "43"),
    ("Transport", "49"),
    ("Engros", "46"),
    ("IT", "62"),
    ("Rådgivende Ingeniører", "71"),
    ("Møbelsnedkeri", "31"),
    ("Elektronik", "26"),
    ("Emballage", "17"),
];
const LANGUAGES: &[&str] = &["da", "en", "de", "sv", "ru", "pl"];

struct PostTemplate {
    direction: Direction,
    kind: &'static str,
    title: &'static str,
    body: &'static str,
    unit: &'static str,
}

const POSTS: &[PostTemplate] = &[
    PostTemplate { direction: Direction::Offer, kind: "CAP.MACH.CNC", title: "Spare CNC milling hours", body: "Five-axis mill free most Fridays. Operator included on request.", unit: "hours" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.MACH.WELD", title: "Welding robot idle on night shift", body: "MIG/MAG robot cell, steel and stainless, up to 2 m parts.", unit: "hours" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.MACH.LASER", title: "Laser cutting capacity", body: "6 kW fibre laser, sheet up to 20 mm steel.", unit: "hours" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.SPACE", title: "Heated storage space to let", body: "Dry hall with gate and forklift access.", unit: "m2" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.STAFF.LANG", title: "Export clerk speaking Russian and German", body: "Our part-time export clerk wants full time; share her with us for your export paperwork and calls.", unit: "hours/week" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.TRANS", title: "Half-empty truck to Copenhagen on Tuesdays", body: "Weekly run to Greater Copenhagen, room for 6 pallets.", unit: "pallets" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.EQUIP", title: "Forklift and scissor lift for loan", body: "Available weekends; you collect.", unit: "days" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.FLOW.HEAT", title: "Surplus heat from the compressors", body: "Steady surplus heat all year; looking for someone to use it.", unit: "kWh/day" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.FLOW.PACK", title: "Clean pallets and cardboard", body: "Reusable packaging every week, free to collect.", unit: "pallets" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.MACH.3DP", title: "3D printing of prototypes", body: "SLS nylon and FDM; quick turnaround for fixtures.", unit: "parts" },
    PostTemplate { direction: Direction::Offer, kind: "CAP.MACH.METRO", title: "Coordinate measuring machine time", body: "Zeiss CMM with operator, measurement reports included.", unit: "hours" },
    PostTemplate { direction: Direction::Offer, kind: "KNOW", title: "We can help with ISO 9001", body: "Recently certified; happy to share our templates and lessons.", unit: "hours" },
    PostTemplate { direction: Direction::Need, kind: "COL.SUB", title: "Plastic parts for a traditional smithy", body: "Customers ask for plastic elements in our gates; looking for a plastics partner nearby.", unit: "parts/year" },
    PostTemplate { direction: Direction::Need, kind: "PUR", title: "Joint purchase of electricity", body: "Let us tender energy together for better prices.", unit: "MWh/year" },
    PostTemplate { direction: Direction::Need, kind: "CAP.MACH.PAINT", title: "Powder coating of small batches", body: "Need someone to powder coat 50-200 parts a month.", unit: "parts/month" },
    PostTemplate { direction: Direction::Need, kind: "CAP.STAFF.SHARED", title: "Share a service technician", body: "We need a technician two days a week.", unit: "days/week" },
    PostTemplate { direction: Direction::Need, kind: "CAP.TRANS", title: "Transport to Hamburg monthly", body: "Two pallets a month to Hamburg; can we share a truck?", unit: "pallets" },
    PostTemplate { direction: Direction::Need, kind: "COL.EXPORT", title: "Partners for a joint export trip to Poland", body: "Looking for two or three companies to share a stand and an interpreter.", unit: "companies" },
    PostTemplate { direction: Direction::Need, kind: "LEAD", title: "Who knows a good electronics designer?", body: "We need a small control board designed for our machine.", unit: "contacts" },
    PostTemplate { direction: Direction::Need, kind: "CAP.SPACE", title: "Cold storage for two months", body: "Temporary cold storage for a seasonal batch.", unit: "m2" },
    PostTemplate { direction: Direction::Need, kind: "SRV", title: "Advice on export financing", body: "Who can explain the export credit options for a small order?", unit: "hours" },
    PostTemplate { direction: Direction::Need, kind: "COL.TENDER", title: "Joint bid for the municipal building tender", body: "The tender needs steel, wood and installation; let us bid together.", unit: "companies" },
];

const MINUTES_LINES: &[&str] = &[
    "The host presented the company, its history and its machines; questions about capacity and staff followed.",
    "Round of the table: each member told what went well since last time and what they are looking for.",
    "Sharing challenge: how can we use each other's idle capacity in the quiet summer weeks?",
    "Two members agreed to visit each other's workshops before the next meeting.",
    "The facilitator reminded everyone to post their spare capacity on the board.",
    "Discussion of a joint energy tender; three members are interested and will send their consumption figures.",
    "A member asked for help with German export paperwork; the export clerk offer was mentioned.",
    "The group discussed transport to Copenhagen and agreed to compare routes.",
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn id(rng: &mut StdRng) -> String {
    ivej_model::new_id_from_parts(rng.random())
}

/// A valid Danish CVR number (8 digits passing the modulus-11 check).
fn cvr(rng: &mut StdRng) -> String {
    const W: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
    loop {
        let mut digits: Vec<u32> = (0..7).map(|_| rng.random_range(0..10)).collect();
        if digits[0] == 0 {
            continue;
        }
        let partial: u32 = digits.iter().zip(W).map(|(d, w)| d * w).sum();
        let check = (11 - partial % 11) % 11;
        if check < 10 {
            digits.push(check);
            return digits.iter().map(|d| char::from(b'0' + *d as u8)).collect();
        }
    }
}

/// Generates a street of `size` from `seed`, as of `now` (Unix ms) and `today`.
pub fn generate(size: DemoSize, seed: u64, now: i64, today: Date) -> NodeResult<DemoStreet> {
    let mut rng = StdRng::seed_from_u64(seed);
    const DAY_MS: i64 = 86_400_000;
    let start = now - 730 * DAY_MS;
    let regstrup = GeoPoint::new(55.6510, 11.6130);

    let facilitator = Organisation {
        id: id(&mut rng),
        name: "Erhvervshus Holbæk (demo)".into(),
        register: None,
        org_type: OrgType::Facilitator,
        industries: vec!["70".into()],
        national_code: None,
        size_band: Some(SizeBand::Small),
        address: "Kanalstræde 2, 4300 Holbæk".into(),
        municipality: "Holbæk".into(),
        geo: Some(GeoPoint::new(55.7167, 11.7167)),
        languages: vec!["da".into(), "en".into()],
        export_markets: vec![],
        certifications: vec![],
        cv: LongText("Business promotion for the companies of Holbæk municipality. We facilitate the virtual industrial street.".into()),
        contact: Contact {
            name: "Facilitator".into(),
            email: "facilitator@example.invalid".into(),
            phone: String::new(),
        },
        joined_at: start,
        left_at: None,
        created_at: start,
        updated_at: start,
    };
    let street = Street {
        id: id(&mut rng),
        name: if size == DemoSize::small() {
            "Industrivej Regstrup (demo)".into()
        } else {
            format!("Two-year street ({} members)", size.organisations)
        },
        kind: StreetKind::MiniNetwork,
        region: "Region Sjælland".into(),
        cadence_days: 14,
        meeting_minutes: 60,
        languages: vec!["da".into()],
        funders: vec!["Region Sjælland".into(), "Industriens Fond".into()],
        targets: KpiTargets::default(),
        facilitator_org: facilitator.id.clone(),
        current_challenge: Some(
            "How can we use each other's idle machines in the quiet weeks?".into(),
        ),
        created_at: start,
    };
    let mut doc = StreetDoc::create(&street)?;
    doc.put(&facilitator)?;

    let mut orgs = Vec::with_capacity(size.organisations);
    for i in 0..size.organisations {
        let place = NAME_PLACES[i % NAME_PLACES.len()];
        let (trade, nace) = NAME_TRADES[(i / NAME_PLACES.len() + i) % NAME_TRADES.len()];
        let round = i / (NAME_PLACES.len() * NAME_TRADES.len());
        let name = if round == 0 {
            format!("{place} {trade} ApS")
        } else {
            format!("{place} {trade} {} ApS", round + 1)
        };
        let joined = start + rng.random_range(0..60) * DAY_MS;
        let org = Organisation {
            id: id(&mut rng),
            name: name.clone(),
            register: Some(RegisterId {
                scheme: RegisterScheme::DkCvr,
                value: cvr(&mut rng),
            }),
            org_type: OrgType::Sme,
            industries: vec![nace.to_string()],
            national_code: None,
            size_band: Some(*pick(&mut rng, &[SizeBand::Micro, SizeBand::Small, SizeBand::Medium])),
            address: format!("Industrivej {}, {place}", rng.random_range(1..80)),
            municipality: "Holbæk".into(),
            geo: Some(GeoPoint::new(
                regstrup.lat + rng.random_range(-0.06..0.06),
                regstrup.lon + rng.random_range(-0.1..0.1),
            )),
            languages: vec!["da".into(), pick(&mut rng, LANGUAGES).to_string()],
            export_markets: vec![pick(&mut rng, &["DE", "SE", "NO", "PL", "UK"]).to_string()],
            certifications: if rng.random_bool(0.3) { vec!["ISO 9001".into()] } else { vec![] },
            cv: LongText(format!(
                "{name} is a {} company in {place} with {} employees. We make and repair {} for customers in Zealand and abroad. We are curious about working with our neighbours on Industrivej.",
                trade.to_lowercase(),
                rng.random_range(3..120),
                trade.to_lowercase()
            )),
            contact: Contact {
                name: "Owner".into(),
                email: format!("info{i}@example.invalid"),
                phone: format!("+45 {:08}", rng.random_range(20_000_000..99_999_999)),
            },
            joined_at: joined,
            left_at: None,
            created_at: joined,
            updated_at: joined,
        };
        doc.put(&org)?;
        orgs.push(org);
    }

    for i in 0..size.posts {
        let t = pick(&mut rng, POSTS);
        let author = pick(&mut rng, &orgs);
        // Spread creation over two years, with the recent weeks denser as on a live board.
        let recent = size == DemoSize::small() || i % 3 == 0;
        let age_days = if recent {
            rng.random_range(0..40)
        } else {
            rng.random_range(0..730)
        };
        let created = now - age_days * DAY_MS - rng.random_range(0..DAY_MS);
        let created_day = Date::from_unix_ms(created);
        let status = if age_days > 120 {
            *pick(
                &mut rng,
                &[PostStatus::Closed, PostStatus::Matched, PostStatus::Open],
            )
        } else {
            *pick(
                &mut rng,
                &[PostStatus::Open, PostStatus::Open, PostStatus::InDialogue],
            )
        };
        let title = if size == DemoSize::small() {
            t.title.to_string()
        } else {
            format!("{} #{}", t.title, i + 1)
        };
        let post = Post {
            id: id(&mut rng),
            org_id: author.id.clone(),
            direction: t.direction,
            kind: t.kind.into(),
            title,
            body: LongText(t.body.into()),
            quantity: Some(Quantity {
                amount: f64::from(rng.random_range(1..200u32)),
                unit: t.unit.into(),
            }),
            location: None,
            availability: vec![AvailabilityWindow {
                from: created_day,
                to: Some(created_day.add_days(rng.random_range(14..120))),
                recurrence: if rng.random_bool(0.3) {
                    Some(Recurrence::Weekly)
                } else {
                    None
                },
                min_booking: None,
            }],
            price: *pick(&mut rng, &PriceModel::ALL),
            visibility: Visibility::Street,
            visible_to: vec![],
            anonymous: t.direction == Direction::Need && rng.random_bool(0.1),
            status,
            expires_on: Some(created_day.add_days(rng.random_range(20..70))),
            origin_meeting: None,
            created_at: created,
            updated_at: created,
        };
        doc.put(&post)?;
    }

    let mut minutes = Vec::with_capacity(size.meetings);
    let first = LocalDateTime(
        Date::from_unix_ms(start)
            .0
            .and_hms_opt(15, 0, 0)
            .unwrap_or_default(),
    );
    for m in 0..size.meetings {
        let host = &orgs[m % orgs.len()];
        let starts_at = first.add_days(14 * m as i64);
        let past = starts_at.date() < today;
        let mut attendance = BTreeMap::new();
        for org in orgs.iter().take(40) {
            if rng.random_bool(0.7) {
                attendance.insert(
                    org.id.clone(),
                    Attendance {
                        present: true,
                        people: rng.random_range(1..3),
                    },
                );
            }
        }
        let meeting = Meeting {
            id: id(&mut rng),
            series_id: None,
            starts_at,
            duration_minutes: 60,
            host_org: Some(host.id.clone()),
            location: host.address.clone(),
            state: if past {
                MeetingState::Finalized
            } else {
                MeetingState::Planned
            },
            agenda: default_agenda(60),
            attendance: if past { attendance } else { BTreeMap::new() },
            challenge: Some(MINUTES_LINES[2].into()),
            created_at: start,
        };
        doc.put(&meeting)?;
        let mut mdoc = MinutesDoc::create(&meeting.id)?;
        if past {
            let mut text = format!("Meeting at {} hosted by {}.\n", host.name, host.address);
            while text.len() < size.minutes_chars {
                let line: &&str = pick(&mut rng, MINUTES_LINES);
                text.push_str(line);
                text.push('\n');
            }
            mdoc.set_text(&text)?;
            mdoc.put(&Decision {
                id: id(&mut rng),
                text: "Members post their spare capacity before the next meeting.".into(),
                created_at: start + (14 * m as i64) * DAY_MS,
            })?;
            let action_created = start + (14 * m as i64) * DAY_MS;
            doc.put(&ActionItem {
                id: id(&mut rng),
                meeting_id: meeting.id.clone(),
                text: format!(
                    "Follow up on the challenge with {}",
                    pick(&mut rng, &orgs).name
                ),
                owner_org: Some(pick(&mut rng, &orgs).id.clone()),
                due: Some(Date::from_unix_ms(action_created).add_days(14)),
                done_at: (m + 2 < size.meetings && rng.random_bool(0.8))
                    .then_some(action_created + 10 * DAY_MS),
                created_at: action_created,
            })?;
        }
        minutes.push((meeting.id.clone(), mdoc));
    }

    let collaborations = (size.organisations / 6).clamp(2, 25);
    for c in 0..collaborations {
        let a = pick(&mut rng, &orgs).id.clone();
        let b = pick(&mut rng, &orgs).id.clone();
        if a == b {
            continue;
        }
        let stage = *pick(&mut rng, &ivej_model::Stage::ALL);
        let at = start + rng.random_range(30..700) * DAY_MS;
        doc.put(&Collaboration {
            id: id(&mut rng),
            title: format!("Collaboration {}", c + 1),
            kind: *pick(&mut rng, &CollaborationKind::ALL),
            orgs: vec![a, b],
            stage,
            value: CollaborationValue {
                turnover: Some(f64::from(rng.random_range(10..500u32)) * 1000.0),
                savings: None,
                jobs: None,
            },
            origin: Origin {
                kind: OriginKind::Meeting,
                ref_id: None,
            },
            history: BTreeMap::from([(
                id(&mut rng),
                StageChange {
                    stage,
                    at,
                    note: String::new(),
                },
            )]),
            created_at: at,
        })?;
    }
    for _ in 0..size.organisations * 2 {
        let a = pick(&mut rng, &orgs).id.clone();
        let b = pick(&mut rng, &orgs).id.clone();
        if a == b {
            continue;
        }
        let baseline = rng.random_bool(0.5);
        doc.put(&Relationship {
            a,
            b,
            kind: if baseline {
                RelationKind::KnewBefore
            } else {
                RelationKind::MetHere
            },
            since: Date::from_unix_ms(start + rng.random_range(0..700) * DAY_MS),
            baseline,
        })?;
    }
    // A small service directory, as a region's promoters list theirs.
    let service = |name: &str, provider: &str, description: &str, target: &str| Service {
        id: String::new(),
        provider_org: facilitator.id.clone(),
        name: name.into(),
        provider_name: provider.into(),
        description: LongText(description.into()),
        target_group: target.into(),
        phases: Vec::new(),
        cost: String::new(),
        languages: Vec::new(),
        region: String::new(),
        contact: "facilitator@example.invalid".into(),
        channels: Vec::new(),
        created_at: start,
    };
    let services = [
        Service {
            phases: vec![ExportPhase::Considering, ExportPhase::Starting],
            cost: "Free".into(),
            languages: vec!["da".into(), "en".into()],
            region: "Region Sjælland".into(),
            channels: vec![Channel::InPerson, Channel::Phone],
            ..service(
                "Export advice",
                "",
                "Free first meeting about export markets, financing and partners.",
                "SMEs planning their first export",
            )
        },
        Service {
            phases: vec![ExportPhase::Starting, ExportPhase::Expanding],
            cost: "50 % tilskud".into(),
            languages: vec!["da".into()],
            region: "Danmark".into(),
            channels: vec![Channel::Online, Channel::Email],
            ..service(
                "Eksportvoucher",
                "Danmarks Eksport- og Investeringsfond",
                "Tilskud til rådgivning om et nyt eksportmarked.",
                "Små og mellemstore virksomheder",
            )
        },
        Service {
            phases: vec![ExportPhase::Expanding, ExportPhase::Established],
            cost: "Maksuton".into(),
            languages: vec!["fi".into(), "en".into()],
            region: "Keski-Suomi".into(),
            channels: vec![Channel::Online, Channel::Phone],
            ..service(
                "Kansainvälistymisen sparraus",
                "Business Finland",
                "Sparrausta uusille markkinoille ja kumppanihakuun.",
                "Pk-yritykset",
            )
        },
        Service {
            phases: vec![ExportPhase::Starting],
            cost: "Kostnadsfritt".into(),
            languages: vec!["sv".into()],
            region: "Kronoberg".into(),
            channels: vec![Channel::InPerson],
            ..service(
                "Exportcoachning",
                "Region Kronoberg",
                "Mentorskap med erfarna exportchefer under ett år.",
                "Företag med 5-250 anställda",
            )
        },
    ];
    for mut service in services {
        service.id = id(&mut rng);
        doc.put(&service)?;
    }

    let private = PrivateDoc::create(&facilitator.id)?;
    Ok(DemoStreet {
        street_id: street.id.clone(),
        own_org: facilitator.id.clone(),
        street: doc,
        private,
        minutes,
    })
}

impl Node {
    /// Fills an empty data directory with the demo street; the user acts as its facilitator.
    pub fn open_demo(&self) -> NodeResult<ivej_model::StreetSummary> {
        let demo = generate(DemoSize::small(), 2017, clock::now_ms(), clock::today())?;
        self.adopt_demo(demo)
    }

    /// Stores a generated street in this (empty) data directory.
    pub fn adopt_demo(&self, demo: DemoStreet) -> NodeResult<ivej_model::StreetSummary> {
        let mut st = self.lock()?;
        if st.street.is_some() {
            return Err(crate::NodeError::AlreadyExists(
                "this data directory already holds a street".into(),
            ));
        }
        st.found_trust(&demo.street_id, &demo.own_org)?;
        st.adopt(demo.street_id, demo.own_org, demo.street, demo.private)?;
        for (meeting_id, doc) in demo.minutes {
            st.adopt_minutes(&meeting_id, doc)?;
        }
        // Anonymous needs go where a real one would: the author's scope, with the
        // facilitator's copy in the street.
        let anonymous: Vec<ivej_model::Post> = st
            .street()?
            .all::<ivej_model::Post>()
            .into_iter()
            .filter(crate::brokered::is_anonymous_need)
            .collect();
        for post in &anonymous {
            st.save_post(post)?;
            st.broker_post(&post.id)?;
        }
        drop(st);
        self.emit(ivej_model::NodeEvent::StreetOpened);
        self.summary()
    }
}
