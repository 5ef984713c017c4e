use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::ids::{MeetingId, OrgId, PostId};
use crate::reference;
use crate::text::LongText;
use crate::time::Date;
use crate::validate::{limits, Checks, Problem, Validate, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Offer,
    Need,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::Offer => "offer",
            Direction::Need => "need",
        }
    }

    pub fn from_code(code: &str) -> Option<Direction> {
        match code {
            "offer" => Some(Direction::Offer),
            "need" => Some(Direction::Need),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Quantity {
    pub amount: f64,
    /// Free text unit: `hours`, `m2`, `pallets`, `kWh` ...
    pub unit: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Recurrence {
    Weekly,
    Monthly,
}

/// When an offer can be used or a need must be met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct AvailabilityWindow {
    pub from: Date,
    pub to: Option<Date>,
    pub recurrence: Option<Recurrence>,
    pub min_booking: Option<Quantity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum PriceModel {
    Free,
    Swap,
    Cost,
    Market,
    Negotiable,
}

impl PriceModel {
    pub const ALL: [PriceModel; 5] = [
        PriceModel::Free,
        PriceModel::Swap,
        PriceModel::Cost,
        PriceModel::Market,
        PriceModel::Negotiable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PriceModel::Free => "free",
            PriceModel::Swap => "swap",
            PriceModel::Cost => "cost",
            PriceModel::Market => "market",
            PriceModel::Negotiable => "negotiable",
        }
    }
}

/// The most organisations a post can be shown to by name (beyond that, show it to the street).
pub const MAX_NAMED: usize = 20;

/// Who may see a post. `Named` goes with [`Post::visible_to`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the company's own devices (kept in its private document).
    Private,
    Facilitator,
    Named,
    Street,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [
        Visibility::Private,
        Visibility::Facilitator,
        Visibility::Named,
        Visibility::Street,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Facilitator => "facilitator",
            Visibility::Named => "named",
            Visibility::Street => "street",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Open,
    InDialogue,
    Matched,
    Closed,
    Expired,
}

impl PostStatus {
    pub const ALL: [PostStatus; 6] = [
        PostStatus::Draft,
        PostStatus::Open,
        PostStatus::InDialogue,
        PostStatus::Matched,
        PostStatus::Closed,
        PostStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Open => "open",
            PostStatus::InDialogue => "in_dialogue",
            PostStatus::Matched => "matched",
            PostStatus::Closed => "closed",
            PostStatus::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether a post in this state still asks for answers.
    pub fn is_active(self) -> bool {
        matches!(self, PostStatus::Open | PostStatus::InDialogue)
    }
}

/// An offer of spare capacity or a need, posted by a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Post {
    pub id: PostId,
    pub org_id: OrgId,
    pub direction: Direction,
    /// A code of the shipped taxonomy (`CAP.MACH.CNC`).
    pub kind: String,
    pub title: String,
    pub body: LongText,
    pub quantity: Option<Quantity>,
    /// Where the capacity is, when not at the organisation's own address.
    pub location: Option<GeoPoint>,
    pub availability: Vec<AvailabilityWindow>,
    pub price: PriceModel,
    pub visibility: Visibility,
    /// The organisations that may see a post of [`Visibility::Named`].
    pub visible_to: Vec<OrgId>,
    /// A need posted without naming the company; the facilitator brokers.
    pub anonymous: bool,
    pub status: PostStatus,
    pub expires_on: Option<Date>,
    pub origin_meeting: Option<MeetingId>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Post {
    /// The status as a reader should see it today: an open post past its expiry is expired.
    pub fn status_on(&self, today: Date) -> PostStatus {
        match self.expires_on {
            Some(exp) if self.status.is_active() && exp < today => PostStatus::Expired,
            _ => self.status,
        }
    }

    /// Whether the post expires within `days` of `today` (and is still active).
    pub fn expires_within(&self, today: Date, days: i64) -> bool {
        self.status.is_active()
            && self
                .expires_on
                .is_some_and(|exp| exp >= today && today.days_until(exp) <= days)
    }
}

impl Validate for Post {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("title", &self.title, limits::TITLE);
        c.text("body", self.body.as_str(), limits::LONG);
        if !reference::is_known_post_kind(&self.kind) {
            c.push(
                "kind",
                Problem::UnknownTaxonomyCode {
                    code: self.kind.clone(),
                },
            );
        }
        if let Some(q) = &self.quantity {
            c.non_negative("quantity.amount", q.amount);
            c.required_text("quantity.unit", &q.unit, 40);
        }
        if let Some(loc) = &self.location {
            c.geo("location", loc);
        }
        c.list_len("availability", &self.availability, 20);
        for (i, w) in self.availability.iter().enumerate() {
            if let Some(to) = &w.to {
                c.in_order(
                    &format!("availability.{i}.from"),
                    &w.from,
                    &format!("availability.{i}.to"),
                    to,
                );
            }
            if let Some(q) = &w.min_booking {
                c.non_negative(&format!("availability.{i}.min_booking.amount"), q.amount);
                c.required_text(&format!("availability.{i}.min_booking.unit"), &q.unit, 40);
            }
        }
        if self.visibility == Visibility::Named && self.visible_to.is_empty() {
            c.push("visible_to", Problem::Empty);
        }
        c.list_len("visible_to", &self.visible_to, MAX_NAMED);
        if let Some(exp) = &self.expires_on {
            let created = Date::from_unix_ms(self.created_at);
            c.in_order("created_at", &created, "expires_on", exp);
        }
        c.in_order(
            "created_at",
            &self.created_at,
            "updated_at",
            &self.updated_at,
        );
        c.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Post {
        Post {
            id: "p1".into(),
            org_id: "o1".into(),
            direction: Direction::Offer,
            kind: "CAP.MACH.CNC".into(),
            title: "Spare CNC hours".into(),
            body: "Five-axis mill free on Fridays".into(),
            quantity: Some(Quantity {
                amount: 40.0,
                unit: "hours".into(),
            }),
            location: None,
            availability: vec![AvailabilityWindow {
                from: "2026-12-01".parse().unwrap(),
                to: Some("2026-12-31".parse().unwrap()),
                recurrence: Some(Recurrence::Weekly),
                min_booking: None,
            }],
            price: PriceModel::Market,
            visibility: Visibility::Street,
            visible_to: vec![],
            anonymous: false,
            status: PostStatus::Open,
            expires_on: Some("2027-01-31".parse().unwrap()),
            origin_meeting: None,
            created_at: 1_790_000_000_000,
            updated_at: 1_790_000_000_000,
        }
    }

    #[test]
    fn a_good_post_passes() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut p = sample();
        p.title = "   ".into();
        p.kind = "CAP.NOPE".into();
        p.quantity = Some(Quantity {
            amount: -3.0,
            unit: "hours".into(),
        });
        p.availability[0].to = Some("2026-11-01".parse().unwrap());
        p.location = Some(GeoPoint::new(91.0, 12.0));
        p.body = LongText("x".repeat(limits::LONG + 1));
        let errs = p.validate().unwrap_err();
        assert_eq!(errs.for_field("title"), Some(&Problem::Empty));
        assert!(matches!(
            errs.for_field("kind"),
            Some(Problem::UnknownTaxonomyCode { .. })
        ));
        assert_eq!(errs.for_field("quantity.amount"), Some(&Problem::Negative));
        assert!(matches!(
            errs.for_field("availability.0.to"),
            Some(Problem::OutOfOrder { .. })
        ));
        assert!(matches!(
            errs.for_field("location.lat"),
            Some(Problem::LatitudeOutOfRange { .. })
        ));
        assert!(matches!(
            errs.for_field("body"),
            Some(Problem::TooLong { .. })
        ));
        assert!(errs.to_string().contains("title: must not be empty"));
    }

    #[test]
    fn open_posts_past_expiry_read_as_expired() {
        let p = sample();
        let before: Date = "2027-01-31".parse().unwrap();
        assert_eq!(p.status_on(before), PostStatus::Open);
        assert_eq!(p.status_on(before.add_days(1)), PostStatus::Expired);
        assert!(p.expires_within(before.add_days(-5), 7));
        assert!(!p.expires_within(before.add_days(-30), 7));
    }
}
