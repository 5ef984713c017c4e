//! XLM-RoBERTa's SentencePiece unigram tokenizer, as the reference engine runs it.
//!
//! 1. Each character goes through the file's normalisation map (NFKC-like folding;
//!    control characters vanish, tabs and newlines become spaces).
//! 2. Runs of spaces shrink to one.
//! 3. A space is put in front unless the text already starts with one, and every space
//!    becomes the metaspace `▁` (U+2581).
//! 4. The most likely split into vocabulary pieces (the largest sum of piece scores) is
//!    found by Viterbi over character positions; a character no piece covers becomes
//!    `<unk>`, scored ten below the least likely piece.

use crate::format::{Normalisation, Vocabulary};

const METASPACE: char = '\u{2581}';

/// Piece bytes to piece ids. std's map, keyed at random: a file's pieces chosen to collide
/// (or repeated) cannot make building it quadratic, as they could an unkeyed table.
type PieceTable = std::collections::HashMap<Box<[u8]>, u32>;

#[derive(Debug)]
pub(crate) struct Tokenizer {
    pieces: Vec<u8>,
    /// `scores.len() + 1` offsets into `pieces`.
    offsets: Vec<u32>,
    scores: Vec<f32>,
    table: PieceTable,
    longest_piece: usize,
    unknown_score: f32,
    bos: u32,
    eos: u32,
    unk: u32,
    normalisation: Normalisation,
}

