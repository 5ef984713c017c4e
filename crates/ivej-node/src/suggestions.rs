//! Suggestions for a post: the offers and services that may answer a need, the needs an
//! offer may answer, from what this device may read, ranked by `ivej_model::matching` with
//! the reasons a person checks before acting.

use std::collections::HashMap;

pub use ivej_model::matching::SuggestionView;
use ivej_model::matching::{self, Candidate, SuggestedKind};
use ivej_model::{Organisation, PostFilter, PostView, Service};

use crate::{clock, Node, NodeResult};

fn post_candidate(view: &PostView, orgs: &HashMap<String, Organisation>) -> Candidate {
    let p = &view.post;
    let author = orgs.get(&p.org_id);
    Candidate {
        kind: SuggestedKind::Post,
        id: p.id.clone(),
        org_id: p.org_id.clone(),
        direction: Some(p.direction),
        code: p.kind.clone(),
        text: format!("{}\n{}", p.title, p.body.as_str()),
        location: p.location.or_else(|| author.and_then(|o| o.geo)),
        industries: author.map(|o| o.industries.clone()).unwrap_or_default(),
        availability: p.availability.clone(),
        expires_on: p.expires_on,
        active: view.status.is_active(),
    }
}

fn service_candidate(s: &Service, orgs: &HashMap<String, Organisation>) -> Candidate {
    Candidate {
        kind: SuggestedKind::Service,
        id: s.id.clone(),
        org_id: s.provider_org.clone(),
        direction: None,
        code: "SRV".into(),
        text: format!("{}\n{}\n{}", s.name, s.description.as_str(), s.target_group),
        location: None,
        industries: orgs
            .get(&s.provider_org)
            .map(|o| o.industries.clone())
            .unwrap_or_default(),
        availability: Vec::new(),
        expires_on: None,
        active: true,
    }
}

impl Node {
    /// The best `limit` suggestions for post `post_id`, each with its reasons.
    pub fn suggestions(&self, post_id: &str, limit: usize) -> NodeResult<Vec<SuggestionView>> {
        let target = self.post(post_id)?;
        let posts = self.list_posts(&PostFilter::default())?;
        let (orgs, services): (HashMap<String, Organisation>, Vec<Service>) = {
            let st = self.lock()?;
            let street = st.street()?;
            (
                street
                    .all::<Organisation>()
                    .into_iter()
                    .map(|o| (o.id.clone(), o))
                    .collect(),
                street.all::<Service>(),
            )
        };
        let mut candidates: Vec<Candidate> =
            posts.iter().map(|v| post_candidate(v, &orgs)).collect();
        candidates.extend(services.iter().map(|s| service_candidate(s, &orgs)));
        let found = matching::suggest(
            &post_candidate(&target, &orgs),
            &candidates,
            clock::today(),
            limit,
        );
        let titles: HashMap<&str, (&str, Option<String>)> = posts
            .iter()
            .map(|v| {
                (
                    v.post.id.as_str(),
                    (v.post.title.as_str(), v.org_name.clone()),
                )
            })
            .chain(services.iter().map(|s| {
                let by = if s.provider_name.is_empty() {
                    orgs.get(&s.provider_org).map(|o| o.name.clone())
                } else {
                    Some(s.provider_name.clone())
                };
                (s.id.as_str(), (s.name.as_str(), by))
            }))
            .collect();
        Ok(found
            .into_iter()
            .map(|suggestion| {
                let (title, by) = titles
                    .get(suggestion.id.as_str())
                    .cloned()
                    .unwrap_or(("", None));
                SuggestionView {
                    title: title.to_string(),
                    by,
                    suggestion,
                }
            })
            .collect())
    }
}
