//! Use cases about offers and needs on the board, and interest in them.

use ivej_doc::PostsDoc;
use ivej_model::{
    Date, Interest, InterestStatus, LongText, NodeEvent, Post, PostFilter, PostInput, PostPatch,
    PostStatus, PostView, Problem, ValidationErrors, Visibility,
};
use ivej_store::{PostHit, PostQuery};

use crate::clock;
use crate::error::{NodeError, NodeResult};
use crate::state::State;
use crate::Node;

/// Days a post stays open when nobody says otherwise.
pub const DEFAULT_LIFETIME_DAYS: i64 = 60;

/// Whether `viewer` may see `post` (its visibility level).
fn visible_to_viewer(post: &Post, viewer: Option<&str>, facilitator: bool) -> bool {
    let own = viewer == Some(post.org_id.as_str());
    match post.visibility {
        Visibility::Street => true,
        Visibility::Private => own,
        Visibility::Facilitator => own || facilitator,
        Visibility::Named => {
            own || facilitator || viewer.is_some_and(|v| post.visible_to.iter().any(|o| o == v))
        }
    }
}

impl State {
    /// The post, wherever it is kept: the street document, or the private one for posts
    /// of private visibility (which never leave the company's own devices).
    pub(crate) fn find_post(&self, id: &str) -> NodeResult<Post> {
        if let Some(post) = self.street()?.get::<Post>(id)? {
            return Ok(post);
        }
        if let Some(private) = &self.private {
            if let Some(post) = private.get_post(id)? {
                return Ok(post);
            }
        }
        for doc in self.scoped.values() {
            if let Some(post) = doc.get_post(id)? {
                return Ok(post);
            }
        }
        Err(NodeError::NotFound {
            what: "post",
            id: id.to_string(),
        })
    }

    fn may_edit(&self, post: &Post) -> NodeResult<()> {
        if self.own_org_id()? == post.org_id {
            return Ok(());
        }
        self.require_facilitator("change another member's post")
    }

    /// Writes a post to the document its visibility belongs in (the street's; the private
    /// one; or the scoped one of its organisation for the facilitator only or for named
    /// organisations, which only their devices hold) and updates the board. A post whose
    /// visibility changed leaves the document it was in (what peers already received there
    /// cannot be recalled; the UI says so).
    pub(crate) fn save_post(&mut self, post: &Post) -> NodeResult<()> {
        let org_name = self.org_name(&post.org_id);
        let project = |w: &mut ivej_store::Writer<'_>| w.upsert_post(post, org_name.as_deref());
        let scope = match post.visibility {
            Visibility::Facilitator => Some(crate::scoped::scope_id(&post.org_id, &[])),
            Visibility::Named => Some(crate::scoped::scope_id(&post.org_id, &post.visible_to)),
            // The street sees the facilitator's copy (`crate::brokered`), never this.
            Visibility::Street if crate::brokered::is_anonymous_need(post) => {
                Some(crate::scoped::scope_id(&post.org_id, &[]))
            }
            Visibility::Private | Visibility::Street => None,
        };
        match (&post.visibility, &scope) {
            (Visibility::Private, _) => {
                let private = self.private.as_mut().ok_or(NodeError::NoStreet)?;
                private.put_post(post)?;
                self.persist_private(project)?;
            }
            (_, Some(scope)) => {
                self.scoped_mut(scope)?.put_post(post)?;
                self.persist_scoped(scope, project)?;
            }
            _ => {
                self.street_mut()?.put(post)?;
                self.persist_street(project)?;
            }
        }
        let in_street = post.visibility == Visibility::Street && scope.is_none();
        if !in_street && self.street_mut()?.remove::<Post>(&post.id)? {
            self.persist_street(|_| Ok(()))?;
        }
        if post.visibility != Visibility::Private {
            let private = self.private.as_mut().ok_or(NodeError::NoStreet)?;
            if private.remove_post(&post.id)? {
                self.persist_private(|_| Ok(()))?;
            }
        }
        let others: Vec<String> = self
            .scoped
            .keys()
            .filter(|k| Some(*k) != scope.as_ref())
            .cloned()
            .collect();
        for other in others {
            let removed = match self.scoped.get_mut(&other) {
                Some(doc) => doc.remove_post(&post.id)?,
                None => false,
            };
            if removed {
                self.persist_scoped(&other, |_| Ok(()))?;
            }
        }
        Ok(())
    }

