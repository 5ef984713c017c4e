//! The board's filters and sort order as a reducer, and the query they make.

use std::rc::Rc;

use ivej_model::{Direction, GeoPoint, PostFilter, PostSort, PostStatus};
use yew::Reducible;

/// Which posts by state the board shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusChoice {
    /// Open or in dialogue.
    #[default]
    Active,
    Expired,
    Closed,
    All,
}

impl StatusChoice {
    pub const ALL: [StatusChoice; 4] = [
        StatusChoice::Active,
        StatusChoice::Expired,
        StatusChoice::Closed,
        StatusChoice::All,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StatusChoice::Active => "active",
            StatusChoice::Expired => "expired",
            StatusChoice::Closed => "closed",
            StatusChoice::All => "all",
        }
    }

    pub fn from_code(code: &str) -> StatusChoice {
        StatusChoice::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or_default()
    }

    fn statuses(self) -> Vec<PostStatus> {
        match self {
            StatusChoice::Active => vec![PostStatus::Open, PostStatus::InDialogue],
            StatusChoice::Expired => vec![PostStatus::Expired],
            StatusChoice::Closed => vec![PostStatus::Closed, PostStatus::Matched],
            StatusChoice::All => PostStatus::ALL
                .into_iter()
                .filter(|s| *s != PostStatus::Draft)
                .collect(),
        }
    }
}

/// Distances the board offers to filter by, in km.
pub const DISTANCES: [u32; 5] = [2, 5, 10, 25, 50];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoardFilter {
    pub direction: Option<Direction>,
    /// A taxonomy code (a parent matches its children), or none.
    pub kind: Option<String>,
    /// A NACE section letter, or none.
    pub industry: Option<String>,
    pub within_km: Option<u32>,
    pub status: StatusChoice,
    pub text: String,
    pub by_distance: bool,
    pub only_mine: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FilterAction {
    Direction(Option<Direction>),
    Kind(Option<String>),
    Industry(Option<String>),
    Within(Option<u32>),
    Status(StatusChoice),
    Text(String),
    ByDistance(bool),
    OnlyMine(bool),
    Reset,
}

impl Reducible for BoardFilter {
    type Action = FilterAction;

    fn reduce(self: Rc<Self>, action: FilterAction) -> Rc<Self> {
        let mut next = (*self).clone();
        let blank = |s: Option<String>| s.filter(|v| !v.is_empty());
        match action {
            FilterAction::Direction(d) => next.direction = d,
            FilterAction::Kind(k) => next.kind = blank(k),
            FilterAction::Industry(i) => next.industry = blank(i),
            FilterAction::Within(km) => next.within_km = km,
            FilterAction::Status(s) => next.status = s,
            FilterAction::Text(t) => next.text = t,
            FilterAction::ByDistance(on) => next.by_distance = on,
            FilterAction::OnlyMine(on) => next.only_mine = on,
            FilterAction::Reset => next = BoardFilter::default(),
        }
        Rc::new(next)
    }
}

impl BoardFilter {
    /// The query for the node. Distance needs this organisation's location: without one,
    /// the distance filter and sort are left out rather than hiding every post.
    pub fn query(&self, own_location: Option<GeoPoint>, own_org: Option<&str>) -> PostFilter {
        let text = self.text.trim();
        let near = own_location.filter(|_| self.within_km.is_some() || self.by_distance);
        PostFilter {
            direction: self.direction,
            kinds: self.kind.iter().cloned().collect(),
            industries: self.industry.iter().cloned().collect(),
            within_km: self.within_km.filter(|_| near.is_some()).map(f64::from),
            near,
            statuses: self.status.statuses(),
            text: (!text.is_empty()).then(|| text.to_string()),
            org_id: own_org.filter(|_| self.only_mine).map(str::to_string),
            sort: if self.by_distance && near.is_some() {
                PostSort::Distance
            } else {
                PostSort::Newest
            },
            limit: Some(200),
        }
    }

    pub fn is_default(&self) -> bool {
        self == &BoardFilter::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(actions: Vec<FilterAction>) -> Rc<BoardFilter> {
        actions
            .into_iter()
            .fold(Rc::new(BoardFilter::default()), |s, a| s.reduce(a))
    }

    #[test]
    fn filters_make_the_query() {
        let here = GeoPoint::new(55.65, 11.61);
        let f = apply(vec![
            FilterAction::Direction(Some(Direction::Offer)),
            FilterAction::Kind(Some("CAP.MACH".into())),
            FilterAction::Industry(Some("C".into())),
            FilterAction::Within(Some(10)),
            FilterAction::Text("  cnc fridays ".into()),
            FilterAction::ByDistance(true),
        ]);
        let q = f.query(Some(here), Some("me"));
        assert_eq!(q.direction, Some(Direction::Offer));
        assert_eq!(q.kinds, ["CAP.MACH"]);
        assert_eq!(q.industries, ["C"]);
        assert_eq!(q.near, Some(here));
        assert_eq!(q.within_km, Some(10.0));
        assert_eq!(q.text.as_deref(), Some("cnc fridays"));
        assert_eq!(q.sort, PostSort::Distance);
        assert_eq!(q.statuses, [PostStatus::Open, PostStatus::InDialogue]);
        assert_eq!(q.org_id, None);
    }

    #[test]
    fn without_a_location_distance_is_ignored_instead_of_hiding_everything() {
        let f = apply(vec![
            FilterAction::Within(Some(5)),
            FilterAction::ByDistance(true),
        ]);
        let q = f.query(None, None);
        assert_eq!(q.near, None);
        assert_eq!(q.within_km, None);
        assert_eq!(q.sort, PostSort::Newest);
    }

    #[test]
    fn blank_choices_mean_any_and_reset_clears_all() {
        let f = apply(vec![
            FilterAction::Kind(Some(String::new())),
            FilterAction::Status(StatusChoice::from_code("expired")),
            FilterAction::OnlyMine(true),
        ]);
        assert_eq!(f.kind, None);
        let q = f.query(None, Some("me"));
        assert_eq!(q.statuses, [PostStatus::Expired]);
        assert_eq!(q.org_id.as_deref(), Some("me"));
        assert!(!f.is_default());
        assert!(f.reduce(FilterAction::Reset).is_default());
        assert!(!StatusChoice::All.statuses().contains(&PostStatus::Draft));
    }
}
