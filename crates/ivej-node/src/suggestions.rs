//! Suggestions for a post: the offers and services that may answer a need, the needs an
//! offer may answer, from what this device may read, ranked by `ivej_model::matching` with
//! the reasons a person checks before acting.
//!
//! The board's open posts are kept prepared (`SuggestCache`): a changed post is prepared
//! again when suggestions are next asked for, not the whole board, so suggestions stay
//! fresh as posts arrive by sync at the cost of the posts that changed.

use std::collections::{HashMap, HashSet};

use ivej_model::matching::{self, Candidate, Prepared, SuggestedKind};
pub use ivej_model::matching::{StreetSuggestion, SuggestionView};
use ivej_model::{NodeEvent, Organisation, PostFilter, PostStatus, PostView, Service};

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

/// One open post of the board, prepared, with how the reader names it.
#[derive(Debug, Clone)]
struct BoardPost {
    prepared: Prepared,
    title: String,
    by: Option<String>,
}

/// The board's open posts, prepared for matching, and what changed since.
#[derive(Debug, Default)]
pub(crate) struct SuggestCache {
    /// By post id; `None`: to be prepared whole (at first, or after a change that may
    /// touch every post: another street, an organisation's place or industries).
    posts: Option<HashMap<String, BoardPost>>,
    /// Posts changed since they were prepared.
    dirty: HashSet<String>,
    /// The organisations (places, industries, names) and the service directory, prepared;
    /// read from the street again after a change to either.
    context: Option<std::sync::Arc<Context>>,
    /// Moves whenever `context` is dropped (as `generation` for `posts`).
    context_generation: u64,
    /// Moves whenever `posts` is dropped, so a preparation begun before does not put back
    /// what the drop made stale.
    generation: u64,
}

impl SuggestCache {
    /// Notes what an event changed (called for every event the node emits).
    pub(crate) fn note(&mut self, event: &NodeEvent) {
        match event {
            NodeEvent::PostChanged { id } => {
                self.dirty.insert(id.clone());
            }
            NodeEvent::ServiceChanged { .. } => self.forget_context(),
            NodeEvent::StreetOpened
            | NodeEvent::StreetChanged
            | NodeEvent::OrganisationChanged { .. }
            | NodeEvent::MembershipChanged
            | NodeEvent::PrivateChanged => self.forget(),
            _ => {}
        }
    }

    fn forget_context(&mut self) {
        self.context = None;
        self.context_generation += 1;
    }

    pub(crate) fn forget(&mut self) {
        self.posts = None;
        self.forget_context();
        self.dirty.clear();
        self.generation += 1;
    }
}

/// What every suggestion reads beside the board.
#[derive(Debug)]
pub(crate) struct Context {
    orgs: HashMap<String, Organisation>,
    /// Each service prepared, with its name and who provides it.
    services: Vec<(Prepared, String, Option<String>)>,
}

fn is_on_board(view: &PostView) -> bool {
    matches!(view.status, PostStatus::Open | PostStatus::InDialogue)
}

fn board_post(view: &PostView, orgs: &HashMap<String, Organisation>) -> BoardPost {
    BoardPost {
        prepared: Prepared::new(post_candidate(view, orgs)),
        title: view.post.title.clone(),
        by: view.org_name.clone(),
    }
}

/// `target`'s best `limit` suggestions over the prepared board (and the directory, with
/// `services`).
fn rank(
    context: &Context,
    board: &HashMap<String, BoardPost>,
    target: &PostView,
    limit: usize,
    services: bool,
) -> Vec<SuggestionView> {
    let orgs = &context.orgs;
    let directory = context.services.iter().filter(|_| services);
    let candidates: Vec<&Prepared> = board
        .values()
        .map(|b| &b.prepared)
        .chain(directory.map(|(p, _, _)| p))
        .collect();
    let found = matching::suggest_prepared(
        &Prepared::new(post_candidate(target, orgs)),
        &candidates,
        clock::today(),
        limit,
    );
    let mut views = Vec::with_capacity(found.len());
    for suggestion in found {
        let (title, by) = match board.get(&suggestion.id) {
            Some(b) => (b.title.clone(), b.by.clone()),
            None => context
                .services
                .iter()
                .find(|(p, _, _)| p.candidate.id == suggestion.id)
                .map(|(_, name, by)| (name.clone(), by.clone()))
                .unwrap_or_default(),
        };
        views.push(SuggestionView {
            title,
            by,
            suggestion,
        });
    }
    views
}

