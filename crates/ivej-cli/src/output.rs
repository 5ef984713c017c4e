//! How results and errors are printed: short lines for people, JSON for scripts.

use ivej_model::{
    ActionItem, Collaboration, Interest, Meeting, Organisation, PostView, Relationship,
    StreetSummary,
};
use ivej_node::{MinutesView, NodeError};
use serde::Serialize;

/// Prints `value` as JSON, or with `human` for people.
pub fn show<T: Serialize + ?Sized>(
    json: bool,
    value: &T,
    human: impl FnOnce(&T),
) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        human(value);
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..13).unwrap_or(id)
}

pub fn summary(s: &StreetSummary) {
    println!(
        "{} ({}, {})",
        s.street.name,
        s.street.kind.code(),
        s.street.region
    );
    if let Some(org) = &s.own_org {
        println!("You are: {}", org.name);
    }
    println!(
        "{} members, {} active posts, {} meetings",
        s.members, s.active_posts, s.meetings
    );
    if let Some(ch) = &s.street.current_challenge {
        println!("Current challenge: {ch}");
    }
    if s.damaged_chunks > 0 {
        println!(
            "Warning: {} stored chunks were damaged and kept aside; what they held comes back with the next sync.",
            s.damaged_chunks
        );
    }
}

pub fn organisation(o: &Organisation) {
    println!("{}  [{}]", o.name, o.id);
    if let Some(r) = &o.register {
        println!("  {}: {}", r.scheme.label(), r.value);
    }
    if !o.industries.is_empty() {
        let labels: Vec<String> = o
            .industries
            .iter()
            .map(|c| {
                let label = ivej_model::reference::division_of(c)
                    .and_then(ivej_model::reference::industry)
                    .map(|i| i.labels.en.as_str())
                    .unwrap_or("");
                format!("{c} {label}")
            })
            .collect();
        println!("  industry: {}", labels.join("; "));
    }
    if !o.address.is_empty() {
        println!("  address: {}", o.address);
    }
    if let Some(g) = o.geo {
        println!("  location: {:.4}, {:.4}", g.lat, g.lon);
    }
    if !o.languages.is_empty() {
        println!("  languages: {}", o.languages.join(", "));
    }
    if !o.cv.as_str().is_empty() {
        println!("  CV: {}", o.cv.as_str());
    }
    if o.left_at.is_some() {
        println!("  (has left the street)");
    }
}

pub fn organisations(list: &[Organisation]) {
    for o in list {
        let industry = o.industries.first().map(String::as_str).unwrap_or("-");
        println!("{}  {:<40} {}", short(&o.id), o.name, industry);
    }
    println!("{} organisations", list.len());
}

pub fn post(p: &PostView) {
    let post = &p.post;
    let kind = ivej_model::reference::post_kind(&post.kind)
        .map(|k| k.labels.en.as_str())
        .unwrap_or(post.kind.as_str());
    println!(
        "{} {}: {}  [{}]",
        post.direction.code(),
        kind,
        post.title,
        post.id
    );
    println!(
        "  by {}; {}; {}",
        p.org_name.as_deref().unwrap_or("(anonymous)"),
        p.status.code(),
        post.price.code()
    );
    if let Some(q) = &post.quantity {
        println!("  quantity: {} {}", q.amount, q.unit);
    }
    for w in &post.availability {
        let to = w.to.map(|d| d.to_string()).unwrap_or_else(|| "open".into());
        println!("  available: {} to {}", w.from, to);
    }
    if let Some(exp) = post.expires_on {
        println!(
            "  open until {exp}{}",
            if p.expiring_soon {
                " (expiring soon)"
            } else {
                ""
            }
        );
    }
    if !post.body.as_str().is_empty() {
        println!("  {}", post.body.as_str());
    }
}

pub fn posts(list: &[PostView]) {
    for p in list {
        let distance = p
            .distance_km
            .map(|d| format!(" {d:.1} km"))
            .unwrap_or_default();
        println!(
            "{}  {:<5} {:<16} {:<50} {}{}{}",
            short(&p.post.id),
            p.post.direction.code(),
            p.post.kind,
            p.post.title,
            p.org_name.as_deref().unwrap_or("(anonymous)"),
            distance,
            if p.expiring_soon {
                " (expiring soon)"
            } else {
                ""
            }
        );
    }
    println!("{} posts", list.len());
}

