//! Dates, numbers and distances as each language writes them. Plain Rust, tested natively.

use ivej_model::{Date, Lang};

use crate::i18n::tr_args;

/// Thousands separator and decimal mark.
fn marks(lang: Lang) -> (&'static str, char) {
    match lang {
        Lang::Da => (".", ','),
        // Swedish and Finnish group with a (no-break) space.
        Lang::Sv | Lang::Fi => ("\u{a0}", ','),
        Lang::En => (",", '.'),
    }
}

/// `value` with `decimals` places, grouped and marked for `lang`: 1.234,5 / 1 234,5 / 1,234.5.
pub fn number(lang: Lang, value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let (group, decimal) = marks(lang);
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (text, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    let negative = value < 0.0 && text_is_nonzero(&grouped, frac.as_deref());
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&grouped);
    if let Some(f) = frac {
        out.push(decimal);
        out.push_str(&f);
    }
    out
}

fn text_is_nonzero(int: &str, frac: Option<&str>) -> bool {
    int.chars()
        .chain(frac.unwrap_or("").chars())
        .any(|c| c.is_ascii_digit() && c != '0')
}

/// A quantity as typed: whole numbers without decimals, else up to two.
pub fn amount(lang: Lang, value: f64) -> String {
    if value.fract() == 0.0 {
        number(lang, value, 0)
    } else {
        let s = number(lang, value, 2);
        let (_, decimal) = marks(lang);
        s.trim_end_matches('0')
            .trim_end_matches(decimal)
            .to_string()
    }
}

/// A number for an input field: no grouping (so it reads back the same), the language's
/// decimal mark.
pub fn plain(lang: Lang, value: f64) -> String {
    let (_, decimal) = marks(lang);
    format!("{value}").replace('.', &decimal.to_string())
}

/// A number as the user typed it, in their language or in plain `1234.5` form.
pub fn parse_number(lang: Lang, text: &str) -> Option<f64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    let (group, decimal) = marks(lang);
    let normal = if decimal == ',' {
        if cleaned.contains(',') {
            // "1.234,5" (Danish grouping) or "2,5"
            cleaned.replace('.', "").replace(',', ".")
        } else if group == "."
            && (cleaned.matches('.').count() > 1
                || cleaned
                    .split_once('.')
                    .is_some_and(|(_, after)| after.len() == 3))
        {
            // "1.234.567", or "1.000": Danish grouping (a Dane writes 2,5 for two and a half).
            cleaned.replace('.', "")
        } else {
            cleaned
        }
    } else {
        cleaned.replace(',', "")
    };
    normal.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A coordinate as shown: up to six decimals, the language's decimal mark.
pub fn coordinate(lang: Lang, value: f64) -> String {
    let (_, decimal) = marks(lang);
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.replace('.', &decimal.to_string())
}

