//! Plain data types of Industrivej, shared by the frontend (wasm32) and the backend.
//!
//! This crate is what the UI may depend on: records of the street (organisations, posts,
//! meetings, ...), their validation, the shipped reference data (post taxonomy, NACE
//! industries), query and view types, events and error codes that cross the IPC boundary.
//!
//! It must never do IO, and must never depend on automerge, rusqlite or tokio. The optional
//! `automerge` feature only derives autosurgeon's traits so the document crate can store these
//! types as they are; the frontend never turns it on.

pub mod calendar;
mod collaboration;
mod error;
mod event;
mod geo;
pub mod hex;
mod ids;
pub mod input;
mod interest;
mod invite;
pub mod ipc;
mod lang;
pub mod matching;
mod meeting;
mod organisation;
mod peer;
mod post;
mod private;
mod query;
pub mod reference;
pub mod report;
pub mod rotation;
mod service;
mod street;
pub mod text;
mod time;
mod validate;

pub use collaboration::{
    Collaboration, CollaborationKind, CollaborationValue, Origin, OriginKind, RelationKind,
    Relationship, Stage, StageChange,
};
pub use error::{ApiError, ErrorCode};
pub use event::NodeEvent;
pub use geo::GeoPoint;
pub use ids::{
    new_id_from_parts, ActionId, CollaborationId, DeviceId, InterestId, MeetingId, OrgId, PostId,
    SeriesId, StreetId,
};
pub use input::{
    CollaborationInput, Imported, OrgPatch, OrgProfile, PostInput, PostPatch, SeriesInput,
};
pub use interest::{Interest, InterestStatus, BROKERED_ORG};
pub use invite::{Invite, InviteEpoch, InviteError, RelayRef};
pub use lang::Lang;
pub use meeting::{
    carried_over, ActionItem, AgendaItem, AgendaKind, Attendance, Decision, Meeting, MeetingSeries,
    MeetingState,
};
pub use organisation::{Contact, OrgType, Organisation, RegisterId, RegisterScheme, SizeBand};
pub use peer::{PeerStatus, Via};
pub use post::{
    AvailabilityWindow, Direction, Post, PostStatus, PriceModel, Quantity, Recurrence, Visibility,
};
pub use private::{Dismissal, PrivateNote};
pub use query::{PostFilter, PostSort, PostView, StreetSummary};
pub use service::{Channel, ExportPhase, Service, ServiceFilter, ServiceInput, ServiceView};
pub use street::{KpiTargets, Street, StreetKind};
pub use text::LongText;
pub use time::{Date, LocalDateTime};
pub use validate::{FieldError, Problem, Validate, ValidationErrors};