pub fn interests(list: &[Interest]) {
    for i in list {
        println!(
            "{}  {:?} from {}: {}",
            short(&i.id),
            i.status,
            short(&i.from_org),
            i.message
        );
    }
}

pub fn meeting(m: &Meeting) {
    println!("{}  {}  [{}]", m.starts_at, m.state.code(), m.id);
    println!("  {} minutes at {}", m.duration_minutes, m.location);
    for (_, item) in m.agenda_in_order() {
        println!("  - {} ({} min)", item.title, item.minutes);
    }
    if let Some(c) = &m.challenge {
        println!("  challenge: {c}");
    }
    println!("  present: {}", m.present_count());
}

pub fn meetings(list: &[Meeting]) {
    for m in list {
        println!(
            "{}  {}  {:<11} {}",
            short(&m.id),
            m.starts_at,
            m.state.code(),
            m.location
        );
    }
    println!("{} meetings", list.len());
}

pub fn minutes(m: &MinutesView) {
    if m.in_confidence {
        println!("(in confidence)");
    }
    println!("{}", m.text);
    for d in &m.decisions {
        println!("Decision: {}", d.text);
    }
}

pub fn actions(list: &[ActionItem]) {
    for a in list {
        let due = a.due.map(|d| format!(" due {d}")).unwrap_or_default();
        let done = if a.done_at.is_some() { "done" } else { "open" };
        println!("{}  {done}  {}{due}", short(&a.id), a.text);
    }
    println!("{} actions", list.len());
}

pub fn collaborations(list: &[Collaboration]) {
    for c in list {
        println!(
            "{}  {:<12} {:<15} {}",
            short(&c.id),
            c.stage.code(),
            c.kind.code(),
            c.title
        );
    }
    println!("{} collaborations", list.len());
}

pub fn relationships(list: &[Relationship]) {
    for r in list {
        println!(
            "{} - {}  {:?}{} since {}",
            short(&r.a),
            short(&r.b),
            r.kind,
            if r.baseline { " (baseline)" } else { "" },
            r.since
        );
    }
    println!("{} relationships", list.len());
}

pub fn peers(list: &[ivej_model::PeerStatus]) {
    let ago = |t: Option<i64>| match t {
        Some(ms) => {
            let secs = (ivej_node::clock::now_ms() - ms).max(0) / 1000;
            if secs < 120 {
                format!("{secs} s ago")
            } else if secs < 7200 {
                format!("{} min ago", secs / 60)
            } else {
                format!("{} h ago", secs / 3600)
            }
        }
        None => "never".into(),
    };
    for p in list {
        let state = if p.synced() {
            "synced".to_string()
        } else {
            let mut parts = vec![if p.connected { "connected" } else { "offline" }];
            if p.pending_out {
                parts.push("changes to send");
            }
            if p.pending_in {
                parts.push("changes to receive");
            }
            parts.join(", ")
        };
        println!(
            "{}  {}  seen {}  synced {}  {}",
            short(&p.device_id),
            match p.via {
                ivej_model::Via::Lan => "LAN",
                ivej_model::Via::Relay => "relay",
            },
            ago(p.last_seen),
            ago(p.last_synced),
            state
        );
    }
    println!("{} peers", list.len());
}

/// Text a peer wrote, without control characters: a name or a reason from another device
/// must not move the cursor or recolour the terminal.
pub fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

pub fn devices(list: &[ivej_model::ipc::DeviceView]) {
    for d in list {
        let mut line = format!(
            "{}  {:<11}  {}",
            short(&d.device_id),
            d.role.name(),
            clean(d.org_name.as_deref().unwrap_or(&d.org_id))
        );
        if !d.label.is_empty() {
            line.push_str(&format!("  ({})", clean(&d.label)));
        }
        if d.this_device {
            line.push_str("  [this device]");
        }
        if let Some(why) = &d.revoked {
            line.push_str(&format!("  REVOKED: {}", clean(why)));
        }
        println!("{line}");
    }
    println!("{} devices", list.len());
}

