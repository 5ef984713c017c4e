//! The app's top-level state as a reducer: what is known about the street, which screen is
//! shown, the language, and a revision that moves whenever the node reports a change (so
//! screens reload what they show, live).

use std::rc::Rc;

use ivej_model::{ApiError, ErrorCode, Lang, StreetSummary};
use yew::Reducible;

/// Where the app is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Asking the node what it holds.
    Loading,
    /// No street yet: onboarding.
    NoStreet,
    /// Joined with an invite; no member's device reached yet.
    AwaitingFirstSync,
    Ready(Box<StreetSummary>),
    /// The node could not be opened or answered with an error nobody can act on here.
    Failed(ApiError),
}

/// The screens of a street.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Board,
    Post(String),
    NewPost,
    EditPost(String),
    Members,
    Member(String),
    /// One's own organisation: profile and CV.
    Profile,
    Sync,
    Settings,
    Meetings,
    Meeting(String),
    /// The dashboard and the collaborations pipeline.
    Results,
    /// The service directory, one service, listing one, editing one.
    Services,
    Service(String),
    NewService,
    EditService(String),
}

impl View {
    /// The navigation entry a screen belongs to.
    pub fn section(&self) -> View {
        match self {
            View::Board | View::Post(_) | View::NewPost | View::EditPost(_) => View::Board,
            View::Members | View::Member(_) => View::Members,
            View::Meetings | View::Meeting(_) => View::Meetings,
            View::Services | View::Service(_) | View::NewService | View::EditService(_) => {
                View::Services
            }
            other => other.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    /// A request is under way (buttons wait).
    pub busy: bool,
    /// The last error of an action the user can retry, shown beside the form.
    pub action_error: Option<ApiError>,
    /// The language of the UI.
    pub lang: Lang,
    /// The user's choice; `None` follows the system.
    pub lang_setting: Option<Lang>,
    pub view: View,
    /// Moves on every change the node reports.
    pub revision: u64,
    /// Set by a keyboard shortcut: the board's search box takes the focus.
    pub focus_search: u64,
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            phase: Phase::Loading,
            busy: false,
            action_error: None,
            lang: Lang::default(),
            lang_setting: None,
            view: View::Board,
            revision: 0,
            focus_search: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AppAction {
    /// The street's summary arrived (first load, or after creating, joining or opening one).
    Loaded(Box<StreetSummary>),
    /// Loading failed; `NoStreet` becomes onboarding, anything else a failure.
    LoadFailed(ApiError),
    /// The user started an action (create street, open demo).
    Started,
    /// The user's action failed; the form keeps what was typed.
    ActionFailed(ApiError),
    /// The user's language setting (`None`: the system's, given as the second value).
    SetLanguage(Option<Lang>, Lang),
    Navigate(View),
    /// The node reported a change.
    NodeChanged,
    /// Ctrl+F or `/`: to the board, search box focused.
    FocusSearch,
}

impl Reducible for AppState {
    type Action = AppAction;

    fn reduce(self: Rc<Self>, action: AppAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            AppAction::Loaded(summary) => {
                // A new organisation is asked for its profile first.
                let fresh = !matches!(self.phase, Phase::Ready(_) | Phase::Loading);
                let incomplete = summary
                    .own_org
                    .as_ref()
                    .is_some_and(|o| o.industries.is_empty());
                if fresh && incomplete {
                    next.view = View::Profile;
                }
                next.phase = Phase::Ready(summary);
                next.busy = false;
                next.action_error = None;
            }
            // A reload that fails while the street is shown (a busy disk, say) keeps the
            // street on screen; the next change asks again.
            AppAction::LoadFailed(err)
                if matches!(self.phase, Phase::Ready(_)) && err.code != ErrorCode::NoStreet =>
            {
                next.busy = false;
            }
            AppAction::LoadFailed(err) => {
                next.busy = false;
                next.phase = match err.code {
                    ErrorCode::NoStreet => Phase::NoStreet,
                    ErrorCode::AwaitingFirstSync => Phase::AwaitingFirstSync,
                    _ => Phase::Failed(err),
                };
            }
            AppAction::Started => {
                next.busy = true;
                next.action_error = None;
            }
            AppAction::ActionFailed(err) => {
                next.busy = false;
                if err.code == ErrorCode::AwaitingFirstSync {
                    next.phase = Phase::AwaitingFirstSync;
                } else {
                    next.action_error = Some(err);
                }
            }
            AppAction::SetLanguage(setting, system) => {
                next.lang_setting = setting;
                next.lang = setting.unwrap_or(system);
            }
            AppAction::Navigate(view) => {
                next.view = view;
                next.action_error = None;
            }
            AppAction::NodeChanged => next.revision += 1,
            AppAction::FocusSearch => {
                next.view = View::Board;
                next.focus_search += 1;
            }
        }
        Rc::new(next)
    }
}

/// The message shown for a field, if the last action's error names it.
pub fn field_error<'a>(err: Option<&'a ApiError>, field: &str) -> Option<&'a ivej_model::Problem> {
    err?.fields
        .iter()
        .find(|f| f.field == field)
        .map(|f| &f.problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivej_model::{FieldError, Problem};

    fn err(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: "x".into(),
            fields: vec![FieldError {
                field: "name".into(),
                problem: Problem::Empty,
            }],
        }
    }

