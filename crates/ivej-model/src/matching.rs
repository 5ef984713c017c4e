//! Suggestions: for a need, the offers and services that may answer it; for an offer, the
//! needs it may answer; each with the reasons a person can check, because the decision is
//! theirs (automated matching elsewhere tops out at about a third right).
//!
//! The rule, in sentences (each a test below):
//! - An offer is suggested for a need and a need for an offer, never one offer for
//!   another; services are suggested for needs only.
//! - Closed, expired and withdrawn posts are never suggested, nor one's own.
//! - What a candidate is about must touch what the post is about: the same kind, a kind
//!   under the same parent, or a shared concept or word. Nearness, related industries and
//!   overlapping availability only add to that; alone they suggest nothing.
//! - A concept is shared across languages: "svejsning" (da) ≈ "hitsaus" (fi) ≈ welding,
//!   from the taxonomy's labels and a small industrial glossary (`data/glossary.tsv`), so
//!   the reason names both words as written.
//! - The nearer, the better: 0 km counts fully, 20 km about a third, 60 km next to nothing.
//! - A candidate that expires within a week is still shown, flagged as such.
//!
//! Pure and sans-IO: the node gathers the candidates, the UI words the reasons.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::post::{AvailabilityWindow, Direction};
use crate::reference;
use crate::time::Date;

const GLOSSARY_TSV: &str = include_str!("../data/glossary.tsv");

/// What is suggested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestedKind {
    Post,
    Service,
}

/// Why a candidate is suggested; the UI words each in the reader's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Reason {
    /// The same kind of post (a taxonomy code).
    SameKind { code: String },
    /// A kind under the same parent.
    RelatedKind { code: String },
    /// The same thing said in two words (perhaps two languages): `ours` in the post,
    /// `theirs` in the candidate, `concept` its English name.
    SameConcept {
        concept: String,
        ours: String,
        theirs: String,
    },
    /// Words both texts use.
    SharedWords { words: Vec<String> },
    /// How far apart the two are.
    Near { km: f64 },
    /// Both authors work in the same NACE division.
    RelatedIndustry { code: String },
    /// The two texts say much the same, by the multilingual model (their cosine
    /// similarity, 0-1): what words and the glossary miss, in any of the four languages.
    CloseInMeaning { similarity: f64 },
    /// Their periods overlap.
    AvailableTogether,
    /// The candidate expires soon.
    ExpiresSoon { on: Date },
}

/// A post or service to match, as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub kind: SuggestedKind,
    pub id: String,
    /// The organisation behind it (never suggested to itself).
    pub org_id: String,
    /// A post's direction; `None` for a service.
    pub direction: Option<Direction>,
    /// A post's taxonomy code; a service's is `SRV`.
    pub code: String,
    /// Title and body (a service: name, description, target group).
    pub text: String,
    pub location: Option<GeoPoint>,
    /// The author's NACE codes.
    pub industries: Vec<String>,
    pub availability: Vec<AvailabilityWindow>,
    pub expires_on: Option<Date>,
    /// Open (not closed, expired or withdrawn).
    pub active: bool,
    /// What the text means, as the multilingual model embeds it (unit length); `None`
    /// where there is no model or it has not read this text yet.
    pub meaning: Option<std::sync::Arc<[f32]>>,
}

/// A suggestion and its reasons, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub kind: SuggestedKind,
    pub id: String,
    /// Between 0 and 1.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// A suggestion with what the reader needs to recognise it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionView {
    #[serde(flatten)]
    pub suggestion: Suggestion,
    /// The post's title or the service's name.
    pub title: String,
    /// Who is behind it (`None`: an anonymous need).
    pub by: Option<String>,
}

/// A suggestion set aside, as the reader recognises it (to show it again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DismissedSuggestion {
    pub suggested_id: String,
    pub kind: SuggestedKind,
    /// The post's title or the service's name (empty when it is gone).
    pub title: String,
}

/// A new suggestion for one of our posts, good enough to raise a notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionNotice {
    pub post_id: String,
    pub post_title: String,
    pub suggestion: SuggestionView,
}

