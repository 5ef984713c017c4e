//! Lets people name records the way they see them: an organisation by its name, any
//! record by the first characters of its id (as git does with commits).

use anyhow::{bail, Result};
use ivej_node::Node;

/// An organisation by id, exact name, or a unique part of its name (any case).
pub fn org(node: &Node, given: &str) -> Result<String> {
    let all = node.organisations(None)?;
    if let Some(o) = all.iter().find(|o| o.id == given) {
        return Ok(o.id.clone());
    }
    let lower = given.trim().to_lowercase();
    if let Some(o) = all.iter().find(|o| o.name.to_lowercase() == lower) {
        return Ok(o.id.clone());
    }
    let matches: Vec<_> = all
        .iter()
        .filter(|o| o.name.to_lowercase().contains(&lower) || o.id.starts_with(given))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => bail!("no organisation called `{given}`; see `ivej org list`"),
        many => bail!(
            "`{given}` could be {}; be more specific",
            many.iter()
                .map(|o| o.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A record id from a unique prefix of the ids that exist.
pub fn id_prefix(what: &str, given: &str, ids: impl IntoIterator<Item = String>) -> Result<String> {
    let given = given.trim();
    if given.is_empty() {
        bail!("give the {what}'s id");
    }
    let matches: Vec<String> = ids.into_iter().filter(|id| id.starts_with(given)).collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        0 => bail!("no {what} with an id starting `{given}`"),
        n => bail!("{n} {what}s have ids starting `{given}`; give more characters"),
    }
}

pub fn post(node: &Node, given: &str) -> Result<String> {
    let all = node.list_posts(&ivej_model::PostFilter {
        statuses: ivej_model::PostStatus::ALL.to_vec(),
        ..Default::default()
    })?;
    id_prefix("post", given, all.into_iter().map(|p| p.post.id))
}

pub fn meeting(node: &Node, given: &str) -> Result<String> {
    id_prefix("meeting", given, node.meetings()?.into_iter().map(|m| m.id))
}

pub fn action(node: &Node, given: &str) -> Result<String> {
    id_prefix(
        "action",
        given,
        node.actions(false)?.into_iter().map(|a| a.id),
    )
}

pub fn collaboration(node: &Node, given: &str) -> Result<String> {
    id_prefix(
        "collaboration",
        given,
        node.collaborations()?.into_iter().map(|c| c.id),
    )
}

pub fn interest(node: &Node, given: &str) -> Result<String> {
    id_prefix(
        "interest",
        given,
        node.all_interests()?.into_iter().map(|i| i.id),
    )
}
