//! Reading a spreadsheet a user saved as CSV: the bytes as Excel and LibreOffice write
//! them in Denmark, Sweden and Finland (UTF-8 with or without a byte-order mark, UTF-16
//! with one, or Windows-1252), with a comma, semicolon or tab between fields, a header
//! row naming the columns. What the columns mean is each importer's (`services.rs`,
//! `imports.rs`); the words for list cells and languages they share are here.
//!
//! The file is outside input: its size and its number of rows are bounded, and nothing
//! in it can panic the reader.

use ivej_model::{FieldError, Problem, ValidationErrors};

/// The largest file read.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The most rows read (a regional directory holds a few hundred).
pub const MAX_ROWS: usize = 10_000;

/// A spreadsheet's rows, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The header row, trimmed.
    pub headers: Vec<String>,
    /// Each row after the header, with its line in the file (1 is the header).
    pub rows: Vec<(usize, Vec<String>)>,
    /// How the bytes were read: `UTF-8`, `UTF-16LE`, `UTF-16BE` or `windows-1252`.
    pub encoding: &'static str,
    pub delimiter: char,
}

fn file_error(problem: Problem) -> ValidationErrors {
    ValidationErrors(vec![FieldError {
        field: "file".into(),
        problem,
    }])
}

/// The text of a file, and how it was encoded: a byte-order mark says so; otherwise
/// UTF-8 if it is valid UTF-8, else Windows-1252 (what Excel writes for "CSV" in these
/// languages).
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return (text.into_owned(), encoding.name());
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), "windows-1252")
        }
    }
}

/// The delimiter of a header line: whichever of `;`, `,` and tab it holds most of
/// (outside quotes); a comma when it holds none.
fn delimiter(header: &str) -> char {
    let mut counts = [(';', 0usize), (',', 0), ('\t', 0)];
    let mut quoted = false;
    for c in header.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if *d == c {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(d, n)| (*n, *d == ','))
        .map_or(',', |(d, _)| *d)
}

/// Reads a CSV file's bytes into a table. A file too large, without a header row or with
/// more than [`MAX_ROWS`] rows is refused whole (field `file`); blank lines are skipped.
pub fn read_table(bytes: &[u8]) -> Result<Table, ValidationErrors> {
    if bytes.len() > MAX_BYTES {
        return Err(file_error(Problem::TooLong {
            max: MAX_BYTES,
            actual: bytes.len(),
        }));
    }
    // A workbook (xlsx and ods are zip files) or another binary file: said as such,
    // rather than read as Windows-1252 noise without a header.
    let utf16 = encoding_rs::Encoding::for_bom(bytes).is_some_and(|(e, _)| e != encoding_rs::UTF_8);
    if bytes.starts_with(b"PK\x03\x04") || (!utf16 && bytes.contains(&0)) {
        return Err(file_error(Problem::NotAllowed {
            value: "a workbook or another binary file".into(),
            allowed: "CSV (in Excel: Save as, CSV)".into(),
        }));
    }
    let (text, encoding) = decode(bytes);
    // Excel's "CSV (Macintosh)" ends lines with a carriage return alone.
    let text = if text.contains('\r') && !text.contains('\n') {
        text.replace('\r', "\n")
    } else {
        text
    };
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = delimiter(first_line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            file_error(Problem::NotAllowed {
                value: e.to_string(),
                allowed: "CSV".into(),
            })
        })?;
        // The line in the file as an editor shows it (the reader's own count skips
        // blank lines).
        let line = record.position().map_or(0, |p| {
            let bytes = text.as_bytes();
            let mut at = (p.byte() as usize).min(bytes.len());
            // A record's position is where the reader began looking for it, before the
            // blank lines it skipped.
            while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
                at += 1;
            }
            bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
        });
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        if headers.is_none() {
            headers = Some(fields);
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(file_error(Problem::TooMany {
                max: MAX_ROWS,
                actual: MAX_ROWS + 1,
            }));
        }
        rows.push((line, fields));
    }
    let headers = headers.ok_or_else(|| file_error(Problem::Empty))?;
    Ok(Table {
        headers,
        rows,
        encoding,
        delimiter,
    })
}

impl Table {
    /// The column whose header is one of `names` (compared without case, accents kept).
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        self.headers.iter().position(|h| {
            let h = h.to_lowercase();
            names.iter().any(|n| h == *n)
        })
    }
}

