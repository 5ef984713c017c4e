pub mod use_app_state;
pub mod use_query;
