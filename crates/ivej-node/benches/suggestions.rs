//! How good suggestions are, on the hand-graded evaluation set in `tests/eval/` (see its
//! README): for each of its needs, the pool's offers and services ranked by
//! `ivej_model::matching`, scored against the grades. Prints nDCG@5, recall@10 and the
//! share of relevant items in another language found in the first ten, per language pair;
//! lexically, and with the meaning model when its file is found (`IVEJ_E5_MODEL`, or
//! `cargo xtask model`'s copy). Figures, not assertions. Run with `cargo xtask bench` or
//! `cargo bench -p ivej-node --bench suggestions`.

// A benchmark that cannot set itself up should stop loudly.
#![allow(clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use ivej_model::matching::{self, Candidate, Prepared, SuggestedKind};
use ivej_model::Direction;
use ivej_model::{Date, GeoPoint};

/// One row of `pool.tsv` or `needs.tsv`.
struct Item {
    id: String,
    lang: String,
    candidate: Candidate,
}

fn eval_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/eval")
}

/// The rows of a TSV file after its header, split on tabs.
fn rows(name: &str) -> Vec<Vec<String>> {
    let path = eval_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn items(name: &str, places: &HashMap<String, GeoPoint>, today: Date) -> Vec<Item> {
    rows(name)
        .into_iter()
        .map(|r| {
            assert!(r.len() >= 9, "{name}: a row of {} fields: {r:?}", r.len());
            let (id, kind, lang, code, nace, place) = (&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]);
            let days: i64 = r[6].parse().expect("expires_in_days");
            let (suggested, direction) = match kind.as_str() {
                "offer" => (SuggestedKind::Post, Some(Direction::Offer)),
                "need" => (SuggestedKind::Post, Some(Direction::Need)),
                "service" => (SuggestedKind::Service, None),
                other => panic!("{name}: kind {other}"),
            };
            Item {
                id: id.clone(),
                lang: lang.clone(),
                candidate: Candidate {
                    kind: suggested,
                    id: id.clone(),
                    org_id: format!("org-{id}"),
                    direction,
                    code: code.clone(),
                    text: format!("{}\n{}", r[7], r[8]),
                    location: places.get(place).copied(),
                    industries: vec![nace.clone()],
                    availability: Vec::new(),
                    expires_on: Some(today.add_days(days)),
                    active: true,
                    meaning: None,
                },
            }
        })
        .collect()
}

#[derive(Default)]
struct Figures {
    ndcg5: Vec<f64>,
    recall10: Vec<f64>,
    /// (need's language, item's language) → (found in the first ten, relevant).
    cross: BTreeMap<(String, String), (usize, usize)>,
}

fn dcg(gains: impl Iterator<Item = u8>) -> f64 {
    gains
        .enumerate()
        .map(|(i, g)| (2f64.powi(i32::from(g)) - 1.0) / ((i + 2) as f64).log2())
        .sum()
}