// What the importers share: a cell's list items and the words a table of values knows.

/// Words for the languages people write in a language column.
pub(crate) const LANGUAGES: &[(&str, &[&str])] = &[
    ("da", &["da", "dansk", "danish", "danska", "tanska"]),
    ("sv", &["sv", "svensk", "svenska", "swedish", "ruotsi"]),
    ("fi", &["fi", "finsk", "finska", "finnish", "suomi"]),
    ("en", &["en", "engelsk", "engelska", "english", "englanti"]),
    ("de", &["de", "tysk", "tyska", "german", "saksa"]),
];

/// The items of a list field: separated by `|`, `/`, `,` or `;`.
pub(crate) fn items(cell: &str) -> impl Iterator<Item = String> + '_ {
    cell.split(['|', '/', ',', ';'])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
}

pub(crate) fn lookup<T: Copy>(table: &[(T, &[&str])], word: &str) -> Option<T> {
    table
        .iter()
        .find(|(_, words)| words.contains(&word))
        .map(|(value, _)| *value)
}

/// The values a list cell names, and the words that name none.
pub(crate) fn lookup_all<T: Copy>(table: &[(T, &[&str])], cell: &str) -> (Vec<T>, Vec<String>) {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for word in items(cell) {
        match lookup(table, &word) {
            Some(value) => found.push(value),
            None => unknown.push(word),
        }
    }
    (found, unknown)
}

pub(crate) fn allowed<T>(table: &[(T, &[&str])]) -> String {
    table
        .iter()
        .map(|(_, words)| words[0])
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_files_in_every_encoding_and_delimiter_read_the_same() {
        let text = "Navn;Beskrivelse\nEksportrådgivning;\"Råd; også om told\"\n\nÆble;x\n";
        let want = vec![
            (
                2,
                vec!["Eksportrådgivning".to_string(), "Råd; også om told".into()],
            ),
            (4, vec!["Æble".to_string(), "x".into()]),
        ];
        let utf8 = text.as_bytes().to_vec();
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend(&utf8);
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        let mut utf16 = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        for (bytes, encoding) in [
            (utf8, "UTF-8"),
            (bom, "UTF-8"),
            (cp1252.into_owned(), "windows-1252"),
            (utf16, "UTF-16LE"),
        ] {
            let table = read_table(&bytes).unwrap();
            assert_eq!(table.encoding, encoding);
            assert_eq!(table.delimiter, ';');
            assert_eq!(table.headers, vec!["Navn", "Beskrivelse"]);
            assert_eq!(table.rows, want, "{encoding}");
        }
        let commas = read_table(b"name,cost\n\"Advice, free\",0\n").unwrap();
        assert_eq!(commas.delimiter, ',');
        assert_eq!(commas.rows[0].1, vec!["Advice, free", "0"]);
        let tabs = read_table(b"name\tcost\nAdvice\t0\n").unwrap();
        assert_eq!(tabs.delimiter, '\t');
        assert_eq!(tabs.column(&["cost", "pris"]), Some(1));
    }

    #[test]
    fn an_empty_file_one_too_large_or_with_too_many_rows_is_refused_whole() {
        assert!(read_table(b"").is_err());
        assert!(read_table(b"\n\n").is_err());
        assert!(read_table(&vec![b'a'; MAX_BYTES + 1]).is_err());
        let mut many = b"name\n".to_vec();
        for _ in 0..=MAX_ROWS {
            many.extend(b"x\n");
        }
        assert!(read_table(&many).is_err());
        // A workbook saved as such, or any binary file, is not taken for text.
        assert!(read_table(b"PK\x03\x04\x14\x00\x06\x00").is_err());
        assert!(read_table(b"name\x00,cost\n").is_err());
        // Lines ended by a carriage return alone (Excel for the Mac) are lines too.
        let mac = read_table(b"name;cost\rAdvice;0\rFair;10\r").unwrap();
        assert_eq!(mac.rows.len(), 2);
        assert_eq!(mac.rows[1].0, 3);
        // Rows of any width are read; the importer says what is missing.
        let ragged = read_table(b"a,b,c\n1\n1,2,3,4\n").unwrap();
        assert_eq!(ragged.rows.len(), 2);
    }
}
