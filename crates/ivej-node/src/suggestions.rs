//! Suggestions for a post: the offers and services that may answer a need, the needs an
//! offer may answer, from what this device may read, ranked by `ivej_model::matching` with
//! the reasons a person checks before acting.
//!
//! The board's open posts are kept prepared (`SuggestCache`): a changed post is prepared
//! again when suggestions are next asked for, not the whole board, so suggestions stay
//! fresh as posts arrive by sync at the cost of the posts that changed.

use std::collections::{HashMap, HashSet};

use ivej_model::matching::{self, Candidate, Prepared, SuggestedKind};
pub use ivej_model::matching::{
    DismissedSuggestion, StreetSuggestion, SuggestionNotice, SuggestionView,
};
use ivej_model::{NodeEvent, Organisation, PostFilter, PostStatus, PostView, Service};

use crate::{clock, Node, NodeResult};

/// What the matcher and the meaning model read of a post.
pub(crate) fn post_text(p: &ivej_model::Post) -> String {
    format!("{}\n{}", p.title, p.body.as_str())
}

/// What the matcher and the meaning model read of a service.
pub(crate) fn service_text(s: &Service) -> String {
    format!("{}\n{}\n{}", s.name, s.description.as_str(), s.target_group)
}

type Meaning = Option<std::sync::Arc<[f32]>>;

fn post_candidate(
    view: &PostView,
    orgs: &HashMap<String, Organisation>,
    meaning: Meaning,
) -> Candidate {
    let p = &view.post;
    let author = orgs.get(&p.org_id);
    Candidate {
        kind: SuggestedKind::Post,
        id: p.id.clone(),
        org_id: p.org_id.clone(),
        direction: Some(p.direction),
        code: p.kind.clone(),
        text: post_text(p),
        location: p.location.or_else(|| author.and_then(|o| o.geo)),
        industries: author.map(|o| o.industries.clone()).unwrap_or_default(),
        availability: p.availability.clone(),
        expires_on: p.expires_on,
        active: view.status.is_active(),
        meaning,
    }
}