/// A pair for the facilitator to introduce: a need and the best offer for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreetSuggestion {
    pub need_id: String,
    pub need_title: String,
    /// The need's author, by name.
    pub need_by: Option<String>,
    /// The two organisations to introduce.
    pub need_org: String,
    pub offer_org: String,
    pub best: SuggestionView,
}

struct Concept {
    id: String,
    label: String,
}

/// The glossary's concepts, and one automaton over all their stems (one pass over a
/// text finds every concept in it: a need is matched against thousands of posts).
struct Glossary {
    concepts: Vec<Concept>,
    /// For each stem in the automaton: its concept and how long it is, in characters.
    stems: Vec<(usize, usize)>,
    automaton: Option<aho_corasick::AhoCorasick>,
}

fn glossary() -> &'static Glossary {
    static GLOSSARY: OnceLock<Glossary> = OnceLock::new();
    GLOSSARY.get_or_init(|| {
        let mut concepts = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut stems = Vec::new();
        let mut add = |id: &str, label: &str, words: Vec<String>| {
            let index = concepts.len();
            concepts.push(Concept {
                id: id.to_string(),
                label: label.to_string(),
            });
            for word in words {
                stems.push((index, word.chars().count()));
                patterns.push(word);
            }
        };
        for line in GLOSSARY_TSV.lines() {
            if line.starts_with('#') || line.starts_with("concept\t") || line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let (Some(id), Some(label)) = (fields.first(), fields.get(1)) else {
                continue;
            };
            let words = fields
                .iter()
                .skip(2)
                .flat_map(|f| f.split('|'))
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            add(id, label, words);
        }
        // Each kind of post is a concept too: its labels in the four languages.
        for kind in reference::post_kinds() {
            let l = &kind.labels;
            let words = [&l.en, &l.da, &l.sv, &l.fi]
                .iter()
                .map(|s| s.to_lowercase())
                .collect();
            add(&kind.code, &kind.labels.en, words);
        }
        let automaton = aho_corasick::AhoCorasick::new(&patterns).ok();
        Glossary {
            concepts,
            stems,
            automaton,
        }
    })
}

/// The words of a text, lowercased, with where each stands.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-').to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whether `stem` is in `word`: at its start, or (5 letters or more) inside a compound;
/// a stem of 3 letters or fewer only as the whole word.
#[cfg(test)]
fn stem_in(stem: &str, word: &str) -> bool {
    let len = stem.chars().count();
    if len <= 3 {
        word == stem
    } else if len >= 5 {
        word.contains(stem)
    } else {
        word.starts_with(stem)
    }
}

fn in_word(c: char) -> bool {
    c.is_alphanumeric() || c == '-'
}

/// The concepts a text names, each with the word that named it (the first, by where it
/// stands): a stem of 5 letters or more anywhere in a word, one of 4 at a word's start, one
/// of 3 or fewer as a whole word (the rule [`stem_in`] states).
fn concepts(text: &str) -> BTreeMap<&'static str, (String, &'static str)> {
    let glossary = glossary();
    let mut found = BTreeMap::new();
    let Some(automaton) = &glossary.automaton else {
        return found;
    };
    let lower = text.to_lowercase();
    for m in automaton.find_overlapping_iter(&lower) {
        let Some(&(concept, len)) = glossary.stems.get(m.pattern().as_usize()) else {
            continue;
        };
        let before = lower[..m.start()].chars().next_back();
        let after = lower[m.end()..].chars().next();
        let starts_word = before.is_none_or(|c| !in_word(c));
        let ends_word = after.is_none_or(|c| !in_word(c));
        let multi_word = lower[m.start()..m.end()].contains(' ');
        let fits =
            multi_word || len >= 5 || (len == 4 && starts_word) || (starts_word && ends_word);
        if !fits {
            continue;
        }
        let Some(c) = glossary.concepts.get(concept) else {
            continue;
        };
        if found.contains_key(c.id.as_str()) {
            continue;
        }
        // The whole word (or words) the stem stands in, as the reason shows it.
        let start = lower[..m.start()]
            .char_indices()
            .rev()
            .find(|(_, ch)| !in_word(*ch))
            .map_or(0, |(i, ch)| i + ch.len_utf8());
        let end = lower[m.end()..]
            .char_indices()
            .find(|(_, ch)| !in_word(*ch))
            .map_or(lower.len(), |(i, _)| m.end() + i);
        let word = lower[start..end].trim_matches('-').to_string();
        found.insert(c.id.as_str(), (word, c.label.as_str()));
    }
    found
}