pub fn refusals(list: &[ivej_model::ipc::RefusalView]) {
    for r in list {
        println!(
            "{}  from {} ({})  {}: {}",
            ivej_model::Date::from_unix_ms(r.at),
            short(&r.device_id),
            clean(r.org_name.as_deref().unwrap_or("unknown organisation")),
            clean(&r.doc_id),
            clean(&r.reason)
        );
    }
    println!("{} refused", list.len());
}

/// Prints an error for people (or as `{code, message, fields}` JSON with `--json`).
pub fn print_error(err: &anyhow::Error, json: bool) {
    let node_error = err.chain().find_map(|e| e.downcast_ref::<NodeError>());
    if json {
        let api = node_error
            .map(NodeError::to_api)
            .unwrap_or(ivej_model::ApiError {
                code: ivej_model::ErrorCode::Internal,
                message: format!("{err:#}"),
                fields: Vec::new(),
            });
        let text = serde_json::to_string(&serde_json::json!({ "error": api }))
            .unwrap_or_else(|_| api.message.clone());
        eprintln!("{text}");
        return;
    }
    match node_error {
        Some(NodeError::Invalid(errors)) => {
            eprintln!("error: the input is not valid:");
            for e in &errors.0 {
                eprintln!("  {e}");
            }
        }
        _ => eprintln!("error: {err:#}"),
    }
}

pub fn meeting_view(v: &ivej_model::ipc::MeetingView) {
    meeting(&v.meeting);
    if let Some(host) = &v.host_name {
        println!("  host: {host}");
    }
    let present: Vec<&str> = v
        .attendance
        .iter()
        .filter(|a| a.present)
        .map(|a| a.name.as_str())
        .collect();
    println!("  present: {}", present.join(", "));
    if !v.minutes_text.is_empty() {
        println!(
            "  minutes{}:",
            if v.in_confidence {
                " (in confidence)"
            } else {
                ""
            }
        );
        for line in v.minutes_text.lines() {
            println!("    {line}");
        }
    }
    for d in &v.decisions {
        println!("  decision: {}", d.text);
    }
    for a in &v.actions {
        println!(
            "  action: {}{}",
            a.action.text,
            if a.action.done_at.is_some() {
                " (done)"
            } else {
                ""
            }
        );
    }
    for a in &v.carried_over {
        println!("  carried over: {}", a.action.text);
    }
    for p in &v.captured_posts {
        println!("  captured: {} {}", p.post.direction.code(), p.post.title);
    }
}

pub fn report(r: &ivej_model::report::Report) {
    let t = &r.targets;
    println!("{}", r.street_name);
    println!(
        "  collaborations agreed or realised: {} (target {}-{}), {} in all",
        r.collaborations_agreed, t.collaborations_min, t.collaborations_max, r.collaborations_total
    );
    println!(
        "  new relations per company: {:.1} (target {}-{}), {} new relations among {} companies",
        r.new_relations_per_company,
        t.relations_per_company_min,
        t.relations_per_company_max,
        r.new_relations,
        r.companies
    );
    println!(
        "  meetings held: {} ({} planned), on average {:.1} organisations present ({:.0} %)",
        r.meetings_held,
        r.meetings_planned,
        r.attendance_average,
        r.attendance_rate * 100.0
    );
    println!("  posts: {}, interests: {}", r.posts, r.interests);
}

pub fn service(v: &ivej_node::ServiceView) {
    let s = &v.service;
    println!("{}  [{}]", clean(&s.name), s.id);
    let provider = if s.provider_name.is_empty() {
        &v.listed_by
    } else {
        &s.provider_name
    };
    println!("  provider: {}", clean(provider));
    if !s.description.as_str().is_empty() {
        println!("  {}", clean(s.description.as_str()));
    }
    let phases: Vec<&str> = s.phases.iter().map(|p| p.code()).collect();
    let channels: Vec<&str> = s.channels.iter().map(|c| c.code()).collect();
    for (label, value) in [
        ("for", s.target_group.clone()),
        ("phases", phases.join(", ")),
        ("cost", s.cost.clone()),
        ("languages", s.languages.join(", ")),
        ("region", s.region.clone()),
        ("contact", s.contact.clone()),
        ("channels", channels.join(", ")),
        ("listed by", v.listed_by.clone()),
    ] {
        if !value.is_empty() {
            println!("  {label}: {}", clean(&value));
        }
    }
}

