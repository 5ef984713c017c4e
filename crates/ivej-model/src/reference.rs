//! Reference data shipped inside the app so it works offline: the taxonomy of post kinds
//! and NACE Rev. 2 sections and divisions, each labelled in Danish, Swedish, Finnish and
//! English. Users pick by name; codes are what is stored.

use std::sync::OnceLock;

use serde::Serialize;

use crate::lang::Lang;

const TAXONOMY_TSV: &str = include_str!("../data/taxonomy.tsv");
const NACE_TSV: &str = include_str!("../data/nace.tsv");

/// Labels of one code in the four languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labels {
    pub da: String,
    pub sv: String,
    pub fi: String,
    pub en: String,
}

impl Labels {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Da => &self.da,
            Lang::Sv => &self.sv,
            Lang::Fi => &self.fi,
            Lang::En => &self.en,
        }
    }
}

/// One kind of post (`CAP.MACH.CNC`), possibly under a parent (`CAP.MACH`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostKind {
    pub code: String,
    pub parent: Option<String>,
    pub labels: Labels,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NaceLevel {
    Section,
    Division,
}

/// A NACE Rev. 2 section (letter) or division (two digits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Industry {
    pub code: String,
    pub level: NaceLevel,
    /// The section letter of a division.
    pub section: Option<String>,
    pub labels: Labels,
}

fn labels(fields: &[&str]) -> Labels {
    let get = |i: usize| fields.get(i).copied().unwrap_or_default().to_string();
    Labels {
        en: get(0),
        da: get(1),
        sv: get(2),
        fi: get(3),
    }
}

fn rows(tsv: &str) -> impl Iterator<Item = Vec<&str>> {
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
}

fn none_if_empty(s: Option<&&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(|s| s.to_string())
}

/// Every post kind, parents before their children, in the shipped order.
pub fn post_kinds() -> &'static [PostKind] {
    static KINDS: OnceLock<Vec<PostKind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        rows(TAXONOMY_TSV)
            .map(|f| PostKind {
                code: f.first().copied().unwrap_or_default().to_string(),
                parent: none_if_empty(f.get(1)),
                labels: labels(f.get(2..).unwrap_or_default()),
            })
            .collect()
    })
}

/// Every NACE section and division, each section followed by its divisions.
pub fn industries() -> &'static [Industry] {
    static INDUSTRIES: OnceLock<Vec<Industry>> = OnceLock::new();
    INDUSTRIES.get_or_init(|| {
        rows(NACE_TSV)
            .map(|f| Industry {
                code: f.first().copied().unwrap_or_default().to_string(),
                level: if f.get(1) == Some(&"section") {
                    NaceLevel::Section
                } else {
                    NaceLevel::Division
                },
                section: none_if_empty(f.get(2)),
                labels: labels(f.get(3..).unwrap_or_default()),
            })
            .collect()
    })
}

pub fn post_kind(code: &str) -> Option<&'static PostKind> {
    post_kinds().iter().find(|k| k.code == code)
}

pub fn is_known_post_kind(code: &str) -> bool {
    post_kind(code).is_some()
}

/// The top-level kind of a code (`CAP.MACH` for `CAP.MACH.CNC`).
pub fn root_kind(code: &str) -> &str {
    match post_kind(code).and_then(|k| k.parent.as_deref()) {
        Some(parent) => parent,
        None => code,
    }
}

pub fn industry(code: &str) -> Option<&'static Industry> {
    industries().iter().find(|i| i.code == code)
}

/// The division (`25`) that a NACE code (`25`, `25.1`, `25.11`, `2511`) falls under.
pub fn division_of(code: &str) -> Option<&str> {
    let code = code.trim();
    let division = code.get(0..2)?;
    let rest = code.get(2..)?;
    let digits = rest.strip_prefix('.').unwrap_or(rest);
    let well_formed = division.chars().all(|c| c.is_ascii_digit())
        && digits.len() <= 2
        && digits.chars().all(|c| c.is_ascii_digit())
        && !(rest.starts_with('.') && digits.is_empty());
    let known = industry(division).is_some_and(|i| i.level == NaceLevel::Division);
    (well_formed && known).then_some(division)
}

/// Whether `code` is a NACE section letter or a code under a shipped division.
pub fn is_known_industry_code(code: &str) -> bool {
    industry(code).is_some() || division_of(code).is_some()
}

/// The section letter of a NACE code (`C` for `25.11`).
pub fn section_of(code: &str) -> Option<&'static str> {
    if let Some(i) = industry(code) {
        if i.level == NaceLevel::Section {
            return Some(i.code.as_str());
        }
    }
    division_of(code)
        .and_then(industry)
        .and_then(|i| i.section.as_deref())
}

/// Finds industries whose label in `lang` (or whose code) contains `text`, ignoring case.
pub fn find_industries(text: &str, lang: Lang) -> Vec<&'static Industry> {
    let needle = text.trim().to_lowercase();
    industries()
        .iter()
        .filter(|i| {
            i.code.to_lowercase() == needle || i.labels.get(lang).to_lowercase().contains(&needle)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxonomy_is_complete_and_labelled() {
        let kinds = post_kinds();
        for code in [
            "CAP.MACH",
            "CAP.SPACE",
            "CAP.STAFF",
            "CAP.TRANS",
            "CAP.EQUIP",
            "CAP.FLOW",
            "PUR",
            "COL",
            "LEAD",
            "KNOW",
            "SRV",
        ] {
            assert!(is_known_post_kind(code), "{code} missing");
        }
        for k in kinds {
            for lang in Lang::ALL {
                assert!(!k.labels.get(lang).is_empty(), "{} has no {lang:?}", k.code);
            }
            if let Some(p) = &k.parent {
                assert!(is_known_post_kind(p));
            }
        }
        assert_eq!(root_kind("CAP.MACH.CNC"), "CAP.MACH");
        assert_eq!(root_kind("PUR"), "PUR");
    }

    #[test]
    fn nace_has_every_section_and_division_in_four_languages() {
        let sections = industries()
            .iter()
            .filter(|i| i.level == NaceLevel::Section)
            .count();
        let divisions = industries()
            .iter()
            .filter(|i| i.level == NaceLevel::Division)
            .count();
        assert_eq!((sections, divisions), (21, 88));
        for i in industries() {
            for lang in Lang::ALL {
                assert!(!i.labels.get(lang).is_empty(), "{} has no {lang:?}", i.code);
            }
        }
    }

    #[test]
    fn industry_codes_resolve_to_divisions_and_sections() {
        assert!(is_known_industry_code("25"));
        assert!(is_known_industry_code("25.1"));
        assert!(is_known_industry_code("25.11"));
        assert!(is_known_industry_code("2511"));
        assert!(is_known_industry_code("C"));
        assert!(!is_known_industry_code("04"));
        assert!(!is_known_industry_code("25.x"));
        assert!(!is_known_industry_code(""));
        assert_eq!(section_of("25.11"), Some("C"));
        assert_eq!(division_of("25.11"), Some("25"));
        let smiths = find_industries("metalvare", Lang::Da);
        assert!(smiths.iter().any(|i| i.code == "25"));
    }
}