/// A cheap stem for words both texts use in one language: the first five letters of a word
/// of five or more (Nordic inflection is mostly at the end).
fn stems(text: &str) -> BTreeMap<String, String> {
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 5 && !w.chars().all(|c| c.is_ascii_digit()))
        .map(|w| (w.chars().take(5).collect::<String>(), w))
        .collect()
}

/// The model's texts are of unit length: their dot product is their cosine.
fn cosine(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}

/// Below this similarity (of vectors centred by [`LanguageMeans`]) two texts share
/// nothing that counts; at [`MEANING_FULL`] and over they count as a shared concept does.
/// Measured on the evaluation set (`tests/eval`): nine in ten unrelated pairs fall below
/// the floor, half the related ones reach 0.3.
pub const MEANING_FLOOR: f64 = 0.1;
pub const MEANING_FULL: f64 = 0.4;

/// Texts fewer than this say too little of what a language's texts share.
const MEANS_FROM: usize = 10;

/// The multilingual model puts texts of one language near each other, whatever they say:
/// a Danish need is nearer to any Danish offer than to the Finnish one that answers it.
/// Taking each language's mean (over the texts at hand: a street's posts) from a vector
/// leaves more of what the text says (on the evaluation set, meaning alone then finds
/// 69 % of the relevant posts in another language in its first ten, against 37 %).
/// A language with too few texts is centred on the mean of all; with too few texts in
/// all (a new street), nothing is compared by meaning: uncentred, any two texts look alike.
#[derive(Debug, Clone, Default)]
pub struct LanguageMeans {
    /// Sums and counts per guessed language (`None`: could not tell), and of all.
    sums: BTreeMap<Option<&'static str>, (Vec<f64>, usize)>,
}

impl LanguageMeans {
    /// Counts `vector`, the model's reading of a text in `lang` (`Lang::guess`).
    pub fn add(&mut self, lang: Option<crate::Lang>, vector: &[f32]) {
        let lang = lang.map(crate::Lang::code);
        for key in [lang, Some("*")] {
            let (sum, n) = self
                .sums
                .entry(key)
                .or_insert_with(|| (vec![0.0; vector.len()], 0));
            if sum.len() == vector.len() {
                for (s, x) in sum.iter_mut().zip(vector) {
                    *s += f64::from(*x);
                }
                *n += 1;
            }
        }
    }

    /// `vector` (the reading of a text in `lang`) less its language's mean, of unit
    /// length; `None` while there are too few texts to tell what a language shares.
    pub fn centre(
        &self,
        lang: Option<crate::Lang>,
        vector: &[f32],
    ) -> Option<std::sync::Arc<[f32]>> {
        let lang = lang.map(crate::Lang::code);
        let mean = [lang, Some("*")]
            .into_iter()
            .filter_map(|key| self.sums.get(&key))
            .find(|(sum, n)| *n >= MEANS_FROM && sum.len() == vector.len());
        let (sum, n) = mean?;
        let centred: Vec<f64> = vector
            .iter()
            .zip(sum)
            .map(|(x, s)| f64::from(*x) - s / *n as f64)
            .collect();
        let length = centred.iter().map(|x| x * x).sum::<f64>().sqrt();
        (length > 0.0).then(|| centred.iter().map(|x| (x / length) as f32).collect())
    }
}

