//! Members and posts from a spreadsheet: the member list a facilitator keeps in Excel, and
//! the offers and needs collected on paper or in a survey. As with the service directory
//! (`services.rs`), every row is read and checked first, each problem is named
//! `rows.<line>.<field>`, and only a file without problems is stored, in one change: never
//! half a file.
//!
//! Headers and values are recognised in English, Danish, Swedish and Finnish; an industry
//! by its NACE code or its name in any of the four, a kind of post by its code or name.

use ivej_model::reference::{self, Labels};
use ivej_model::{
    Date, Direction, FieldError, Imported, NodeEvent, OrgProfile, Organisation, Post, PostInput,
    Problem, RegisterId, RegisterScheme, Validate, ValidationErrors,
};

use crate::spreadsheet::{items, lookup_all, read_table, Table, LANGUAGES};
use crate::{clock, Node, NodeResult};

/// A member list's columns, in the four languages.
const MEMBER_COLUMNS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "name",
            "company",
            "organisation",
            "organization",
            "navn",
            "virksomhed",
            "firma",
            "namn",
            "företag",
            "organisation",
            "nimi",
            "yritys",
            "organisaatio",
        ],
    ),
    (
        "register",
        &[
            "register id",
            "register",
            "business id",
            "cvr",
            "cvr-nr",
            "cvr nr",
            "cvr-nummer",
            "orgnr",
            "org.nr",
            "organisationsnummer",
            "y-tunnus",
            "ytunnus",
        ],
    ),
    (
        "industry",
        &[
            "industry",
            "industries",
            "nace",
            "branche",
            "brancher",
            "bransch",
            "toimiala",
        ],
    ),
    (
        "address",
        &[
            "address",
            "adresse",
            "adress",
            "osoite",
            "gade",
            "gatuadress",
            "katuosoite",
        ],
    ),
    (
        "municipality",
        &[
            "municipality",
            "town",
            "city",
            "kommune",
            "by",
            "kommun",
            "ort",
            "kunta",
            "kaupunki",
        ],
    ),
    (
        "contact",
        &[
            "contact",
            "contact person",
            "kontakt",
            "kontaktperson",
            "yhteyshenkilö",
        ],
    ),
    (
        "email",
        &["email", "e-mail", "mail", "e-post", "epost", "sähköposti"],
    ),
    (
        "phone",
        &[
            "phone",
            "telephone",
            "telefon",
            "tlf",
            "tel",
            "puhelin",
            "puh",
        ],
    ),
    (
        "languages",
        &["languages", "language", "sprog", "språk", "kielet", "kieli"],
    ),
];

/// A list of posts' columns, in the four languages.
const POST_COLUMNS: &[(&str, &[&str])] = &[
    (
        "direction",
        &[
            "direction",
            "type",
            "offer or need",
            "retning",
            "tilbud/behov",
            "typ",
            "tyyppi",
        ],
    ),
    (
        "kind",
        &[
            "kind", "category", "art", "slags", "kategori", "sort", "laji", "luokka",
        ],
    ),
    (
        "title",
        &[
            "title",
            "headline",
            "titel",
            "overskrift",
            "rubrik",
            "otsikko",
        ],
    ),
    (
        "body",
        &[
            "description",
            "text",
            "body",
            "beskrivelse",
            "beskrivning",
            "kuvaus",
            "teksti",
        ],
    ),
    (
        "organisation",
        &[
            "organisation",
            "organization",
            "member",
            "company",
            "for",
            "medlem",
            "virksomhed",
            "företag",
            "jäsen",
            "yritys",
        ],
    ),
    (
        "expires_on",
        &[
            "expires",
            "expires on",
            "until",
            "udløber",
            "gyldig til",
            "går ut",
            "giltig till",
            "vanhenee",
            "voimassa",
        ],
    ),
];

const DIRECTIONS: &[(Direction, &[&str])] = &[
    (
        Direction::Offer,
        &[
            "offer",
            "tilbud",
            "erbjudande",
            "tarjous",
            "tarjoamme",
            "udbud",
        ],
    ),
    (
        Direction::Need,
        &[
            "need",
            "behov",
            "tarve",
            "tarvitsemme",
            "efterspørgsel",
            "efterfrågan",
        ],
    ),
];

