//! Carries out one command against the node.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use ivej_model::{
    AvailabilityWindow, CollaborationValue, Contact, Direction, Lang, MeetingState, Origin,
    OriginKind, PostFilter, PostSort, Quantity, Recurrence, RegisterId,
};
use ivej_node::{
    CollaborationInput, CreateStreet, MeetingInput, Node, NodeOptions, OrgPatch, OrgProfile,
    PostInput, PostPatch,
};

use crate::cli::{
    Cli, CollabCommand, Command, DeviceCommand, InviteCommand, MeetingCommand, MemberCommand,
    ModelCommand, OrgCommand, PostCommand, PostFields, PostFilterArgs, ProfileArgs,
    ReferenceCommand, RelationCommand, RelayCommand,
};
use crate::{output, resolve};

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    match given {
        Some(dir) => Ok(dir),
        None => Ok(dirs::data_dir()
            .context("no data directory could be found; pass --data-dir")?
            .join("industrivej")),
    }
}

pub fn run(cli: Cli) -> Result<()> {
    let json = cli.json;
    if let Command::Reference(cmd) = cli.command {
        return reference(cmd, json);
    }
    if let Command::Relay(RelayCommand::Serve {
        listen,
        store,
        postgres,
        key_file,
        grace_days,
    }) = cli.command
    {
        let dir = data_dir(cli.data_dir)?;
        let storage = match (postgres, store) {
            (Some(url), _) => crate::relay::Storage::Postgres(url),
            (None, Some(path)) => crate::relay::Storage::Sqlite(path),
            (None, None) => crate::relay::Storage::Sqlite(dir.join("relay.sqlite")),
        };
        let key_file = key_file.unwrap_or_else(|| match &storage {
            crate::relay::Storage::Sqlite(path) => path.with_file_name("relay.key"),
            crate::relay::Storage::Postgres(_) => dir.join("relay.key"),
        });
        return crate::relay::serve(listen, storage, &key_file, grace_days);
    }
    if let Command::Model(ModelCommand::Install { file }) = &cli.command {
        return crate::model::install(file, json);
    }
    let mut options = NodeOptions::new(data_dir(cli.data_dir)?);
    options.lan_discovery = !cli.no_lan;
    options.meaning_model = ivej_node::meaning::find_model(&options.data_dir);
    let node = Node::open(options.clone()).with_context(|| {
        format!(
            "cannot open the data directory {}",
            options.data_dir.display()
        )
    })?;
    match cli.command {
        Command::Init(args) => {
            let org = profile(&args.profile)?;
            if org.name.trim().is_empty() {
                bail!("give your organisation's name with --org");
            }
            let summary = node.create_street(CreateStreet {
                name: args.street,
                kind: args.kind,
                region: args.region,
                languages: args.street_languages,
                org,
            })?;
            output::show(json, &summary, output::summary)
        }
        Command::Demo => output::show(json, &node.open_demo()?, output::summary),
        Command::Street => output::show(json, &node.summary()?, output::summary),
        Command::Org(cmd) => org(&node, cmd, json),
        Command::Post(cmd) => post(&node, cmd, json),
        Command::Meeting(cmd) => meeting(&node, cmd, json),
        Command::Collab(cmd) => collab(&node, cmd, json),
        Command::Relation(cmd) => relation(&node, cmd, json),
        Command::Report => output::show(json, &node.report()?, output::report),
        Command::Export { out, csv } => {
            let text = match csv {
                Some(table) => node.export_csv(table)?,
                None => serde_json::to_string_pretty(&node.export()?)?,
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    if !json {
                        println!("Exported to {}", path.display());
                    }
                }
                None if csv.is_some() => print!("{text}"),
                None => println!("{text}"),
            }
            Ok(())
        }
        Command::Invite(InviteCommand::Create {
            device,
            uses,
            expires_in,
            role,
            address,
            qr,
        }) => {
            let invite = node.create_invite(ivej_node::InviteRequest {
                own_device: device,
                uses,
                expires_in_days: expires_in,
                role,
                address,
            })?;
            let code = invite.to_code();
            let qr_code = qrcode::QrCode::new(code.as_bytes())
                .context("the invite does not fit in a QR code")?;
            if let Some(path) = &qr {
                write_qr_picture(&qr_code, path)?;
            }
            output::show(json, &serde_json::json!({ "code": code }), |_| {
                println!("{code}");
                println!();
                println!(
                    "{}",
                    qr_code
                        .render::<qrcode::render::unicode::Dense1x2>()
                        .quiet_zone(true)
                        .build()
                );
                println!(
                    "Hand this code over in person: whoever has it can join the street \
                     ({uses} device(s), within {expires_in} days)."
                );
            })
        }
        Command::Join { code, profile: p } => {
            let invite = ivej_model::Invite::from_code(&code)?;
            let profile = if !ivej_node::invite_founds_organisation(&invite) {
                None
            } else {
                let org = profile(&p)?;
                if org.name.trim().is_empty() {
                    bail!("give your organisation's name with --org");
                }
                Some(org)
            };
            node.join(&invite, profile)?;
            if !json {
                println!("Joined. Run `ivej serve` (or start the app) to sync with the others.");
            }
            Ok(())
        }
        Command::Member(MemberCommand::Remove { org }) => {
            let id = resolve::org(&node, &org)?;
            let removed = node.remove_member(&id)?;
            output::show(json, &removed, |o| {
                println!(
                    "Removed {}: its devices are refused from now on. What it already \
                     received cannot be recalled.",
                    output::clean(&o.name)
                );
            })
        }
        Command::Device(DeviceCommand::List) => {
            let devices = node.devices()?;
            output::show(json, &devices, |list| output::devices(list))
        }
        Command::Device(DeviceCommand::Revoke { device }) => {
            let id = resolve::id_prefix(
                "device",
                &device,
                node.devices()?.into_iter().map(|d| d.device_id),
            )?;
            node.revoke_device(&id)?;
            output::show(json, &serde_json::json!({ "revoked": id }), |_| {
                println!(
                    "Revoked device {id}: peers refuse it from now on. What it already \
                     received cannot be recalled."
                );
            })
        }
        Command::Refused => {
            let refusals = node.refusals()?;
            output::show(json, &refusals, |list| output::refusals(list))
        }
        Command::Serve { listen, peers } => {
            let lan = options.lan_discovery && node.lan_discovery_enabled()?;
            let listen = listen.unwrap_or_else(|| ivej_net::default_listen(lan));
            serve(node, listen, peers, lan)
        }
        Command::Lan { state } => {
            node.set_lan_discovery(state == "on")?;
            if !json {
                println!("LAN discovery is {state} for this device.");
            }
            Ok(())
        }
        Command::Sync { peer, timeout } => sync_now(node, &peer, timeout, json),
        Command::Peers => {
            output::show(json, node.peer_statuses()?.as_slice(), output::peers)?;
            // What waits in the mailbox is not any one peer's: said apart, never hidden.
            let relay = node.relay_status()?;
            if !json && relay.relay.is_some() {
                output::relay(&relay);
            }
            Ok(())
        }
        Command::AddPeer { address } => {
            node.add_peer_address(&address)?;
            Ok(())
        }
        Command::Relay(cmd) => crate::relay::device(&node, cmd, json),
        Command::Model(_) => crate::model::status(&node, json),
        Command::Service(cmd) => crate::service::run(&node, cmd, json),
        Command::Suggest {
            post: Some(post),
            limit,
            dismiss,
            restore,
            dismissed,
            ..
        } => {
            let id = crate::resolve::post(&node, &post)?;
            crate::model::read_meanings(&node)?;
            if let Some(given) = dismiss {
                let shown = node.suggestions(&id, usize::MAX)?;
                let ids = shown.into_iter().map(|s| s.suggestion.id);
                let suggested = crate::resolve::id_prefix("suggestion", &given, ids)?;
                node.dismiss_suggestion(&id, &suggested)?;
            }
            if let Some(given) = restore {
                let set_aside = node.dismissed_suggestions(&id)?;
                let ids = set_aside.into_iter().map(|d| d.suggested_id);
                let suggested = crate::resolve::id_prefix("dismissed suggestion", &given, ids)?;
                node.restore_suggestion(&id, &suggested)?;
            }
            if dismissed {
                return output::show(json, &node.dismissed_suggestions(&id)?, |l| {
                    output::dismissed_suggestions(l)
                });
            }
            output::show(json, &node.suggestions(&id, limit)?, |l| {
                output::suggestions(l)
            })
        }
        Command::Suggest {
            post: None, limit, ..
        } => {
            crate::model::read_meanings(&node)?;
            output::show(json, &node.street_suggestions(limit)?, |l| {
                output::street_suggestions(l)
            })
        }
        Command::Reference(_) => Ok(()),
    }
}

