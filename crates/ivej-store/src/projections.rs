//! Query tables rebuilt from the documents: what the board and the directory search.

use ivej_model::reference;
use ivej_model::{GeoPoint, Organisation, Post, PostFilter, PostSort, PostStatus, Service};
use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension};

use crate::error::StoreError;
use crate::search::fts_query;
use crate::{Store, Writer};

/// A post query as of a given day (which decides what reads as expired).
#[derive(Debug, Clone)]
pub struct PostQuery<'a> {
    pub filter: &'a PostFilter,
    /// `YYYY-MM-DD`
    pub today: String,
}

/// One post found, with what the board shows beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostHit {
    pub post: Post,
    /// The author's name; `None` when the post is anonymous or the author unknown.
    pub org_name: Option<String>,
    pub status: PostStatus,
    pub distance_km: Option<f64>,
}

const EFFECTIVE_STATUS: &str =
    "CASE WHEN p.status IN ('open','in_dialogue') AND p.expires_on IS NOT NULL \
     AND p.expires_on < :today THEN 'expired' ELSE p.status END";

fn kind_labels(code: &str) -> String {
    let mut labels = Vec::new();
    let mut current = reference::post_kind(code);
    while let Some(kind) = current {
        labels.extend([
            kind.labels.en.as_str(),
            kind.labels.da.as_str(),
            kind.labels.sv.as_str(),
            kind.labels.fi.as_str(),
        ]);
        current = kind.parent.as_deref().and_then(reference::post_kind);
    }
    labels.join(" ")
}

impl Writer<'_> {
    pub fn upsert_post(&mut self, post: &Post, org_name: Option<&str>) -> Result<(), StoreError> {
        let json = serde_json::to_string(post)?;
        let (lat, lon) = post.location.map(|g| (g.lat, g.lon)).unzip();
        self.tx.execute(
            "INSERT OR REPLACE INTO posts(id, org_id, direction, kind, root_kind, status, expires_on,
                anonymous, lat, lon, created_at, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                post.id,
                post.org_id,
                post.direction.code(),
                post.kind,
                reference::root_kind(&post.kind),
                post.status.code(),
                post.expires_on.map(|d| d.to_string()),
                post.anonymous,
                lat,
                lon,
                post.created_at,
                json
            ],
        )?;
        self.tx
            .execute("DELETE FROM posts_fts WHERE post_id = ?1", [&post.id])?;
        let shown_name = if post.anonymous {
            ""
        } else {
            org_name.unwrap_or("")
        };
        self.tx.execute(
            "INSERT INTO posts_fts(post_id, title, body, kind_label, org_name) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![post.id, post.title, post.body.as_str(), kind_labels(&post.kind), shown_name],
        )?;
        Ok(())
    }

    /// Takes a post off the board (it was deleted from the shared document).
    pub fn remove_post(&mut self, id: &str) -> Result<(), StoreError> {
        self.tx.execute("DELETE FROM posts WHERE id = ?1", [id])?;
        self.tx
            .execute("DELETE FROM posts_fts WHERE post_id = ?1", [id])?;
        Ok(())
    }

    pub fn upsert_organisation(&mut self, org: &Organisation) -> Result<(), StoreError> {
        let json = serde_json::to_string(org)?;
        let (lat, lon) = org.geo.map(|g| (g.lat, g.lon)).unzip();
        self.tx.execute(
            "INSERT OR REPLACE INTO organisations(id, name, lat, lon, is_member, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![org.id, org.name, lat, lon, org.is_member(), json],
        )?;
        self.tx
            .execute("DELETE FROM org_industries WHERE org_id = ?1", [&org.id])?;
        let mut industry_labels = Vec::new();
        for code in &org.industries {
            let division = reference::division_of(code);
            let section = reference::section_of(code);
            self.tx.execute(
                "INSERT INTO org_industries(org_id, code, division, section) VALUES (?1, ?2, ?3, ?4)",
                params![org.id, code, division, section],
            )?;
            if let Some(ind) = division.and_then(reference::industry) {
                industry_labels.extend([
                    ind.labels.en.clone(),
                    ind.labels.da.clone(),
                    ind.labels.sv.clone(),
                    ind.labels.fi.clone(),
                ]);
            }
        }
        self.tx
            .execute("DELETE FROM organisations_fts WHERE org_id = ?1", [&org.id])?;
        self.tx.execute(
            "INSERT INTO organisations_fts(org_id, name, cv, place, industries) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                org.id,
                org.name,
                org.cv.as_str(),
                format!("{} {}", org.address, org.municipality),
                industry_labels.join(" ")
            ],
        )?;
        // Posts carry their author's name in the search index; keep it current.
        self.tx.execute(
            "UPDATE posts_fts SET org_name = ?1
             WHERE post_id IN (SELECT id FROM posts WHERE org_id = ?2 AND anonymous = 0)",
            params![org.name, org.id],
        )?;
        Ok(())
    }

    pub fn upsert_service(&mut self, service: &Service) -> Result<(), StoreError> {
        let json = serde_json::to_string(service)?;
        self.tx.execute(
            "INSERT OR REPLACE INTO services(id, provider_org, json) VALUES (?1, ?2, ?3)",
            params![service.id, service.provider_org, json],
        )?;
        self.tx.execute(
            "DELETE FROM services_fts WHERE service_id = ?1",
            [&service.id],
        )?;
        self.tx.execute(
            "INSERT INTO services_fts(service_id, name, description, target_group) VALUES (?1, ?2, ?3, ?4)",
            params![
                service.id,
                service.name,
                service.description.as_str(),
                service.target_group
            ],
        )?;
        Ok(())
    }

    /// Empties every projection, before a rebuild from the documents.
    pub fn clear_projections(&mut self) -> Result<(), StoreError> {
        self.tx.execute_batch(
            "DELETE FROM posts; DELETE FROM posts_fts;
             DELETE FROM organisations; DELETE FROM org_industries; DELETE FROM organisations_fts;
             DELETE FROM services; DELETE FROM services_fts;
             DELETE FROM projection_state;",
        )?;
        Ok(())
    }

    /// Records which heads of a document the projections now reflect.
    pub fn set_projected_heads(&mut self, doc_id: &str, heads: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT OR REPLACE INTO projection_state(doc_id, heads) VALUES (?1, ?2)",
            params![doc_id, heads],
        )?;
        Ok(())
    }
}

