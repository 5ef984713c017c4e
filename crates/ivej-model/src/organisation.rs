use serde::{Deserialize, Serialize};

use crate::geo::GeoPoint;
use crate::ids::OrgId;
use crate::reference;
use crate::text::LongText;
use crate::validate::{limits, Checks, Problem, Validate, ValidationErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum RegisterScheme {
    /// Danish CVR number: 8 digits, modulus-11 check.
    DkCvr,
    /// Swedish organisationsnummer: 10 digits, Luhn check.
    SeOrgnr,
    /// Finnish Y-tunnus: 7 digits, a dash and a check digit.
    FiYtunnus,
}

impl RegisterScheme {
    pub fn label(self) -> &'static str {
        match self {
            RegisterScheme::DkCvr => "CVR",
            RegisterScheme::SeOrgnr => "organisationsnummer",
            RegisterScheme::FiYtunnus => "Y-tunnus",
        }
    }

    /// Whether `value` is a well-formed number of this scheme, check digit included.
    pub fn is_valid(self, value: &str) -> bool {
        let digits: Vec<u32> = value
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_digit(10))
            .collect::<Option<Vec<u32>>>()
            .unwrap_or_default();
        match self {
            RegisterScheme::DkCvr => {
                const W: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
                digits.len() == 8
                    && digits[0] != 0
                    && digits.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11 == 0
            }
            RegisterScheme::SeOrgnr => {
                digits.len() == 10
                    && digits
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let v = if i % 2 == 0 { d * 2 } else { *d };
                            v / 10 + v % 10
                        })
                        .sum::<u32>()
                        % 10
                        == 0
            }
            RegisterScheme::FiYtunnus => {
                const W: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
                if digits.len() != 8 {
                    return false;
                }
                let rem = digits[..7].iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11;
                let check = match rem {
                    0 => 0,
                    1 => return false,
                    r => 11 - r,
                };
                digits[7] == check
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct RegisterId {
    pub scheme: RegisterScheme,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    Sme,
    PublicPromoter,
    Research,
    Investor,
    Facilitator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
#[serde(rename_all = "snake_case")]
pub enum SizeBand {
    /// 1-9 employees
    Micro,
    /// 10-49
    Small,
    /// 50-249
    Medium,
    /// 250+
    Large,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A member of the street (a company, a public promoter, the facilitator's organisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "automerge",
    derive(autosurgeon::Reconcile, autosurgeon::Hydrate)
)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub register: Option<RegisterId>,
    pub org_type: OrgType,
    /// NACE Rev. 2 codes: a division (`25`), group (`25.1`) or class (`25.11`).
    pub industries: Vec<String>,
    /// The national extension of the main NACE class (DB07 / SNI 2007 / TOL 2008), digits only.
    pub national_code: Option<String>,
    pub size_band: Option<SizeBand>,
    pub address: String,
    pub municipality: String,
    pub geo: Option<GeoPoint>,
    pub languages: Vec<String>,
    pub export_markets: Vec<String>,
    pub certifications: Vec<String>,
    /// The company CV presented to the others.
    pub cv: LongText,
    pub contact: Contact,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Organisation {
    pub fn is_member(&self) -> bool {
        self.left_at.is_none()
    }
}

impl Validate for Organisation {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut c = Checks::new();
        c.required_text("name", &self.name, limits::NAME);
        if let Some(reg) = &self.register {
            if !reg.scheme.is_valid(&reg.value) {
                c.push(
                    "register",
                    Problem::InvalidRegisterId {
                        scheme: reg.scheme.label().to_string(),
                        value: reg.value.clone(),
                    },
                );
            }
        }
        c.list_len("industries", &self.industries, 10);
        for (i, code) in self.industries.iter().enumerate() {
            if !reference::is_known_industry_code(code) {
                c.push(
                    format!("industries.{i}"),
                    Problem::UnknownIndustryCode { code: code.clone() },
                );
            }
        }
        if let Some(code) = &self.national_code {
            if code.is_empty() || code.len() > 8 || !code.chars().all(|ch| ch.is_ascii_digit()) {
                c.push(
                    "national_code",
                    Problem::UnknownIndustryCode { code: code.clone() },
                );
            }
        }
        c.text("address", &self.address, limits::SHORT);
        c.text("municipality", &self.municipality, limits::NAME);
        if let Some(geo) = &self.geo {
            c.geo("geo", geo);
        }
        c.languages("languages", &self.languages);
        c.texts(
            "export_markets",
            &self.export_markets,
            limits::LIST,
            limits::NAME,
        );
        c.texts(
            "certifications",
            &self.certifications,
            limits::LIST,
            limits::NAME,
        );
        c.text("cv", self.cv.as_str(), limits::LONG);
        c.text("contact.name", &self.contact.name, limits::NAME);
        c.text("contact.email", &self.contact.email, limits::NAME);
        c.text("contact.phone", &self.contact.phone, 40);
        if let Some(left) = self.left_at {
            c.in_order("joined_at", &self.joined_at, "left_at", &left);
        }
        c.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_numbers_check_their_digits() {
        // Examples built by the published algorithms.
        assert!(RegisterScheme::DkCvr.is_valid("10 15 08 17"));
        assert!(!RegisterScheme::DkCvr.is_valid("10150818"));
        assert!(RegisterScheme::SeOrgnr.is_valid("556016-0680"));
        assert!(!RegisterScheme::SeOrgnr.is_valid("556016-0681"));
        assert!(RegisterScheme::FiYtunnus.is_valid("0112038-9"));
        assert!(!RegisterScheme::FiYtunnus.is_valid("0112038-8"));
        assert!(!RegisterScheme::FiYtunnus.is_valid("abc"));
    }
}
