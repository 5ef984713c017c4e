//! Model files that are wrong, cut short or lying are refused with an error, never a
//! panic and never an allocation by a declared size. These tests need no model file: they
//! build a tiny model in the same format and break it.

use ivej_meaning::{check_model_bytes, cosine, Model, ModelError, Role};

const HIDDEN: usize = 32;
const FEED_FORWARD: usize = 64;
const POSITIONS: usize = 6;
const PIECES: &[(&str, f32)] = &[
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    ("▁", -2.0),
    ("a", -3.0),
    ("b", -3.0),
    ("▁ab", -4.0),
    (":", -3.0),
    ("▁query", -5.0),
    ("▁passage", -5.0),
];

/// A well-formed model of one layer, two heads and a hidden size of 32, and where its
/// header fields are.
struct Tiny {
    bytes: Vec<u8>,
    /// Offset of the tensor count.
    directory: usize,
    /// Offset of the normalisation entry count.
    normalisation: usize,
}

/// Byte offsets of header fields.
const VERSION: usize = 4;
const HIDDEN_AT: usize = 8;
const LAYERS_AT: usize = 12;
const HEADS_AT: usize = 16;
const VOCABULARY_AT: usize = 24;
const POSITIONS_AT: usize = 28;
const EPSILON_AT: usize = 36;
const BLOCK_AT: usize = 40;
const PIECE_COUNT_AT: usize = 44;
const UNK_AT: usize = 60;
const PIECE_BYTES_AT: usize = 64;
const OFFSETS_AT: usize = 72;