fn sync_now(node: Node, peer: &str, timeout: u64, json: bool) -> Result<()> {
    use std::net::ToSocketAddrs;
    let addr = peer
        .to_socket_addrs()
        .with_context(|| format!("`{peer}` is not a reachable host:port"))?
        .next()
        .with_context(|| format!("`{peer}` resolves to no address"))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the network runtime")?;
    let node = std::sync::Arc::new(node);
    let report = runtime.block_on(async {
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let session = tokio::spawn(ivej_net::connect(node.clone(), addr, stop_rx));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
        let mut synced = false;
        while std::time::Instant::now() < deadline && !session.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            synced = node
                .peer_statuses()
                .map(|all| all.iter().any(|p| p.synced()))
                .unwrap_or(false);
            if synced {
                break;
            }
        }
        let _ = stop.send(true);
        let report = session.await.context("the sync session failed")??;
        if !synced {
            bail!("not everything was exchanged within {timeout} s; try again");
        }
        Ok::<_, anyhow::Error>(report)
    })?;
    output::show(
        json,
        &serde_json::json!({
            "peer_device": report.peer_device,
            "sent": report.messages_sent,
            "received": report.messages_received,
        }),
        |_| {
            println!(
                "Synced with {peer}: {} messages sent, {} received.",
                report.messages_sent, report.messages_received
            )
        },
    )
}