impl Tokenizer {
    /// Builds the lookup table from a checked vocabulary (its offsets are non-decreasing
    /// and within its piece bytes).
    pub(crate) fn new(vocabulary: Vocabulary<'_>, normalisation: Normalisation) -> Self {
        let Vocabulary {
            bos,
            eos,
            unk,
            offsets,
            scores,
            pieces,
        } = vocabulary;
        let count = scores.len();
        let mut tokenizer = Tokenizer {
            pieces: pieces.to_vec(),
            offsets,
            scores,
            table: PieceTable::with_capacity(count),
            longest_piece: 1,
            unknown_score: 0.0,
            bos,
            eos,
            unk,
            normalisation,
        };
        let least_likely = tokenizer
            .scores
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min);
        tokenizer.unknown_score = least_likely - 10.0;
        for id in 0..count {
            let len = tokenizer.piece(id).len();
            tokenizer.longest_piece = tokenizer.longest_piece.max(len);
            if len == 0 {
                continue;
            }
            let piece: Box<[u8]> = tokenizer.piece(id).into();
            // `count` was an i32 in the file, so every id fits in u32. With duplicates,
            // the lowest id counts (as the reference's lookup finds it first).
            tokenizer.table.entry(piece).or_insert(id as u32);
        }
        tokenizer
    }

    pub(crate) fn bos(&self) -> u32 {
        self.bos
    }

    pub(crate) fn eos(&self) -> u32 {
        self.eos
    }

    fn piece(&self, id: usize) -> &[u8] {
        &self.pieces[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    /// The id of the piece spelled `bytes`; with duplicates, the lowest id.
    fn lookup(&self, bytes: &[u8]) -> Option<usize> {
        self.table.get(bytes).map(|&id| id as usize)
    }

    /// The normalised text with metaspaces, as a string.
    fn normalise(&self, text: &str) -> String {
        let map = &self.normalisation;
        let mut out = String::with_capacity(text.len() + METASPACE.len_utf8());
        let mut previous_was_space = false;
        let mut push = |c: char, out: &mut String| {
            let space = c == ' ';
            if space && previous_was_space {
                return;
            }
            if out.is_empty() && !space {
                out.push(METASPACE);
            }
            previous_was_space = space;
            out.push(if space { METASPACE } else { c });
        };
        // The reference reads a C string, which ends at the first NUL.
        for c in text.chars().take_while(|&c| c != '\0') {
            match map.from.binary_search(&c) {
                Ok(entry) => {
                    let replacement = map.ends[entry] as usize..map.ends[entry + 1] as usize;
                    for &c in &map.to[replacement] {
                        push(c, &mut out);
                    }
                }
                Err(_) => push(c, &mut out),
            }
        }
        if out.is_empty() {
            out.push(METASPACE);
        }
        out
    }

    /// The piece ids of `text` (no `<s>` or `</s>`).
    pub(crate) fn tokenize(&self, text: &str) -> Vec<u32> {
        let normalised = self.normalise(text);
        let bytes = normalised.as_bytes();
        // Byte offset of each character start, and the end.
        let bounds: Vec<usize> = normalised
            .char_indices()
            .map(|(i, _)| i)
            .chain([bytes.len()])
            .collect();
        let chars = bounds.len() - 1;

        #[derive(Clone, Copy)]
        struct Best {
            score: f32,
            /// Piece id ending here, `None` for an unknown character.
            piece: Option<u32>,
            /// The character position the piece starts at.
            from: usize,
        }
        let unreached = Best {
            score: f32::NEG_INFINITY,
            piece: None,
            from: 0,
        };
        let mut best = vec![unreached; chars + 1];
        best[0].score = 0.0;
        for start in 0..chars {
            let base = best[start].score;
            for end in start + 1..=chars {
                let piece = &bytes[bounds[start]..bounds[end]];
                if piece.len() > self.longest_piece {
                    break;
                }
                if let Some(id) = self.lookup(piece).filter(|&id| id != self.unk as usize) {
                    let score = base + self.scores[id];
                    if score > best[end].score {
                        best[end] = Best {
                            score,
                            piece: Some(id as u32),
                            from: start,
                        };
                    }
                }
            }
            let score = base + self.unknown_score;
            if score > best[start + 1].score {
                best[start + 1] = Best {
                    score,
                    piece: None,
                    from: start,
                };
            }
        }

        let mut ids = Vec::new();
        let mut at = chars;
        while at > 0 {
            let step = best[at];
            ids.push(step.piece.unwrap_or(self.unk));
            at = step.from;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(pieces: &[(&str, f32)], normalisation: Normalisation) -> Tokenizer {
        let mut bytes = Vec::new();
        let mut offsets = vec![0u32];
        for (piece, _) in pieces {
            bytes.extend_from_slice(piece.as_bytes());
            offsets.push(bytes.len() as u32);
        }
        Tokenizer::new(
            Vocabulary {
                bos: 0,
                eos: 1,
                unk: 2,
                offsets,
                scores: pieces.iter().map(|p| p.1).collect(),
                pieces: &bytes,
            },
            normalisation,
        )
    }

    fn vocabulary() -> Tokenizer {
        tiny(
            &[
                ("<s>", 0.0),
                ("</s>", 0.0),
                ("<unk>", 0.0),
                ("▁", -3.0),
                ("▁svejs", -8.0),
                ("ning", -5.0),
                ("▁svejsning", -14.0),
                ("s", -4.0),
                ("v", -4.0),
                ("e", -4.0),
                ("j", -4.0),
                ("n", -4.0),
                ("i", -4.0),
                ("g", -4.0),
                ("▁stål", -9.0),
                ("▁svejsning", -1.0),
            ],
            Normalisation {
                from: vec!['\t', 'Å'],
                ends: vec![0, 1, 2],
                to: vec![' ', 'å'],
            },
        )
    }

    #[test]
    fn finds_the_most_likely_split() {
        let t = vocabulary();
        // "▁svejs" + "ning" (-13) beats "▁svejsning" (-14); the duplicate with -1 is
        // never found, as in the reference (the lowest id wins the lookup).
        assert_eq!(t.tokenize("svejsning"), vec![4, 5]);
        assert_eq!(t.tokenize("svejsning \tstÅl"), vec![4, 5, 14]);
    }

    #[test]
    fn normalises_spaces_and_metaspace() {
        let t = vocabulary();
        assert_eq!(t.normalise("a  b\t\tc"), "▁a▁b▁c");
        assert_eq!(t.normalise(" a "), "▁a▁");
        assert_eq!(t.normalise(""), "▁");
        assert_eq!(t.normalise("Å\0ignored"), "▁å");
    }

    #[test]
    fn unknown_characters_become_unk() {
        let t = vocabulary();
        assert_eq!(t.tokenize("xy"), vec![3, 2, 2]);
    }
}
