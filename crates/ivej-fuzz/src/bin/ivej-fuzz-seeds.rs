//! Writes every fuzz target's seeds into the corpus folder given (`cargo xtask fuzz`).

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let corpus = std::env::args_os()
        .nth(1)
        .context("usage: ivej-fuzz-seeds CORPUS_DIR")?;
    ivej_fuzz::write_seeds(std::path::Path::new(&corpus))
        .with_context(|| format!("writing seeds into {}", corpus.to_string_lossy()))
}