fn serve(node: Node, listen: std::net::SocketAddr, peers: Vec<String>, lan: bool) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the network runtime")?;
    runtime.block_on(async move {
        let node = std::sync::Arc::new(node);
        let server = ivej_net::serve(
            node,
            ivej_net::ServeOptions {
                listen,
                lan_discovery: lan,
                peers,
                ..Default::default()
            },
        )
        .await?;
        // A closed stderr must not kill a server: nobody may be reading its log.
        let _ = writeln!(
            std::io::stderr(),
            "serving on {}{}",
            server.local_addr(),
            if lan {
                " with LAN discovery"
            } else {
                " (LAN discovery off)"
            }
        );
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        server.shutdown().await;
        let _ = writeln!(std::io::stderr(), "stopped");
        Ok(())
    })
}

fn read_cv(args: &ProfileArgs) -> Result<Option<String>> {
    match (&args.cv, &args.cv_file) {
        (Some(cv), _) => Ok(Some(cv.clone())),
        (None, Some(path)) => {
            Ok(Some(std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the CV from {}", path.display())
            })?))
        }
        (None, None) => Ok(None),
    }
}

fn register(args: &ProfileArgs) -> Option<RegisterId> {
    match (args.register_scheme, &args.register_id) {
        (Some(scheme), Some(value)) => Some(RegisterId {
            scheme,
            value: value.trim().to_string(),
        }),
        _ => None,
    }
}

fn geo(args: &ProfileArgs) -> Option<ivej_model::GeoPoint> {
    match (args.lat, args.lon) {
        (Some(lat), Some(lon)) => Some(ivej_model::GeoPoint::new(lat, lon)),
        _ => None,
    }
}

fn profile(args: &ProfileArgs) -> Result<OrgProfile> {
    Ok(OrgProfile {
        name: args.name.clone().unwrap_or_default(),
        register: register(args),
        org_type: args.org_type,
        industries: args.industries.clone(),
        national_code: args.national_code.clone(),
        size_band: args.size,
        address: args.address.clone().unwrap_or_default(),
        municipality: args.municipality.clone().unwrap_or_default(),
        geo: geo(args),
        languages: args.languages.clone(),
        export_markets: args.export_markets.clone(),
        certifications: args.certifications.clone(),
        cv: read_cv(args)?.unwrap_or_default(),
        contact: Contact {
            name: args.contact_name.clone().unwrap_or_default(),
            email: args.contact_email.clone().unwrap_or_default(),
            phone: args.contact_phone.clone().unwrap_or_default(),
        },
    })
}

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn patch(node: &Node, args: &ProfileArgs) -> Result<OrgPatch> {
    let contact = if args.contact_name.is_some()
        || args.contact_email.is_some()
        || args.contact_phone.is_some()
    {
        let mut c = node.own_organisation()?.contact;
        if let Some(v) = &args.contact_name {
            c.name = v.clone();
        }
        if let Some(v) = &args.contact_email {
            c.email = v.clone();
        }
        if let Some(v) = &args.contact_phone {
            c.phone = v.clone();
        }
        Some(c)
    } else {
        None
    };
    Ok(OrgPatch {
        name: args.name.clone(),
        register: register(args),
        org_type: args.org_type,
        industries: non_empty(&args.industries),
        national_code: args.national_code.clone(),
        size_band: args.size,
        address: args.address.clone(),
        municipality: args.municipality.clone(),
        geo: geo(args),
        languages: non_empty(&args.languages),
        export_markets: non_empty(&args.export_markets),
        certifications: non_empty(&args.certifications),
        cv: read_cv(args)?,
        contact,
        clear: Vec::new(),
    })
}