    fn post_view(&self, hit: PostHit, today: Date) -> PostView {
        let expiring_soon = hit.post.expires_within(today, 7);
        PostView {
            org_name: hit.org_name,
            status: hit.status,
            distance_km: hit.distance_km,
            expiring_soon,
            post: hit.post,
        }
    }
}

impl Node {
    /// Posts an offer or a need (or saves it as a draft).
    pub fn create_post(&self, input: PostInput) -> NodeResult<Post> {
        let mut st = self.lock()?;
        let own = st.own_org_id()?.to_string();
        let org_id = match input.on_behalf_of.clone() {
            Some(other) if other != own => {
                st.require_facilitator("post for another member")?;
                st.street()?.require::<ivej_model::Organisation>(&other)?;
                other
            }
            _ => own,
        };
        let post = post_from_input(input, org_id, clock::now_ms(), clock::today());
        st.save_post(&post)?;
        if crate::brokered::is_anonymous_need(&post) {
            self.emit_all(st.broker_post(&post.id)?);
        }
        drop(st);
        self.emit(NodeEvent::PostChanged {
            id: post.id.clone(),
        });
        Ok(post)
    }

    pub fn edit_post(&self, id: &str, patch: PostPatch) -> NodeResult<Post> {
        self.change_post(id, |post| {
            patch.apply(post);
            Ok(())
        })
    }

    /// Renews a post for `days` more days from today (default [`DEFAULT_LIFETIME_DAYS`])
    /// and reopens it if it had expired.
    pub fn renew_post(&self, id: &str, days: Option<u32>) -> NodeResult<Post> {
        let days = i64::from(days.unwrap_or(DEFAULT_LIFETIME_DAYS as u32));
        if !(1..=366).contains(&days) {
            return Err(ValidationErrors::single("days", Problem::TooLarge { max: 366 }).into());
        }
        let today = clock::today();
        self.change_post(id, |post| {
            if matches!(post.status, PostStatus::Closed | PostStatus::Matched) {
                return Err(NodeError::NotAllowed(format!(
                    "the post is {}; reopen it by editing its status",
                    post.status.code()
                )));
            }
            post.expires_on = Some(today.add_days(days));
            if post.status == PostStatus::Expired {
                post.status = PostStatus::Open;
            }
            Ok(())
        })
    }

    pub fn close_post(&self, id: &str) -> NodeResult<Post> {
        self.change_post(id, |post| {
            if post.status == PostStatus::Closed {
                return Err(NodeError::AlreadyExists(
                    "the post is already closed".into(),
                ));
            }
            post.status = PostStatus::Closed;
            Ok(())
        })
    }