impl Node {
    /// The best `limit` suggestions for post `post_id`, each with its reasons.
    pub fn suggestions(&self, post_id: &str, limit: usize) -> NodeResult<Vec<SuggestionView>> {
        let target = self.post(post_id)?;
        self.with_board(|context, board| rank(context, board, &target, limit, true))
    }

    /// For the facilitator, to broker introductions at the meeting: the best offer for
    /// each of the street's newest open needs (at most 50), best pairs first.
    pub fn street_suggestions(&self, limit: usize) -> NodeResult<Vec<StreetSuggestion>> {
        self.lock()?
            .require_facilitator("see suggestions for the whole street")?;
        let mut needs: Vec<PostView> = self
            .list_posts(&PostFilter::default())?
            .into_iter()
            .filter(|v| v.post.direction == ivej_model::Direction::Need)
            .collect();
        needs.sort_by_key(|v| std::cmp::Reverse(v.post.created_at));
        needs.truncate(50);
        self.with_board(|context, board| {
            let mut pairs: Vec<StreetSuggestion> = needs
                .iter()
                .filter_map(|need| {
                    rank(context, board, need, 1, false)
                        .into_iter()
                        .next()
                        .and_then(|best| {
                            let offer_org = board
                                .get(&best.suggestion.id)?
                                .prepared
                                .candidate
                                .org_id
                                .clone();
                            Some(StreetSuggestion {
                                need_id: need.post.id.clone(),
                                need_title: need.post.title.clone(),
                                need_by: need.org_name.clone(),
                                need_org: need.post.org_id.clone(),
                                offer_org,
                                best,
                            })
                        })
                })
                .collect();
            pairs.sort_by(|a, b| {
                b.best
                    .suggestion
                    .score
                    .total_cmp(&a.best.suggestion.score)
                    .then(a.need_id.cmp(&b.need_id))
            });
            pairs.truncate(limit);
            pairs
        })
    }

    /// Runs `f` over the board, prepared (only what changed since is prepared again).
    fn with_board<T>(
        &self,
        f: impl FnOnce(&Context, &HashMap<String, BoardPost>) -> T,
    ) -> NodeResult<T> {
        // One preparation at a time: two asks at once would each take what changed, and
        // the later to finish would put back a board without the other's changes. `emit`
        // never takes this lock, so holding it while waiting for the state is safe.
        let _one_at_a_time = self
            .suggest_build
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (context, context_generation) = {
            let cache = self.suggest_cache();
            (cache.context.clone(), cache.context_generation)
        };
        let context = match context {
            Some(context) => context,
            None => {
                let st = self.lock()?;
                let street = st.street()?;
                let orgs: HashMap<String, Organisation> = street
                    .all::<Organisation>()
                    .into_iter()
                    .map(|o| (o.id.clone(), o))
                    .collect();
                let services = street
                    .all::<Service>()
                    .iter()
                    .map(|s| {
                        let by = if s.provider_name.is_empty() {
                            orgs.get(&s.provider_org).map(|o| o.name.clone())
                        } else {
                            Some(s.provider_name.clone())
                        };
                        (
                            Prepared::new(service_candidate(s, &orgs)),
                            s.name.clone(),
                            by,
                        )
                    })
                    .collect();
                let context = std::sync::Arc::new(Context { orgs, services });
                drop(st);
                // Kept unless a change came meanwhile: it made this one stale.
                let mut cache = self.suggest_cache();
                if cache.context_generation == context_generation {
                    cache.context = Some(context.clone());
                }
                context
            }
        };
        let orgs = &context.orgs;
        // The brokered copies of anonymous needs this device holds are never on the board;
        // which they are changes with any post, so it is read each time (a few documents).
        let held = self.lock()?.copies_of_held_needs();
        // Never holding the cache while waiting for the state: `emit`, which notes events
        // in the cache, is called with the state held.
        let (cached, dirty, generation) = {
            let mut cache = self.suggest_cache();
            (
                cache.posts.take(),
                std::mem::take(&mut cache.dirty),
                cache.generation,
            )
        };
        let board = match cached {
            Some(mut board) => {
                for id in dirty {
                    match self.post(&id) {
                        Ok(view) if is_on_board(&view) && !held.contains(&id) => {
                            board.insert(id, board_post(&view, orgs));
                        }
                        _ => {
                            board.remove(&id);
                        }
                    }
                }
                board
            }
            None => self
                .list_posts(&PostFilter::default())?
                .iter()
                .map(|v| (v.post.id.clone(), board_post(v, orgs)))
                .collect(),
        };
        let out = f(&context, &board);
        let mut cache = self.suggest_cache();
        if cache.generation == generation {
            cache.posts = Some(board);
        }
        Ok(out)
    }