fn evaluate(
    needs: &[Item],
    pool: &[Item],
    grades: &HashMap<(String, String), u8>,
    today: Date,
    weights: &matching::Weights,
) -> Figures {
    let prepared: Vec<Prepared> = pool
        .iter()
        .map(|i| Prepared::new(i.candidate.clone()))
        .collect();
    let refs: Vec<&Prepared> = prepared.iter().collect();
    let lang_of: HashMap<&str, &str> = pool
        .iter()
        .map(|i| (i.id.as_str(), i.lang.as_str()))
        .collect();
    let mut f = Figures::default();
    for need in needs {
        let target = Prepared::new(need.candidate.clone());
        let found = matching::suggest_weighted(&target, &refs, today, 10, weights);
        let grade = |id: &str| {
            grades
                .get(&(need.id.clone(), id.to_string()))
                .copied()
                .unwrap_or(0)
        };
        let mut ideal: Vec<u8> = pool.iter().map(|i| grade(&i.id)).collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let best = dcg(ideal.into_iter().take(5));
        let got = dcg(found.iter().take(5).map(|s| grade(&s.id)));
        f.ndcg5.push(if best > 0.0 { got / best } else { 1.0 });
        let relevant: Vec<&Item> = pool.iter().filter(|i| grade(&i.id) >= 2).collect();
        let in_top = |id: &str| found.iter().any(|s| s.id == id);
        if !relevant.is_empty() {
            let hit = relevant.iter().filter(|i| in_top(&i.id)).count();
            f.recall10.push(hit as f64 / relevant.len() as f64);
        }
        for item in relevant.iter().filter(|i| i.lang != need.lang) {
            let pair = (need.lang.clone(), lang_of[item.id.as_str()].to_string());
            let entry = f.cross.entry(pair).or_default();
            entry.1 += 1;
            if in_top(&item.id) {
                entry.0 += 1;
            }
        }
    }
    f
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn print(what: &str, f: &Figures) {
    let (hit, all) = f
        .cross
        .values()
        .fold((0, 0), |(h, a), (x, y)| (h + x, a + y));
    println!(
        "{what:<28} nDCG@5 {:.3}   recall@10 {:.3}   cross-language recall@10 {:.3} ({hit}/{all})",
        mean(&f.ndcg5),
        mean(&f.recall10),
        hit as f64 / all.max(1) as f64
    );
    let pairs: Vec<String> = f
        .cross
        .iter()
        .map(|((a, b), (h, n))| format!("{a}→{b} {h}/{n}"))
        .collect();
    println!("{:<28} per pair: {}", "", pairs.join(" · "));
}

fn texts_hash(texts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    texts.hash(&mut h);
    h.finish()
}

fn read_cache(path: &Path, n: usize) -> Option<Vec<Vec<f32>>> {
    let text = std::fs::read_to_string(path).ok()?;
    let vectors: Vec<Vec<f32>> = text
        .lines()
        .map(|l| l.split(' ').filter_map(|x| x.parse().ok()).collect())
        .collect();
    (vectors.len() == n).then_some(vectors)
}

/// The weights were chosen on this set, over the grid below; so that the figures are not
/// only the fit: chosen on half the needs, how they do on the other half.
fn held_out(needs: &[Item], pool: &[Item], grades: &HashMap<(String, String), u8>, today: Date) {
    let w = matching::WEIGHTS;
    let mut grid = Vec::new();
    for same_kind in [0.1, 0.15, 0.225, 0.3, 0.45] {
        for content_at_most in [0.8, 1.0] {
            for meaning in [0.3, 0.45, 0.6, 0.8] {
                for concept in [0.2, 0.3, 0.45] {
                    for word in [0.04, 0.08, 0.15] {
                        grid.push(matching::Weights {
                            same_kind,
                            related_kind: same_kind * 0.55,
                            content_at_most,
                            meaning,
                            concept,
                            concepts_at_most: concept * 1.5,
                            word,
                            ..w
                        });
                    }
                }
            }
        }
    }
    let halves: [Vec<&Item>; 2] = [
        needs.iter().step_by(2).collect(),
        needs.iter().skip(1).step_by(2).collect(),
    ];
    let subset = |half: &[&Item]| -> Vec<Item> {
        half.iter()
            .map(|i| Item {
                id: i.id.clone(),
                lang: i.lang.clone(),
                candidate: i.candidate.clone(),
            })
            .collect()
    };
    let halves = [subset(&halves[0]), subset(&halves[1])];
    for (fit, check) in [(0, 1), (1, 0)] {
        let best = grid
            .iter()
            .max_by(|a, b| {
                let score = |w: &matching::Weights| {
                    mean(&evaluate(&halves[fit], pool, grades, today, w).ndcg5)
                };
                score(a).total_cmp(&score(b))
            })
            .copied()
            .unwrap_or(w);
        print(
            &format!("held out (half {})", check + 1),
            &evaluate(&halves[check], pool, grades, today, &best),
        );
        println!("{:<28} chosen on the other half: {best:?}", "");
    }
}

fn model_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("IVEJ_E5_MODEL") {
        return Some(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let path = target.join("models/e5-small-q4.bin");
    path.exists().then_some(path)
}

fn main() {
    let today = Date::from_ymd(2026, 6, 1).expect("a date");
    let places: HashMap<String, GeoPoint> = rows("places.tsv")
        .into_iter()
        .map(|r| {
            let point = GeoPoint {
                lat: r[1].parse().expect("lat"),
                lon: r[2].parse().expect("lon"),
            };
            (r[0].clone(), point)
        })
        .collect();
    let mut pool = items("pool.tsv", &places, today);
    let mut needs = items("needs.tsv", &places, today);
    let grades: HashMap<(String, String), u8> = rows("grades.tsv")
        .into_iter()
        .map(|r| ((r[0].clone(), r[1].clone()), r[2].parse().expect("grade")))
        .collect();
    println!(
        "evaluation set: {} needs, a pool of {} ({} offers and services), {} graded pairs",
        needs.len(),
        pool.len(),
        pool.iter()
            .filter(|i| i.candidate.direction != Some(Direction::Need))
            .count(),
        grades.len()
    );
    let start = Instant::now();
    let lexical = evaluate(&needs, &pool, &grades, today, &matching::LEXICAL_WEIGHTS);
    println!(
        "lexical: all needs ranked in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    print("lexical (glossary, words)", &lexical);

    let Some(path) = model_path() else {
        println!("meaning model: not found (cargo xtask model); lexical figures only");
        return;
    };
    let start = Instant::now();
    let model = ivej_meaning::Model::load(&path).expect("the meaning model");
    println!(
        "meaning model: loaded in {:.0} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    let texts: Vec<&str> = pool
        .iter()
        .chain(needs.iter())
        .map(|i| i.candidate.text.as_str())
        .collect();
    // One post read alone, as when a post is asked about before the background read it.
    let longest = texts
        .iter()
        .max_by_key(|t| t.len())
        .copied()
        .unwrap_or_default();
    let mut alone: Vec<f64> = (0..9)
        .map(|_| {
            let start = Instant::now();
            ivej_node::meaning::embed_posts(&model, &[longest]);
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    alone.sort_by(f64::total_cmp);
    println!(
        "meaning model: the set's longest post ({} words) read alone in {:.1} ms (median of 9)",
        longest.split_whitespace().count(),
        alone[alone.len() / 2]
    );
    // Read once per model and set: kept beside the model, by the texts' hash.
    let cache = path.with_file_name(format!("eval-vectors-{:016x}.tsv", texts_hash(&texts)));
    let vectors = match read_cache(&cache, texts.len()) {
        Some(vectors) => {
            println!(
                "meaning model: the set's {} texts as read before ({})",
                texts.len(),
                cache.display()
            );
            vectors
        }
        None => {
            let start = Instant::now();
            let vectors = ivej_node::meaning::embed_posts(&model, &texts);
            let took = start.elapsed();
            println!(
                "meaning model: {} texts embedded in {:.1} s ({:.1} ms each)",
                texts.len(),
                took.as_secs_f64(),
                took.as_secs_f64() * 1e3 / texts.len() as f64
            );
            let lines: Vec<String> = vectors
                .iter()
                .map(|v| {
                    v.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            let _ = std::fs::write(&cache, lines.join("\n"));
            vectors
        }
    };
    // Centred on each language's mean over the set's texts, as a node does over its board.
    let mut means = matching::LanguageMeans::default();
    for (item, vector) in pool.iter().chain(needs.iter()).zip(&vectors) {
        means.add(ivej_model::Lang::guess(&item.candidate.text), vector);
    }
    for (item, vector) in pool.iter_mut().chain(needs.iter_mut()).zip(&vectors) {
        item.candidate.meaning =
            means.centre(ivej_model::Lang::guess(&item.candidate.text), vector);
    }
    let start = Instant::now();
    let with_meaning = evaluate(&needs, &pool, &grades, today, &matching::WEIGHTS);
    println!(
        "lexical and meaning: all needs ranked in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    print("lexical and meaning", &with_meaning);
    // The weights chosen, beside alternatives: each changes one thing.
    let w = matching::WEIGHTS;
    let alternatives = [
        (
            "meaning counts half",
            matching::Weights {
                meaning: w.meaning / 2.0,
                ..w
            },
        ),
        (
            "meaning counts double",
            matching::Weights {
                meaning: w.meaning * 2.0,
                ..w
            },
        ),
        (
            "the same kind counts half",
            matching::Weights {
                same_kind: w.same_kind / 2.0,
                related_kind: w.related_kind / 2.0,
                ..w
            },
        ),
        (
            "content capped at 0.8",
            matching::Weights {
                content_at_most: 0.8,
                ..w
            },
        ),
        (
            "nearness counts double",
            matching::Weights {
                near: w.near * 2.0,
                ..w
            },
        ),
    ];
    for (what, weights) in alternatives {
        print(what, &evaluate(&needs, &pool, &grades, today, &weights));
    }
    if std::env::var_os("IVEJ_EVAL_GRID").is_some() {
        held_out(&needs, &pool, &grades, today);
    }
}
