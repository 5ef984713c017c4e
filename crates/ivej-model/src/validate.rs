//! Validation of records before they are written. Errors are data (field + problem) so
//! the UI can show each one next to its field, in the user's language; `Display` gives a
//! plain English sentence for the CLI and logs.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;

/// What is wrong with one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    #[error("must not be empty")]
    Empty,
    #[error("is too long ({actual} characters; at most {max})")]
    TooLong { max: usize, actual: usize },
    #[error("has too many entries ({actual}; at most {max})")]
    TooMany { max: usize, actual: usize },
    #[error("must not be below zero")]
    Negative,
    #[error("must be a finite number")]
    NotFinite,
    #[error("must be at least {min}")]
    TooSmall { min: i64 },
    #[error("must be at most {max}")]
    TooLarge { max: i64 },
    #[error("must not be before {other}")]
    OutOfOrder { other: String },
    #[error("`{code}` is not a known kind of post")]
    UnknownTaxonomyCode { code: String },
    #[error("`{code}` is not a known NACE industry code")]
    UnknownIndustryCode { code: String },
    #[error("latitude {value} is outside -90..90")]
    LatitudeOutOfRange { value: f64 },
    #[error("longitude {value} is outside -180..180")]
    LongitudeOutOfRange { value: f64 },
    #[error("`{value}` is not a valid {scheme} number")]
    InvalidRegisterId { scheme: String, value: String },
    #[error("`{value}` is not a valid language code")]
    InvalidLanguage { value: String },
    #[error("refers to `{id}`, which does not exist")]
    UnknownReference { id: String },
    #[error("`{value}` is not one of: {allowed}")]
    NotAllowed { value: String, allowed: String },
    /// An invite code that cannot be used; `reason` is `not_an_invite`, `checksum`,
    /// `damaged`, `newer_version`, `older_version` or `expired`.
    #[error("the invite code cannot be used ({reason})")]
    BadInvite { reason: String },
    #[error("no QR code was found in the image")]
    NoQrCode,
    #[error("`{value}` is not a number")]
    NotANumber { value: String },
    #[error("`{value}` is not a date (YYYY-MM-DD)")]
    NotADate { value: String },
}

/// One field and what is wrong with it. `field` is a dotted path (`availability.0.to`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    #[serde(flatten)]
    pub problem: Problem,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.problem)
    }
}

/// Every problem found in one record (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl ValidationErrors {
    pub fn single(field: impl Into<String>, problem: Problem) -> Self {
        ValidationErrors(vec![FieldError {
            field: field.into(),
            problem,
        }])
    }

    /// The same errors with `prefix.` before each field (`name` becomes `org.name`), for
    /// forms that edit several records at once.
    pub fn prefixed(self, prefix: &str) -> Self {
        ValidationErrors(
            self.0
                .into_iter()
                .map(|e| FieldError {
                    field: format!("{prefix}.{}", e.field),
                    problem: e.problem,
                })
                .collect(),
        )
    }

    pub fn for_field(&self, field: &str) -> Option<&Problem> {
        self.0.iter().find(|e| e.field == field).map(|e| &e.problem)
    }
}

pub trait Validate {
    fn validate(&self) -> Result<(), ValidationErrors>;
}

/// Collects problems while a record is checked field by field.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, field: impl Into<String>, problem: Problem) {
        self.errors.push(FieldError {
            field: field.into(),
            problem,
        });
    }

    /// Text that must be present (after trimming) and at most `max` characters.
    pub fn required_text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.push(field, Problem::Empty);
        } else {
            self.text(field, value, max);
        }
    }

    /// Optional text, at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        let actual = value.chars().count();
        if actual > max {
            self.push(field, Problem::TooLong { max, actual });
        }
    }

    pub fn list_len<T>(&mut self, field: &str, items: &[T], max: usize) {
        if items.len() > max {
            self.push(
                field,
                Problem::TooMany {
                    max,
                    actual: items.len(),
                },
            );
        }
    }

    pub fn texts(&mut self, field: &str, items: &[String], max_items: usize, max_len: usize) {
        self.list_len(field, items, max_items);
        for (i, item) in items.iter().enumerate() {
            self.required_text(&format!("{field}.{i}"), item, max_len);
        }
    }

    pub fn non_negative(&mut self, field: &str, value: f64) {
        if !value.is_finite() {
            self.push(field, Problem::NotFinite);
        } else if value < 0.0 {
            self.push(field, Problem::Negative);
        }
    }

    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) {
        if value < min {
            self.push(field, Problem::TooSmall { min });
        } else if value > max {
            self.push(field, Problem::TooLarge { max });
        }
    }

    /// `later` must not come before `earlier`; the problem is reported on `later_field`.
    pub fn in_order<T: PartialOrd>(
        &mut self,
        earlier_field: &str,
        earlier: &T,
        later_field: &str,
        later: &T,
    ) {
        if later < earlier {
            self.push(
                later_field,
                Problem::OutOfOrder {
                    other: earlier_field.to_string(),
                },
            );
        }
    }

    pub fn geo(&mut self, field: &str, point: &GeoPoint) {
        if !(point.lat.is_finite() && (-90.0..=90.0).contains(&point.lat)) {
            self.push(
                format!("{field}.lat"),
                Problem::LatitudeOutOfRange { value: point.lat },
            );
        }
        if !(point.lon.is_finite() && (-180.0..=180.0).contains(&point.lon)) {
            self.push(
                format!("{field}.lon"),
                Problem::LongitudeOutOfRange { value: point.lon },
            );
        }
    }

    /// Language codes are two or three lowercase letters (ISO 639).
    pub fn languages(&mut self, field: &str, codes: &[String]) {
        self.list_len(field, codes, 20);
        for (i, code) in codes.iter().enumerate() {
            let ok = (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase());
            if !ok {
                self.push(
                    format!("{field}.{i}"),
                    Problem::InvalidLanguage {
                        value: code.clone(),
                    },
                );
            }
        }
    }

    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }
}

/// Limits that keep any one record reasonable to sync and to show.
pub(crate) mod limits {
    pub const NAME: usize = 200;
    pub const TITLE: usize = 120;
    pub const SHORT: usize = 500;
    pub const LONG: usize = 20_000;
    pub const LIST: usize = 50;
}