/// What each signal adds to a match: one place, measured on the evaluation set
/// (`cargo bench -p ivej-node --bench suggestions` prints the figures of alternatives).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub same_kind: f64,
    pub related_kind: f64,
    /// Per shared concept, up to `concepts_at_most`.
    pub concept: f64,
    pub concepts_at_most: f64,
    /// Per shared rare word (up to three).
    pub word: f64,
    /// For meaning at [`MEANING_FULL`] or closer.
    pub meaning: f64,
    /// What content counts for at most, before nearness and the rest add to it.
    pub content_at_most: f64,
    /// For being at the same place (decaying over about 18 km).
    pub near: f64,
    /// A suggestion worth interrupting someone for scores at least this: the same kind
    /// and something more in common (a concept, words, meaning), or two concepts across
    /// kinds; the same kind nearby alone is not enough.
    pub good: f64,
}

/// The weights suggestions use when the post was read by the meaning model.
pub const WEIGHTS: Weights = Weights {
    same_kind: 0.225,
    related_kind: 0.125,
    concept: 0.2,
    concepts_at_most: 0.3,
    word: 0.04,
    meaning: 0.6,
    content_at_most: 1.0,
    near: 0.12,
    // Same kind and a concept nearby (0.545), or same kind and half the meaning.
    good: 0.5,
};

/// The weights without the meaning model: the kind and the glossary carry more (on the
/// evaluation set, recall@10 0.79 with these, 0.75 with [`WEIGHTS`]).
pub const LEXICAL_WEIGHTS: Weights = Weights {
    same_kind: 0.45,
    related_kind: 0.25,
    concept: 0.3,
    concepts_at_most: 0.45,
    word: 0.08,
    meaning: 0.0,
    content_at_most: 0.8,
    near: 0.12,
    good: 0.6,
};

/// The weights for a pair: with meaning only when the model read both (a candidate not
/// read yet is not held to weights that expect meaning to carry it).
pub fn weights_for(post: &Prepared, candidate: &Prepared) -> &'static Weights {
    if post.candidate.meaning.is_some() && candidate.candidate.meaning.is_some() {
        &WEIGHTS
    } else {
        &LEXICAL_WEIGHTS
    }
}

fn meaning_weight(weights: &Weights, similarity: f64) -> f64 {
    weights.meaning
        * ((similarity - MEANING_FLOOR) / (MEANING_FULL - MEANING_FLOOR)).clamp(0.0, 1.0)
}

fn windows_overlap(a: &[AvailabilityWindow], b: &[AvailabilityWindow]) -> bool {
    a.iter().any(|x| {
        b.iter().any(|y| {
            // An open end runs on: compare only the ends that are there.
            x.to.is_none_or(|x_to| y.from <= x_to) && y.to.is_none_or(|y_to| x.from <= y_to)
        })
    })
}

/// A candidate with what the matcher reads from its text, worked out once: a node keeps
/// these for its board and works out again only the posts that changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub candidate: Candidate,
    concepts: BTreeMap<&'static str, (String, &'static str)>,
    stems: BTreeMap<String, String>,
}

impl Prepared {
    pub fn new(candidate: Candidate) -> Prepared {
        Prepared {
            concepts: concepts(&candidate.text),
            stems: stems(&candidate.text),
            candidate,
        }
    }
}

/// The candidates that may answer `post`, best first, at most `limit`.
pub fn suggest(
    post: &Candidate,
    candidates: &[Candidate],
    today: Date,
    limit: usize,
) -> Vec<Suggestion> {
    let prepared: Vec<Prepared> = candidates.iter().cloned().map(Prepared::new).collect();
    let refs: Vec<&Prepared> = prepared.iter().collect();
    suggest_prepared(&Prepared::new(post.clone()), &refs, today, limit)
}

/// [`suggest`] over candidates prepared beforehand.
pub fn suggest_prepared(
    post: &Prepared,
    candidates: &[&Prepared],
    today: Date,
    limit: usize,
) -> Vec<Suggestion> {
    ranked(post, candidates, today, limit, |c| weights_for(post, c))
}

/// [`suggest_prepared`] with other weights for every pair (to measure alternatives).
pub fn suggest_weighted(
    post: &Prepared,
    candidates: &[&Prepared],
    today: Date,
    limit: usize,
    weights: &Weights,
) -> Vec<Suggestion> {
    ranked(post, candidates, today, limit, |_| weights)
}