fn columns<'a>(
    table: &Table,
    wanted: &'a [(&'a str, &'a [&'a str])],
    required: &[(&str, &str)],
) -> Result<Vec<(&'a str, Option<usize>)>, ValidationErrors> {
    let found: Vec<(&str, Option<usize>)> = wanted
        .iter()
        .map(|(field, names)| (*field, table.column(names)))
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .filter(|(field, _)| found.iter().any(|(f, c)| f == field && c.is_none()))
        .map(|(_, said)| *said)
        .collect();
    if missing.is_empty() {
        return Ok(found);
    }
    Err(ValidationErrors(vec![FieldError {
        field: "file".into(),
        problem: Problem::NotAllowed {
            value: table.headers.join(", "),
            allowed: missing.join("; "),
        },
    }]))
}

/// Whether `word` names `labels` (in any language) or is `code`.
fn names(code: &str, labels: &Labels, word: &str) -> bool {
    let word = word.trim().to_lowercase();
    word == code.to_lowercase()
        || [&labels.en, &labels.da, &labels.sv, &labels.fi]
            .iter()
            .any(|l| l.to_lowercase() == word)
}

/// A NACE division from its code (`25`, `25.11`, `2511`) or its name in any language:
/// the whole name, or the start of only one (NACE's names are long: "Fremstilling af træ
/// og varer af træ og kork").
fn industry_of(word: &str) -> Option<String> {
    if let Some(division) = reference::division_of(word) {
        return reference::industry(division).map(|i| i.code.clone());
    }
    let all = reference::industries();
    if let Some(i) = all.iter().find(|i| names(&i.code, &i.labels, word)) {
        return Some(i.code.clone());
    }
    let start = word.trim().to_lowercase();
    if start.chars().count() < 5 {
        return None;
    }
    let mut starting = all.iter().filter(|i| {
        let l = &i.labels;
        [&l.en, &l.da, &l.sv, &l.fi]
            .iter()
            .any(|label| label.to_lowercase().starts_with(&start))
    });
    match (starting.next(), starting.next()) {
        (Some(only), None) => Some(only.code.clone()),
        _ => None,
    }
}

/// A register number with its scheme told by its shape: 8 digits a CVR, 10 an
/// organisationsnummer, 7 and a check digit after a dash a Y-tunnus. A label in front
/// ("CVR 12345678") is allowed.
fn register_of(cell: &str) -> Result<RegisterId, Problem> {
    let value: String = cell
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .trim()
        .to_string();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let scheme = match digits {
        8 if value.contains('-') => RegisterScheme::FiYtunnus,
        8 => RegisterScheme::DkCvr,
        10 => RegisterScheme::SeOrgnr,
        _ => {
            return Err(Problem::InvalidRegisterId {
                scheme: "CVR, organisationsnummer or Y-tunnus".into(),
                value: cell.to_string(),
            })
        }
    };
    if !scheme.is_valid(&value) {
        return Err(Problem::InvalidRegisterId {
            scheme: scheme.label().into(),
            value: cell.to_string(),
        });
    }
    Ok(RegisterId { scheme, value })
}

