//! `ivej service`: the service directory.

use anyhow::{Context, Result};
use ivej_node::{Node, ServiceFilter, ServiceInput};

use crate::cli::{ServiceCommand, ServiceFields};
use crate::output;
use crate::resolve;

fn input(fields: ServiceFields, for_org: Option<String>) -> ServiceInput {
    ServiceInput {
        name: fields.name,
        provider_name: fields.provider,
        description: fields.description,
        target_group: fields.target_group,
        phases: fields.phases,
        cost: fields.cost,
        languages: fields.languages,
        region: fields.region,
        contact: fields.contact,
        channels: fields.channels,
        for_org,
    }
}

/// The service named by an id or a unique prefix of one.
fn service_id(node: &Node, given: &str) -> Result<String> {
    let ids = node
        .services(&ServiceFilter::default())?
        .into_iter()
        .map(|v| v.service.id);
    resolve::id_prefix("service", given, ids)
}

pub fn run(node: &Node, cmd: ServiceCommand, json: bool) -> Result<()> {
    match cmd {
        ServiceCommand::Add { fields, for_org } => {
            let for_org = for_org.map(|o| resolve::org(node, &o)).transpose()?;
            let service = node.add_service(input(fields, for_org))?;
            let view = node.service(&service.id)?;
            output::show(json, &view, output::service)
        }
        ServiceCommand::List {
            phase,
            language,
            region,
        } => {
            let list = node.services(&ServiceFilter {
                text: String::new(),
                phase,
                language,
                region,
            })?;
            output::show(json, &list, |l| output::services(l))
        }
        ServiceCommand::Search {
            text,
            phase,
            language,
        } => {
            let list = node.services(&ServiceFilter {
                text,
                phase,
                language,
                region: None,
            })?;
            output::show(json, &list, |l| output::services(l))
        }
        ServiceCommand::Show { service } => {
            let view = node.service(&service_id(node, &service)?)?;
            output::show(json, &view, output::service)
        }
        ServiceCommand::Edit { service, fields } => {
            let id = service_id(node, &service)?;
            node.edit_service(&id, input(fields, None))?;
            output::show(json, &node.service(&id)?, output::service)
        }
        ServiceCommand::Import {
            file,
            for_org,
            dry_run,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            if dry_run {
                let rows = node.preview_service_import(&bytes)?;
                return output::show(json, &rows, |rows| {
                    for r in rows {
                        println!("{}", output::clean(&r.name));
                    }
                    println!("{} services would be imported", rows.len());
                });
            }
            let for_org = for_org.map(|o| resolve::org(node, &o)).transpose()?;
            let report = node.import_services(&bytes, for_org.as_deref())?;
            output::show(json, &report, |r| {
                println!("Imported {} services (read as {}).", r.imported, r.encoding);
            })
        }
    }
}
