use std::ops::{Deref, DerefMut};

use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use ivej_model::{Problem, ValidationErrors};

use crate::document::{DocKind, Document};
use crate::error::DocError;

/// The most text one meeting's minutes may hold, in characters.
pub const MAX_MINUTES_CHARS: usize = 200_000;

/// One meeting's minutes: a collaborative text that two people can type into at once,
/// its decisions, and whether it was held in confidence.
#[derive(Debug)]
pub struct MinutesDoc(Document);

impl MinutesDoc {
    pub fn create(meeting_id: &str) -> Result<Self, DocError> {
        Ok(MinutesDoc(Document::new_owned(
            DocKind::Minutes,
            Some(meeting_id),
        )?))
    }

    pub fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Ok(MinutesDoc(Document::load(DocKind::Minutes, bytes)?))
    }

    pub fn meeting_id(&self) -> Result<String, DocError> {
        let id: Option<String> = crate::document::root_value(self.0.automerge(), "meeting_id")?;
        id.ok_or(DocError::MissingField("meeting_id"))
    }

    fn text_obj(&self) -> Result<automerge::ObjId, DocError> {
        match self.0.automerge().get(ROOT, "text")? {
            Some((automerge::Value::Object(ObjType::Text), id)) => Ok(id),
            _ => Err(DocError::MissingField("text")),
        }
    }

    pub fn text(&self) -> Result<String, DocError> {
        let obj = self.text_obj()?;
        Ok(self.0.automerge().text(&obj)?)
    }

    /// The length of the text in characters (the unit of [`MinutesDoc::splice`]).
    pub fn len_chars(&self) -> Result<usize, DocError> {
        let obj = self.text_obj()?;
        Ok(self.0.automerge().length(&obj))
    }

    /// Deletes `delete` characters at `pos` and inserts `insert` there. Positions count
    /// Unicode characters; a range outside the text is refused, not clamped.
    pub fn splice(&mut self, pos: usize, delete: usize, insert: &str) -> Result<(), DocError> {
        let len = self.len_chars()?;
        if pos.checked_add(delete).is_none_or(|end| end > len) {
            return Err(ValidationErrors::single(
                "pos",
                Problem::TooLarge {
                    max: i64::try_from(len).unwrap_or(i64::MAX),
                },
            )
            .into());
        }
        let new_len = len - delete + insert.chars().count();
        check_length(new_len)?;
        let obj = self.text_obj()?;
        let am = self.0.automerge_mut();
        am.splice_text(&obj, pos, delete as isize, insert)?;
        am.commit();
        Ok(())
    }

    /// Replaces the whole text, applying only the difference so concurrent edits elsewhere
    /// in the text are kept.
    pub fn set_text(&mut self, text: &str) -> Result<(), DocError> {
        check_length(text.chars().count())?;
        let obj = self.text_obj()?;
        let am = self.0.automerge_mut();
        am.update_text(&obj, text)?;
        am.commit();
        Ok(())
    }

    pub fn in_confidence(&self) -> Result<bool, DocError> {
        let flag: Option<bool> = crate::document::root_value(self.0.automerge(), "in_confidence")?;
        Ok(flag.unwrap_or(false))
    }

    pub fn set_in_confidence(&mut self, flag: bool) -> Result<(), DocError> {
        let am = self.0.automerge_mut();
        am.put(ROOT, "in_confidence", flag)?;
        am.commit();
        Ok(())
    }
}

fn check_length(chars: usize) -> Result<(), DocError> {
    if chars > MAX_MINUTES_CHARS {
        return Err(ValidationErrors::single(
            "text",
            Problem::TooLong {
                max: MAX_MINUTES_CHARS,
                actual: chars,
            },
        )
        .into());
    }
    Ok(())
}

impl Deref for MinutesDoc {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.0
    }
}

impl DerefMut for MinutesDoc {
    fn deref_mut(&mut self) -> &mut Document {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_typing_keeps_both_texts() {
        let mut a = MinutesDoc::create("m1").unwrap();
        a.set_text("Agenda:\n").unwrap();
        let mut b = MinutesDoc(a.fork());
        let end = a.len_chars().unwrap();
        a.splice(end, 0, "Hansen Smedie presented.\n").unwrap();
        b.splice(0, 0, "Present: 12\n").unwrap();
        a.merge(&mut b).unwrap();
        let text = a.text().unwrap();
        assert!(text.contains("Hansen Smedie presented."));
        assert!(text.starts_with("Present: 12\n"));
    }

    #[test]
    fn out_of_range_splices_are_refused() {
        let mut a = MinutesDoc::create("m1").unwrap();
        a.set_text("abc").unwrap();
        assert!(a.splice(2, 5, "").is_err());
        assert!(a.splice(usize::MAX, 1, "").is_err());
        assert_eq!(a.text().unwrap(), "abc");
        a.splice(3, 0, "dæ").unwrap();
        assert_eq!(a.len_chars().unwrap(), 5);
    }
}
