//! The data every other crate passes around: where text came from, what was
//! found in it, and what that means for publication.

pub use crate::excerpt::{Context, Excerpt};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// Where in a document a piece of text sits. Hidden parts matter most: a
/// tracked deletion or a comment still ships inside the published file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    Body,
    Header,
    Footer,
    Footnote,
    Endnote,
    Comment,
    TrackedDeletion,
    TrackedInsertion,
    Hidden,
    Metadata,
    TextLayer,
    HtmlComment,
    HtmlAttribute,
    /// The target of a link stored in an office file (a URL, a local path
    /// such as `C:\Documents and Settings\…`, a linked template): not shown
    /// in the text, but it ships with the file.
    Hyperlink,
    /// Alternative text and titles of images, shapes and charts (docx/xlsx
    /// `descr`/`title`, odt `svg:title`/`svg:desc`).
    AltText,
    /// Text of a file embedded in the document (the workbook behind a
    /// chart, an embedded document or object): only partly visible, if at
    /// all, but anyone who opens the object reads all of it.
    Embedded,
    /// Text read by OCR from an image: a scanned PDF page, a standalone
    /// image file, or a picture inside an office file. Its own part so that
    /// a reviewer knows the text was recognised (and may be misread) and
    /// where on the image to look (`Location::bbox`).
    Ocr,
}

impl Part {
    /// The kebab-case name used in JSON, SARIF and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Body => "body",
            Part::Header => "header",
            Part::Footer => "footer",
            Part::Footnote => "footnote",
            Part::Endnote => "endnote",
            Part::Comment => "comment",
            Part::TrackedDeletion => "tracked-deletion",
            Part::TrackedInsertion => "tracked-insertion",
            Part::Hidden => "hidden",
            Part::Metadata => "metadata",
            Part::TextLayer => "text-layer",
            Part::HtmlComment => "html-comment",
            Part::HtmlAttribute => "html-attribute",
            Part::Hyperlink => "hyperlink",
            Part::AltText => "alt-text",
            Part::Embedded => "embedded",
            Part::Ocr => "ocr",
        }
    }

    /// Parts a reader of the published file does not see at a glance but can
    /// recover; reviewers must have these pointed out.
    pub fn is_hidden(self) -> bool {
        matches!(
            self,
            Part::Comment
                | Part::TrackedDeletion
                | Part::Hidden
                | Part::Metadata
                | Part::HtmlComment
                | Part::HtmlAttribute
                | Part::Hyperlink
                | Part::AltText
                | Part::Embedded
        )
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a text segment came from inside its document. Extractors fill the
/// fields that make sense for their format; the scanner adds line and column.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SegmentInfo {
    pub part: Option<Part>,
    /// 1-based page number (PDF).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    /// 1-based paragraph number in the part (docx, odt, doc, html); a table
    /// row counts as one paragraph (its cells are one line, see `cell`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paragraph: Option<u32>,
    /// Table cell, e.g. `table 2, row 3, cell 1`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cell: Option<String>,
    /// Author of a comment or tracked change.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub author: Option<String>,
    /// Anything else that helps a person find the text (`core.xml: dc:creator`,
    /// `<img alt>`, an internal file name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

impl SegmentInfo {
    pub fn new(part: Part) -> Self {
        SegmentInfo {
            part: Some(part),
            ..Default::default()
        }
    }
}

/// Where a finding is: the segment's location plus line and column.
// `cell`, `author` and `detail` are shared (`Arc<str>`) by every finding of
// their segment rather than copied into each (not a doc comment: it would
// show in docs/report.schema.json, which describes the JSON only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Location {
    pub part: Part,
    /// 1-based line within the segment (for plain text: within the file).
    pub line: u64,
    /// 1-based column, counted in characters (not bytes).
    pub column: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub page: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub paragraph: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub cell: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub author: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<Arc<str>>,
    /// Where on the page or image the matched text is (OCR findings only):
    /// absent from the JSON otherwise, so reports without OCR are unchanged.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bbox: Option<BBox>,
}

/// A rectangle on a page or image, from its top-left corner: the union of
/// the boxes of the OCR words a finding covers. For a PDF page the unit is
/// the PDF point (1/72 inch, whatever resolution the page was read at), for
/// an image file or a picture inside a document it is the image's pixel.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub unit: BoxUnit,
}

/// The unit of a [`BBox`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum BoxUnit {
    /// PDF point, 1/72 inch.
    Pt,
    /// Image pixel.
    Px,
}

impl BBox {
    /// The smallest box holding both.
    pub fn union(self, other: BBox) -> BBox {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let r = (self.x + self.w).max(other.x + other.w);
        let b = (self.y + self.h).max(other.y + other.h);
        BBox {
            x,
            y,
            w: r - x,
            h: b - y,
            unit: self.unit,
        }
    }
}

