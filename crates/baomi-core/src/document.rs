//! A text held in memory reviewed as a document, and the JSON report that
//! every way of calling baomi returns.
//!
//! The CLI (`baomi scan --format json`), the HTTP API, the C library, the
//! Python package and the WebAssembly build all hand out [`ScanReport`]
//! serialised with serde_json, so their output cannot drift apart; its JSON
//! Schema is `docs/report.schema.json`, generated from these types.

use crate::meta::{find_doc_number, guess_title};
use crate::{DocumentReport, Part, Scanner, SegmentInfo, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Why an empty document is an error: nothing in it could leak, but an
/// empty draft is almost always a copy or save that failed, and `clear`
/// would tell its author it was reviewed. Shared by every reader (files,
/// uploads, texts handed over by an embedding program).
pub const EMPTY_DOCUMENT: &str = "the file is empty (0 bytes): nothing to review; was the copy interrupted? Copy or save the document again";

/// The JSON report: `{"documents": [...]}`, one [`DocumentReport`] per
/// document, in the order they were given.
// Borrowing (`Cow`) lets the CLI serialise the reports it already holds
// without copying them; bindings own theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schema", schemars(title = "baomi report"))]
pub struct ScanReport<'a> {
    pub documents: Cow<'a, [DocumentReport]>,
}

impl<'a> ScanReport<'a> {
    /// The report of the given documents, borrowed.
    pub fn of(documents: &'a [DocumentReport]) -> Self {
        ScanReport {
            documents: Cow::Borrowed(documents),
        }
    }

    /// The report of one document, owned.
    pub fn one(document: DocumentReport) -> ScanReport<'static> {
        ScanReport {
            documents: Cow::Owned(vec![document]),
        }
    }

    /// Compact JSON, exactly what `baomi scan --format json` prints (without
    /// the final newline).
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out)
            .expect("writing plain data with string keys to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Writes the compact JSON to `w`. Keys come in alphabetical order (the
    /// report goes through a `serde_json::Value`), as the CLI and the HTTP
    /// API have always printed it, so that all of them give the same bytes.
    ///
    /// Findings are converted one at a time, so that a report of hundreds
    /// of thousands of findings is written without a second copy of all of
    /// them in memory (a `Value` tree of 870k findings is gigabytes).
    pub fn write_json(&self, mut w: impl std::io::Write) -> serde_json::Result<()> {
        let io = serde_json::Error::io;
        w.write_all(b"{\"documents\":[").map_err(io)?;
        for (i, doc) in self.documents.iter().enumerate() {
            if i > 0 {
                w.write_all(b",").map_err(io)?;
            }
            let head = doc.clone_without_findings();
            let serde_json::Value::Object(fields) = serde_json::to_value(&head)? else {
                unreachable!("a struct serialises to a JSON object");
            };
            w.write_all(b"{").map_err(io)?;
            for (k, (key, value)) in fields.iter().enumerate() {
                if k > 0 {
                    w.write_all(b",").map_err(io)?;
                }
                serde_json::to_writer(&mut w, key)?;
                w.write_all(b":").map_err(io)?;
                if key == "findings" {
                    w.write_all(b"[").map_err(io)?;
                    for (n, f) in doc.findings.iter().enumerate() {
                        if n > 0 {
                            w.write_all(b",").map_err(io)?;
                        }
                        serde_json::to_writer(&mut w, &serde_json::to_value(f)?)?;
                    }
                    w.write_all(b"]").map_err(io)?;
                } else {
                    serde_json::to_writer(&mut w, value)?;
                }
            }
            w.write_all(b"}").map_err(io)?;
        }
        w.write_all(b"]}").map_err(io)
    }
}

impl DocumentReport {
    fn clone_without_findings(&self) -> DocumentReport {
        DocumentReport {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            title: self.title.clone(),
            doc_number: self.doc_number.clone(),
            verdict: self.verdict,
            coverage: self.coverage.clone(),
            findings: Vec::new(),
            error: self.error.clone(),
        }
    }
}

impl Scanner {
    /// Reviews a UTF-8 text as one plain-text document named `name`: the
    /// same report (findings, title, document number, verdict, coverage,
    /// SHA-256 of the UTF-8 bytes) that `baomi scan` gives for a file of
    /// these bytes with that name. A name ending in `.md` or `.markdown`
    /// takes its title from the first heading, as for Markdown files.
    ///
    /// An empty text is an `error` ([`EMPTY_DOCUMENT`]), never `clear`.
    ///
    /// ```
    /// use baomi_core::{Scanner, Verdict};
    /// let r = Scanner::shipped().review_text("notice.txt", "关于…的通知\n机密★1年\n");
    /// assert_eq!(r.verdict, Verdict::Withhold);
    /// assert_eq!(r.title.as_deref(), Some("关于…的通知"));
    /// assert_eq!(Scanner::shipped().review_text("x", "").verdict, Verdict::Error);
    /// ```
    pub fn review_text(&self, name: &str, text: &str) -> DocumentReport {
        let sha256: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if text.is_empty() {
            return DocumentReport::failed(name, sha256, format!("{name}: {EMPTY_DOCUMENT}"));
        }
        let lower = name.to_ascii_lowercase();
        let markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
        let mut report = DocumentReport {
            path: name.to_string(),
            sha256,
            title: guess_title(text, markdown),
            doc_number: find_doc_number(text),
            verdict: Verdict::Error,
            coverage: Default::default(),
            findings: self.scan_segment(text, &SegmentInfo::new(Part::Body)),
            error: None,
        };
        report.coverage.saw(Part::Body);
        report.decide();
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_json_is_the_value_tree_json() {
        let scanner = Scanner::shipped();
        let docs = vec![
            scanner.review_text(
                "a.txt",
                "关于\"通知\"\n机密★1年\n联系人手机13812345678，身份证号11010519491231002X\n",
            ),
            scanner.review_text("empty.txt", ""),
            scanner.review_text("c.md", "# 标题\n内部资料\t工作秘密★\n"),
        ];
        assert!(docs[0].findings.len() >= 3);
        let report = ScanReport::of(&docs);
        let tree = serde_json::to_string(&serde_json::to_value(&report).unwrap()).unwrap();
        assert_eq!(report.to_json(), tree);
        assert_eq!(ScanReport::of(&[]).to_json(), r#"{"documents":[]}"#);
    }
}