    fn change_post(
        &self,
        id: &str,
        change: impl FnOnce(&mut Post) -> NodeResult<()>,
    ) -> NodeResult<Post> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let mut post = st.find_post(id)?;
        st.may_edit(&post)?;
        let was_anonymous = crate::brokered::is_anonymous_need(&post);
        change(&mut post)?;
        post.updated_at = clock::now_ms().max(post.created_at);
        st.save_post(&post)?;
        if was_anonymous || crate::brokered::is_anonymous_need(&post) {
            self.emit_all(st.broker_post(&post.id)?);
        }
        drop(st);
        self.emit(NodeEvent::PostChanged { id: id.to_string() });
        Ok(post)
    }

    /// The board: posts matching `filter` that this organisation may see.
    pub fn list_posts(&self, filter: &PostFilter) -> NodeResult<Vec<PostView>> {
        let st = self.lock()?;
        let viewer = st.own_org.clone();
        let facilitator = st.is_facilitator()?;
        let today = clock::today();
        let query = PostQuery {
            filter,
            today: today.to_string(),
        };
        let hits = st.store.query_posts(&query)?;
        let held = st.copies_of_held_needs();
        Ok(hits
            .into_iter()
            .filter(|h| visible_to_viewer(&h.post, viewer.as_deref(), facilitator))
            .filter(|h| !held.contains(&h.post.id))
            .map(|h| st.post_view(h, today))
            .collect())
    }

    /// One post in full.
    pub fn post(&self, id: &str) -> NodeResult<PostView> {
        let st = self.lock()?;
        let post = st.find_post(id)?;
        let facilitator = st.is_facilitator()?;
        if !visible_to_viewer(&post, st.own_org.as_deref(), facilitator) {
            return Err(NodeError::NotFound {
                what: "post",
                id: id.to_string(),
            });
        }
        let today = clock::today();
        let org_name =
            if post.anonymous && !facilitator && st.own_org.as_deref() != Some(&post.org_id) {
                None
            } else {
                st.org_name(&post.org_id)
            };
        let hit = PostHit {
            status: post.status_on(today),
            org_name,
            distance_km: None,
            post,
        };
        Ok(st.post_view(hit, today))
    }

    /// "I am interested" in a post, with a short message to its author. Interest in an
    /// anonymous need goes through the facilitator: it is kept in this organisation's
    /// scope (its devices and the facilitator's), and the author learns who sent it only
    /// on accepting (`crate::brokered`).
    pub fn express_interest(&self, post_id: &str, message: &str) -> NodeResult<Interest> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let post = st.find_post(post_id)?;
        let from = st.own_org_id()?.to_string();
        if post.org_id == from || st.copies_of_held_needs().contains(post_id) {
            return Err(NodeError::NotAllowed("this is your own post".into()));
        }
        if !post.status.is_active() {
            return Err(NodeError::NotAllowed(format!(
                "the post is {} and takes no more interest",
                post.status.code()
            )));
        }
        // Interest in a copy goes through scopes; in an anonymous need an older version
        // left in the street, it stays there, brokered as it was.
        let via_scopes = crate::brokered::is_copy(&post);
        let brokered = via_scopes || post.anonymous;
        let interest = Interest {
            id: clock::new_id(),
            post_id: post_id.to_string(),
            from_org: from.clone(),
            message: message.trim().to_string(),
            status: InterestStatus::Sent,
            brokered,
            answer: String::new(),
            created_at: clock::now_ms(),
            answered_at: None,
            revealed_author: None,
        };
        let at = if via_scopes {
            InterestAt::Scoped(crate::scoped::scope_id(&from, &[]))
        } else {
            InterestAt::Street
        };
        st.put_interest(&at, &interest)?;
        if via_scopes {
            self.emit_all(st.broker_interest(&interest.id)?);
        }
        drop(st);
        self.emit(NodeEvent::InterestChanged {
            id: interest.id.clone(),
        });
        Ok(interest)
    }

    /// The author (or the facilitator, for brokered interest) accepts or declines.
    pub fn answer_interest(&self, id: &str, accept: bool, answer: &str) -> NodeResult<Interest> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let (mut at, mut interest) = st.find_interest(id)?;
        let mut post = st.find_post(&interest.post_id)?;
        if crate::brokered::is_copy(&post) {
            // Interest in an anonymous need's copy: its answer is kept with the need, in
            // its author's scope, where the facilitator answers for the author.
            st.require_facilitator("answer interest in another member's post")?;
            self.emit_all(st.broker_interest(id)?);
            let (forwarded_at, forwarded) = st.find_interest(&ivej_trust::brokered_id(id))?;
            post = st.find_post(&forwarded.post_id)?;
            (at, interest) = (forwarded_at, forwarded);
        }
        st.may_edit(&post)?;
        interest.status = if accept {
            InterestStatus::Accepted
        } else {
            InterestStatus::Declined
        };
        interest.answer = answer.trim().to_string();
        interest.answered_at = Some(clock::now_ms().max(interest.created_at));
        st.put_interest(&at, &interest)?;
        if interest.brokered {
            self.emit_all(st.broker_interest(&interest.id)?);
        }
        drop(st);
        self.emit(NodeEvent::InterestChanged {
            id: interest.id.clone(),
        });
        // Interest passed on through a scope: the facilitator's device reveals and relates
        // the two; here the sender is not known yet.
        if accept && interest.from_org != ivej_model::BROKERED_ORG {
            self.relate_on_interest(&interest)?;
        }
        Ok(interest)
    }

    /// Interest shown in a post, oldest first.
    pub fn interests(&self, post_id: &str) -> NodeResult<Vec<Interest>> {
        let mut all = self.all_interests()?;
        all.retain(|i| i.post_id == post_id);
        Ok(all)
    }

    pub fn interest(&self, id: &str) -> NodeResult<Interest> {
        Ok(self.lock()?.find_interest(id)?.1)
    }

    /// Every interest this device holds (the street's, and brokered interest in the
    /// scopes it holds), oldest first.
    pub fn all_interests(&self) -> NodeResult<Vec<Interest>> {
        let mut st = self.lock()?;
        st.load_scoped()?;
        let mut all: Vec<Interest> = st.street()?.all();
        for doc in st.scoped.values() {
            all.extend(doc.all::<Interest>());
        }
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    pub(crate) fn emit_all(&self, events: Vec<NodeEvent>) {
        for event in events {
            self.emit(event);
        }
    }
}