fn f32s(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

/// 4-bit blocks for `elements` weights: scale 1/16 (f16 0x2c00), nibbles cycling.
fn blocks(elements: usize, seed: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for block in 0..elements / 32 {
        out.extend_from_slice(&0x2c00u16.to_le_bytes());
        for j in 0..16 {
            out.push(((block * 7 + j * 3 + seed) % 256) as u8);
        }
    }
    out
}

fn tiny() -> Tiny {
    let mut b = Vec::new();
    b.extend_from_slice(b"E5S1");
    b.extend_from_slice(&1u32.to_le_bytes());
    let vocabulary = PIECES.len() + 1;
    for value in [HIDDEN, 1, 2, FEED_FORWARD, vocabulary, POSITIONS, 2] {
        b.extend_from_slice(&(value as i32).to_le_bytes());
    }
    b.extend_from_slice(&1e-12f32.to_le_bytes());
    b.extend_from_slice(&32i32.to_le_bytes());

    let pieces: Vec<u8> = PIECES.iter().flat_map(|p| p.0.bytes()).collect();
    b.extend_from_slice(&(PIECES.len() as i32).to_le_bytes());
    for id in [0i32, 2, 1, 3] {
        b.extend_from_slice(&id.to_le_bytes());
    }
    b.extend_from_slice(&(pieces.len() as u64).to_le_bytes());
    let mut offset = 0u32;
    b.extend_from_slice(&offset.to_le_bytes());
    for (piece, _) in PIECES {
        offset += piece.len() as u32;
        b.extend_from_slice(&offset.to_le_bytes());
    }
    b.extend_from_slice(&f32s(PIECES.iter().map(|p| p.1)));
    b.extend_from_slice(&pieces);

    // Normalisation: tab to space, 'A' to "a", NUL to nothing.
    let normalisation = b.len();
    let mut map = Vec::new();
    for (from, to) in [
        (0u32, vec![]),
        (9, vec![0x20u32]),
        ('A' as u32, vec!['a' as u32]),
    ] {
        map.extend_from_slice(&from.to_le_bytes());
        map.push(to.len() as u8);
        for c in to {
            map.extend_from_slice(&c.to_le_bytes());
        }
    }
    b.extend_from_slice(&3i32.to_le_bytes());
    b.extend_from_slice(&(map.len() as u32).to_le_bytes());
    b.extend_from_slice(&map);

    let ones = |n: usize| f32s(std::iter::repeat_n(1.0, n));
    let small = |n: usize, seed: usize| f32s((0..n).map(|i| ((i * 13 + seed) % 7) as f32 * 0.01));
    let mut tensors: Vec<(String, u8, usize, Vec<u8>)> = vec![
        (
            "emb.word".into(),
            1,
            vocabulary * HIDDEN,
            blocks(vocabulary * HIDDEN, 1),
        ),
        (
            "emb.pos".into(),
            0,
            POSITIONS * HIDDEN,
            small(POSITIONS * HIDDEN, 2),
        ),
        ("emb.type".into(), 0, 2 * HIDDEN, small(2 * HIDDEN, 3)),
        ("emb.ln.w".into(), 0, HIDDEN, ones(HIDDEN)),
        ("emb.ln.b".into(), 0, HIDDEN, small(HIDDEN, 4)),
    ];
    for (name, rows, cols) in [
        ("q", HIDDEN, HIDDEN),
        ("k", HIDDEN, HIDDEN),
        ("v", HIDDEN, HIDDEN),
        ("ao", HIDDEN, HIDDEN),
        ("fi", FEED_FORWARD, HIDDEN),
        ("fo", HIDDEN, FEED_FORWARD),
    ] {
        tensors.push((
            format!("l0.{name}.w"),
            1,
            rows * cols,
            blocks(rows * cols, rows + cols),
        ));
        tensors.push((format!("l0.{name}.b"), 0, rows, small(rows, cols)));
    }
    for name in ["aln", "oln"] {
        tensors.push((format!("l0.{name}.w"), 0, HIDDEN, ones(HIDDEN)));
        tensors.push((format!("l0.{name}.b"), 0, HIDDEN, small(HIDDEN, 5)));
    }

    let directory = b.len();
    let directory_len: usize = 4 + tensors
        .iter()
        .map(|t| 2 + t.0.len() + 1 + 4 + 8 + 8)
        .sum::<usize>();
    let mut data_offset = directory + directory_len;
    b.extend_from_slice(&(tensors.len() as i32).to_le_bytes());
    for (name, kind, elements, data) in &tensors {
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.push(*kind);
        b.extend_from_slice(&(*elements as u32).to_le_bytes());
        b.extend_from_slice(&(data_offset as u64).to_le_bytes());
        b.extend_from_slice(&(data.len() as u64).to_le_bytes());
        data_offset += data.len();
    }
    for (_, _, _, data) in &tensors {
        b.extend_from_slice(data);
    }
    assert_eq!(b.len(), data_offset);
    Tiny {
        bytes: b,
        directory,
        normalisation,
    }
}

fn patched(at: usize, value: &[u8]) -> Vec<u8> {
    let mut bytes = tiny().bytes;
    bytes[at..at + value.len()].copy_from_slice(value);
    bytes
}

fn refused(bytes: Vec<u8>) -> ModelError {
    let checked = check_model_bytes(&bytes);
    match Model::from_bytes(bytes) {
        Ok(model) => panic!("accepted: {model:?}"),
        Err(e) => {
            assert!(
                checked.is_err(),
                "check_model_bytes accepted what from_bytes refused: {e}"
            );
            e
        }
    }
}

#[test]
fn the_tiny_model_works() {
    let bytes = tiny().bytes;
    check_model_bytes(&bytes).unwrap();
    let model = Model::from_bytes(bytes).unwrap();
    assert_eq!(model.dimension(), HIDDEN);
    // "▁query" ":" "▁ab" "▁" "b" "a"; NUL ends the text as in the reference.
    assert_eq!(
        model.tokens("ab\tbA\0ab", Role::Query),
        vec![9, 8, 7, 4, 6, 5]
    );
    // Unknown characters become <unk>.
    assert_eq!(model.tokens("z", Role::Passage), vec![10, 8, 4, 3]);
    let a = model.embed("ab ba", Role::Passage);
    assert_eq!(a.len(), HIDDEN);
    assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
    assert!(a.iter().all(|v| v.is_finite()));
    // Windows of POSITIONS - 2 = 4 pieces: a text of many windows still works.
    let long = "ab ".repeat(50);
    let b = model.embed(&long, Role::Passage);
    assert!(b.iter().all(|v| v.is_finite()));
    assert_eq!(
        model.embed_batch(&["ab ba", &long], Role::Passage),
        vec![a, b]
    );
    for text in ["", " ", "\0", "🦀", "\u{2581}\u{2581}"] {
        assert!(model.embed(text, Role::Query).iter().all(|v| v.is_finite()));
    }
}

#[test]
fn garbage_is_not_a_model() {
    assert!(matches!(refused(Vec::new()), ModelError::NotAModel));
    assert!(matches!(refused(b"E5S".to_vec()), ModelError::NotAModel));
    assert!(matches!(
        refused(b"GGUF\x03\0\0\0".to_vec()),
        ModelError::NotAModel
    ));
    assert!(matches!(refused(vec![0xff; 4096]), ModelError::NotAModel));
    let mut noise = b"E5S1\x01\0\0\0".to_vec();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..100_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.push(state as u8);
    }
    refused(noise);
}