fn ranked<'w>(
    post: &Prepared,
    candidates: &[&Prepared],
    today: Date,
    limit: usize,
    weights: impl Fn(&Prepared) -> &'w Weights,
) -> Vec<Suggestion> {
    let our_kind = reference::root_kind(&post.candidate.code).to_string();
    // Words most posts use ("spare", "share", "monthly") say nothing of a match: a stem
    // in more than one candidate in twenty (and more than three) is left out.
    let mut seen_in: BTreeMap<&str, usize> = BTreeMap::new();
    for c in candidates {
        for stem in c.stems.keys() {
            *seen_in.entry(stem.as_str()).or_default() += 1;
        }
    }
    let common = (candidates.len() / 20).max(3);
    let our_stems: BTreeMap<String, String> = post
        .stems
        .iter()
        .filter(|(stem, _)| seen_in.get(stem.as_str()).is_none_or(|n| *n <= common))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut out: Vec<Suggestion> = candidates
        .iter()
        .filter_map(|c| score(post, &our_stems, &our_kind, c, today, weights(c)))
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(limit);
    out
}

fn score(
    prepared_post: &Prepared,
    our_stems: &BTreeMap<String, String>,
    our_kind: &str,
    prepared: &Prepared,
    today: Date,
    w: &Weights,
) -> Option<Suggestion> {
    let post = &prepared_post.candidate;
    let ours = &prepared_post.concepts;
    let c = &prepared.candidate;
    let their_stems = &prepared.stems;
    if !c.active || c.id == post.id || c.org_id == post.org_id {
        return None;
    }
    if c.expires_on.is_some_and(|e| e < today) {
        return None;
    }
    // Offers for needs, needs for offers; services for needs only.
    match (post.direction, c.direction) {
        (Some(a), Some(b)) if a != b => {}
        (Some(Direction::Need), None) => {}
        _ => return None,
    }
    let mut reasons = Vec::new();
    let mut content = 0.0;
    if c.code == post.code {
        content += w.same_kind;
        reasons.push(Reason::SameKind {
            code: c.code.clone(),
        });
    } else if reference::root_kind(&c.code) == our_kind && c.kind == SuggestedKind::Post {
        content += w.related_kind;
        reasons.push(Reason::RelatedKind {
            code: c.code.clone(),
        });
    }
    let theirs = &prepared.concepts;
    let mut shared_concepts = 0;
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for (id, (our_word, label)) in ours {
        // A kind's own concept is the SameKind reason already; the glossary and the
        // taxonomy may name one concept twice.
        if (*id == c.code && c.code == post.code) || named.contains(label) {
            continue;
        }
        if let Some((their_word, _)) = theirs.get(id) {
            shared_concepts += 1;
            named.insert(label);
            if shared_concepts <= 3 {
                reasons.push(Reason::SameConcept {
                    concept: label.to_string(),
                    ours: our_word.clone(),
                    theirs: their_word.clone(),
                });
            }
        }
    }
    content += (w.concept * f64::from(shared_concepts)).min(w.concepts_at_most);
    let concept_words: BTreeSet<&str> = theirs.values().map(|(w, _)| w.as_str()).collect();
    let shared: Vec<String> = our_stems
        .keys()
        .filter_map(|stem| their_stems.get(stem))
        .filter(|w| !concept_words.contains(w.as_str()))
        .take(3)
        .cloned()
        .collect();
    if !shared.is_empty() {
        content += w.word * shared.len() as f64;
        reasons.push(Reason::SharedWords { words: shared });
    }
    if let (Some(a), Some(b)) = (&post.meaning, &c.meaning) {
        let similarity = cosine(a, b);
        let weight = meaning_weight(w, similarity);
        if weight > 0.0 {
            content += weight;
            reasons.push(Reason::CloseInMeaning {
                similarity: (similarity * 100.0).round() / 100.0,
            });
        }
    }
    if content == 0.0 {
        return None;
    }
    let mut score = content.min(w.content_at_most);
    if let (Some(a), Some(b)) = (post.location, c.location) {
        let km = a.distance_km(&b);
        score += w.near * (-km / 18.0).exp();
        reasons.push(Reason::Near {
            km: (km * 10.0).round() / 10.0,
        });
    }
    if let Some(code) = post.industries.iter().find_map(|ours| {
        let division: String = ours.chars().take(2).collect();
        c.industries
            .iter()
            .any(|t| t.chars().take(2).collect::<String>() == division)
            .then_some(division)
    }) {
        score += 0.04;
        reasons.push(Reason::RelatedIndustry { code });
    }
    if !post.availability.is_empty()
        && !c.availability.is_empty()
        && windows_overlap(&post.availability, &c.availability)
    {
        score += 0.04;
        reasons.push(Reason::AvailableTogether);
    }
    if let Some(on) = c.expires_on.filter(|e| today.days_until(*e) <= 7) {
        score *= 0.95;
        reasons.push(Reason::ExpiresSoon { on });
    }
    Some(Suggestion {
        kind: c.kind,
        id: c.id.clone(),
        score: score.min(1.0),
        reasons,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        "2026-12-01".parse().unwrap()
    }

    fn post(id: &str, org: &str, direction: Direction, code: &str, text: &str) -> Candidate {
        Candidate {
            kind: SuggestedKind::Post,
            id: id.into(),
            org_id: org.into(),
            direction: Some(direction),
            code: code.into(),
            text: text.into(),
            location: None,
            industries: Vec::new(),
            availability: Vec::new(),
            expires_on: None,
            active: true,
            meaning: None,
        }
    }

    fn ids(s: &[Suggestion]) -> Vec<&str> {
        s.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn an_offer_is_suggested_for_a_need_never_another_offer_and_services_only_for_needs() {
        let need = post(
            "n",
            "a",
            Direction::Need,
            "CAP.MACH.WELD",
            "Svejsning af rammer",
        );
        let offer = post("o", "b", Direction::Offer, "CAP.MACH.WELD", "Welding");
        let other_need = post("n2", "c", Direction::Need, "CAP.MACH.WELD", "Welding");
        let mut service = post("s", "d", Direction::Offer, "SRV", "Hitsauskoulutus");
        service.kind = SuggestedKind::Service;
        service.direction = None;
        let all = [offer.clone(), other_need.clone(), service.clone()];
        assert_eq!(ids(&suggest(&need, &all, today(), 10)), vec!["o", "s"]);
        assert_eq!(ids(&suggest(&offer, &all, today(), 10)), vec!["n2"]);
    }

    #[test]
    fn closed_expired_and_own_posts_are_never_suggested() {
        let need = post("n", "a", Direction::Need, "CAP.MACH.WELD", "Welding");
        let mut closed = post("closed", "b", Direction::Offer, "CAP.MACH.WELD", "Welding");
        closed.active = false;
        let mut expired = post("expired", "b", Direction::Offer, "CAP.MACH.WELD", "Welding");
        expired.expires_on = Some("2026-11-30".parse().unwrap());
        let own = post("own", "a", Direction::Offer, "CAP.MACH.WELD", "Welding");
        assert!(suggest(&need, &[closed, expired, own], today(), 10).is_empty());
    }

    #[test]
    fn a_danish_need_for_welding_meets_a_finnish_offer_with_both_words_named() {
        let need = post(
            "n",
            "a",
            Direction::Need,
            "COL.SUB",
            "Vi søger svejsning af stålrammer",
        );
        let offer = post(
            "o",
            "b",
            Direction::Offer,
            "COL.SUB",
            "Hitsauspalvelu ja teräsrakenteet",
        );
        let unrelated = post(
            "u",
            "c",
            Direction::Offer,
            "CAP.SPACE",
            "Lagerplads til paller",
        );
        let found = suggest(&need, &[offer, unrelated], today(), 10);
        assert_eq!(ids(&found), vec!["o"]);
        assert!(found[0].reasons.contains(&Reason::SameConcept {
            concept: "Welding".into(),
            ours: "svejsning".into(),
            theirs: "hitsauspalvelu".into(),
        }));
        assert!(found[0].reasons.contains(&Reason::SameKind {
            code: "COL.SUB".into()
        }));
    }

    #[test]
    fn nearness_and_industry_add_to_a_match_but_alone_suggest_nothing() {
        let mut need = post("n", "a", Direction::Need, "CAP.MACH.LASER", "Laserskæring");
        need.location = Some(GeoPoint::new(55.65, 11.61));
        need.industries = vec!["25".into()];
        let mut near = post(
            "near",
            "b",
            Direction::Offer,
            "CAP.MACH.LASER",
            "Laser cutting",
        );
        near.location = Some(GeoPoint::new(55.66, 11.62));
        let mut far = post(
            "far",
            "c",
            Direction::Offer,
            "CAP.MACH.LASER",
            "Laser cutting",
        );
        far.location = Some(GeoPoint::new(57.05, 9.92));
        let mut neighbour = post("neighbour", "d", Direction::Offer, "CAP.SPACE", "Tom hal");
        neighbour.location = Some(GeoPoint::new(55.65, 11.61));
        neighbour.industries = vec!["25.62".into()];
        let found = suggest(&need, &[far, near, neighbour], today(), 10);
        assert_eq!(ids(&found), vec!["near", "far"]);
        assert!(found[0].score > found[1].score);
    }

    #[test]
    fn a_related_kind_counts_less_than_the_same_kind_and_expiring_soon_is_flagged() {
        let need = post(
            "n",
            "a",
            Direction::Need,
            "CAP.MACH.CNC",
            "Fræsning af emner",
        );
        let same = post("same", "b", Direction::Offer, "CAP.MACH.CNC", "Spare hours");
        let mut related = post(
            "related",
            "c",
            Direction::Offer,
            "CAP.MACH.LASER",
            "Spare hours",
        );
        related.expires_on = Some("2026-12-04".parse().unwrap());
        let found = suggest(&need, &[related, same], today(), 10);
        assert_eq!(ids(&found), vec!["same", "related"]);
        assert!(found[1].reasons.contains(&Reason::ExpiresSoon {
            on: "2026-12-04".parse().unwrap()
        }));
        assert!(found[1].reasons.contains(&Reason::RelatedKind {
            code: "CAP.MACH.LASER".into()
        }));
    }

    #[test]
    fn words_most_posts_use_are_no_reason() {
        let need = post(
            "n",
            "a",
            Direction::Need,
            "KNOW",
            "Spare parts catalogue, monthly",
        );
        let mut all: Vec<Candidate> = (0..10)
            .map(|i| {
                post(
                    &format!("c{i}"),
                    "b",
                    Direction::Offer,
                    "CAP.SPACE",
                    "Spare room monthly",
                )
            })
            .collect();
        all.push(post(
            "match",
            "c",
            Direction::Offer,
            "CAP.SPACE",
            "Catalogue printing",
        ));
        let found = suggest(&need, &all, today(), 20);
        assert_eq!(ids(&found), vec!["match"]);
        assert_eq!(
            found[0].reasons,
            vec![Reason::SharedWords {
                words: vec!["catalogue".into()]
            }]
        );
    }

    #[test]
    fn short_stems_match_whole_words_only_and_long_ones_inside_compounds() {
        assert!(stem_in("cnc", "cnc"));
        assert!(!stem_in("cnc", "cncx"));
        assert!(stem_in("svejs", "rørsvejsning"));
        assert!(stem_in("weld", "welding"));
        assert!(!stem_in("weld", "bewelded"));
        // The automaton keeps the same rule over a whole text.
        assert!(!concepts("cncx and bewelded").contains_key("cnc"));
        assert!(!concepts("bewelded").contains_key("welding"));
        assert_eq!(
            concepts("Vi søger rørsvejsning.")
                .get("welding")
                .map(|w| w.0.as_str()),
            Some("rørsvejsning")
        );
        assert!(concepts("CNC, welding").contains_key("cnc"));
        let found = concepts("Pulverlakering og 3D print af dele");
        assert!(found.contains_key("painting"));
        assert!(found.contains_key("printing3d"));
    }
}