/// Where an interest is kept.
pub(crate) enum InterestAt {
    Street,
    Scoped(String),
}

impl State {
    pub(crate) fn find_interest(&mut self, id: &str) -> NodeResult<(InterestAt, Interest)> {
        if let Some(i) = self.street()?.get::<Interest>(id)? {
            return Ok((InterestAt::Street, i));
        }
        self.load_scoped()?;
        for (scope, doc) in &self.scoped {
            if let Some(i) = doc.get::<Interest>(id)? {
                return Ok((InterestAt::Scoped(scope.clone()), i));
            }
        }
        Err(NodeError::NotFound {
            what: "interest",
            id: id.to_string(),
        })
    }

    pub(crate) fn put_interest(&mut self, at: &InterestAt, interest: &Interest) -> NodeResult<()> {
        match at {
            InterestAt::Street => {
                self.street_mut()?.put(interest)?;
                self.persist_street(|_| Ok(()))
            }
            InterestAt::Scoped(scope) => {
                self.scoped_mut(scope)?.put(interest)?;
                self.persist_scoped(scope, |_| Ok(()))
            }
        }
    }
}

/// A new post from what the editor (or an import) sends, by `org_id`.
pub(crate) fn post_from_input(input: PostInput, org_id: String, now: i64, today: Date) -> Post {
    Post {
        id: clock::new_id(),
        org_id,
        direction: input.direction,
        kind: input.kind.trim().to_string(),
        title: input.title.trim().to_string(),
        body: LongText(input.body),
        quantity: input.quantity,
        location: input.location,
        availability: input.availability,
        price: input.price,
        visibility: input.visibility,
        visible_to: input.visible_to,
        anonymous: input.anonymous,
        status: if input.draft {
            PostStatus::Draft
        } else {
            PostStatus::Open
        },
        expires_on: Some(
            input
                .expires_on
                .unwrap_or_else(|| today.add_days(DEFAULT_LIFETIME_DAYS)),
        ),
        origin_meeting: input.origin_meeting,
        created_at: now,
        updated_at: now,
    }
}
