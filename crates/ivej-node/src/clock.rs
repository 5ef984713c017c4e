//! Time as the node sees it.

use ivej_model::Date;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Today in the local time zone of this machine.
pub fn today() -> Date {
    Date(chrono::Local::now().date_naive())
}

/// A new record id: a UUID v7, time-ordered so ids sort roughly by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
