//! Who may write what: the one rule every change meets, this device's own before it is
//! stored and a peer's before it is taken.
//!
//! - A facilitator's device may write anything (acting for a member is recorded as such:
//!   the change is signed by the facilitator's device).
//! - An observer's device (a funder, a public body) reads, and writes nothing shared but
//!   its own organisation's profile (so the others see who reads along).
//! - A member's device writes the records its organisation is a party to, as they were
//!   before the change and as they are after it: its own organisation's profile, posts,
//!   services; interests it sent, and the answer (only) of interests on its posts; collaborations
//!   and relations it is in (an accepted interest records a relation, a member records a
//!   collaboration); actions it owns (to mark them done). The street record, series and
//!   meetings are the facilitator's. Minutes: the meeting's host and the organisations
//!   present. The private document: the organisation's own devices. A scoped document
//!   (posts for the facilitator or named organisations): its owner's devices, for its own
//!   posts; its readers only read.
//!
//! A record's parties are read from the document before and after, so a change cannot
//! take over a record (`org_id` from another organisation to its own) nor create one in
//! another organisation's name.

use ivej_doc::automerge::ChangeHash;
use ivej_doc::{Document, Touch};
use ivej_trust::{Identity, Role};

/// What the rule needs to know about the document beyond its content.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Street,
    /// The organisations that may write a meeting's minutes (host and those present).
    Minutes {
        parties: &'a [String],
    },
    /// The organisation whose private document it is.
    Private {
        org: &'a str,
    },
    /// The organisation whose posts a scoped document holds (its readers only read).
    Scoped {
        owner: &'a str,
    },
}

/// Whether `who` may make a change that touched `touches`, the document having been at
/// `before` ahead of it (the change's dependencies) and at `after` with it (the change
/// itself; `None`: as the document is now). Reading each change at its own heads, not the
/// whole message's, keeps one change from riding on another in the same message (adding
/// itself to a record another change of the message created). The reason when not.
pub(crate) fn may_write(
    doc: &Document,
    scope: Scope<'_>,
    who: &Identity,
    touches: &[Touch],
    before: &[ChangeHash],
    after: Option<&[ChangeHash]>,
) -> Result<(), String> {
    if let Scope::Private { org } = scope {
        return if who.org_id == org {
            Ok(())
        } else {
            Err("a change to another organisation's private document".into())
        };
    }
    let org = who.org_id.as_str();
    if let (Scope::Scoped { owner }, false) = (scope, who.role == Role::Facilitator) {
        if org != owner || who.role != Role::Member {
            return Err("a change to posts another organisation shares".into());
        }
        for touch in touches {
            match touch {
                Touch::Record {
                    collection,
                    key,
                    field,
                } if collection == "posts" || collection == "interests" => {
                    street_record(doc, org, collection, key, field.as_deref(), before, after)?;
                }
                other => return Err(format!("a change to a scoped document's {other:?}")),
            }
        }
        return Ok(());
    }
    match who.role {
        Role::Facilitator => return Ok(()),
        Role::Observer => {
            let own_profile = |t: &Touch| {
                matches!(t, Touch::Record { collection, key, .. }
                    if collection == "organisations" && key == org)
            };
            return if matches!(scope, Scope::Street) && touches.iter().all(own_profile) {
                Ok(())
            } else {
                Err("an observer's device writes nothing but its own profile".into())
            };
        }
        Role::Member => {}
    }
    for touch in touches {
        match (scope, touch) {
            (Scope::Minutes { parties }, _) => {
                // The owner's fixed change is recognised by hash before this; the meeting
                // id never changes after (`guarded_root_keys`).
                if let Touch::Root(key) = touch {
                    if key == "meeting_id" || key == "kind" || key == "schema_version" {
                        return Err(format!("a change to the minutes' `{key}`"));
                    }
                }
                if !parties.iter().any(|p| p == org) {
                    return Err(
                        "minutes written by an organisation that neither hosted nor attended"
                            .into(),
                    );
                }
            }
            (Scope::Street, Touch::Root(key)) => {
                return Err(format!(
                    "a change to the street's `{key}` (the facilitator's)"
                ));
            }
            (
                Scope::Street,
                Touch::Record {
                    collection,
                    key,
                    field,
                },
            ) => {
                street_record(doc, org, collection, key, field.as_deref(), before, after)?;
            }
            (Scope::Private { .. } | Scope::Scoped { .. }, _) => {}
        }
    }
    Ok(())
}

/// Fields of an interest that the author of its post writes when answering it.
const ANSWER_FIELDS: [&str; 3] = ["status", "answer", "answered_at"];

fn street_record(
    doc: &Document,
    org: &str,
    collection: &str,
    key: &str,
    field: Option<&str>,
    before: &[ChangeHash],
    after: Option<&[ChangeHash]>,
) -> Result<(), String> {
    let fields: &[&str] = match collection {
        "organisations" => {
            return if key == org {
                Ok(())
            } else {
                Err("a change to another organisation's profile".into())
            };
        }
        "posts" => &["org_id"],
        "interests" => &["from_org"],
        "actions" => &["owner_org"],
        "collaborations" => &["orgs"],
        "relationships" => &["a", "b"],
        "services" => &["provider_org"],
        "series" | "meetings" => {
            return Err(format!("a change to {collection} (the facilitator's)"));
        }
        other => return Err(format!("a change to an unknown collection `{other}`")),
    };
    let collection: &'static str = match collection {
        "posts" => "posts",
        "interests" => "interests",
        "actions" => "actions",
        "collaborations" => "collaborations",
        "relationships" => "relationships",
        _ => "services",
    };
    let parties = |heads: Option<&[ChangeHash]>| doc.parties(collection, key, fields, heads);
    let was = parties(Some(before));
    let is = parties(after);
    // An interest's post's author answers it: the answer's fields only, of an interest that
    // is there (it neither makes one in another's name nor rewrites its message).
    if collection == "interests" && !was.is_empty() && !was.iter().any(|p| p == org) {
        let owner = |heads: Option<&[ChangeHash]>| {
            doc.parties("interests", key, &["post_id"], heads)
                .into_iter()
                .flat_map(|post| doc.parties("posts", &post, &["org_id"], heads))
                .any(|p| p == org)
        };
        let answering = field.is_some_and(|f| ANSWER_FIELDS.contains(&f));
        return if answering && owner(Some(before)) && owner(after) && was == is {
            Ok(())
        } else {
            Err(format!("a change to interest `{key}` beyond answering it"))
        };
    }
    let was_ok = was.is_empty() || was.iter().any(|p| p == org);
    // Deleted (or emptied) is fine for a party; otherwise it must still be one.
    let is_ok = is.iter().any(|p| p == org) || (is.is_empty() && !was.is_empty());
    if was_ok && is_ok {
        Ok(())
    } else {
        Err(format!(
            "a change to {collection} `{key}` of another organisation"
        ))
    }
}
