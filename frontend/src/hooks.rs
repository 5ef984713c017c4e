pub mod use_app_state;