/// A date as people write it: `2027-03-31`, or day first: `31.3.2027`, `31-03-2027`,
/// `31/3/2027`.
fn date_of(cell: &str) -> Option<Date> {
    let cell = cell.trim();
    if let Ok(date) = cell.parse::<Date>() {
        return Some(date);
    }
    let parts: Vec<&str> = cell.split(['.', '-', '/']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    Date::from_ymd(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

fn problem_at(problems: &mut Vec<FieldError>, line: usize, field: &str, problem: Problem) {
    problems.push(FieldError {
        field: format!("rows.{line}.{field}"),
        problem,
    });
}

/// Reads a member list into profiles; every problem, named `rows.<line>.<field>`. A name
/// already in the street (`members`), or twice in the file, is a problem: an import adds
/// members, it never doubles one.
pub fn read_members(
    table: &Table,
    members: &[String],
) -> Result<Vec<OrgProfile>, ValidationErrors> {
    let columns = columns(
        table,
        MEMBER_COLUMNS,
        &[("name", "a column `name` (navn, namn, nimi)")],
    )?;
    let mut problems = Vec::new();
    let mut out: Vec<OrgProfile> = Vec::new();
    // Names in the street and those read so far, as compared: case and spaces aside.
    let mut taken: std::collections::HashSet<String> =
        members.iter().map(|m| m.trim().to_lowercase()).collect();
    for (line, cells) in &table.rows {
        let line = *line;
        let mut profile = OrgProfile::default();
        for (field, column) in &columns {
            let Some(cell) = column.and_then(|c| cells.get(c)) else {
                continue;
            };
            if cell.trim().is_empty() {
                continue;
            }
            match *field {
                "name" => profile.name = cell.trim().to_string(),
                "register" => match register_of(cell) {
                    Ok(id) => profile.register = Some(id),
                    Err(p) => problem_at(&mut problems, line, "register", p),
                },
                "industry" => {
                    // One name whole (NACE's names hold commas), else a list.
                    let words: Vec<String> = if industry_of(cell).is_some() {
                        vec![cell.clone()]
                    } else {
                        items(cell).collect()
                    };
                    for word in words {
                        match industry_of(&word) {
                            Some(code) if !profile.industries.contains(&code) => {
                                profile.industries.push(code)
                            }
                            Some(_) => {}
                            None => problem_at(
                                &mut problems,
                                line,
                                "industries",
                                Problem::UnknownIndustryCode { code: word },
                            ),
                        }
                    }
                }
                "address" => profile.address = cell.trim().to_string(),
                "municipality" => profile.municipality = cell.trim().to_string(),
                "contact" => profile.contact.name = cell.trim().to_string(),
                "email" => profile.contact.email = cell.trim().to_string(),
                "phone" => profile.contact.phone = cell.trim().to_string(),
                "languages" => {
                    let (found, unknown) = lookup_all(LANGUAGES, cell);
                    for code in found {
                        if !profile.languages.iter().any(|l| l == code) {
                            profile.languages.push(code.to_string());
                        }
                    }
                    for word in unknown {
                        problem_at(
                            &mut problems,
                            line,
                            "languages",
                            Problem::InvalidLanguage { value: word },
                        );
                    }
                }
                _ => {}
            }
        }
        // An empty name is the record's own check, below.
        if !profile.name.is_empty() && !taken.insert(profile.name.trim().to_lowercase()) {
            problem_at(
                &mut problems,
                line,
                "name",
                Problem::NotAllowed {
                    value: profile.name.clone(),
                    allowed: "a name not yet in the street".into(),
                },
            );
        }
        if let Err(e) = profile
            .clone()
            .into_organisation(String::new(), 0)
            .validate()
        {
            for f in e.0 {
                problem_at(&mut problems, line, &f.field, f.problem);
            }
        }
        out.push(profile);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ValidationErrors(problems))
    }
}

/// Reads a list of posts; every problem, named `rows.<line>.<field>`. `member_named`
/// finds the organisation a row is for (a name in the street), `None` when there is no
/// such member; rows without one are the importer's own.
pub fn read_posts(
    table: &Table,
    member_named: impl Fn(&str) -> Option<String>,
) -> Result<Vec<PostInput>, ValidationErrors> {
    let columns = columns(
        table,
        POST_COLUMNS,
        &[
            (
                "direction",
                "a column `direction` (offer or need; tilbud/behov)",
            ),
            ("kind", "a column `kind` (a kind of post, by code or name)"),
            ("title", "a column `title` (titel, rubrik, otsikko)"),
        ],
    )?;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (line, cells) in &table.rows {
        let line = *line;
        let mut input = PostInput::new(Direction::Offer, "", "");
        for (field, column) in &columns {
            let Some(cell) = column.and_then(|c| cells.get(c)) else {
                continue;
            };
            let cell = cell.trim();
            match *field {
                "direction" => match lookup_all(DIRECTIONS, cell).0.first() {
                    Some(direction) => input.direction = *direction,
                    None => problem_at(
                        &mut problems,
                        line,
                        "direction",
                        Problem::NotAllowed {
                            value: cell.to_string(),
                            allowed:
                                "offer, need (tilbud, behov; erbjudande, behov; tarjous, tarve)"
                                    .into(),
                        },
                    ),
                },
                "kind" => {
                    match reference::post_kinds()
                        .iter()
                        .find(|k| names(&k.code, &k.labels, cell))
                    {
                        Some(kind) => input.kind = kind.code.clone(),
                        None => problem_at(
                            &mut problems,
                            line,
                            "kind",
                            Problem::UnknownTaxonomyCode {
                                code: cell.to_string(),
                            },
                        ),
                    }
                }
                "title" => input.title = cell.to_string(),
                "body" => input.body = cell.to_string(),
                "organisation" if !cell.is_empty() => match member_named(cell) {
                    Some(id) => input.on_behalf_of = Some(id),
                    None => problem_at(
                        &mut problems,
                        line,
                        "organisation",
                        Problem::UnknownReference {
                            id: cell.to_string(),
                        },
                    ),
                },
                "expires_on" if !cell.is_empty() => match date_of(cell) {
                    Some(date) => input.expires_on = Some(date),
                    None => problem_at(
                        &mut problems,
                        line,
                        "expires_on",
                        Problem::NotADate {
                            value: cell.to_string(),
                        },
                    ),
                },
                _ => {}
            }
        }
        if input.title.is_empty() {
            problem_at(&mut problems, line, "title", Problem::Empty);
        }
        out.push(input);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ValidationErrors(problems))
    }
}

impl Node {
    fn member_names(&self) -> NodeResult<Vec<Organisation>> {
        Ok(self.lock()?.street()?.all::<Organisation>())
    }

    /// Reads a member list (see [`read_members`]) without storing anything.
    pub fn preview_member_import(&self, bytes: &[u8]) -> NodeResult<Vec<OrgProfile>> {
        let table = read_table(bytes)?;
        let names: Vec<String> = self.member_names()?.into_iter().map(|o| o.name).collect();
        Ok(read_members(&table, &names)?)
    }

    /// Adds every member of a list (the facilitator's), or none: nothing is stored unless
    /// every row is good; then all of them are, in one change.
    pub fn import_members(&self, bytes: &[u8]) -> NodeResult<Imported> {
        let table = read_table(bytes)?;
        self.take_in_other_writes()?;
        let names: Vec<String> = self.member_names()?.into_iter().map(|o| o.name).collect();
        let profiles = read_members(&table, &names)?;
        let mut st = self.lock()?;
        st.require_facilitator("import members")?;
        let now = clock::now_ms();
        let orgs: Vec<Organisation> = profiles
            .into_iter()
            .map(|p| p.into_organisation(clock::new_id(), now))
            .collect();
        // One record at a time: automerge reconciles thousands in one transaction far
        // slower (8x, measured). On a failure the street is read back from disk, where
        // nothing of the file is yet.
        let street = st.street_mut()?;
        for org in &orgs {
            if let Err(e) = street.put(org) {
                st.reload_street()?;
                return Err(e.into());
            }
        }
        st.persist_street(|w| {
            for org in &orgs {
                w.upsert_organisation(org)?;
            }
            Ok(())
        })?;
        drop(st);
        for org in &orgs {
            self.emit(NodeEvent::OrganisationChanged { id: org.id.clone() });
        }
        Ok(Imported {
            imported: orgs.len(),
            encoding: table.encoding.to_string(),
        })
    }

    fn member_finder(&self) -> NodeResult<impl Fn(&str) -> Option<String>> {
        let members = self.member_names()?;
        Ok(move |name: &str| {
            let name = name.trim().to_lowercase();
            members
                .iter()
                .find(|o| o.name.trim().to_lowercase() == name)
                .map(|o| o.id.clone())
        })
    }

    /// Reads a list of posts (see [`read_posts`]) without storing anything.
    pub fn preview_post_import(&self, bytes: &[u8]) -> NodeResult<Vec<PostInput>> {
        let table = read_table(bytes)?;
        Ok(read_posts(&table, self.member_finder()?)?)
    }

    /// Posts every row of a list, for the whole street, or none. Rows for another member
    /// are the facilitator's to import.
    pub fn import_posts(&self, bytes: &[u8]) -> NodeResult<Imported> {
        let table = read_table(bytes)?;
        self.take_in_other_writes()?;
        let inputs = read_posts(&table, self.member_finder()?)?;
        let mut st = self.lock()?;
        let own = st.own_org_id()?.to_string();
        if inputs
            .iter()
            .any(|i| i.on_behalf_of.as_ref().is_some_and(|o| *o != own))
        {
            st.require_facilitator("import posts for other members")?;
        }
        let now = clock::now_ms();
        let today = clock::today();
        let posts: Vec<Post> = inputs
            .into_iter()
            .map(|input| {
                let org = input.on_behalf_of.clone().unwrap_or_else(|| own.clone());
                crate::posts::post_from_input(input, org, now, today)
            })
            .collect();
        // Checked before the first is put: the document then never holds part of a file.
        let mut problems = Vec::new();
        for (i, post) in posts.iter().enumerate() {
            if let Err(e) = post.validate() {
                let line = table.rows.get(i).map_or(0, |(line, _)| *line);
                for f in e.0 {
                    problem_at(&mut problems, line, &f.field, f.problem);
                }
            }
        }
        if !problems.is_empty() {
            return Err(ValidationErrors(problems).into());
        }
        let names: Vec<Option<String>> = posts.iter().map(|p| st.org_name(&p.org_id)).collect();
        let street = st.street_mut()?;
        for post in &posts {
            if let Err(e) = street.put(post) {
                st.reload_street()?;
                return Err(e.into());
            }
        }
        st.persist_street(|w| {
            for (post, name) in posts.iter().zip(&names) {
                w.upsert_post(post, name.as_deref())?;
            }
            Ok(())
        })?;
        drop(st);
        for post in &posts {
            self.emit(NodeEvent::PostChanged {
                id: post.id.clone(),
            });
        }
        Ok(Imported {
            imported: posts.len(),
            encoding: table.encoding.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        read_table(text.as_bytes()).unwrap()
    }

    #[test]
    fn a_danish_member_list_reads_with_cvr_industry_by_name_and_languages() {
        let t = table(
            "Navn;CVR;Branche;Adresse;Kommune;Kontaktperson;E-mail;Sprog\n\
             Regstrup Smedie;CVR 10150817;25;Industrivej 4;Holbæk;Mette;m@smedie.dk;dansk, engelsk\n\
             Tuse Træ;;Fremstilling af træ og varer af træ og kork;;;;;dansk\n",
        );
        let members = read_members(&t, &[]).unwrap();
        assert_eq!(members.len(), 2);
        assert_eq!(
            members[0].register.as_ref().unwrap().scheme,
            RegisterScheme::DkCvr
        );
        assert_eq!(members[0].industries, ["25"]);
        assert_eq!(members[0].languages, ["da", "en"]);
        assert_eq!(members[0].contact.email, "m@smedie.dk");
        assert_eq!(members[1].industries, ["16"]);
    }

    #[test]
    fn every_bad_member_row_is_named_and_a_name_is_never_added_twice() {
        let t = table(
            "name,register,industry,languages\n\
             Alfa,12345678,25,da\n\
             ,,,da\n\
             Beta,,00,klingon\n\
             Gamma Oy,1234567-2,,fi\n\
             alfa,,,\n\
             Known Ltd,,,\n",
        );
        let err = read_members(&t, &["Known Ltd".into()]).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows.2.register",
                "rows.3.name",
                "rows.4.industries",
                "rows.4.languages",
                "rows.5.register",
                "rows.6.name",
                "rows.7.name",
            ]
        );
    }

    #[test]
    fn posts_read_with_directions_and_kinds_in_any_language_and_dates_day_first() {
        let t = table(
            "Tyyppi;Laji;Otsikko;Kuvaus;Yritys;Vanhenee\n\
             tarjous;Hitsaus;Hitsauspalvelu;Ruostumaton teräs;Jyväskylän Kone Oy;31.3.2027\n\
             behov;CAP.SPACE;Lagerplads;;;2027-04-01\n",
        );
        let posts = read_posts(&t, |name| {
            (name == "Jyväskylän Kone Oy").then(|| "o-1".into())
        })
        .unwrap();
        assert_eq!(posts[0].direction, Direction::Offer);
        assert_eq!(posts[0].kind, "CAP.MACH.WELD");
        assert_eq!(posts[0].on_behalf_of.as_deref(), Some("o-1"));
        assert_eq!(posts[0].expires_on, Date::from_ymd(2027, 3, 31));
        assert_eq!(posts[1].direction, Direction::Need);
        assert_eq!(posts[1].on_behalf_of, None);

        let bad = table(
            "direction,kind,title,organisation,expires\n\
             maybe,CAP.SPACE,Hall,,\n\
             offer,Nonsense,Hall,,\n\
             offer,CAP.SPACE,,Nobody,someday\n",
        );
        let err = read_posts(&bad, |_| None).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows.2.direction",
                "rows.3.kind",
                "rows.4.organisation",
                "rows.4.expires_on",
                "rows.4.title",
            ]
        );
    }

    #[test]
    fn a_file_without_the_columns_it_needs_is_refused_as_a_whole() {
        let err = read_posts(&table("title\nHall\n"), |_| None).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].field, "file");
        let err = read_members(&table("email\na@b.dk\n"), &[]).unwrap_err();
        assert_eq!(err.0[0].field, "file");
    }
}
