//! The service directory: what public promoters (and the facilitator for them) offer
//! companies on their way abroad: export advice, development cheques, mentoring, fairs.
//! Fields after CPSV-AP, the EU's public service vocabulary: provider, name, description,
//! target group, phases of internationalisation, cost, languages, region, contact point
//! and channels. Services live in the street document, so every member reads them; the
//! organisation that lists one (or the facilitator) edits it (`authorise`).
//!
//! A whole regional directory comes in as a CSV file (`import_services`): every row is
//! read and checked first, each problem is named with its line, and only a file without
//! problems is stored, in one change.

use ivej_model::{
    Channel, ExportPhase, FieldError, LongText, NodeEvent, OrgId, Organisation, Problem, Service,
    Validate, ValidationErrors,
};
pub use ivej_model::{Imported, ServiceFilter, ServiceInput, ServiceView};

use crate::spreadsheet::{allowed, lookup_all, read_table, Table, LANGUAGES};
use crate::{clock, Node, NodeError, NodeResult};

fn input_to_service(
    input: ServiceInput,
    id: String,
    provider_org: OrgId,
    created_at: i64,
) -> Service {
    let mut languages: Vec<String> = input
        .languages
        .iter()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    // Once each, in the order given.
    let mut seen = std::collections::HashSet::new();
    languages.retain(|l| seen.insert(l.clone()));
    let mut phases = input.phases;
    phases.sort();
    phases.dedup();
    let mut channels = input.channels;
    channels.sort();
    channels.dedup();
    Service {
        id,
        provider_org,
        name: input.name.trim().to_string(),
        provider_name: input.provider_name.trim().to_string(),
        description: LongText(input.description.trim().to_string()),
        target_group: input.target_group.trim().to_string(),
        phases,
        cost: input.cost.trim().to_string(),
        languages,
        region: input.region.trim().to_string(),
        contact: input.contact.trim().to_string(),
        channels,
        created_at,
    }
}

impl crate::state::State {
    /// The organisation that lists a service entered with `for_org`.
    fn listing_org(&self, for_org: Option<&str>) -> NodeResult<OrgId> {
        let own = self.own_org_id()?.to_string();
        match for_org {
            None => Ok(own),
            Some(org) if org == own => Ok(own),
            Some(org) => {
                self.require_facilitator("list a service for another organisation")?;
                self.street()?.require::<Organisation>(org)?;
                Ok(org.to_string())
            }
        }
    }

    fn service_view(&self, service: Service) -> NodeResult<ServiceView> {
        let listed_by = self
            .street()?
            .get::<Organisation>(&service.provider_org)?
            .map(|o| o.name)
            .unwrap_or_default();
        let can_edit =
            self.is_facilitator()? || self.own_org_id().ok() == Some(service.provider_org.as_str());
        Ok(ServiceView {
            service,
            listed_by,
            can_edit,
        })
    }
}

