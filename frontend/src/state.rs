//! The app's top-level state as a reducer: what is known about the street.

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
    Ready(Box<StreetSummary>),
    /// The node could not be opened or answered with an error nobody can act on here.
    Failed(ApiError),
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
}

impl Default for AppState {
    fn default() -> Self {
        AppState {
            phase: Phase::Loading,
            busy: false,
            action_error: None,
            lang: Lang::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum AppAction {
    /// The street's summary arrived (first load, or after creating or opening one).
    Loaded(Box<StreetSummary>),
    /// Loading failed; `NoStreet` becomes onboarding, anything else a failure.
    LoadFailed(ApiError),
    /// The user started an action (create street, open demo).
    Started,
    /// The user's action failed; the form keeps what was typed.
    ActionFailed(ApiError),
    SetLanguage(Lang),
}

impl Reducible for AppState {
    type Action = AppAction;

    fn reduce(self: Rc<Self>, action: AppAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            AppAction::Loaded(summary) => {
                next.phase = Phase::Ready(summary);
                next.busy = false;
                next.action_error = None;
            }
            AppAction::LoadFailed(err) => {
                next.busy = false;
                next.phase = if err.code == ErrorCode::NoStreet {
                    Phase::NoStreet
                } else {
                    Phase::Failed(err)
                };
            }
            AppAction::Started => {
                next.busy = true;
                next.action_error = None;
            }
            AppAction::ActionFailed(err) => {
                next.busy = false;
                next.action_error = Some(err);
            }
            AppAction::SetLanguage(lang) => next.lang = lang,
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

    #[test]
    fn no_street_leads_to_onboarding_and_other_errors_to_failure() {
        let s = Rc::new(AppState::default());
        let s2 = s
            .clone()
            .reduce(AppAction::LoadFailed(err(ErrorCode::NoStreet)));
        assert_eq!(s2.phase, Phase::NoStreet);
        let s3 = s.reduce(AppAction::LoadFailed(err(ErrorCode::Storage)));
        assert!(matches!(s3.phase, Phase::Failed(_)));
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
        let s = s.reduce(AppAction::SetLanguage(Lang::Fi));
        assert_eq!(s.lang, Lang::Fi);
        assert!(
            s.action_error.is_some(),
            "changing language keeps the error shown"
        );
    }
}
