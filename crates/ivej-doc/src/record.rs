use autosurgeon::{Hydrate, Reconcile};
use ivej_model::{
    ActionItem, Collaboration, Decision, Interest, Meeting, MeetingSeries, Organisation, Post,
    PrivateNote, Relationship, Service, Validate,
};

use crate::document::DocKind;

/// A record type stored in a map of a document, keyed by [`Record::key`].
pub trait Record: Reconcile + Hydrate + Validate {
    /// The document kind that holds it.
    const DOC: DocKind;
    /// The map under the document root that holds it.
    const COLLECTION: &'static str;
    fn key(&self) -> String;
}

macro_rules! record {
    ($ty:ty, $doc:ident, $collection:literal) => {
        impl Record for $ty {
            const DOC: DocKind = DocKind::$doc;
            const COLLECTION: &'static str = $collection;
            fn key(&self) -> String {
                self.id.clone()
            }
        }
    };
}

record!(Organisation, Street, "organisations");
record!(Post, Street, "posts");
record!(Interest, Street, "interests");
record!(MeetingSeries, Street, "series");
record!(Meeting, Street, "meetings");
record!(ActionItem, Street, "actions");
record!(Collaboration, Street, "collaborations");
record!(Service, Street, "services");
record!(Decision, Minutes, "decisions");
record!(PrivateNote, Private, "notes");

impl Record for Relationship {
    const DOC: DocKind = DocKind::Street;
    const COLLECTION: &'static str = "relationships";
    fn key(&self) -> String {
        Relationship::key(self)
    }
}