impl Node {
    /// Lists a service (a promoter's own, or the facilitator's for a promoter).
    pub fn add_service(&self, input: ServiceInput) -> NodeResult<Service> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let provider = st.listing_org(input.for_org.as_deref())?;
        let service = input_to_service(input, clock::new_id(), provider, clock::now_ms());
        st.street_mut()?.put(&service)?;
        st.persist_street(|w| w.upsert_service(&service))?;
        drop(st);
        self.emit(NodeEvent::ServiceChanged {
            id: service.id.clone(),
        });
        Ok(service)
    }

    /// Replaces what a service says (its listing organisation stays).
    pub fn edit_service(&self, id: &str, input: ServiceInput) -> NodeResult<Service> {
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let old: Service = st.street()?.require(id)?;
        if !st.service_view(old.clone())?.can_edit {
            return Err(NodeError::NotAllowed(
                "only the organisation that lists a service, or the facilitator, edits it".into(),
            ));
        }
        let service = input_to_service(input, old.id, old.provider_org, old.created_at);
        st.street_mut()?.put(&service)?;
        st.persist_street(|w| w.upsert_service(&service))?;
        drop(st);
        self.emit(NodeEvent::ServiceChanged {
            id: service.id.clone(),
        });
        Ok(service)
    }

    /// One service, with who lists it.
    pub fn service(&self, id: &str) -> NodeResult<ServiceView> {
        self.take_in_other_writes()?;
        let st = self.lock()?;
        let service: Service = st.street()?.require(id)?;
        st.service_view(service)
    }

    /// The directory, filtered: by relevance when searching, else by name.
    pub fn services(&self, filter: &ServiceFilter) -> NodeResult<Vec<ServiceView>> {
        self.take_in_other_writes()?;
        let st = self.lock()?;
        let mut found: Vec<Service> = if filter.text.trim().is_empty() {
            let mut all: Vec<Service> = st.street()?.all();
            all.sort_by(|a, b| {
                a.name
                    .to_lowercase()
                    .cmp(&b.name.to_lowercase())
                    .then(a.id.cmp(&b.id))
            });
            all
        } else {
            st.street()?;
            st.store.search_services(&filter.text)?
        };
        let region = filter.region.as_deref().map(str::to_lowercase);
        found.retain(|s| {
            filter.phase.is_none_or(|p| s.phases.contains(&p))
                && filter
                    .language
                    .as_ref()
                    .is_none_or(|l| s.languages.iter().any(|have| have == l))
                && region
                    .as_deref()
                    .is_none_or(|r| s.region.to_lowercase().contains(r))
        });
        found.into_iter().map(|s| st.service_view(s)).collect()
    }

    /// Reads a CSV file of services (see [`read_services`]) without storing anything:
    /// the rows as they would be imported, or every problem with its line.
    pub fn preview_service_import(&self, bytes: &[u8]) -> NodeResult<Vec<ServiceInput>> {
        let table = read_table(bytes)?;
        Ok(read_services(&table)?)
    }

    /// Imports a CSV file of services, listed by `for_org` (the facilitator's for a
    /// promoter; `None`: this device's organisation). Nothing is stored unless every row
    /// is good; then all of them are, in one change.
    pub fn import_services(&self, bytes: &[u8], for_org: Option<&str>) -> NodeResult<Imported> {
        let table = read_table(bytes)?;
        let inputs = read_services(&table)?;
        self.take_in_other_writes()?;
        let mut st = self.lock()?;
        let provider = st.listing_org(for_org)?;
        let now = clock::now_ms();
        let services: Vec<Service> = inputs
            .into_iter()
            .map(|input| input_to_service(input, clock::new_id(), provider.clone(), now))
            .collect();
        // Checked before the first is put: the document then never holds part of a file.
        let mut problems = Vec::new();
        for (i, service) in services.iter().enumerate() {
            if let Err(e) = service.validate() {
                let line = table.rows.get(i).map_or(0, |(line, _)| *line);
                problems.extend(e.0.into_iter().map(|f| FieldError {
                    field: format!("rows.{line}.{}", f.field),
                    problem: f.problem,
                }));
            }
        }
        if !problems.is_empty() {
            return Err(ValidationErrors(problems).into());
        }
        let street = st.street_mut()?;
        for service in &services {
            if let Err(e) = street.put(service) {
                st.reload_street()?;
                return Err(e.into());
            }
        }
        st.persist_street(|w| {
            for service in &services {
                w.upsert_service(service)?;
            }
            Ok(())
        })?;
        drop(st);
        for service in &services {
            self.emit(NodeEvent::ServiceChanged {
                id: service.id.clone(),
            });
        }
        Ok(Imported {
            imported: services.len(),
            encoding: table.encoding.to_string(),
        })
    }
}

/// Column names a directory's header may use, in English, Danish, Swedish and Finnish.
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "name", "service", "navn", "ydelse", "namn", "tjänst", "nimi", "palvelu",
        ],
    ),
    (
        "provider_name",
        &[
            "provider",
            "udbyder",
            "leverandør",
            "leverantör",
            "anordnare",
            "palveluntarjoaja",
            "tarjoaja",
        ],
    ),
    (
        "description",
        &["description", "beskrivelse", "beskrivning", "kuvaus"],
    ),
    (
        "target_group",
        &[
            "target group",
            "target_group",
            "målgruppe",
            "målgrupp",
            "kohderyhmä",
        ],
    ),
    (
        "phases",
        &[
            "phase", "phases", "fase", "faser", "fas", "vaihe", "vaiheet",
        ],
    ),
    (
        "cost",
        &["cost", "price", "pris", "kostnad", "hinta", "maksu"],
    ),
    (
        "languages",
        &["languages", "language", "sprog", "språk", "kielet", "kieli"],
    ),
    ("region", &["region", "område", "alue", "maakunta"]),
    (
        "contact",
        &[
            "contact",
            "contact point",
            "kontakt",
            "kontaktperson",
            "yhteyshenkilö",
            "yhteystiedot",
        ],
    ),
    (
        "channels",
        &[
            "channels", "channel", "kanaler", "kanal", "kanavat", "kanava",
        ],
    ),
];

/// Words for each phase of internationalisation, in the four languages.
const PHASES: &[(ExportPhase, &[&str])] = &[
    (
        ExportPhase::Considering,
        &[
            "considering",
            "overvejer",
            "överväger",
            "harkitsee",
            "harkinta",
        ],
    ),
    (
        ExportPhase::Starting,
        &[
            "starting",
            "begynder",
            "start",
            "börjar",
            "aloittaa",
            "aloitus",
            "aloittava",
        ],
    ),
    (
        ExportPhase::Expanding,
        &[
            "expanding",
            "udvider",
            "vækst",
            "expanderar",
            "tillväxt",
            "laajentaa",
            "kasvu",
        ],
    ),
    (
        ExportPhase::Established,
        &["established", "etableret", "etablerad", "vakiintunut"],
    ),
];

