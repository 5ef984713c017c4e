//! The organisation form (onboarding and "my company"): name, register number, industry,
//! address and location, languages and the company CV.

use ivej_model::{
    FieldError, GeoPoint, Lang, OrgPatch, Organisation, Problem, RegisterId, RegisterScheme,
};
use serde::{Deserialize, Serialize};

use crate::format;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub register_scheme: Option<RegisterScheme>,
    pub register: String,
    /// A NACE division code picked from the list, or empty.
    pub industry: String,
    pub address: String,
    pub municipality: String,
    pub lat: String,
    pub lon: String,
    /// Language codes (`da`, `sv`, `fi`, `en`, `de` ...).
    pub languages: Vec<String>,
    pub cv: String,
}

impl ProfileForm {
    pub fn from_org(org: &Organisation, lang: Lang) -> ProfileForm {
        ProfileForm {
            name: org.name.clone(),
            register_scheme: org.register.as_ref().map(|r| r.scheme),
            register: org
                .register
                .as_ref()
                .map(|r| r.value.clone())
                .unwrap_or_default(),
            industry: org.industries.first().cloned().unwrap_or_default(),
            address: org.address.clone(),
            municipality: org.municipality.clone(),
            lat: org
                .geo
                .map(|g| format::coordinate(lang, g.lat))
                .unwrap_or_default(),
            lon: org
                .geo
                .map(|g| format::coordinate(lang, g.lon))
                .unwrap_or_default(),
            languages: org.languages.clone(),
            cv: org.cv.as_str().to_string(),
        }
    }

    /// The changes to send; fields the node checks (name, register number's check digits,
    /// industry code, coordinates' range) come back from it under the same names.
    pub fn to_patch(&self, current: &Organisation) -> Result<OrgPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let coordinate = |text: &str, name: &str, errors: &mut Vec<FieldError>| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let v = format::parse_coordinate(text);
            if v.is_none() {
                errors.push(FieldError {
                    field: format!("geo.{name}"),
                    problem: Problem::NotANumber {
                        value: text.to_string(),
                    },
                });
            }
            v
        };
        let lat = coordinate(&self.lat, "lat", &mut errors);
        let lon = coordinate(&self.lon, "lon", &mut errors);
        let geo = match (lat, lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint::new(lat, lon)),
            (None, None) if self.lat.trim().is_empty() && self.lon.trim().is_empty() => None,
            (Some(_), None) if self.lon.trim().is_empty() => {
                errors.push(FieldError {
                    field: "geo.lon".into(),
                    problem: Problem::Empty,
                });
                None
            }
            (None, Some(_)) if self.lat.trim().is_empty() => {
                errors.push(FieldError {
                    field: "geo.lat".into(),
                    problem: Problem::Empty,
                });
                None
            }
            _ => None,
        };
        let register_value = self.register.trim();
        let register = match (self.register_scheme, register_value.is_empty()) {
            (Some(scheme), false) => Some(RegisterId {
                scheme,
                value: register_value.to_string(),
            }),
            _ => None,
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let industry = self.industry.trim();
        let mut industries = current.industries.clone();
        if !industry.is_empty() && industries.first().map(String::as_str) != Some(industry) {
            industries.retain(|c| c != industry);
            industries.insert(0, industry.to_string());
        }
        let mut clear = Vec::new();
        if register.is_none() {
            clear.push("register".to_string());
        }
        if geo.is_none() {
            clear.push("geo".to_string());
        }
        Ok(OrgPatch {
            clear,
            name: Some(self.name.clone()),
            register,
            industries: Some(industries),
            address: Some(self.address.trim().to_string()),
            municipality: Some(self.municipality.trim().to_string()),
            geo,
            languages: Some(self.languages.clone()),
            cv: Some(self.cv.clone()),
            ..Default::default()
        })
    }

    pub fn to_draft(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_draft(text: &str) -> Option<ProfileForm> {
        serde_json::from_str(text).ok()
    }

    pub fn toggle_language(&mut self, code: &str) {
        if let Some(i) = self.languages.iter().position(|l| l == code) {
            self.languages.remove(i);
        } else {
            self.languages.push(code.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Organisation {
        ivej_model::OrgProfile {
            name: "Regstrup Smedie".into(),
            industries: vec!["33".into()],
            ..Default::default()
        }
        .into_organisation("o".into(), 0)
    }

    #[test]
    fn the_form_becomes_a_patch_with_location_and_main_industry_first() {
        let mut form = ProfileForm::from_org(&org(), Lang::En);
        form.industry = "25".into();
        form.lat = "55,651".into();
        form.lon = "11,613".into();
        form.register_scheme = Some(RegisterScheme::DkCvr);
        form.register = " 12345674 ".into();
        form.toggle_language("da");
        form.toggle_language("de");
        form.toggle_language("de");
        form.cv = "Smedje siden 1952".into();
        let patch = form.to_patch(&org()).unwrap();
        assert_eq!(patch.industries.unwrap(), ["25", "33"]);
        assert_eq!(patch.geo, Some(GeoPoint::new(55.651, 11.613)));
        assert_eq!(patch.register.unwrap().value, "12345674");
        assert_eq!(patch.languages.unwrap(), ["da"]);
        assert_eq!(patch.cv.as_deref(), Some("Smedje siden 1952"));
    }

    #[test]
    fn half_a_location_or_an_unreadable_one_is_named() {
        let mut form = ProfileForm::from_org(&org(), Lang::En);
        form.lat = "55.6".into();
        let errors = form.to_patch(&org()).unwrap_err();
        assert_eq!(errors[0].field, "geo.lon");
        form.lon = "east".into();
        let errors = form.to_patch(&org()).unwrap_err();
        assert_eq!(errors[0].field, "geo.lon");
        assert!(matches!(errors[0].problem, Problem::NotANumber { .. }));
        assert_eq!(ProfileForm::from_draft(&form.to_draft()), Some(form));
        let emptied = ProfileForm::from_org(&org(), Lang::En);
        assert_eq!(emptied.to_patch(&org()).unwrap().clear, ["register", "geo"]);
    }
}