#[test]
fn every_truncation_is_refused() {
    let bytes = tiny().bytes;
    for len in 0..bytes.len() {
        refused(bytes[..len].to_vec());
    }
}

#[test]
fn other_versions_are_refused() {
    assert!(matches!(
        refused(patched(VERSION, &2u32.to_le_bytes())),
        ModelError::UnsupportedVersion(2)
    ));
}

#[test]
fn lying_headers_are_refused() {
    let max = i32::MAX.to_le_bytes();
    let negative = (-1i32).to_le_bytes();
    for (at, value) in [
        (HIDDEN_AT, &0i32.to_le_bytes()[..]),
        (HIDDEN_AT, &33i32.to_le_bytes()),
        (HIDDEN_AT, &64i32.to_le_bytes()),
        (HIDDEN_AT, &max),
        (HIDDEN_AT, &negative),
        (LAYERS_AT, &0i32.to_le_bytes()),
        (LAYERS_AT, &max),
        (HEADS_AT, &0i32.to_le_bytes()),
        (HEADS_AT, &3i32.to_le_bytes()),
        (VOCABULARY_AT, &max),
        (VOCABULARY_AT, &5i32.to_le_bytes()),
        (POSITIONS_AT, &2i32.to_le_bytes()),
        (POSITIONS_AT, &max),
        (EPSILON_AT, &f32::NAN.to_le_bytes()),
        (BLOCK_AT, &64i32.to_le_bytes()),
        (PIECE_COUNT_AT, &max),
        (PIECE_COUNT_AT, &negative),
        (PIECE_COUNT_AT, &0i32.to_le_bytes()),
        (UNK_AT, &(PIECES.len() as i32).to_le_bytes()),
        (PIECE_BYTES_AT, &u64::MAX.to_le_bytes()),
        (PIECE_BYTES_AT, &(1u64 << 40).to_le_bytes()),
        // The second piece offset before the first, and one past the piece bytes.
        (OFFSETS_AT, &7u32.to_le_bytes()),
        (OFFSETS_AT + 4 * PIECES.len(), &u32::MAX.to_le_bytes()),
    ] {
        let error = refused(patched(at, value));
        println!("{at}: {error}");
    }
}

