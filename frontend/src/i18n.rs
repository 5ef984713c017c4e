//! Every string the UI shows, in Danish, Swedish, Finnish and English (Fluent). The
//! translations ship inside the app; a missing message shows its id, and a test makes sure
//! no language lacks one.

use std::cell::RefCell;
use std::collections::HashMap;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use ivej_model::{Lang, Problem};

fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::Da => include_str!("../locales/da.ftl"),
        Lang::Sv => include_str!("../locales/sv.ftl"),
        Lang::Fi => include_str!("../locales/fi.ftl"),
        Lang::En => include_str!("../locales/en.ftl"),
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let id = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new(vec![id]);
    // No Unicode isolation marks around arguments: they show up as odd characters in inputs.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source(lang).to_string()) {
        Ok(r) => r,
        Err((r, _)) => r,
    };
    let _ = bundle.add_resource(resource);
    bundle
}

thread_local! {
    static BUNDLES: RefCell<HashMap<Lang, FluentBundle<FluentResource>>> = RefCell::new(HashMap::new());
}

/// The message `id` in `lang`, with `args` filled in.
pub fn tr_args(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    BUNDLES.with(|cell| {
        let mut bundles = cell.borrow_mut();
        let bundle = bundles.entry(lang).or_insert_with(|| bundle(lang));
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fluent_args = FluentArgs::new();
        for (k, v) in args {
            fluent_args.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    })
}

pub fn tr(lang: Lang, id: &str) -> String {
    tr_args(lang, id, &[])
}

fn n(v: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::from(v.into())
}

/// A validation problem as the user reads it, beside the field it concerns.
pub fn problem(lang: Lang, p: &Problem) -> String {
    match p {
        Problem::Empty => tr(lang, "problem-empty"),
        Problem::TooLong { max, actual } => tr_args(
            lang,
            "problem-too-long",
            &[("max", n(*max as f64)), ("actual", n(*actual as f64))],
        ),
        Problem::TooMany { max, actual } => tr_args(
            lang,
            "problem-too-many",
            &[("max", n(*max as f64)), ("actual", n(*actual as f64))],
        ),
        Problem::Negative => tr(lang, "problem-negative"),
        Problem::NotFinite => tr(lang, "problem-not-finite"),
        Problem::TooSmall { min } => tr_args(lang, "problem-too-small", &[("min", n(*min as f64))]),
        Problem::TooLarge { max } => tr_args(lang, "problem-too-large", &[("max", n(*max as f64))]),
        Problem::OutOfOrder { .. } => tr(lang, "problem-out-of-order"),
        Problem::UnknownTaxonomyCode { .. } => tr(lang, "problem-unknown-kind"),
        Problem::UnknownIndustryCode { .. } => tr(lang, "problem-unknown-industry"),
        Problem::LatitudeOutOfRange { .. } => tr(lang, "problem-latitude"),
        Problem::LongitudeOutOfRange { .. } => tr(lang, "problem-longitude"),
        Problem::InvalidRegisterId { scheme, .. } => tr_args(
            lang,
            "problem-register-id",
            &[("scheme", FluentValue::from(scheme.clone()))],
        ),
        Problem::InvalidLanguage { .. } => tr(lang, "problem-language"),
        Problem::UnknownReference { .. } => tr(lang, "problem-unknown-reference"),
        Problem::NotAllowed { .. } => tr(lang, "problem-not-allowed"),
        Problem::BadInvite { reason } => match reason.as_str() {
            "checksum" => tr(lang, "problem-invite-typo"),
            "newer_version" => tr(lang, "problem-invite-newer"),
            "older_version" => tr(lang, "problem-invite-older"),
            "expired" => tr(lang, "problem-invite-expired"),
            "damaged" => tr(lang, "problem-invite-damaged"),
            _ => tr(lang, "problem-not-an-invite"),
        },
        Problem::NoQrCode => tr(lang, "problem-no-qr"),
        Problem::NotANumber { .. } => tr(lang, "problem-not-a-number"),
        Problem::NotADate { .. } => tr(lang, "problem-not-a-date"),
    }
}

/// An error that names no field, in the user's language. Errors nobody can act on keep the
/// node's own (English) words after the translated sentence, for a support request.
pub fn error_text(lang: Lang, err: &ivej_model::ApiError) -> String {
    use ivej_model::ErrorCode;
    let id = match err.code {
        ErrorCode::Validation => "error-validation",
        ErrorCode::NotFound => "error-not-found",
        ErrorCode::NoStreet => "error-no-street",
        ErrorCode::AwaitingFirstSync => "error-awaiting-sync",
        ErrorCode::AlreadyExists => "error-already-exists",
        ErrorCode::NotAllowed => "error-not-allowed",
        ErrorCode::NewerVersion => "error-newer-version",
        ErrorCode::Storage | ErrorCode::Document | ErrorCode::Internal => {
            return format!("{} ({})", tr(lang, "error-internal"), err.message);
        }
    };
    tr(lang, id)
}

/// The language of the system the app runs on, if it is one of ours (else English).
pub fn system_language() -> Lang {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .and_then(|tag| Lang::from_locale(&tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(lang: Lang) -> Vec<String> {
        let mut ids: Vec<String> = source(lang)
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim().to_string()))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_language_has_every_message_and_parses() {
        let english = ids(Lang::En);
        assert!(english.len() > 20);
        for lang in Lang::ALL {
            assert_eq!(ids(lang), english, "{lang:?} differs from English");
            assert!(
                FluentResource::try_new(source(lang).to_string()).is_ok(),
                "{lang:?}"
            );
            for id in &english {
                assert_ne!(tr(lang, id), *id, "{lang:?} lacks {id}");
            }
        }
    }

    #[test]
    fn problems_read_in_the_chosen_language_with_their_numbers() {
        let p = Problem::TooLong {
            max: 120,
            actual: 130,
        };
        assert_eq!(
            problem(Lang::En, &p),
            "Too long: 130 characters, at most 120."
        );
        assert_eq!(problem(Lang::Da, &p), "For langt: 130 tegn, højst 120.");
        assert!(problem(Lang::Fi, &Problem::Empty).contains("Täytä"));
        let reg = Problem::InvalidRegisterId {
            scheme: "CVR".into(),
            value: "1".into(),
        };
        assert!(problem(Lang::Sv, &reg).contains("CVR"));
    }
}