/// A coordinate in degrees: never grouped, so a comma is always the decimal mark,
/// whatever the language (`55,651` and `55.651` are the same latitude).
pub fn parse_coordinate(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    cleaned
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

const EN_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date as each language writes it: 23.11.2026 (da, fi), 2026-11-23 (sv), 23 Nov 2026 (en).
pub fn date(lang: Lang, d: Date) -> String {
    use chrono::Datelike;
    let n = d.0;
    match lang {
        Lang::Da | Lang::Fi => format!("{}.{}.{}", n.day(), n.month(), n.year()),
        Lang::Sv => n.format("%Y-%m-%d").to_string(),
        Lang::En => {
            let month = EN_MONTHS.get(n.month0() as usize).copied().unwrap_or("");
            format!("{} {} {}", n.day(), month, n.year())
        }
    }
}

/// A moment (Unix ms) relative to `now_ms`: "just now", "5 minutes ago", "3 hours ago",
/// else its date.
pub fn ago(lang: Lang, then_ms: i64, now_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    let n = |v: i64| fluent_bundle::FluentValue::from(v as f64);
    if seconds < 60 {
        tr_args(lang, "time-just-now", &[])
    } else if seconds < 3600 {
        tr_args(lang, "time-minutes-ago", &[("n", n(seconds / 60))])
    } else if seconds < 86_400 {
        tr_args(lang, "time-hours-ago", &[("n", n(seconds / 3600))])
    } else {
        date(lang, Date::from_unix_ms(then_ms))
    }
}

/// A distance: "800 m" below one kilometre, else "3,2 km" (one decimal below 10 km).
pub fn distance(lang: Lang, km: f64) -> String {
    if km < 1.0 {
        format!("{} m", number(lang, (km * 1000.0 / 50.0).round() * 50.0, 0))
    } else if km < 9.95 {
        // (9.96 would read "10,0 km" with one decimal)
        format!("{} km", number(lang, km, 1))
    } else {
        format!("{} km", number(lang, km, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_marked_per_language() {
        assert_eq!(number(Lang::Da, 1234567.891, 2), "1.234.567,89");
        assert_eq!(number(Lang::Sv, 1234.5, 1), "1\u{a0}234,5");
        assert_eq!(number(Lang::Fi, 999.0, 0), "999");
        assert_eq!(number(Lang::En, -1234.0, 0), "-1,234");
        assert_eq!(number(Lang::En, -0.001, 0), "0", "no minus zero");
        assert_eq!(number(Lang::Da, f64::NAN, 0), "–");
        assert_eq!(amount(Lang::Da, 2.5), "2,5");
        assert_eq!(amount(Lang::En, 40.0), "40");
        assert_eq!(amount(Lang::Sv, 1.25), "1,25");
    }

    #[test]
    fn typed_numbers_are_read_in_the_users_language_and_in_plain_form() {
        assert_eq!(parse_number(Lang::Da, "2,5"), Some(2.5));
        assert_eq!(parse_number(Lang::Da, "1.234,5"), Some(1234.5));
        assert_eq!(parse_number(Lang::Da, "1.234.567"), Some(1234567.0));
        assert_eq!(parse_number(Lang::Da, "2.5"), Some(2.5), "plain form");
        assert_eq!(
            parse_number(Lang::Da, "1.000"),
            Some(1000.0),
            "Danish grouping"
        );
        assert_eq!(
            parse_number(Lang::Da, &plain(Lang::Da, 1000.0)),
            Some(1000.0)
        );
        assert_eq!(parse_number(Lang::Da, &plain(Lang::Da, 2.5)), Some(2.5));
        assert_eq!(plain(Lang::En, 1234.5), "1234.5");
        assert_eq!(parse_number(Lang::Sv, "1 234,5"), Some(1234.5));
        assert_eq!(parse_number(Lang::Fi, "1\u{a0}234"), Some(1234.0));
        assert_eq!(parse_number(Lang::En, "1,234.5"), Some(1234.5));
        assert_eq!(parse_number(Lang::En, " "), None);
        assert_eq!(parse_number(Lang::En, "ten"), None);
        assert_eq!(parse_number(Lang::En, "inf"), None);
        assert_eq!(parse_coordinate("55,651"), Some(55.651));
        assert_eq!(parse_coordinate(" -11.613 "), Some(-11.613));
        assert_eq!(parse_coordinate("north"), None);
        assert_eq!(coordinate(Lang::Da, 55.651), "55,651");
        assert_eq!(coordinate(Lang::En, 11.0), "11");
    }

    #[test]
    fn dates_read_as_each_language_writes_them() {
        let d = Date::from_ymd(2026, 11, 3).unwrap();
        assert_eq!(date(Lang::Da, d), "3.11.2026");
        assert_eq!(date(Lang::Fi, d), "3.11.2026");
        assert_eq!(date(Lang::Sv, d), "2026-11-03");
        assert_eq!(date(Lang::En, d), "3 Nov 2026");
    }

    #[test]
    fn moments_and_distances() {
        let now = 1_800_000_000_000;
        assert_eq!(ago(Lang::En, now - 5_000, now), "just now");
        assert_eq!(ago(Lang::Da, now - 5 * 60_000, now), "for 5 min. siden");
        assert_eq!(ago(Lang::En, now - 3 * 3_600_000, now), "3 hours ago");
        assert!(ago(Lang::Sv, now - 3 * 86_400_000, now).starts_with("2027-01-"));
        assert_eq!(distance(Lang::Da, 0.43), "450 m");
        assert_eq!(distance(Lang::Da, 3.21), "3,2 km");
        assert_eq!(distance(Lang::En, 123.4), "123 km");
        assert_eq!(distance(Lang::En, 9.96), "10 km");
    }
}
