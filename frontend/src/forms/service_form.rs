//! The service form (list a service, edit one): every field as typed, the phases,
//! languages and channels as ticked, and the conversion to the model's input.

use ivej_model::{Channel, ExportPhase, ServiceInput, ServiceView};
use serde::{Deserialize, Serialize};

/// The languages a service can be ticked as given in.
pub const LANGUAGES: [&str; 5] = ["da", "sv", "fi", "en", "de"];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub name: String,
    pub provider_name: String,
    pub description: String,
    pub target_group: String,
    pub phases: Vec<ExportPhase>,
    pub cost: String,
    pub languages: Vec<String>,
    pub region: String,
    pub contact: String,
    pub channels: Vec<Channel>,
}

fn toggle<T: PartialEq + Clone>(list: &mut Vec<T>, item: &T) {
    if let Some(i) = list.iter().position(|x| x == item) {
        list.remove(i);
    } else {
        list.push(item.clone());
    }
}

impl ServiceForm {
    pub fn from_view(view: &ServiceView) -> ServiceForm {
        let s = &view.service;
        ServiceForm {
            name: s.name.clone(),
            provider_name: s.provider_name.clone(),
            description: s.description.as_str().to_string(),
            target_group: s.target_group.clone(),
            phases: s.phases.clone(),
            cost: s.cost.clone(),
            languages: s.languages.clone(),
            region: s.region.clone(),
            contact: s.contact.clone(),
            channels: s.channels.clone(),
        }
    }

    pub fn toggle_phase(&mut self, phase: ExportPhase) {
        toggle(&mut self.phases, &phase);
    }

    pub fn toggle_channel(&mut self, channel: Channel) {
        toggle(&mut self.channels, &channel);
    }

    pub fn toggle_language(&mut self, code: &str) {
        toggle(&mut self.languages, &code.to_string());
    }

    /// What the node takes, in the order the options are shown.
    pub fn to_input(&self) -> ServiceInput {
        let phases = ExportPhase::ALL
            .into_iter()
            .filter(|p| self.phases.contains(p))
            .collect();
        let channels = Channel::ALL
            .into_iter()
            .filter(|c| self.channels.contains(c))
            .collect();
        ServiceInput {
            name: self.name.clone(),
            provider_name: self.provider_name.clone(),
            description: self.description.clone(),
            target_group: self.target_group.clone(),
            phases,
            cost: self.cost.clone(),
            languages: self.languages.clone(),
            region: self.region.clone(),
            contact: self.contact.clone(),
            channels,
            for_org: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticking_twice_unticks_and_the_input_keeps_the_shown_order() {
        let mut form = ServiceForm {
            name: "Eksportvoucher".into(),
            ..Default::default()
        };
        form.toggle_phase(ExportPhase::Expanding);
        form.toggle_phase(ExportPhase::Starting);
        form.toggle_phase(ExportPhase::Considering);
        form.toggle_phase(ExportPhase::Considering);
        form.toggle_channel(Channel::Online);
        form.toggle_language("da");
        form.toggle_language("fi");
        form.toggle_language("fi");
        let input = form.to_input();
        assert_eq!(
            input.phases,
            vec![ExportPhase::Starting, ExportPhase::Expanding]
        );
        assert_eq!(input.channels, vec![Channel::Online]);
        assert_eq!(input.languages, vec!["da"]);
        assert_eq!(input.name, "Eksportvoucher");
        assert_eq!(input.for_org, None);
    }
}
