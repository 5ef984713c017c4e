use ivej_model::{reference, Direction, Lang, PostView};
use yew::prelude::*;

use crate::format;
use crate::i18n::{tr, tr_args};

#[derive(Properties, PartialEq)]
pub struct PostCardProps {
    pub view: PostView,
    pub lang: Lang,
    pub onopen: Callback<String>,
    /// "Renew" on an expiring or expired post of one's own.
    #[prop_or_default]
    pub onrenew: Option<Callback<String>>,
}

/// An offer or need on the board.
#[function_component]
pub fn PostCard(props: &PostCardProps) -> Html {
    let lang = props.lang;
    let v = &props.view;
    let p = &v.post;
    let open = {
        let cb = props.onopen.clone();
        let id = p.id.clone();
        Callback::from(move |_: MouseEvent| cb.emit(id.clone()))
    };
    let direction = match p.direction {
        Direction::Offer => ("badge offer", tr(lang, "direction-offer")),
        Direction::Need => ("badge need", tr(lang, "direction-need")),
    };
    let kind = reference::post_kind(&p.kind)
        .map(|k| k.labels.get(lang).to_string())
        .unwrap_or_else(|| p.kind.clone());
    let renew = props.onrenew.as_ref().map(|cb| {
        let cb = cb.clone();
        let id = p.id.clone();
        Callback::from(move |e: MouseEvent| {
            e.stop_propagation();
            cb.emit(id.clone());
        })
    });
    html! {
        <article class="post-card" data-id={p.id.clone()} onclick={open}>
            <div class="card-top">
                <span class={direction.0}>{ direction.1 }</span>
                <span class="kind">{ kind }</span>
                if let Some(km) = v.distance_km {
                    <span class="distance">{ format::distance(lang, km) }</span>
                }
            </div>
            <h3 class="post-title">{ &p.title }</h3>
            <div class="card-meta muted">
                <span class="author">{ v.org_name.clone().unwrap_or_else(|| tr(lang, "post-anonymous")) }</span>
                if let Some(q) = &p.quantity {
                    <span>{ format!("{} {}", format::amount(lang, q.amount), q.unit) }</span>
                }
                if let Some(exp) = p.expires_on {
                    <span>{ tr_args(lang, "post-expires", &[("date", format::date(lang, exp).into())]) }</span>
                }
            </div>
            if v.status == ivej_model::PostStatus::Expired {
                <div class="flag expired">{ tr(lang, "post-expired") }</div>
            } else if v.expiring_soon {
                <div class="flag expiring">{ tr(lang, "post-expiring") }</div>
            }
            if let Some(onclick) = renew {
                <button class="renew secondary" {onclick}>{ tr(lang, "post-renew") }</button>
            }
        </article>
    }
}