const CHANNELS: &[(Channel, &[&str])] = &[
    (
        Channel::InPerson,
        &[
            "in_person",
            "in person",
            "personligt",
            "personligen",
            "fysiskt",
            "henkilökohtaisesti",
            "paikan päällä",
        ],
    ),
    (Channel::Phone, &["phone", "telefon", "puhelin"]),
    (
        Channel::Email,
        &["email", "e-mail", "e-post", "sähköposti", "mail"],
    ),
    (
        Channel::Online,
        &["online", "web", "nettet", "webb", "verkossa", "verkko"],
    ),
];

/// Reads a directory's rows into services; every problem, named `rows.<line>.<field>`.
/// A header without a name column is a problem of the file.
pub fn read_services(table: &Table) -> Result<Vec<ServiceInput>, ValidationErrors> {
    let columns: Vec<(&str, Option<usize>)> = COLUMNS
        .iter()
        .map(|(field, names)| (*field, table.column(names)))
        .collect();
    if columns.iter().any(|(f, c)| *f == "name" && c.is_none()) {
        return Err(ValidationErrors(vec![FieldError {
            field: "file".into(),
            problem: Problem::NotAllowed {
                value: table.headers.join(", "),
                allowed: "a column `name` (navn, namn, nimi)".into(),
            },
        }]));
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (line, cells) in &table.rows {
        let mut input = ServiceInput::default();
        let mut problem = |field: &str, p: Problem| {
            problems.push(FieldError {
                field: format!("rows.{line}.{field}"),
                problem: p,
            })
        };
        for (field, column) in &columns {
            let Some(cell) = column.and_then(|c| cells.get(c)) else {
                continue;
            };
            match *field {
                "name" => input.name = cell.clone(),
                "provider_name" => input.provider_name = cell.clone(),
                "description" => input.description = cell.clone(),
                "target_group" => input.target_group = cell.clone(),
                "cost" => input.cost = cell.clone(),
                "region" => input.region = cell.clone(),
                "contact" => input.contact = cell.clone(),
                "phases" => {
                    let (found, unknown) = lookup_all(PHASES, cell);
                    input.phases.extend(found);
                    for word in unknown {
                        problem(
                            "phases",
                            Problem::NotAllowed {
                                value: word,
                                allowed: allowed(PHASES),
                            },
                        );
                    }
                }
                "channels" => {
                    let (found, unknown) = lookup_all(CHANNELS, cell);
                    input.channels.extend(found);
                    for word in unknown {
                        problem(
                            "channels",
                            Problem::NotAllowed {
                                value: word,
                                allowed: allowed(CHANNELS),
                            },
                        );
                    }
                }
                "languages" => {
                    let (found, unknown) = lookup_all(LANGUAGES, cell);
                    input
                        .languages
                        .extend(found.into_iter().map(str::to_string));
                    for word in unknown {
                        problem("languages", Problem::InvalidLanguage { value: word });
                    }
                }
                _ => {}
            }
        }
        if input.name.trim().is_empty() {
            problem("name", Problem::Empty);
        }
        out.push(input);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ValidationErrors(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spreadsheet::read_table;

    #[test]
    fn a_directory_in_finnish_with_phases_languages_and_channels_reads_into_services() {
        let csv = "Nimi;Palveluntarjoaja;Kuvaus;Kohderyhmä;Vaihe;Hinta;Kielet;Alue;Yhteyshenkilö;Kanavat\n\
                   Vientineuvonta;Business Finland;Neuvontaa;Pk-yritykset;aloittaa|laajentaa;maksuton;suomi, englanti;Keski-Suomi;info@example.fi;puhelin/verkossa\n";
        let table = read_table(csv.as_bytes()).unwrap();
        let rows = read_services(&table).unwrap();
        assert_eq!(rows.len(), 1);
        let s = &rows[0];
        assert_eq!(s.name, "Vientineuvonta");
        assert_eq!(s.provider_name, "Business Finland");
        assert_eq!(
            s.phases,
            vec![ExportPhase::Starting, ExportPhase::Expanding]
        );
        assert_eq!(s.languages, vec!["fi", "en"]);
        assert_eq!(s.channels, vec![Channel::Phone, Channel::Online]);
        assert_eq!(s.region, "Keski-Suomi");
    }

    #[test]
    fn every_bad_row_is_named_with_its_line_and_field() {
        let csv =
            "name,phase,languages\nGood,starting,da\n,starting,da\nBad phase,someday,klingon\n";
        let table = read_table(csv.as_bytes()).unwrap();
        let errors = read_services(&table).unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["rows.3.name", "rows.4.phases", "rows.4.languages"]
        );
        let no_name = read_table(b"title,cost\nx,0\n").unwrap();
        assert_eq!(read_services(&no_name).unwrap_err().0[0].field, "file");
    }
}
