//! Turning what a user types into an FTS5 query that cannot be a syntax error.

/// Every word the user typed must match, each as a prefix (`cnc fr` finds "CNC Fridays").
/// Punctuation and FTS5 operators are dropped, so no input makes the query fail.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_quoted_prefixes() {
        assert_eq!(fts_query("CNC  fræs"), Some("\"CNC\"* \"fræs\"*".into()));
        assert_eq!(
            fts_query("a\"b OR (c) NEAR* -d"),
            Some("\"a\"* \"b\"* \"OR\"* \"c\"* \"NEAR\"* \"d\"*".into())
        );
        assert_eq!(fts_query("  \"*()  "), None);
    }
}