impl Store {
    pub fn projected_heads(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT heads FROM projection_state WHERE doc_id = ?1",
                [doc_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The posts matching a board filter, sorted as asked.
    pub fn query_posts(&self, query: &PostQuery<'_>) -> Result<Vec<PostHit>, StoreError> {
        let f = query.filter;
        let mut sql = format!(
            "SELECT p.json, o.name, {EFFECTIVE_STATUS} AS eff, COALESCE(p.lat, o.lat), COALESCE(p.lon, o.lon), {rank}
             FROM posts p LEFT JOIN organisations o ON o.id = p.org_id",
            rank = if f.text.is_some() { "t.rank" } else { "0.0" }
        );
        let mut args: Vec<(String, Value)> = vec![(":today".into(), query.today.clone().into())];
        let text = f.text.as_deref().and_then(fts_query);
        if f.text.is_some() {
            let Some(text) = text else {
                return Ok(Vec::new());
            };
            sql.push_str(
                " JOIN (SELECT post_id, bm25(posts_fts, 0.0, 10.0, 1.0, 4.0, 2.0) AS rank
                        FROM posts_fts WHERE posts_fts MATCH :text) t ON t.post_id = p.id",
            );
            args.push((":text".into(), text.into()));
        }
        sql.push_str(" WHERE 1 = 1");
        if let Some(dir) = f.direction {
            sql.push_str(" AND p.direction = :direction");
            args.push((":direction".into(), dir.code().to_string().into()));
        }
        if let Some(org) = &f.org_id {
            sql.push_str(" AND p.org_id = :org");
            args.push((":org".into(), org.clone().into()));
        }
        let list = |prefix: &str, items: &[String], args: &mut Vec<(String, Value)>| -> String {
            let names: Vec<String> = (0..items.len()).map(|i| format!(":{prefix}{i}")).collect();
            for (name, item) in names.iter().zip(items) {
                args.push((name.clone(), item.clone().into()));
            }
            names.join(", ")
        };
        if !f.kinds.is_empty() {
            let names = list("kind", &f.kinds, &mut args);
            sql.push_str(&format!(
                " AND (p.kind IN ({names}) OR p.root_kind IN ({names}))"
            ));
        }
        if !f.industries.is_empty() {
            let names = list("ind", &f.industries, &mut args);
            sql.push_str(&format!(
                " AND p.org_id IN (SELECT org_id FROM org_industries
                   WHERE section IN ({names}) OR division IN ({names}) OR code IN ({names}))"
            ));
        }
        let statuses: Vec<String> = if f.statuses.is_empty() {
            vec!["open".into(), "in_dialogue".into()]
        } else {
            f.statuses.iter().map(|s| s.code().to_string()).collect()
        };
        let names = list("st", &statuses, &mut args);
        sql.push_str(&format!(" AND eff IN ({names})"));
        sql.push_str(match (f.sort, f.text.is_some()) {
            (PostSort::Relevance, true) => " ORDER BY t.rank, p.created_at DESC",
            _ => " ORDER BY p.created_at DESC, p.id",
        });
        let sql_limit = match (f.limit, f.sort, f.within_km) {
            (Some(limit), PostSort::Newest | PostSort::Relevance, None) => Some(limit),
            _ => None,
        };
        if let Some(limit) = sql_limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }

        let mut stmt = self.conn().prepare_cached(&sql)?;
        let params: Vec<(&str, &dyn rusqlite::ToSql)> = args
            .iter()
            .map(|(n, v)| (n.as_str(), v as &dyn rusqlite::ToSql))
            .collect();
        let rows = stmt.query_map(params.as_slice(), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<f64>>(3)?,
                r.get::<_, Option<f64>>(4)?,
            ))
        })?;
        let mut hits = Vec::new();
        for row in rows {
            let (json, org_name, status, lat, lon) = row?;
            let post: Post = serde_json::from_str(&json)?;
            let distance_km = match (f.near, lat, lon) {
                (Some(near), Some(lat), Some(lon)) => {
                    Some(near.distance_km(&GeoPoint::new(lat, lon)))
                }
                _ => None,
            };
            if let Some(max) = f.within_km {
                if f.near.is_some() && distance_km.is_none_or(|d| d > max) {
                    continue;
                }
            }
            hits.push(PostHit {
                org_name: if post.anonymous { None } else { org_name },
                status: PostStatus::from_code(&status).unwrap_or(post.status),
                post,
                distance_km,
            });
        }
        if f.sort == PostSort::Distance {
            // Posts without a place go last, newest first among themselves.
            hits.sort_by(|a, b| {
                a.distance_km
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.distance_km.unwrap_or(f64::INFINITY))
            });
        }
        if let Some(limit) = f.limit {
            hits.truncate(limit as usize);
        }
        Ok(hits)
    }

    /// Posts open or in dialogue as of `today` (`YYYY-MM-DD`).
    pub fn active_post_count(&self, today: &str) -> Result<usize, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM posts p WHERE {EFFECTIVE_STATUS} IN ('open', 'in_dialogue')"
        );
        let n: i64 =
            self.conn()
                .query_row(&sql, rusqlite::named_params! {":today": today}, |r| {
                    r.get(0)
                })?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Organisations that have not left the street.
    pub fn member_count(&self) -> Result<usize, StoreError> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM organisations WHERE is_member = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Organisations, optionally only those matching `text` (best match first), else by name.
    pub fn search_organisations(
        &self,
        text: Option<&str>,
    ) -> Result<Vec<Organisation>, StoreError> {
        match text {
            Some(text) => {
                let Some(q) = fts_query(text) else {
                    return Ok(Vec::new());
                };
                self.json_rows(
                    "SELECT o.json FROM organisations o
                     JOIN (SELECT org_id, bm25(organisations_fts) AS rank FROM organisations_fts
                           WHERE organisations_fts MATCH ?1) t ON t.org_id = o.id
                     ORDER BY t.rank",
                    [q],
                )
            }
            None => self.json_rows(
                "SELECT json FROM organisations ORDER BY name COLLATE NOCASE",
                [],
            ),
        }
    }

    /// Services whose name, description or target group match `text`.
    pub fn search_services(&self, text: &str) -> Result<Vec<Service>, StoreError> {
        let Some(q) = fts_query(text) else {
            return Ok(Vec::new());
        };
        self.json_rows(
            "SELECT s.json FROM services s
             JOIN (SELECT service_id, bm25(services_fts) AS rank FROM services_fts
                   WHERE services_fts MATCH ?1) t ON t.service_id = s.id
             ORDER BY t.rank",
            [q],
        )
    }

    /// Records stored as JSON in the first column of a query's rows.
    fn json_rows<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut out = Vec::new();
        for json in stmt.query_map(params, |r| r.get::<_, String>(0))? {
            out.push(serde_json::from_str(&json?)?);
        }
        Ok(out)
    }
}
