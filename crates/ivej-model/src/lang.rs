use serde::{Deserialize, Serialize};

/// The languages of the UI and of the shipped reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Da,
    Sv,
    Fi,
    #[default]
    En,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Da, Lang::Sv, Lang::Fi, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Da => "da",
            Lang::Sv => "sv",
            Lang::Fi => "fi",
            Lang::En => "en",
        }
    }

    /// Picks a language from a locale tag such as `da-DK`, `sv_SE.UTF-8` or `fi`.
    pub fn from_locale(tag: &str) -> Option<Lang> {
        let lower = tag.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_', '.']).next().unwrap_or("");
        match primary {
            "da" => Some(Lang::Da),
            "sv" => Some(Lang::Sv),
            "fi" => Some(Lang::Fi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locale_tags() {
        assert_eq!(Lang::from_locale("da_DK.UTF-8"), Some(Lang::Da));
        assert_eq!(Lang::from_locale("sv-SE"), Some(Lang::Sv));
        assert_eq!(Lang::from_locale("fi"), Some(Lang::Fi));
        assert_eq!(Lang::from_locale("de_DE"), None);
    }
}