    fn summary(industries: Vec<String>) -> Box<StreetSummary> {
        let org = ivej_model::OrgProfile {
            name: "Smedie".into(),
            industries,
            ..Default::default()
        }
        .into_organisation("o".into(), 0);
        Box::new(StreetSummary {
            street: ivej_model::Street {
                id: "s".into(),
                name: "Industrivej".into(),
                kind: ivej_model::StreetKind::MiniNetwork,
                region: String::new(),
                cadence_days: 14,
                meeting_minutes: 60,
                languages: Vec::new(),
                funders: Vec::new(),
                targets: Default::default(),
                facilitator_org: "o".into(),
                current_challenge: None,
                created_at: 0,
            },
            own_org: Some(org),
            members: 1,
            active_posts: 0,
            meetings: 0,
            damaged_chunks: 0,
            role: None,
        })
    }

    #[test]
    fn no_street_leads_to_onboarding_and_other_errors_to_failure() {
        let s = Rc::new(AppState::default());
        let s2 = s
            .clone()
            .reduce(AppAction::LoadFailed(err(ErrorCode::NoStreet)));
        assert_eq!(s2.phase, Phase::NoStreet);
        let s3 = s
            .clone()
            .reduce(AppAction::LoadFailed(err(ErrorCode::Storage)));
        assert!(matches!(s3.phase, Phase::Failed(_)));
        let s4 = s.reduce(AppAction::LoadFailed(err(ErrorCode::AwaitingFirstSync)));
        assert_eq!(s4.phase, Phase::AwaitingFirstSync);
    }

    #[test]
    fn a_failed_action_keeps_the_phase_and_reports_the_field() {
        let s = Rc::new(AppState {
            phase: Phase::NoStreet,
            ..Default::default()
        });
        let s = s.reduce(AppAction::Started);
        assert!(s.busy);
        let s = s.reduce(AppAction::ActionFailed(err(ErrorCode::Validation)));
        assert!(!s.busy);
        assert_eq!(s.phase, Phase::NoStreet);
        assert_eq!(
            field_error(s.action_error.as_ref(), "name"),
            Some(&Problem::Empty)
        );
        assert_eq!(field_error(s.action_error.as_ref(), "other"), None);
        let s = s.reduce(AppAction::SetLanguage(Some(Lang::Fi), Lang::Da));
        assert_eq!(s.lang, Lang::Fi);
        assert!(
            s.action_error.is_some(),
            "changing language keeps the error shown"
        );
        let s = s.reduce(AppAction::SetLanguage(None, Lang::Da));
        assert_eq!((s.lang, s.lang_setting), (Lang::Da, None));
    }

    #[test]
    fn a_new_organisation_is_asked_for_its_profile_once() {
        let s = Rc::new(AppState {
            phase: Phase::NoStreet,
            ..Default::default()
        });
        let s = s.reduce(AppAction::Loaded(summary(Vec::new())));
        assert_eq!(s.view, View::Profile);
        let s = s.reduce(AppAction::Navigate(View::Board));
        let s = s.reduce(AppAction::Loaded(summary(Vec::new())));
        assert_eq!(s.view, View::Board, "a reload does not move the user");
        let opened =
            Rc::new(AppState::default()).reduce(AppAction::Loaded(summary(vec!["25".into()])));
        assert_eq!(opened.view, View::Board);
    }

    #[test]
    fn a_failed_reload_keeps_the_street_on_screen() {
        let s = Rc::new(AppState::default()).reduce(AppAction::Loaded(summary(vec!["25".into()])));
        let s = s.reduce(AppAction::LoadFailed(err(ErrorCode::Storage)));
        assert!(matches!(s.phase, Phase::Ready(_)));
    }

    #[test]
    fn changes_move_the_revision_and_shortcuts_move_the_view() {
        let s = Rc::new(AppState {
            view: View::Members,
            ..Default::default()
        });
        let s = s
            .reduce(AppAction::NodeChanged)
            .reduce(AppAction::NodeChanged);
        assert_eq!(s.revision, 2);
        let s = s.reduce(AppAction::FocusSearch);
        assert_eq!((s.view.clone(), s.focus_search), (View::Board, 1));
        assert_eq!(View::Post("p".into()).section(), View::Board);
        assert_eq!(View::Member("m".into()).section(), View::Members);
        assert_eq!(View::Meeting("m".into()).section(), View::Meetings);
    }
}
