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

    /// The language a text is most likely written in, of the four, by its little words
    /// and letters; `None` when nothing tells (a bare name, a number).
    pub fn guess(text: &str) -> Option<Lang> {
        const LITTLE_WORDS: [(Lang, &[&str]); 4] = [
            (
                Lang::Da,
                &[
                    "og", "af", "til", "er", "vi", "med", "en", "et", "på", "for", "har", "kan",
                    "vores", "til", "ikke", "som", "der", "det", "fra", "eller", "hos", "jer",
                    "os",
                ],
            ),
            (
                Lang::Sv,
                &[
                    "och", "av", "till", "är", "vi", "med", "en", "ett", "på", "för", "har", "kan",
                    "vår", "våra", "inte", "som", "det", "från", "eller", "hos", "oss", "att",
                    "finns",
                ],
            ),
            (
                Lang::Fi,
                &[
                    "ja",
                    "on",
                    "ei",
                    "tai",
                    "kun",
                    "että",
                    "myös",
                    "meillä",
                    "meidän",
                    "voi",
                    "olla",
                    "sekä",
                    "joka",
                    "jos",
                    "tarvitsemme",
                    "tarjoamme",
                    "noin",
                    "kanssa",
                    "vuoden",
                ],
            ),
            (
                Lang::En,
                &[
                    "the", "and", "of", "to", "we", "with", "a", "an", "on", "for", "have", "can",
                    "our", "not", "is", "are", "from", "or", "at", "us", "in", "that",
                ],
            ),
        ];
        let lower = text.to_lowercase();
        let mut score = [0.0f64; 4];
        for word in lower.split(|c: char| !c.is_alphanumeric()) {
            for (i, (_, words)) in LITTLE_WORDS.iter().enumerate() {
                if words.contains(&word) {
                    score[i] += 1.0;
                }
            }
            // Finnish: double vowels and its case endings, in words of some length.
            if word.chars().count() >= 6
                && [
                    "aa", "ää", "ii", "uu", "yy", "ssa", "ssä", "sta", "stä", "lla", "llä", "ksi",
                ]
                .iter()
                .any(|m| word.contains(m))
            {
                score[2] += 0.5;
            }
        }
        for c in lower.chars() {
            match c {
                'æ' | 'ø' => score[0] += 1.0,
                'ä' | 'ö' => {
                    score[1] += 0.5;
                    score[2] += 0.5;
                }
                'å' => {
                    score[0] += 0.3;
                    score[1] += 0.7;
                }
                _ => {}
            }
        }
        let (best, top) =
            score.iter().enumerate().fold(
                (0, 0.0),
                |(bi, bv), (i, v)| if *v > bv { (i, *v) } else { (bi, bv) },
            );
        (top > 0.0).then_some(LITTLE_WORDS[best].0)
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
    #[test]
    fn the_language_of_a_post_is_guessed_from_its_little_words_and_letters() {
        use super::Lang;
        let cases = [
            ("Vi har ledige timer på vores CNC-fræser", Lang::Da),
            (
                "Vi har lediga timmar i vår CNC-fräs och kan ta små serier",
                Lang::Sv,
            ),
            (
                "Tarjoamme hitsauspalvelua ruostumattomalle teräkselle",
                Lang::Fi,
            ),
            (
                "We have spare hours on our CNC mill for small batches",
                Lang::En,
            ),
        ];
        for (text, lang) in cases {
            assert_eq!(Lang::guess(text), Some(lang), "{text}");
        }
        assert_eq!(Lang::guess("ISO 9001"), None);
    }

    use super::*;

    #[test]
    fn parses_locale_tags() {
        assert_eq!(Lang::from_locale("da_DK.UTF-8"), Some(Lang::Da));
        assert_eq!(Lang::from_locale("sv-SE"), Some(Lang::Sv));
        assert_eq!(Lang::from_locale("fi"), Some(Lang::Fi));
        assert_eq!(Lang::from_locale("de_DE"), None);
    }
}
