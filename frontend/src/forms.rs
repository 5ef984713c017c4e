//! The state of the app's forms as plain data: what the user typed, kept as text until it
//! is sent, with the conversion to the model's types tested natively.

pub mod board_filter;
pub mod post_form;
pub mod profile_form;
pub mod service_form;
