pub mod onboarding;
pub mod street_home;