    fn suggest_cache(&self) -> std::sync::MutexGuard<'_, SuggestCache> {
        // The cache holds nothing that a panic could leave half-made that matters: at
        // worst a post is prepared again.
        self.suggest_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use ivej_model::{Direction, OrgProfile, PostInput, PostPatch};

    use crate::tests::{member_of, new_node, street};

    fn titles(found: &[super::SuggestionView]) -> Vec<&str> {
        found.iter().map(|s| s.title.as_str()).collect()
    }

    /// The board is prepared once; posts that arrive, change or close after are seen at
    /// the next ask, each prepared again alone.
    #[test]
    fn suggestions_follow_posts_that_arrive_change_and_close() {
        let dir = tempfile::tempdir().unwrap();
        let node = new_node(dir.path());
        street(&node);
        let other = node
            .add_organisation(OrgProfile {
                name: "Jyväskylän Hitsaus Oy".into(),
                ..Default::default()
            })
            .unwrap();
        let need = node
            .create_post(PostInput::new(
                Direction::Need,
                "COL.SUB",
                "Svejsning af stålrammer",
            ))
            .unwrap();
        let offer = |title: &str| {
            let mut p = PostInput::new(Direction::Offer, "COL.SUB", title);
            p.on_behalf_of = Some(other.id.clone());
            node.create_post(p).unwrap()
        };
        let first = offer("Hitsauspalvelu");
        assert_eq!(
            titles(&node.suggestions(&need.id, 10).unwrap()),
            vec!["Hitsauspalvelu"]
        );
        // Prepared now: a new post comes in by its event, not a new preparation.
        let second = offer("Laserleikkaus ja hitsaus");
        assert_eq!(node.suggest_cache().dirty.len(), 1);
        let found = node.suggestions(&need.id, 10).unwrap();
        assert_eq!(found.len(), 2);
        assert!(node.suggest_cache().dirty.is_empty());
        assert!(node.suggest_cache().posts.is_some());
        // Changed: what it says now counts; closed: gone.
        node.edit_post(
            &second.id,
            PostPatch {
                title: Some("Varastotilaa".into()),
                ..Default::default()
            },
        )
        .unwrap();
        node.close_post(&first.id).unwrap();
        let found = node.suggestions(&need.id, 10).unwrap();
        assert_eq!(titles(&found), vec!["Varastotilaa"]);
        assert!(!found[0]
            .suggestion
            .reasons
            .iter()
            .any(|r| matches!(r, ivej_model::matching::Reason::SameConcept { .. })));
    }

    /// The street-wide list shows every member's needs paired: the facilitator's alone.
    #[test]
    fn only_the_facilitator_sees_the_street_wide_list() {
        let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let facilitator = new_node(d1.path());
        street(&facilitator);
        let member = member_of(&facilitator, d2.path(), "Alfa Maskiner");
        assert!(facilitator.street_suggestions(10).is_ok());
        assert!(matches!(
            member.street_suggestions(10),
            Err(crate::NodeError::NotAllowed(_))
        ));
    }
}
