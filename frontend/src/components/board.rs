use ivej_model::reference::{self, NaceLevel};
use ivej_model::{Direction, Post, PostInput, PostView, StreetSummary};
use serde::Serialize;
use yew::prelude::*;

use crate::components::csv_import::CsvImport;
use crate::components::kind_picker::KindPicker;
use crate::components::post_card::PostCard;
use crate::dom::{checked, focus, value_of};
use crate::forms::board_filter::{BoardFilter, FilterAction, StatusChoice, DISTANCES};
use crate::hooks::use_app_state::AppHandle;
use crate::hooks::use_query::{use_query, Loaded};
use crate::i18n::{error_text, tr, tr_args};
use crate::ipc;
use crate::state::View;

#[derive(Properties, PartialEq)]
pub struct BoardProps {
    pub app: AppHandle,
    pub summary: StreetSummary,
}

#[derive(Serialize, Clone, PartialEq)]
struct ListArgs {
    filter: ivej_model::PostFilter,
}

#[derive(Serialize)]
struct IdArgs {
    id: String,
}

#[derive(Serialize)]
struct ShownArgs {
    posts: u32,
}

/// The exchange board: offers and needs as cards, with filters, search and sort.
#[function_component]
pub fn Board(props: &BoardProps) -> Html {
    let state = &props.app.state;
    let lang = state.lang;
    let filter = use_reducer(BoardFilter::default);
    let own = props.summary.own_org.as_ref();
    let own_geo = own.and_then(|o| o.geo);
    let own_id = own.map(|o| o.id.clone());
    let query = filter.query(own_geo, own_id.as_deref());
    let posts = use_query::<_, Vec<PostView>, _>(
        "list_posts",
        ListArgs {
            filter: query.clone(),
        },
        (query, state.revision),
    );
    // Keyboard shortcut: the search box takes the focus.
    use_effect_with(state.focus_search, |n| {
        if *n > 0 {
            focus("search");
        }
    });
    // Tell the shell once the board is first on screen (for the launch benchmark).
    {
        let count = posts.ready().map(|p| p.len());
        use_effect_with(count.is_some(), move |shown| {
            if *shown {
                wasm_bindgen_futures::spawn_local(async move {
                    let posts = u32::try_from(count.unwrap_or(0)).unwrap_or(u32::MAX);
                    let _ = ipc::call::<_, ()>("board_shown", &ShownArgs { posts }).await;
                });
            }
        });
    }

    let dispatch = |f: fn(String) -> FilterAction| {
        let filter = filter.clone();
        Callback::from(move |e: Event| filter.dispatch(f(value_of(&e))))
    };
    let on_text = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| filter.dispatch(FilterAction::Text(value_of(&e))))
    };
    let on_kind = {
        let filter = filter.clone();
        Callback::from(move |code: String| filter.dispatch(FilterAction::Kind(Some(code))))
    };
    let on_mine = {
        let filter = filter.clone();
        Callback::from(move |e: Event| filter.dispatch(FilterAction::OnlyMine(checked(&e))))
    };
    let reset = {
        let filter = filter.clone();
        Callback::from(move |_: MouseEvent| filter.dispatch(FilterAction::Reset))
    };
    let open = {
        let app = props.app.clone();
        Callback::from(move |id: String| app.navigate(View::Post(id)))
    };
    let renew = {
        let app = props.app.clone();
        Callback::from(move |id: String| {
            let app = app.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = ipc::call::<_, Post>("renew_post", &IdArgs { id }).await;
                app.reload();
            });
        })
    };
    let f = &*filter;
    let sections = reference::industries()
        .iter()
        .filter(|i| i.level == NaceLevel::Section);

    html! {
        <section class="board">
            if let Some(challenge) = &props.summary.street.current_challenge {
                <div class="challenge" id="challenge"><strong>{ tr(lang, "home-challenge") }{ " " }</strong>{ challenge }</div>
            }
            <div class="filters">
                <input id="search" type="search" class="search" value={f.text.clone()} oninput={on_text}
                    placeholder={tr(lang, "board-search")} title="Ctrl+F" />
                <select id="filter-direction" onchange={dispatch(|v| FilterAction::Direction(Direction::from_code(&v)))}>
                    <option value="" selected={f.direction.is_none()}>{ tr(lang, "filter-any-direction") }</option>
                    <option value="offer" selected={f.direction == Some(Direction::Offer)}>{ tr(lang, "direction-offers") }</option>
                    <option value="need" selected={f.direction == Some(Direction::Need)}>{ tr(lang, "direction-needs") }</option>
                </select>
                <KindPicker id="filter-kind" {lang} value={f.kind.clone().unwrap_or_default()} onchange={on_kind}
                    empty_label={tr(lang, "filter-any-kind")} />
                <select id="filter-industry" onchange={dispatch(|v| FilterAction::Industry(Some(v)))}>
                    <option value="" selected={f.industry.is_none()}>{ tr(lang, "filter-any-industry") }</option>
                    { for sections.map(|s| html! {
                        <option value={s.code.clone()} selected={f.industry.as_deref() == Some(s.code.as_str())}>{ s.labels.get(lang) }</option>
                    }) }
                </select>
                <select id="filter-distance" disabled={own_geo.is_none()} title={if own_geo.is_none() { tr(lang, "filter-distance-needs-location") } else { String::new() }}
                    onchange={dispatch(|v| FilterAction::Within(v.parse().ok()))}>
                    <option value="" selected={f.within_km.is_none()}>{ tr(lang, "filter-any-distance") }</option>
                    { for DISTANCES.iter().map(|km| html! {
                        <option value={km.to_string()} selected={f.within_km == Some(*km)}>{ tr_args(lang, "filter-within", &[("km", (*km as f64).into())]) }</option>
                    }) }
                </select>
                <select id="filter-status" onchange={dispatch(|v| FilterAction::Status(StatusChoice::from_code(&v)))}>
                    { for StatusChoice::ALL.iter().map(|s| html! {
                        <option value={s.code()} selected={f.status == *s}>{ tr(lang, &format!("status-choice-{}", s.code())) }</option>
                    }) }
                </select>
                <select id="sort" onchange={dispatch(|v| FilterAction::ByDistance(v == "distance"))}>
                    <option value="newest" selected={!f.by_distance}>{ tr(lang, "sort-newest") }</option>
                    <option value="distance" selected={f.by_distance} disabled={own_geo.is_none()}>{ tr(lang, "sort-distance") }</option>
                </select>
                <label class="inline"><input id="only-mine" type="checkbox" checked={f.only_mine} onchange={on_mine} />{ tr(lang, "filter-only-mine") }</label>
                if !f.is_default() {
                    <button id="reset-filters" class="link" onclick={reset}>{ tr(lang, "filter-reset") }</button>
                }
            </div>
            { match &*posts {
                Loaded::Pending => html! { <p class="muted">{ tr(lang, "loading") }</p> },
                Loaded::Failed(e) => html! { <p class="error">{ error_text(lang, e) }</p> },
                Loaded::Ready(list) if list.is_empty() => html! {
                    <div class="empty" id="board-empty">
                        <p>{ tr(lang, if f.is_default() { "board-empty" } else { "board-nothing-matches" }) }</p>
                    </div>
                },
                Loaded::Ready(list) => html! {
                    <>
                        <p class="muted count" id="board-count">{ tr_args(lang, "board-count", &[("n", (list.len() as f64).into())]) }</p>
                        <div class="cards" id="board-cards">
                            { for list.iter().map(|v| {
                                let mine = own_id.as_deref() == Some(v.post.org_id.as_str());
                                let renewable = mine && (v.expiring_soon || v.status == ivej_model::PostStatus::Expired);
                                html! {
                                    <PostCard key={v.post.id.clone()} view={v.clone()} {lang} onopen={open.clone()}
                                        onrenew={renewable.then(|| renew.clone())} />
                                }
                            }) }
                        </div>
                    </>
                },
            } }
            <details class="import" id="post-import">
                <summary class="muted">{ tr(lang, "posts-import") }</summary>
                <CsvImport<PostInput>
                    {lang}
                    input_id="posts-import"
                    label={tr(lang, "posts-import-file")}
                    preview="preview_post_import"
                    import="import_posts"
                    fields="import-post"
                    row={row_of_post(lang)}
                />
            </details>
        </section>
    }
}

/// A post of an import's preview: offer or need, kind and title.
fn row_of_post(lang: ivej_model::Lang) -> Callback<PostInput, String> {
    Callback::from(move |p: PostInput| {
        let kind = reference::post_kind(&p.kind)
            .map(|k| k.labels.get(lang).to_string())
            .unwrap_or(p.kind);
        let direction = match p.direction {
            Direction::Offer => tr(lang, "direction-offer"),
            Direction::Need => tr(lang, "direction-need"),
        };
        format!("{direction} · {kind} · {}", p.title)
    })
}