fn org(node: &Node, cmd: OrgCommand, json: bool) -> Result<()> {
    match cmd {
        OrgCommand::Show { org } => {
            let o = match org {
                Some(given) => node.organisation(&resolve::org(node, &given)?)?,
                None => node.own_organisation()?,
            };
            output::show(json, &o, output::organisation)
        }
        OrgCommand::Set(args) => {
            let patch = patch(node, &args)?;
            if patch.is_empty() {
                bail!("nothing to change: give at least one field, such as --cv or --address");
            }
            output::show(
                json,
                &node.update_own_organisation(patch)?,
                output::organisation,
            )
        }
        OrgCommand::Add(args) => {
            let p = profile(&args)?;
            output::show(json, &node.add_organisation(p)?, output::organisation)
        }
        OrgCommand::List { search } => {
            let list = node.organisations(search.as_deref())?;
            output::show(json, list.as_slice(), output::organisations)
        }
        OrgCommand::Import { file, dry_run } => {
            let bytes = read_file(&file)?;
            if dry_run {
                let rows = node.preview_member_import(&bytes)?;
                return output::show(json, &rows, |rows| {
                    for r in rows {
                        println!("{}", output::clean(&r.name));
                    }
                    println!("{} members would be added", rows.len());
                });
            }
            let report = node.import_members(&bytes)?;
            output::show(json, &report, |r| {
                println!("Added {} members (read as {}).", r.imported, r.encoding);
            })
        }
    }
}