fn service_candidate(
    s: &Service,
    orgs: &HashMap<String, Organisation>,
    meaning: Meaning,
) -> Candidate {
    Candidate {
        kind: SuggestedKind::Service,
        id: s.id.clone(),
        org_id: s.provider_org.clone(),
        direction: None,
        code: "SRV".into(),
        text: service_text(s),
        location: None,
        industries: orgs
            .get(&s.provider_org)
            .map(|o| o.industries.clone())
            .unwrap_or_default(),
        availability: Vec::new(),
        expires_on: None,
        active: true,
        meaning,
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
            | NodeEvent::MembershipChanged => self.forget(),
            // Private posts come with their own `PostChanged`; drafts, saved as the user
            // types, and dismissals change no post.
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

fn board_post(
    view: &PostView,
    orgs: &HashMap<String, Organisation>,
    meaning: Meaning,
) -> BoardPost {
    BoardPost {
        prepared: Prepared::new(post_candidate(view, orgs, meaning)),
        title: view.post.title.clone(),
        by: view.org_name.clone(),
    }
}

/// `target`'s best `limit` suggestions over the prepared board (and the directory, with
/// `services`).
fn rank(
    context: &Context,
    board: &HashMap<String, BoardPost>,
    target: &Prepared,
    limit: usize,
    services: bool,
) -> Vec<SuggestionView> {
    let directory = context.services.iter().filter(|_| services);
    let candidates: Vec<&Prepared> = board
        .values()
        .map(|b| &b.prepared)
        .chain(directory.map(|(p, _, _)| p))
        .collect();
    let found = matching::suggest_prepared(target, &candidates, clock::today(), limit);
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
    /// The best `limit` suggestions for post `post_id`, each with its reasons; none that
    /// the company dismissed for it.
    pub fn suggestions(&self, post_id: &str, limit: usize) -> NodeResult<Vec<SuggestionView>> {
        let target = self.post(post_id)?;
        let meaning = self.meaning_now(&post_text(&target.post));
        let dismissed = self.dismissed_for(&[post_id])?;
        let mut found = self.with_board(|context, board| {
            let target = Prepared::new(post_candidate(&target, &context.orgs, meaning));
            rank(
                context,
                board,
                &target,
                limit.saturating_add(dismissed.len()),
                true,
            )
        })?;
        found.retain(|s| !dismissed.contains(&(post_id.to_string(), s.suggestion.id.clone())));
        found.truncate(limit);
        Ok(found)
    }

    /// Sets `suggested_id` aside for `post_id`: not suggested for it again, on any of the
    /// company's devices.
    pub fn dismiss_suggestion(&self, post_id: &str, suggested_id: &str) -> NodeResult<()> {
        self.post(post_id)?;
        let dismissal = ivej_model::Dismissal {
            post_id: post_id.into(),
            suggested_id: suggested_id.into(),
            at: clock::now_ms(),
        };
        let mut st = self.lock()?;
        let private = st.private.as_mut().ok_or(crate::NodeError::NoStreet)?;
        private.dismiss(&dismissal)?;
        st.persist_private(|_| Ok(()))?;
        drop(st);
        self.emit(NodeEvent::PrivateChanged);
        self.emit(NodeEvent::SuggestionsChanged);
        Ok(())
    }

    /// Suggests `suggested_id` for `post_id` again.
    pub fn restore_suggestion(&self, post_id: &str, suggested_id: &str) -> NodeResult<()> {
        let mut st = self.lock()?;
        let private = st.private.as_mut().ok_or(crate::NodeError::NoStreet)?;
        if private.undismiss(post_id, suggested_id)? {
            st.persist_private(|_| Ok(()))?;
            drop(st);
            self.emit(NodeEvent::PrivateChanged);
            self.emit(NodeEvent::SuggestionsChanged);
        }
        Ok(())
    }

    /// What the company set aside for `post_id`, to show again.
    pub fn dismissed_suggestions(&self, post_id: &str) -> NodeResult<Vec<DismissedSuggestion>> {
        let ids: Vec<String> = self
            .dismissed_for(&[post_id])?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        Ok(ids
            .into_iter()
            .map(|id| {
                if let Ok(view) = self.post(&id) {
                    return DismissedSuggestion {
                        suggested_id: id,
                        kind: SuggestedKind::Post,
                        title: view.post.title,
                    };
                }
                let title = self
                    .service(&id)
                    .map(|s| s.service.name)
                    .unwrap_or_default();
                DismissedSuggestion {
                    suggested_id: id,
                    kind: SuggestedKind::Service,
                    title,
                }
            })
            .collect())
    }

    /// Whether post `changed`, just arrived or changed, is a new good suggestion for our
    /// open posts, each to be notified once on this device:
    /// - by another organisation, open, and posted in the last fortnight (the old posts
    ///   a first sync brings are not news);
    /// - scoring at least what its weights call good ([`matching::Weights::good`]) for
    ///   one of ours;
    /// - not dismissed for it, and not notified for it before on this device.
    pub fn suggestion_notices(&self, changed: &str) -> NodeResult<Vec<SuggestionNotice>> {
        const NEWS_FOR_MS: i64 = 14 * 24 * 3_600_000;
        let Ok(view) = self.post(changed) else {
            return Ok(Vec::new());
        };
        let own = self.own_org_id()?;
        if view.post.org_id == own
            || !is_on_board(&view)
            || view.post.created_at < clock::now_ms() - NEWS_FOR_MS
        {
            return Ok(Vec::new());
        }
        let ours: Vec<PostView> = self
            .list_posts(&PostFilter {
                org_id: Some(own),
                ..Default::default()
            })?
            .into_iter()
            .filter(is_on_board)
            .collect();
        if ours.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&str> = ours.iter().map(|v| v.post.id.as_str()).collect();
        let dismissed = self.dismissed_for(&ids)?;
        let orgs: HashMap<String, Organisation> = {
            let st = self.lock()?;
            st.street()?
                .all::<Organisation>()
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect()
        };
        let meaning = self.meaning_now(&post_text(&view.post));
        let candidate = Prepared::new(post_candidate(&view, &orgs, meaning));
        let candidates = [&candidate];
        let mut notices = Vec::new();
        for post in &ours {
            let pair = (post.post.id.clone(), view.post.id.clone());
            if dismissed.contains(&pair) {
                continue;
            }
            let ours = Prepared::new(post_candidate(
                post,
                &orgs,
                self.meaning_of(&post_text(&post.post)),
            ));
            let good = matching::weights_for(&ours, &candidate).good;
            let Some(suggestion) =
                matching::suggest_prepared(&ours, &candidates, clock::today(), 1)
                    .into_iter()
                    .find(|s| s.score >= good)
            else {
                continue;
            };
            let setting = format!("notified-suggestion.{} {}", pair.0, pair.1);
            let mut st = self.lock()?;
            if st.store.setting(&setting)?.is_some() {
                continue;
            }
            st.store.write(|w| w.set_setting(&setting, "1"))?;
            drop(st);
            notices.push(SuggestionNotice {
                post_id: post.post.id.clone(),
                post_title: post.post.title.clone(),
                suggestion: SuggestionView {
                    suggestion,
                    title: view.post.title.clone(),
                    by: view.org_name.clone(),
                },
            });
        }
        Ok(notices)
    }

    /// The dismissed pairs (post, suggested) for the posts `post_ids`.
    fn dismissed_for(&self, post_ids: &[&str]) -> NodeResult<HashSet<(String, String)>> {
        let st = self.lock()?;
        let Some(private) = st.private.as_ref() else {
            return Ok(HashSet::new());
        };
        Ok(private
            .dismissals()
            .into_iter()
            .filter(|d| post_ids.contains(&d.post_id.as_str()))
            .map(|d| (d.post_id, d.suggested_id))
            .collect())
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
        let ids: Vec<&str> = needs.iter().map(|v| v.post.id.as_str()).collect();
        let dismissed = self.dismissed_for(&ids)?;
        let meanings: Vec<Meaning> = needs
            .iter()
            .map(|n| self.meaning_of(&post_text(&n.post)))
            .collect();
        self.with_board(|context, board| {
            let mut pairs: Vec<StreetSuggestion> = needs
                .iter()
                .zip(meanings)
                .filter_map(|(need, meaning)| {
                    let id = &need.post.id;
                    let set_aside = dismissed.iter().filter(|(p, _)| p == id).count();
                    let target = Prepared::new(post_candidate(need, &context.orgs, meaning));
                    rank(context, board, &target, 1 + set_aside, false)
                        .into_iter()
                        .find(|s| !dismissed.contains(&(id.clone(), s.suggestion.id.clone())))
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
                            Prepared::new(service_candidate(
                                s,
                                &orgs,
                                self.meaning_of(&service_text(s)),
                            )),
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
                // The brokered copies of anonymous needs this device holds are never on
                // the board (`list_posts` leaves them out); which they are changes with
                // any post, so it is read for each round of changed posts. Not when
                // nothing changed: it hydrates every scoped document's posts (29 ms on
                // the 10,000-post street, which made every ask cost that).
                let held = if dirty.is_empty() {
                    HashSet::new()
                } else {
                    self.lock()?.copies_of_held_needs()
                };
                for id in dirty {
                    match self.post(&id) {
                        Ok(view) if is_on_board(&view) && !held.contains(&id) => {
                            let meaning = self.meaning_of(&post_text(&view.post));
                            board.insert(id, board_post(&view, orgs, meaning));
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
                .map(|v| {
                    let meaning = self.meaning_of(&post_text(&v.post));
                    (v.post.id.clone(), board_post(v, orgs, meaning))
                })
                .collect(),
        };
        let out = f(&context, &board);
        let mut cache = self.suggest_cache();
        if cache.generation == generation {
            cache.posts = Some(board);
        }
        Ok(out)
    }

    /// The meaning model read these posts (`false`) and services (`true`): each is
    /// prepared again at the next ask.
    pub(crate) fn suggestions_read_anew<'a>(&self, read: impl Iterator<Item = (&'a str, bool)>) {
        let mut cache = self.suggest_cache();
        for (id, service) in read {
            if service {
                cache.forget_context();
            } else {
                cache.dirty.insert(id.to_string());
            }
        }
    }

    /// Everything is to be prepared again (the meaning model's languages' means moved).
    pub(crate) fn suggestions_read_anew_all(&self) {
        self.suggest_cache().forget();
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

    /// A dismissal is the company's: kept across a restart, carried to its other devices,
    /// and undone by restoring; the facilitator's list skips a dismissed pair too.
    #[test]
    fn a_dismissed_suggestion_stays_away_on_every_device_of_the_company_until_restored() {
        let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        let need = a
            .create_post(PostInput::new(
                Direction::Need,
                "COL.SUB",
                "Svejsning af stålrammer",
            ))
            .unwrap();
        let offer = |title: &str| {
            f.create_post(PostInput::new(Direction::Offer, "COL.SUB", title))
                .unwrap()
        };
        let hitsaus = offer("Hitsauspalvelu");
        offer("Svetsning av ramar");
        crate::tests::sync_pair(&f, &a);
        assert_eq!(a.suggestions(&need.id, 10).unwrap().len(), 2);
        let invite = a
            .create_invite(crate::InviteRequest {
                own_device: true,
                ..Default::default()
            })
            .unwrap();
        let a2 = new_node(dirs[2].path());
        a2.join(&invite, None).unwrap();

        a.dismiss_suggestion(&need.id, &hitsaus.id).unwrap();
        assert_eq!(
            titles(&a.suggestions(&need.id, 10).unwrap()),
            ["Svetsning av ramar"]
        );
        let gone = a.dismissed_suggestions(&need.id).unwrap();
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].title, "Hitsauspalvelu");
        // The facilitator's own dismissal of the pair takes it off the street-wide list.
        let best = |n: &super::Node| -> Vec<String> {
            n.street_suggestions(10)
                .unwrap()
                .into_iter()
                .map(|p| p.best.title)
                .collect()
        };
        crate::tests::sync_pair(&f, &a);
        let before = best(&f);
        assert_eq!(before.len(), 1);
        f.dismiss_suggestion(
            &need.id,
            &f.suggestions(&need.id, 1).unwrap()[0].suggestion.id,
        )
        .unwrap();
        assert_ne!(best(&f), before);

        // Kept across a restart.
        drop(a);
        let a = new_node(dirs[1].path());
        assert_eq!(a.suggestions(&need.id, 10).unwrap().len(), 1);
        // Carried to the company's other device, which tells its screen.
        let mut events = a2.subscribe();
        crate::tests::sync_pair(&a, &a2);
        let mut told = false;
        while let Ok(event) = events.try_recv() {
            told |= event == ivej_model::NodeEvent::SuggestionsChanged;
        }
        assert!(told, "a dismissal that arrives says so");
        crate::tests::sync_pair(&f, &a2);
        assert_eq!(
            titles(&a2.suggestions(&need.id, 10).unwrap()),
            ["Svetsning av ramar"]
        );
        // Restored on one device, suggested again on both.
        a2.restore_suggestion(&need.id, &hitsaus.id).unwrap();
        crate::tests::sync_pair(&a, &a2);
        assert_eq!(a.suggestions(&need.id, 10).unwrap().len(), 2);
        assert!(a.dismissed_suggestions(&need.id).unwrap().is_empty());
    }

    /// A good new post for one of ours is notified once; an old one that a first sync
    /// brings, a weak one, our own and a dismissed one are not.
    #[test]
    fn a_new_good_suggestion_for_our_post_is_notified_once() {
        let dirs: Vec<_> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner");
        let need = a
            .create_post(PostInput::new(
                Direction::Need,
                "CAP.MACH.WELD",
                "Svejsning af rustfrit stål",
            ))
            .unwrap();
        let offer = |kind: &str, title: &str| {
            f.create_post(PostInput::new(Direction::Offer, kind, title))
                .unwrap()
        };
        let good = offer("CAP.MACH.WELD", "Hitsaus ruostumattomalle teräkselle");
        let weak = offer("CAP.SPACE", "Lagerhal til leje");
        let dismissed = offer("CAP.MACH.WELD", "Svetsning av rostfritt stål");
        crate::tests::sync_pair(&f, &a);
        a.dismiss_suggestion(&need.id, &dismissed.id).unwrap();
        let notices = a.suggestion_notices(&good.id).unwrap();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].post_title, "Svejsning af rustfrit stål");
        assert_eq!(
            notices[0].suggestion.title,
            "Hitsaus ruostumattomalle teräkselle"
        );
        assert!(
            notices[0].suggestion.suggestion.score >= ivej_model::matching::LEXICAL_WEIGHTS.good
        );
        // Once per device, even after a restart.
        assert!(a.suggestion_notices(&good.id).unwrap().is_empty());
        drop(a);
        let a = new_node(dirs[1].path());
        assert!(a.suggestion_notices(&good.id).unwrap().is_empty());
        assert!(a.suggestion_notices(&weak.id).unwrap().is_empty());
        assert!(a.suggestion_notices(&dismissed.id).unwrap().is_empty());
        assert!(a.suggestion_notices(&need.id).unwrap().is_empty());
        // The other way round: the need is news for both of the facilitator's welding
        // offers (a dismissal is only the company's that made it), not for its hall.
        let mut answered: Vec<String> = f
            .suggestion_notices(&need.id)
            .unwrap()
            .into_iter()
            .map(|n| n.post_title)
            .collect();
        answered.sort();
        assert_eq!(
            answered,
            [
                "Hitsaus ruostumattomalle teräkselle",
                "Svetsning av rostfritt stål"
            ]
        );
    }

    /// Drafts are saved as the user types: they must not make the whole board be prepared
    /// again.
    #[test]
    fn saving_a_draft_keeps_the_prepared_board() {
        let dir = tempfile::tempdir().unwrap();
        let node = new_node(dir.path());
        street(&node);
        let need = node
            .create_post(PostInput::new(Direction::Need, "COL.SUB", "Svejsning"))
            .unwrap();
        node.suggestions(&need.id, 5).unwrap();
        assert!(node.suggest_cache().posts.is_some());
        node.save_draft("post:new", "{\"title\":\"Sv\"}").unwrap();
        assert!(node.suggest_cache().posts.is_some());
    }
}
