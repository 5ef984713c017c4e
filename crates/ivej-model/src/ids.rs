//! Record identifiers. They are created offline on any device (UUID v7 text), so they are
//! plain strings here; the node creates them, the model only names them.

pub type StreetId = String;
pub type OrgId = String;
pub type DeviceId = String;
pub type PostId = String;
pub type InterestId = String;
pub type SeriesId = String;
pub type MeetingId = String;
pub type ActionId = String;
pub type CollaborationId = String;

/// Formats 16 random-or-time-ordered bytes as a UUID string (8-4-4-4-12 lowercase hex).
///
/// The node fills the bytes (UUID v7); keeping the formatting here lets the frontend and
/// tests produce ids of the same shape without a uuid dependency.
pub fn new_id_from_parts(bytes: [u8; 16]) -> String {
    let hex = crate::hex::encode(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_uuid() {
        let id = new_id_from_parts([0xab; 16]);
        assert_eq!(id, "abababab-abab-abab-abab-abababababab");
    }
}