#[test]
fn lying_tables_are_refused() {
    let tiny = tiny();
    let n = tiny.normalisation;
    let d = tiny.directory;
    // The first tensor entry: name length, name "emb.word", type, count, offset, length.
    let entry = d + 4;
    let kind_at = entry + 2 + "emb.word".len();
    let count_at = kind_at + 1;
    let offset_at = count_at + 4;
    let length_at = offset_at + 8;
    for (at, value) in [
        (n, &i32::MAX.to_le_bytes()[..]),
        (n, &(-5i32).to_le_bytes()),
        (n + 4, &u32::MAX.to_le_bytes()),
        // The entries out of order: NUL after tab.
        (n + 8, &10u32.to_le_bytes()),
        // A replacement that is not a character.
        (n + 8 + 5 + 5, &0xd800u32.to_le_bytes()),
        (d, &i32::MAX.to_le_bytes()),
        (d, &0i32.to_le_bytes()),
        (entry, &u16::MAX.to_le_bytes()),
        (kind_at, &[0u8]),
        (kind_at, &[7u8]),
        (count_at, &u32::MAX.to_le_bytes()),
        (offset_at, &u64::MAX.to_le_bytes()),
        (offset_at, &((tiny.bytes.len() - 10) as u64).to_le_bytes()),
        (length_at, &u64::MAX.to_le_bytes()),
        (length_at, &0u64.to_le_bytes()),
        // "emb.word" renamed: a tensor missing.
        (entry + 2, b"emb.wore"),
    ] {
        let mut bytes = tiny.bytes.clone();
        bytes[at..at + value.len()].copy_from_slice(value);
        let error = refused(bytes);
        println!("{at}: {error}");
    }
}

#[test]
fn non_finite_weights_are_refused() {
    let tiny = tiny();
    let bytes = tiny.bytes;
    // The last tensor (l0.oln.b) ends the file: make its last value NaN.
    let mut nan = bytes.clone();
    let len = nan.len();
    nan[len - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(refused(nan).to_string().contains("l0.oln"));
    // A piece score that is infinite.
    let mut infinite = bytes.clone();
    let scores = OFFSETS_AT + 4 * (PIECES.len() + 1);
    infinite[scores..scores + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
    refused(infinite);
}

#[test]
fn any_single_byte_changed_never_panics() {
    // Every byte before the tensor data, set to a few values: refused or accepted, but
    // never a panic.
    let tiny = tiny();
    let header_end = tiny.directory + 4 + 300;
    for at in 0..header_end.min(tiny.bytes.len()) {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let mut bytes = tiny.bytes.clone();
            bytes[at] = value;
            if let Ok(model) = Model::from_bytes(bytes) {
                let e = model.embed("ab b a:", Role::Query);
                assert_eq!(e.len(), model.dimension());
            }
        }
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let error = Model::load(std::path::Path::new("/nonexistent/e5-small-q4.bin")).unwrap_err();
    assert!(matches!(error, ModelError::Io { .. }), "{error}");
}

/// A small file must not make the engine allocate or work as for a giant model: two
/// tensors naming the same bytes (so one block could serve thousands of layers), sizes
/// beyond any model this engine is for, and a piece long enough to make tokenising a
/// text cost its length squared, are refused.
#[test]
fn a_small_file_cannot_declare_a_giant_model() {
    let tiny = tiny();
    let entry = tiny.directory + 4;
    let offset_at = entry + 2 + "emb.word".len() + 1 + 4;
    // The second entry ("emb.pos") points at the first one's bytes.
    let first_offset: [u8; 8] = tiny.bytes[offset_at..offset_at + 8].try_into().unwrap();
    let second = offset_at + 8 + 8;
    let second_offset_at = second + 2 + "emb.pos".len() + 1 + 4;
    let mut shared = tiny.bytes.clone();
    shared[second_offset_at..second_offset_at + 8].copy_from_slice(&first_offset);
    let error = refused(shared);
    assert!(error.to_string().contains("share bytes"), "{error}");

    for (at, value) in [
        (LAYERS_AT, 65i32),
        (LAYERS_AT, 20_000),
        (HIDDEN_AT, 4096 + 32),
        (POSITIONS_AT, 5000),
    ] {
        let error = refused(patched(at, &value.to_le_bytes()));
        assert!(error.to_string().contains("at most"), "{error}");
    }
}