fn read_file(file: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn windows(fields: &PostFields) -> Option<Vec<AvailabilityWindow>> {
    fields.from.map(|from| {
        vec![AvailabilityWindow {
            from,
            to: fields.to,
            recurrence: if fields.weekly {
                Some(Recurrence::Weekly)
            } else if fields.monthly {
                Some(Recurrence::Monthly)
            } else {
                None
            },
            min_booking: None,
        }]
    })
}

fn quantity(fields: &PostFields) -> Option<Quantity> {
    match (fields.quantity, &fields.unit) {
        (Some(amount), Some(unit)) => Some(Quantity {
            amount,
            unit: unit.clone(),
        }),
        _ => None,
    }
}

fn orgs(node: &Node, given: &[String]) -> Result<Vec<String>> {
    given.iter().map(|g| resolve::org(node, g)).collect()
}

fn filter(node: &Node, args: &PostFilterArgs, text: Option<String>) -> Result<PostFilter> {
    let sort = match args.sort.as_str() {
        "newest" => PostSort::Newest,
        "distance" => PostSort::Distance,
        "relevance" => PostSort::Relevance,
        other => bail!("`{other}` is not a sort order; use newest, distance or relevance"),
    };
    let own = node.own_organisation()?;
    Ok(PostFilter {
        direction: if args.offers {
            Some(Direction::Offer)
        } else if args.needs {
            Some(Direction::Need)
        } else {
            None
        },
        kinds: args.kinds.clone(),
        industries: args.industries.clone(),
        near: args.near.or(own.geo),
        within_km: args.within_km,
        statuses: args.statuses.clone(),
        org_id: args.mine.then(|| own.id.clone()),
        sort: if text.is_some() && args.sort == "newest" {
            PostSort::Relevance
        } else {
            sort
        },
        text,
        limit: args.limit,
    })
}

fn post(node: &Node, cmd: PostCommand, json: bool) -> Result<()> {
    match cmd {
        PostCommand::Add {
            offer,
            need: _,
            fields,
            draft,
            on_behalf_of,
        } => {
            let direction = if offer {
                Direction::Offer
            } else {
                Direction::Need
            };
            let (Some(kind), Some(title)) = (&fields.kind, &fields.title) else {
                bail!("a post needs --kind and --title (see `ivej reference kinds`)");
            };
            let mut input = PostInput::new(direction, kind, title);
            input.body = fields.body.clone().unwrap_or_default();
            input.quantity = quantity(&fields);
            input.availability = windows(&fields).unwrap_or_default();
            input.price = fields.price.unwrap_or(input.price);
            input.visibility = fields.visibility.unwrap_or(input.visibility);
            input.visible_to = orgs(node, &fields.visible_to)?;
            input.anonymous = fields.anonymous;
            input.expires_on = fields.expires;
            input.draft = draft;
            input.on_behalf_of = on_behalf_of.map(|o| resolve::org(node, &o)).transpose()?;
            let created = node.create_post(input)?;
            let view = node.post(&created.id)?;
            output::show(json, &view, output::post)
        }
        PostCommand::Import { file, dry_run } => {
            let bytes = read_file(&file)?;
            if dry_run {
                let rows = node.preview_post_import(&bytes)?;
                return output::show(json, &rows, |rows| {
                    for r in rows {
                        println!("{}  {}", r.direction.code(), output::clean(&r.title));
                    }
                    println!("{} posts would be posted", rows.len());
                });
            }
            let report = node.import_posts(&bytes)?;
            output::show(json, &report, |r| {
                println!("Posted {} (read as {}).", r.imported, r.encoding);
            })
        }
        PostCommand::List(args) => {
            let list = node.list_posts(&filter(node, &args, None)?)?;
            output::show(json, list.as_slice(), output::posts)
        }
        PostCommand::Search { text, filter: args } => {
            let list = node.list_posts(&filter(node, &args, Some(text))?)?;
            output::show(json, list.as_slice(), output::posts)
        }
        PostCommand::Show { post } => {
            let id = resolve::post(node, &post)?;
            output::show(json, &node.post(&id)?, output::post)
        }
        PostCommand::Edit { post, fields } => {
            let id = resolve::post(node, &post)?;
            let patch = PostPatch {
                kind: fields.kind.clone(),
                title: fields.title.clone(),
                body: fields.body.clone(),
                quantity: quantity(&fields),
                location: None,
                availability: windows(&fields),
                price: fields.price,
                visibility: fields.visibility,
                visible_to: non_empty(&orgs(node, &fields.visible_to)?),
                anonymous: fields.anonymous.then_some(true),
                expires_on: fields.expires,
                status: None,
                clear: Vec::new(),
            };
            if patch == PostPatch::default() {
                bail!("nothing to change: give at least one field, such as --title");
            }
            node.edit_post(&id, patch)?;
            output::show(json, &node.post(&id)?, output::post)
        }
        PostCommand::Close { post } => {
            let id = resolve::post(node, &post)?;
            node.close_post(&id)?;
            output::show(json, &node.post(&id)?, output::post)
        }
        PostCommand::Renew { post, days } => {
            let id = resolve::post(node, &post)?;
            node.renew_post(&id, days)?;
            output::show(json, &node.post(&id)?, output::post)
        }
        PostCommand::Interest { post, message } => {
            let id = resolve::post(node, &post)?;
            let interest = node.express_interest(&id, &message)?;
            output::show(json, &interest, |i| println!("Interest sent [{}]", i.id))
        }
        PostCommand::Interests { post } => {
            let id = resolve::post(node, &post)?;
            let list = node.interests(&id)?;
            output::show(json, list.as_slice(), output::interests)
        }
        PostCommand::Answer {
            interest,
            accept,
            decline: _,
            message,
        } => {
            let id = resolve::interest(node, &interest)?;
            let answered = node.answer_interest(&id, accept, &message)?;
            output::show(json, &answered, |i| println!("Interest {:?}", i.status))
        }
    }
}

fn meeting(node: &Node, cmd: MeetingCommand, json: bool) -> Result<()> {
    match cmd {
        MeetingCommand::Plan {
            at,
            minutes,
            host,
            location,
            challenge,
        } => {
            let host_org = host.map(|h| resolve::org(node, &h)).transpose()?;
            let m = node.plan_meeting(MeetingInput {
                starts_at: at,
                duration_minutes: minutes,
                host_org,
                location,
                challenge,
                series_id: None,
            })?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::List => output::show(json, node.meetings()?.as_slice(), output::meetings),
        MeetingCommand::Show { meeting } => {
            let id = resolve::meeting(node, &meeting)?;
            output::show(json, &node.meeting(&id)?, output::meeting)
        }
        MeetingCommand::Attend {
            meeting,
            org,
            absent,
            people,
        } => {
            let id = resolve::meeting(node, &meeting)?;
            let org = resolve::org(node, &org)?;
            let m = node.record_attendance(&id, &org, !absent, people)?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::Minutes {
            meeting,
            set,
            append,
            file,
            confidential,
        } => {
            let id = resolve::meeting(node, &meeting)?;
            if let Some(path) = file {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                node.set_minutes_text(&id, &text)?;
            }
            if let Some(text) = set {
                node.set_minutes_text(&id, &text)?;
            }
            if let Some(text) = append {
                node.append_minutes(&id, &text)?;
            }
            if let Some(flag) = confidential {
                node.set_minutes_in_confidence(&id, flag)?;
            }
            output::show(json, &node.minutes(&id)?, output::minutes)
        }
        MeetingCommand::Decide { meeting, text } => {
            let id = resolve::meeting(node, &meeting)?;
            let d = node.add_decision(&id, &text)?;
            output::show(json, &d, |d| println!("Decision recorded [{}]", d.id))
        }
        MeetingCommand::Action {
            meeting,
            text,
            owner,
            due,
        } => {
            let id = resolve::meeting(node, &meeting)?;
            let owner = owner.map(|o| resolve::org(node, &o)).transpose()?;
            let a = node.add_action(&id, &text, owner.as_deref(), due)?;
            output::show(json, std::slice::from_ref(&a), output::actions)
        }
        MeetingCommand::Done { action } => {
            let id = resolve::action(node, &action)?;
            let a = node.complete_action(&id)?;
            output::show(json, std::slice::from_ref(&a), output::actions)
        }
        MeetingCommand::Actions { all } => {
            output::show(json, node.actions(!all)?.as_slice(), output::actions)
        }
        MeetingCommand::Start { meeting } => {
            let id = resolve::meeting(node, &meeting)?;
            let m = node.set_meeting_state(&id, MeetingState::InProgress)?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::Finish { meeting } => {
            let id = resolve::meeting(node, &meeting)?;
            let m = node.set_meeting_state(&id, MeetingState::Finalized)?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::Challenge { meeting, text } => {
            let id = resolve::meeting(node, &meeting)?;
            let m = node.set_challenge(&id, &text)?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::Series {
            name,
            first,
            count,
            cadence,
            minutes,
        } => {
            let (series, meetings) = node.plan_series(ivej_model::SeriesInput {
                name,
                first_starts_at: first,
                cadence_days: cadence,
                duration_minutes: minutes,
                count,
            })?;
            output::show(
                json,
                &serde_json::json!({ "series": series, "meetings": meetings }),
                |_| {
                    for m in &meetings {
                        output::meeting(m);
                    }
                },
            )
        }
        MeetingCommand::Host { meeting, org } => {
            let id = resolve::meeting(node, &meeting)?;
            let org = resolve::org(node, &org)?;
            output::show(json, &node.set_meeting_host(&id, &org)?, output::meeting)
        }
        MeetingCommand::Swap { a, b } => {
            let a = resolve::meeting(node, &a)?;
            let b = resolve::meeting(node, &b)?;
            let (ma, mb) = node.swap_hosts(&a, &b)?;
            output::show(json, &[ma.clone(), mb.clone()], |_| {
                output::meeting(&ma);
                output::meeting(&mb);
            })
        }
        MeetingCommand::Agenda {
            meeting,
            item,
            title,
            minutes,
        } => {
            let id = resolve::meeting(node, &meeting)?;
            let m = node.meeting(&id)?;
            let item_id = match item.parse::<usize>() {
                Ok(n) if n >= 1 => m
                    .agenda_in_order()
                    .get(n - 1)
                    .map(|(id, _)| (*id).clone())
                    .with_context(|| format!("the agenda has no item {n}"))?,
                _ => item,
            };
            let m = node.set_agenda_item(&id, &item_id, title.as_deref(), minutes)?;
            output::show(json, &m, output::meeting)
        }
        MeetingCommand::View { meeting } => {
            let id = resolve::meeting(node, &meeting)?;
            output::show(json, &node.meeting_view(&id)?, output::meeting_view)
        }
        MeetingCommand::Introduce {
            meeting,
            a,
            b,
            note,
        } => {
            let id = resolve::meeting(node, &meeting)?;
            let (a, b) = (resolve::org(node, &a)?, resolve::org(node, &b)?);
            let action = node.capture_introduction(&id, &a, &b, &note)?;
            output::show(json, &action, |a| println!("Action: {}", a.text))
        }
        MeetingCommand::Ical { out } => {
            let ics = node.meetings_ics()?;
            match out {
                Some(path) => std::fs::write(&path, ics)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{ics}"),
            }
            Ok(())
        }
    }
}

fn collab(node: &Node, cmd: CollabCommand, json: bool) -> Result<()> {
    match cmd {
        CollabCommand::Add {
            title,
            kind,
            orgs: given,
            stage,
            turnover,
            savings,
            jobs,
            origin,
            ref_id,
        } => {
            let origin_kind = match origin.as_str() {
                "post" => OriginKind::Post,
                "meeting" => OriginKind::Meeting,
                "introduction" => OriginKind::Introduction,
                "suggestion" => OriginKind::Suggestion,
                "other" => OriginKind::Other,
                other => bail!(
                    "`{other}` is not an origin; use post, meeting, introduction, suggestion or other"
                ),
            };
            let c = node.add_collaboration(CollaborationInput {
                title,
                kind,
                orgs: orgs(node, &given)?,
                stage,
                value: CollaborationValue {
                    turnover,
                    savings,
                    jobs,
                },
                origin: Origin {
                    kind: origin_kind,
                    ref_id,
                },
            })?;
            output::show(json, std::slice::from_ref(&c), output::collaborations)
        }
        CollabCommand::Stage {
            collab,
            stage,
            note,
        } => {
            let id = resolve::collaboration(node, &collab)?;
            let c = node.set_collaboration_stage(&id, stage, &note)?;
            output::show(json, std::slice::from_ref(&c), output::collaborations)
        }
        CollabCommand::List => output::show(
            json,
            node.collaborations()?.as_slice(),
            output::collaborations,
        ),
    }
}

fn relation(node: &Node, cmd: RelationCommand, json: bool) -> Result<()> {
    match cmd {
        RelationCommand::Add {
            a,
            b,
            kind,
            baseline,
        } => {
            let a = resolve::org(node, &a)?;
            let b = resolve::org(node, &b)?;
            let r = node.record_relationship(&a, &b, kind, baseline)?;
            output::show(json, std::slice::from_ref(&r), output::relationships)
        }
        RelationCommand::List => output::show(
            json,
            node.relationships()?.as_slice(),
            output::relationships,
        ),
    }
}

fn lang(code: &str) -> Result<Lang> {
    Lang::from_locale(code).with_context(|| format!("`{code}` is not one of da, sv, fi, en"))
}

fn reference(cmd: ReferenceCommand, json: bool) -> Result<()> {
    use ivej_model::reference;
    match cmd {
        ReferenceCommand::Kinds { lang: code } => {
            let lang = lang(&code)?;
            output::show(json, reference::post_kinds(), |kinds| {
                for k in kinds {
                    let indent = if k.parent.is_some() { "  " } else { "" };
                    println!("{indent}{:<18} {}", k.code, k.labels.get(lang));
                }
            })
        }
        ReferenceCommand::Industries { lang: code, search } => {
            let lang = lang(&code)?;
            let list: Vec<&reference::Industry> = match &search {
                Some(text) => reference::find_industries(text, lang),
                None => reference::industries().iter().collect(),
            };
            output::show(json, list.as_slice(), |list| {
                for i in list {
                    let indent = if i.section.is_some() { "  " } else { "" };
                    println!("{indent}{:<3} {}", i.code, i.labels.get(lang));
                }
            })
        }
    }
}

/// The invite's QR code as a picture to print or send: PNG when the file name ends in
/// `.png`, SVG otherwise.
fn write_qr_picture(qr_code: &qrcode::QrCode, path: &std::path::Path) -> Result<()> {
    let is_png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    let bytes = if is_png {
        let picture = qr_code
            .render::<image::Luma<u8>>()
            .min_dimensions(400, 400)
            .build();
        let mut png = std::io::Cursor::new(Vec::new());
        picture
            .write_to(&mut png, image::ImageFormat::Png)
            .context("cannot draw the QR code as PNG")?;
        png.into_inner()
    } else {
        qr_code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(256, 256)
            .build()
            .into_bytes()
    };
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
