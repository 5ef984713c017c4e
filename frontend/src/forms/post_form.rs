//! The offer/need editor's content: kept as typed (so a draft restores exactly), turned
//! into the model's input only on save.

use ivej_model::{
    AvailabilityWindow, Date, Direction, FieldError, Lang, Post, PostInput, PostPatch, PriceModel,
    Problem, Quantity, Recurrence, Visibility,
};
use serde::{Deserialize, Serialize};

use crate::format;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowForm {
    /// `YYYY-MM-DD` as a date input gives it.
    pub from: String,
    pub to: String,
    /// `""`, `weekly` or `monthly`.
    pub recurrence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostForm {
    pub direction: Direction,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub amount: String,
    pub unit: String,
    pub windows: Vec<WindowForm>,
    pub price: PriceModel,
    pub visibility: Visibility,
    /// The organisations that may see it, for [`Visibility::Named`].
    pub visible_to: Vec<String>,
    pub anonymous: bool,
}

impl Default for PostForm {
    fn default() -> Self {
        PostForm {
            direction: Direction::Offer,
            kind: String::new(),
            title: String::new(),
            body: String::new(),
            amount: String::new(),
            unit: String::new(),
            windows: Vec::new(),
            price: PriceModel::Negotiable,
            visibility: Visibility::Street,
            visible_to: Vec::new(),
            anonymous: false,
        }
    }
}

fn field(errors: &mut Vec<FieldError>, field: &str, problem: Problem) {
    errors.push(FieldError {
        field: field.to_string(),
        problem,
    });
}

impl PostForm {
    /// The editor filled from an existing post, for editing.
    pub fn from_post(post: &Post, lang: Lang) -> PostForm {
        PostForm {
            direction: post.direction,
            kind: post.kind.clone(),
            title: post.title.clone(),
            body: post.body.as_str().to_string(),
            amount: post
                .quantity
                .as_ref()
                .map(|q| format::plain(lang, q.amount))
                .unwrap_or_default(),
            unit: post
                .quantity
                .as_ref()
                .map(|q| q.unit.clone())
                .unwrap_or_default(),
            windows: post
                .availability
                .iter()
                .map(|w| WindowForm {
                    from: w.from.to_string(),
                    to: w.to.map(|d| d.to_string()).unwrap_or_default(),
                    recurrence: match w.recurrence {
                        Some(Recurrence::Weekly) => "weekly".into(),
                        Some(Recurrence::Monthly) => "monthly".into(),
                        None => String::new(),
                    },
                })
                .collect(),
            price: post.price,
            visibility: post.visibility,
            visible_to: post.visible_to.clone(),
            anonymous: post.anonymous,
        }
    }

    /// Names or unnames `org` among those who may see the post.
    pub fn toggle_named(&mut self, org: &str) {
        if let Some(i) = self.visible_to.iter().position(|o| o == org) {
            self.visible_to.remove(i);
        } else {
            self.visible_to.push(org.to_string());
        }
    }

    /// Only a need shown to the whole street goes out anonymously (through the
    /// facilitator); for fewer readers the author is known to them anyway.
    pub fn can_be_anonymous(&self) -> bool {
        self.direction == Direction::Need && self.visibility == Visibility::Street
    }

    /// Who may see it, as the node takes it: named organisations only for named
    /// visibility, and at least one.
    fn named(&self, errors: &mut Vec<FieldError>) -> Vec<String> {
        if self.visibility != Visibility::Named {
            return Vec::new();
        }
        if self.visible_to.is_empty() {
            field(errors, "visible_to", Problem::Empty);
        }
        self.visible_to.clone()
    }

    /// What the form says about quantity and availability, or the fields it cannot read.
    /// (Text lengths and taxonomy codes are checked by the node, in the same field names.)
    fn parts(
        &self,
        lang: Lang,
    ) -> Result<(Option<Quantity>, Vec<AvailabilityWindow>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let amount = self.amount.trim();
        let quantity = if amount.is_empty() && self.unit.trim().is_empty() {
            None
        } else {
            match format::parse_number(lang, amount) {
                Some(v) => Some(Quantity {
                    amount: v,
                    unit: self.unit.trim().to_string(),
                }),
                None if amount.is_empty() => {
                    field(&mut errors, "quantity.amount", Problem::Empty);
                    None
                }
                None => {
                    field(
                        &mut errors,
                        "quantity.amount",
                        Problem::NotANumber {
                            value: amount.to_string(),
                        },
                    );
                    None
                }
            }
        };
        let mut windows = Vec::new();
        for (i, w) in self.windows.iter().enumerate() {
            let date = |text: &str, name: &str, errors: &mut Vec<FieldError>| -> Option<Date> {
                let text = text.trim();
                if text.is_empty() {
                    return None;
                }
                match text.parse::<Date>() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        field(
                            errors,
                            &format!("availability.{i}.{name}"),
                            Problem::NotADate {
                                value: text.to_string(),
                            },
                        );
                        None
                    }
                }
            };
            let from = date(&w.from, "from", &mut errors);
            let to = date(&w.to, "to", &mut errors);
            if w.from.trim().is_empty() {
                if w.to.trim().is_empty() && w.recurrence.is_empty() {
                    continue; // an untouched row
                }
                field(
                    &mut errors,
                    &format!("availability.{i}.from"),
                    Problem::Empty,
                );
            }
            if let Some(from) = from {
                windows.push(AvailabilityWindow {
                    from,
                    to,
                    recurrence: match w.recurrence.as_str() {
                        "weekly" => Some(Recurrence::Weekly),
                        "monthly" => Some(Recurrence::Monthly),
                        _ => None,
                    },
                    min_booking: None,
                });
            }
        }
        if errors.is_empty() {
            Ok((quantity, windows))
        } else {
            Err(errors)
        }
    }

    /// A new post from the form.
    pub fn to_input(&self, lang: Lang) -> Result<PostInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let visible_to = self.named(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let (quantity, availability) = self.parts(lang)?;
        let mut input = PostInput::new(self.direction, &self.kind, &self.title);
        input.body = self.body.clone();
        input.quantity = quantity;
        input.availability = availability;
        input.price = self.price;
        input.visibility = self.visibility;
        input.visible_to = visible_to;
        input.anonymous = self.anonymous && self.can_be_anonymous();
        Ok(input)
    }

    /// The changes to an existing post.
    pub fn to_patch(&self, lang: Lang) -> Result<PostPatch, Vec<FieldError>> {
        let mut errors = Vec::new();
        let visible_to = self.named(&mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let (quantity, availability) = self.parts(lang)?;
        let clear = if quantity.is_none() {
            vec!["quantity".to_string()]
        } else {
            Vec::new()
        };
        Ok(PostPatch {
            clear,
            kind: Some(self.kind.clone()),
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            quantity,
            availability: Some(availability),
            price: Some(self.price),
            visibility: Some(self.visibility),
            visible_to: Some(visible_to),
            anonymous: Some(self.anonymous && self.can_be_anonymous()),
            ..Default::default()
        })
    }

    /// Worth keeping as a draft: something was typed.
    pub fn has_content(&self) -> bool {
        let blank = PostForm {
            direction: self.direction,
            ..PostForm::default()
        };
        self != &blank
    }

    pub fn to_draft(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored draft; a damaged one gives an empty form rather than an error.
    pub fn from_draft(text: &str) -> Option<PostForm> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine_hours() -> PostForm {
        PostForm {
            kind: "CAP.MACH.CNC".into(),
            title: "Spare CNC hours on Fridays".into(),
            amount: "2,5".into(),
            unit: "hours".into(),
            windows: vec![WindowForm {
                from: "2026-12-04".into(),
                to: String::new(),
                recurrence: "weekly".into(),
            }],
            ..PostForm::default()
        }
    }

    #[test]
    fn a_filled_form_becomes_a_post_input_read_in_the_users_language() {
        let input = machine_hours().to_input(Lang::Da).unwrap();
        assert_eq!(input.quantity.as_ref().unwrap().amount, 2.5);
        assert_eq!(input.availability.len(), 1);
        assert_eq!(input.availability[0].recurrence, Some(Recurrence::Weekly));
        assert_eq!(input.visibility, Visibility::Street);
        assert!(!input.anonymous, "only needs can be anonymous");
    }

    #[test]
    fn unreadable_fields_are_named() {
        let mut form = machine_hours();
        form.amount = "lots".into();
        form.windows.push(WindowForm {
            from: String::new(),
            to: "2026-12-31".into(),
            recurrence: String::new(),
        });
        form.windows.push(WindowForm::default());
        let errors = form.to_input(Lang::En).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["quantity.amount", "availability.1.from"]);
        form.amount = String::new();
        let errors = form.to_input(Lang::En).unwrap_err();
        assert_eq!(
            errors[0].problem,
            Problem::Empty,
            "a unit without an amount"
        );
    }

    #[test]
    fn a_draft_round_trips_and_a_post_fills_the_editor() {
        let form = machine_hours();
        assert!(form.has_content());
        assert!(!PostForm::default().has_content());
        assert_eq!(PostForm::from_draft(&form.to_draft()), Some(form.clone()));
        assert_eq!(PostForm::from_draft("{broken"), None);
        let mut emptied = form.clone();
        emptied.amount.clear();
        emptied.unit.clear();
        assert_eq!(emptied.to_patch(Lang::Da).unwrap().clear, ["quantity"]);
        let input = form.to_input(Lang::Da).unwrap();
        let post = Post {
            id: "p".into(),
            org_id: "o".into(),
            direction: input.direction,
            kind: input.kind,
            title: input.title,
            body: ivej_model::LongText(input.body),
            quantity: input.quantity,
            location: None,
            availability: input.availability,
            price: input.price,
            visibility: input.visibility,
            visible_to: Vec::new(),
            anonymous: false,
            status: ivej_model::PostStatus::Open,
            expires_on: None,
            origin_meeting: None,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(PostForm::from_post(&post, Lang::Da), form);
        assert_eq!(PostForm::from_post(&post, Lang::En).amount, "2.5");
        // A thousand hours read back as a thousand, in Danish too.
        let mut big = post.clone();
        big.quantity = Some(Quantity {
            amount: 1000.0,
            unit: "hours".into(),
        });
        let form = PostForm::from_post(&big, Lang::Da);
        assert_eq!(
            form.to_input(Lang::Da).unwrap().quantity.unwrap().amount,
            1000.0
        );
    }

    #[test]
    fn a_post_for_named_members_names_at_least_one_and_only_a_street_need_goes_anonymous() {
        let mut form = machine_hours();
        form.visibility = Visibility::Named;
        let errors = form.to_input(Lang::En).unwrap_err();
        assert_eq!(errors[0].field, "visible_to");
        assert_eq!(errors[0].problem, Problem::Empty);
        form.toggle_named("o2");
        form.toggle_named("o3");
        form.toggle_named("o2");
        let input = form.to_input(Lang::En).unwrap();
        assert_eq!(input.visible_to, ["o3"]);
        assert_eq!(
            form.to_patch(Lang::En).unwrap().visible_to,
            Some(vec!["o3".into()])
        );
        // Back to the whole street: nobody is named any more.
        form.visibility = Visibility::Street;
        assert!(form.to_input(Lang::En).unwrap().visible_to.is_empty());

        form.direction = Direction::Need;
        form.anonymous = true;
        assert!(form.can_be_anonymous() && form.to_input(Lang::En).unwrap().anonymous);
        form.visibility = Visibility::Facilitator;
        assert!(!form.can_be_anonymous());
        assert!(!form.to_input(Lang::En).unwrap().anonymous);
        assert_eq!(form.to_patch(Lang::En).unwrap().anonymous, Some(false));
    }
}
