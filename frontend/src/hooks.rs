pub mod use_app_state;
pub mod use_draft_form;
pub mod use_query;