impl fmt::Display for BBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            BoxUnit::Pt => "pt",
            BoxUnit::Px => "px",
        };
        write!(f, "at {},{} {}x{} {u}", self.x, self.y, self.w, self.h)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.part)?;
        if let Some(p) = self.page {
            write!(f, " p.{p}")?;
        }
        if let Some(p) = self.paragraph {
            write!(f, " ¶{p}")?;
        }
        if let Some(c) = &self.cell {
            write!(f, " [{c}]")?;
        }
        if let Some(a) = &self.author {
            write!(f, " (by {a})")?;
        }
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        if let Some(b) = &self.bbox {
            write!(f, " [{b}]")?;
        }
        write!(f, " {}:{}", self.line, self.column)
    }
}

/// What kind of protected information a rule looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    StateSecret,
    WorkSecret,
    PersonalInfo,
    TradeSecret,
    Internal,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::StateSecret => "state-secret",
            Category::WorkSecret => "work-secret",
            Category::PersonalInfo => "personal-info",
            Category::TradeSecret => "trade-secret",
            Category::Internal => "internal",
        }
    }
}

/// How serious a rule's finding is; decides the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Note,
    Review,
    Block,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Review => "review",
            Severity::Block => "block",
        }
    }
}

/// How sure the scanner is that a finding is real: `high` when a context word
/// (hotword) is near or the rule needs none, `medium` without one, `low` when
/// a validator only half-passed (e.g. a bank card number failing Luhn next to
/// the word 银行卡).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The machine's conclusion about one document.
///
/// Ordered from best to worst for publication except `Error`, which callers
/// must treat as *not cleared*.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Clear,
    Review,
    Withhold,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Clear => "clear",
            Verdict::Review => "review",
            Verdict::Withhold => "withhold",
            Verdict::Error => "error",
        }
    }

    /// The verdict that findings alone lead to: any `block` → withhold, any
    /// `review` → review, otherwise clear.
    pub fn from_findings(findings: &[Finding]) -> Verdict {
        match findings.iter().map(|f| f.severity).max() {
            Some(Severity::Block) => Verdict::Withhold,
            Some(Severity::Review) => Verdict::Review,
            _ => Verdict::Clear,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Byte offsets of a finding in the original text of its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Finding {
    pub rule: Arc<str>,
    pub title: Arc<str>,
    pub category: Category,
    pub severity: Severity,
    pub basis: Arc<str>,
    /// The matched text exactly as it stands in the original (not normalised).
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub matched: Excerpt,
    pub confidence: Confidence,
    pub location: Location,
    /// The matched text with a few characters either side, newlines shown as ⏎.
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub context: Context,
    /// Byte span in the original text of the segment.
    pub span: Span,
}

/// The result of scanning one text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        Verdict::from_findings(&self.findings)
    }
}

/// What of a document was read. A gap (an image-only page, a skipped
/// embedded object) makes `complete` false, and then the verdict is never
/// `clear`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Coverage {
    pub complete: bool,
    pub parts: Vec<Part>,
    pub notes: Vec<String>,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            complete: true,
            parts: Vec::new(),
            notes: Vec::new(),
        }
    }
}

impl Coverage {
    /// Records that something could not be read; the document is then not
    /// fully covered.
    pub fn gap(&mut self, note: impl Into<String>) {
        self.complete = false;
        self.notes.push(note.into());
    }

    /// Records that a part was read.
    pub fn saw(&mut self, part: Part) {
        if !self.parts.contains(&part) {
            self.parts.push(part);
        }
    }
}

/// The review of one document: the JSON contract of `baomi scan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DocumentReport {
    pub path: String,
    /// Hex SHA-256 of the file's bytes; empty when the file could not be read.
    pub sha256: String,
    pub title: Option<String>,
    pub doc_number: Option<String>,
    pub verdict: Verdict,
    pub coverage: Coverage,
    pub findings: Vec<Finding>,
    pub error: Option<String>,
}

impl DocumentReport {
    /// A document that could not be read or scanned at all.
    pub fn failed(
        path: impl Into<String>,
        sha256: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        let error = error.into();
        let mut coverage = Coverage::default();
        coverage.gap(error.clone());
        DocumentReport {
            path: path.into(),
            sha256: sha256.into(),
            title: None,
            doc_number: None,
            verdict: Verdict::Error,
            coverage,
            findings: Vec::new(),
            error: Some(error),
        }
    }

    /// Derives the verdict, failing closed: an error is `error`; `block`
    /// findings are `withhold` even when the document was only partly read
    /// (it must not be published either way, and the reason is the more
    /// useful one); otherwise a partly read document is `error`, never
    /// `clear` or merely `review`.
    pub fn decide(&mut self) {
        let from_findings = Verdict::from_findings(&self.findings);
        self.verdict = if self.error.is_some() {
            Verdict::Error
        } else if from_findings == Verdict::Withhold {
            Verdict::Withhold
        } else if !self.coverage.complete {
            Verdict::Error
        } else {
            from_findings
        };
    }
}

#[cfg(test)]
mod size_tests {
    #[test]
    fn finding_stays_small() {
        // Scans can report hundreds of thousands of findings; keep each one
        // compact (quotes and rule fields shared behind Arc, no strings of
        // its own).
        assert!(
            std::mem::size_of::<super::Finding>() <= 224,
            "{}",
            std::mem::size_of::<super::Finding>()
        );
    }
}