pub fn services(list: &[ivej_node::ServiceView]) {
    for v in list {
        let s = &v.service;
        let provider = if s.provider_name.is_empty() {
            &v.listed_by
        } else {
            &s.provider_name
        };
        println!(
            "{}  {}  ({}; {})",
            short(&s.id),
            clean(&s.name),
            clean(provider),
            s.languages.join(", ")
        );
    }
    println!("{} services", list.len());
}

/// A suggestion's reason, for people.
pub fn reason(r: &ivej_model::matching::Reason) -> String {
    use ivej_model::matching::Reason;
    let kind = |code: &str| {
        ivej_model::reference::post_kind(code)
            .map(|k| k.labels.en.clone())
            .unwrap_or_else(|| code.to_string())
    };
    match r {
        Reason::SameKind { code } => format!("same kind: {}", kind(code)),
        Reason::RelatedKind { code } => format!("related kind: {}", kind(code)),
        Reason::SameConcept {
            concept,
            ours,
            theirs,
        } => {
            if ours == theirs && *ours == concept.to_lowercase() {
                format!("'{ours}'")
            } else if ours == theirs {
                format!("'{ours}' ({})", concept.to_lowercase())
            } else {
                format!("'{ours}' ≈ '{theirs}' ≈ {}", concept.to_lowercase())
            }
        }
        Reason::SharedWords { words } => format!("both say {}", words.join(", ")),
        Reason::Near { km } => format!("{km} km"),
        Reason::RelatedIndustry { code } => format!("same industry (NACE {code})"),
        Reason::CloseInMeaning { similarity } => {
            format!("close in meaning ({:.0} %)", similarity * 100.0)
        }
        Reason::AvailableTogether => "available at the same time".into(),
        Reason::ExpiresSoon { on } => format!("expires {on}"),
    }
}

pub fn street_suggestions(list: &[ivej_node::StreetSuggestion]) {
    for s in list {
        let best = &s.best;
        println!(
            "{:.2}  {} ({})  <-  {} ({})",
            best.suggestion.score,
            clean(&s.need_title),
            s.need_by.as_deref().map(clean).unwrap_or_default(),
            clean(&best.title),
            best.by.as_deref().map(clean).unwrap_or_default(),
        );
        let reasons: Vec<String> = best.suggestion.reasons.iter().map(reason).collect();
        println!("      {}", clean(&reasons.join(" · ")));
    }
    println!("{} pairs to introduce", list.len());
}

pub fn suggestions(list: &[ivej_node::SuggestionView]) {
    for s in list {
        let kind = match s.suggestion.kind {
            ivej_model::matching::SuggestedKind::Post => "post",
            ivej_model::matching::SuggestedKind::Service => "service",
        };
        println!(
            "{:.2}  {}  {}  [{kind} {}]",
            s.suggestion.score,
            clean(&s.title),
            s.by.as_deref().map(clean).unwrap_or_default(),
            short(&s.suggestion.id)
        );
        let reasons: Vec<String> = s.suggestion.reasons.iter().map(reason).collect();
        println!("      {}", clean(&reasons.join(" · ")));
    }
    println!("{} suggestions", list.len());
}

pub fn dismissed_suggestions(list: &[ivej_node::DismissedSuggestion]) {
    for d in list {
        let kind = match d.kind {
            ivej_model::matching::SuggestedKind::Post => "post",
            ivej_model::matching::SuggestedKind::Service => "service",
        };
        println!("{}  [{kind} {}]", clean(&d.title), short(&d.suggested_id));
    }
    println!("{} dismissed", list.len());
}

pub fn relay(s: &ivej_model::ipc::RelayStatus) {
    let Some(relay) = &s.relay else {
        println!("No relay: this device syncs on the LAN only.");
        return;
    };
    println!("relay: {}", relay.address);
    println!("  key: {}", relay.key_hex());
    println!(
        "  {}",
        if s.connected {
            "connected"
        } else {
            "not connected (runs with `ivej serve` or the app)"
        }
    );
    if s.pending_out == 0 && s.pending_in == 0 {
        println!("  mailbox: nothing pending");
    } else {
        println!(
            "  mailbox: {} document(s) to put, {} bundle(s) to take",
            s.pending_out, s.pending_in
        );
    }
}
