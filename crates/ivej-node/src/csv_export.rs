//! CSV exports: the board, the members, collaborations and attendance, as a facilitator
//! pastes them into a funder's spreadsheet. Written the way Excel in Denmark, Sweden and
//! Finland opens them without asking: UTF-8 with a byte-order mark, semicolons, CRLF.
//!
//! An export reads through the same methods as the screens, so it holds only what this
//! device may read (a post for the facilitator alone is not in a member's board).

use ivej_model::ipc::CsvExport;
use ivej_model::{reference, Date, Organisation, PostFilter, PostStatus};

use crate::{Node, NodeError, NodeResult};

fn table(header: &[&str], rows: Vec<Vec<String>>) -> NodeResult<String> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let failed = |e: csv::Error| NodeError::Internal(format!("writing CSV: {e}"));
    out.write_record(header).map_err(failed)?;
    for row in rows {
        out.write_record(&row).map_err(failed)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| NodeError::Internal(format!("writing CSV: {e}")))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

fn date_of(ms: i64) -> String {
    Date::from_unix_ms(ms).to_string()
}

fn names(orgs: &[Organisation], ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            orgs.iter()
                .find(|o| &o.id == id)
                .map_or_else(|| id.clone(), |o| o.name.clone())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Node {
    /// `what` as CSV text (see the module's comment for the format).
    pub fn export_csv(&self, what: CsvExport) -> NodeResult<String> {
        let orgs: Vec<Organisation> = self.lock()?.street()?.all();
        match what {
            CsvExport::Posts => {
                let posts = self.list_posts(&PostFilter {
                    statuses: PostStatus::ALL.to_vec(),
                    ..Default::default()
                })?;
                let rows = posts
                    .into_iter()
                    .map(|v| {
                        let p = v.post;
                        vec![
                            p.direction.code().to_string(),
                            p.kind.clone(),
                            reference::post_kind(&p.kind)
                                .map(|k| k.labels.en.clone())
                                .unwrap_or_default(),
                            p.title,
                            v.org_name.unwrap_or_default(),
                            v.status.code().to_string(),
                            date_of(p.created_at),
                            p.expires_on.map(|d| d.to_string()).unwrap_or_default(),
                            p.id,
                        ]
                    })
                    .collect();
                table(
                    &[
                        "direction",
                        "kind",
                        "kind_name",
                        "title",
                        "organisation",
                        "status",
                        "posted",
                        "expires",
                        "id",
                    ],
                    rows,
                )
            }
            CsvExport::Members => {
                let rows = orgs
                    .iter()
                    .map(|o| {
                        let industry = o
                            .industries
                            .first()
                            .and_then(|c| {
                                reference::industry(reference::division_of(c).unwrap_or(c))
                            })
                            .map(|i| i.labels.en.clone())
                            .unwrap_or_default();
                        vec![
                            o.name.clone(),
                            o.register
                                .as_ref()
                                .map(|r| r.scheme.label().to_string())
                                .unwrap_or_default(),
                            o.register
                                .as_ref()
                                .map(|r| r.value.clone())
                                .unwrap_or_default(),
                            o.industries.join(", "),
                            industry,
                            o.address.clone(),
                            o.municipality.clone(),
                            o.contact.name.clone(),
                            o.contact.email.clone(),
                            o.contact.phone.clone(),
                            o.languages.join(", "),
                            date_of(o.joined_at),
                            o.left_at.map(date_of).unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "name",
                        "register",
                        "register_number",
                        "industries",
                        "industry_name",
                        "address",
                        "municipality",
                        "contact",
                        "email",
                        "phone",
                        "languages",
                        "joined",
                        "left",
                    ],
                    rows,
                )
            }
            CsvExport::Collaborations => {
                let rows = self
                    .collaborations()?
                    .into_iter()
                    .map(|c| {
                        let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
                        vec![
                            c.title.clone(),
                            c.kind.code().to_string(),
                            c.stage.code().to_string(),
                            names(&orgs, &c.orgs),
                            number(c.value.turnover),
                            number(c.value.savings),
                            number(c.value.jobs),
                            date_of(c.created_at),
                            c.id,
                        ]
                    })
                    .collect();
                table(
                    &[
                        "title",
                        "kind",
                        "stage",
                        "organisations",
                        "turnover",
                        "savings",
                        "jobs",
                        "started",
                        "id",
                    ],
                    rows,
                )
            }
            CsvExport::Attendance => {
                let mut rows = Vec::new();
                for m in self.meetings()? {
                    let host = m
                        .host_org
                        .as_ref()
                        .map(|h| names(&orgs, std::slice::from_ref(h)))
                        .unwrap_or_default();
                    for (org, a) in &m.attendance {
                        rows.push(vec![
                            m.starts_at.date().to_string(),
                            host.clone(),
                            m.location.clone(),
                            names(&orgs, std::slice::from_ref(org)),
                            if a.present { "present" } else { "absent" }.to_string(),
                            a.people.to_string(),
                            m.id.clone(),
                        ]);
                    }
                }
                table(
                    &[
                        "meeting",
                        "host",
                        "place",
                        "organisation",
                        "attended",
                        "people",
                        "meeting_id",
                    ],
                    rows,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ivej_model::ipc::CsvExport;
    use ivej_model::{Direction, PostInput, Visibility};

    use crate::tests::{member_of, new_node, street, sync_pair};

    /// Each export opens as Excel expects it in the Nordic countries, and holds only what
    /// the device may read: a post for the facilitator alone is in the facilitator's
    /// board, not in another member's.
    #[test]
    fn an_export_is_excel_ready_and_holds_only_what_the_device_may_read() {
        let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let f = new_node(dirs[0].path());
        street(&f);
        let a = member_of(&f, dirs[1].path(), "Alfa Maskiner; Holbæk");
        let b = member_of(&f, dirs[2].path(), "Beta Plast");
        let mut secret = PostInput::new(Direction::Need, "KNOW", "Cash for a new press");
        secret.visibility = Visibility::Facilitator;
        a.create_post(secret).unwrap();
        a.create_post(PostInput::new(
            Direction::Offer,
            "CAP.SPACE",
            "Hall, 200 m²",
        ))
        .unwrap();
        sync_pair(&a, &f);
        sync_pair(&f, &b);

        let at_f = f.export_csv(CsvExport::Posts).unwrap();
        assert!(
            at_f.starts_with("\u{feff}direction;kind;kind_name;title;"),
            "{at_f}"
        );
        assert!(at_f.contains("\r\n"));
        assert!(at_f.contains("Cash for a new press") && at_f.contains("Hall, 200 m²"));
        let at_b = b.export_csv(CsvExport::Posts).unwrap();
        assert!(at_b.contains("Hall, 200 m²"), "{at_b}");
        assert!(!at_b.contains("Cash for a new press"), "{at_b}");

        // A name holding the delimiter is quoted, not split.
        let members = b.export_csv(CsvExport::Members).unwrap();
        assert!(members.contains("\"Alfa Maskiner; Holbæk\""), "{members}");
        for what in CsvExport::ALL {
            let text = f.export_csv(what).unwrap();
            assert!(text.starts_with('\u{feff}'), "{what:?}");
        }
    }
}
