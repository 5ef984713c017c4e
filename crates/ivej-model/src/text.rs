use serde::{Deserialize, Serialize};

/// Text that people write at length (a company CV, a post's body) and that two people may
/// edit at once. In the documents it is an automerge text object, so concurrent edits to
/// different parts both survive a merge; here it is just a string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LongText(pub String);

impl LongText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for LongText {
    fn from(s: &str) -> Self {
        LongText(s.to_string())
    }
}

impl From<String> for LongText {
    fn from(s: String) -> Self {
        LongText(s)
    }
}

#[cfg(feature = "automerge")]
impl autosurgeon::Reconcile for LongText {
    type Key<'a> = autosurgeon::reconcile::NoKey;

    fn reconcile<R: autosurgeon::Reconciler>(&self, mut r: R) -> Result<(), R::Error> {
        use autosurgeon::reconcile::TextReconciler;
        // `update` diffs against the text in the document and applies only the difference,
        // which is what keeps a concurrent edit elsewhere in the text.
        let mut text = r.text()?;
        text.update(&self.0)
    }
}

#[cfg(feature = "automerge")]
impl autosurgeon::Hydrate for LongText {
    fn hydrate_text<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        Ok(LongText(doc.text(obj)?))
    }

    fn hydrate_string(text: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(LongText(text.to_string()))
    }
}

/// One edit of a text: at character `pos`, delete `delete` characters and insert `insert`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splice {
    pub pos: usize,
    pub delete: usize,
    pub insert: String,
}

/// The single edit that turns `from` into `to` (common start and end kept), in characters.
pub fn diff(from: &str, to: &str) -> Splice {
    let a: Vec<char> = from.chars().collect();
    let b: Vec<char> = to.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    Splice {
        pos: prefix,
        delete: a.len() - prefix - suffix,
        insert: b[prefix..b.len() - suffix].iter().collect(),
    }
}

/// Someone edited `base` into `edited` while the text became `current` (others typed too).
/// Returns the edit to apply to `current` so that both keep their text: the edit moves with
/// what others inserted or deleted before it, and where both touched the same place, others'
/// text is never deleted (the edit's own text goes after theirs).
pub fn rebase(base: &str, edited: &str, current: &str) -> Splice {
    let mine = diff(base, edited);
    if base == current {
        return mine;
    }
    let theirs = diff(base, current);
    let inserted = theirs.insert.chars().count();
    let (p, d, q, e) = (mine.pos, mine.delete, theirs.pos, theirs.delete);
    if e == 0 && p == q {
        // Both at the same point: theirs first, then ours.
        return Splice {
            pos: q + inserted,
            ..mine
        };
    }
    if p >= q + e {
        // Wholly after their change: shift by what it added or removed.
        return Splice {
            pos: p + inserted - e,
            ..mine
        };
    }
    if p + d <= q {
        // Wholly before it: unchanged.
        return mine;
    }
    if p < q {
        // Our deletion runs into their change: delete only up to it, ours before theirs.
        return Splice {
            pos: p,
            delete: q - p,
            insert: mine.insert,
        };
    }
    // We start inside what they replaced: ours goes after their text, deleting only what
    // lies beyond their change.
    Splice {
        pos: q + inserted,
        delete: (p + d).saturating_sub(q + e),
        insert: mine.insert,
    }
}

/// `text` with `splice` applied (positions in characters, clamped to the text).
pub fn apply(text: &str, splice: &Splice) -> String {
    let chars: Vec<char> = text.chars().collect();
    let pos = splice.pos.min(chars.len());
    let end = (pos + splice.delete).min(chars.len());
    let mut out: String = chars[..pos].iter().collect();
    out.push_str(&splice.insert);
    out.extend(&chars[end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_the_one_changed_region() {
        assert_eq!(
            diff("Present: all.", "Present: all but Tuse."),
            Splice {
                pos: 12,
                delete: 0,
                insert: " but Tuse".into()
            }
        );
        assert_eq!(
            diff("abc", "abc"),
            Splice {
                pos: 3,
                delete: 0,
                insert: String::new()
            }
        );
        assert_eq!(
            diff("æøå", "æå"),
            Splice {
                pos: 1,
                delete: 1,
                insert: String::new()
            }
        );
        assert_eq!(apply("æøå", &diff("æøå", "åh")), "åh");
    }

    #[test]
    fn typing_elsewhere_at_once_keeps_both_texts() {
        let base = "Present: all.\nChallenge: idle machines.\n";
        let mine = "Present: all.\nTuse presented.\nChallenge: idle machines.\n";
        let current = "Present: all.\nChallenge: idle machines.\nAction: Jens calls.\n";
        let edit = rebase(base, mine, current);
        assert_eq!(
            apply(current, &edit),
            "Present: all.\nTuse presented.\nChallenge: idle machines.\nAction: Jens calls.\n"
        );
        // And the other way round: their text before ours.
        let current = "Agenda.\nPresent: all.\nChallenge: idle machines.\n";
        let edit = rebase(base, mine, current);
        assert_eq!(
            apply(current, &edit),
            "Agenda.\nPresent: all.\nTuse presented.\nChallenge: idle machines.\n"
        );
    }

    #[test]
    fn typing_at_the_same_place_deletes_nothing_of_theirs() {
        let base = "Notes: ";
        let edit = rebase(base, "Notes: mine", "Notes: theirs");
        assert_eq!(apply("Notes: theirs", &edit), "Notes: theirsmine");
        // Deleting a word someone else just changed keeps their change.
        let edit = rebase("a big cat", "a cat", "a very big cat");
        let out = apply("a very big cat", &edit);
        assert!(out.contains("very"), "{out}");
    }

    #[test]
    fn any_concurrent_edits_keep_every_inserted_text() {
        // A small exhaustive check over edits of a short text.
        let base = "abcdef";
        let edits = ["abcdef", "abXcdef", "Yabcdef", "abcdefZ", "abef", "aQf", ""];
        for mine in edits {
            for current in edits {
                let out = apply(current, &rebase(base, mine, current));
                for inserted in [diff(base, mine).insert, diff(base, current).insert] {
                    assert!(out.contains(&inserted), "{mine} / {current} gave {out}");
                }
            }
        }
    }
}
