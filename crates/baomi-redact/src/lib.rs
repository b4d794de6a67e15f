//! baomi-redact: a publishable copy of a draft (区分处理 under 《政府信息公开条例》
//! 第三十七条, 去标识化 of personal data), proven clean by scanning it again.
//!
//! [`redact`] takes a document's bytes and returns new bytes; the original
//! is never written. Each format is one [`Redactor`]: it removes the parts
//! a reader of the published file does not see but can recover (comments,
//! tracked deletions — insertions are accepted —, hidden text, document
//! properties except the title, custom XML, document variables,
//! thumbnails, the authors list) and hands the visible text to the shared
//! engine ([`Context::process`]) as [`Flow`]s: the engine scans each flow
//! with the same [`Scanner`] as `baomi scan`, masks personal data by each
//! rule's [`Mask`](baomi_core::mask::Mask), empties the paragraphs the
//! reviewer named (`remove_paragraphs_with`), and refuses while a
//! state-secret or work-secret `block` finding remains: a classified
//! document is not made publishable by deleting its marking.
//!
//! The copy is then read back by baomi-extract and scanned again
//! ([`prove`]); [`redact`] fails unless that scan is complete and free of
//! everything it was asked to remove, so a format quirk the redactor
//! missed (a text the readers see that the redactor did not) fails closed.
//!
//! ```
//! use baomi_redact::{redact, Options};
//! let scanner = baomi_core::Scanner::shipped();
//! let out = redact(
//!     std::path::Path::new("notice.txt"),
//!     "联系电话：13812345678\n".as_bytes(),
//!     &scanner,
//!     &Options::default(),
//!     &baomi_extract::Limits::default(),
//! )
//! .unwrap();
//! assert_eq!(String::from_utf8(out.bytes).unwrap(), "联系电话：138****5678\n");
//! assert_eq!(out.proof.verdict, baomi_core::Verdict::Clear);
//! ```

mod docx;
mod flow;
mod html;
mod odt;
mod package;
mod pdf;
mod text;
mod xlsx;
mod xmltree;

pub use flow::Flow;

use baomi_core::mask::{mask_spans, Mask};
use baomi_core::{Category, DocumentReport, Finding, Scanner, Severity, Verdict};
use baomi_extract::{ExtractError, Format, Limits};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// What the reviewer asked for beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rule ids whose findings make their whole paragraph go (for example
    /// `marking.classification` after the document was declassified, or
    /// `internal.marking`). Without it a state-secret or work-secret
    /// `block` finding in visible text refuses the redaction.
    pub remove_paragraphs_with: Vec<String>,
    /// Drop the document title from the properties too (kept by default:
    /// it is what the published file is called).
    pub drop_title: bool,
}

/// What was done to one place of the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Personal data masked in place.
    Masked,
    /// A paragraph emptied because it held a finding of a named rule.
    RemovedParagraph,
    /// A hidden item removed: comment, tracked deletion, hidden run, field
    /// code, document variable, property.
    RemovedHidden,
    /// A whole part of the package removed (comments, custom XML, the
    /// thumbnail, the authors list).
    RemovedPart,
    /// A tracked insertion accepted (its text stays, the revision mark goes).
    AcceptedInsertion,
}

/// One change, as the report and the ledger list it.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The part of the file (`word/document.xml`, `body`, `docProps/core.xml`).
    pub part: String,
    /// Where in it (`¶3:5`, `comment 0 (by 赵六)`, `dc:creator`).
    pub location: String,
    /// What was done.
    pub action: Action,
    /// The rule whose finding caused it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What was there, as a masked preview: personal data is never shown
    /// in full, long texts are cut.
    pub before: String,
    /// What is there now (empty for a removal).
    pub after: String,
}

/// A finding that stops the redaction until the reviewer says what to do.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    /// The rule that found it (`marking.classification`).
    pub rule: String,
    /// The part of the file it is in.
    pub part: String,
    /// Paragraph and column (`¶11:6`).
    pub location: String,
    /// The marking as it stands (markings are not personal data).
    pub matched: String,
}

/// A redacted copy and its proof.
#[derive(Debug, Clone)]
pub struct Redacted {
    /// The copy's bytes.
    pub bytes: Vec<u8>,
    /// The format it was redacted as.
    pub format: &'static str,
    pub changes: Vec<Change>,
    /// The rescan of the copy with the same rules.
    pub proof: DocumentReport,
}

impl Redacted {
    /// The payload of the signed `redaction` ledger entry (recorded under
    /// the copy's SHA-256, so the copy's page links back to the original):
    /// both SHA-256s and names, the rule-set fingerprint, every change
    /// (masked previews only) and what the rescan left for the reviewer.
    pub fn ledger_payload(
        &self,
        original_sha256: &str,
        original_path: &str,
        copy_path: &str,
        rules_fingerprint: &str,
    ) -> serde_json::Value {
        serde_json::json!({
            "original_sha256": original_sha256,
            "original_path": original_path,
            "copy_sha256": self.proof.sha256,
            "copy_path": copy_path,
            "format": self.format,
            "rules_fingerprint": rules_fingerprint,
            "changes": self.changes,
            "verdict": self.proof.verdict,
            "remaining": self.proof.findings.iter().map(|f| serde_json::json!({
                "rule": f.rule, "part": f.location.part, "location": f.location.to_string(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// Why no copy was made. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("cannot redact this format ({0}); redact the source file (.docx, .odt, .xlsx, .html, .txt, .md or .pdf) and export it again")]
    Unsupported(String),
    #[error("cannot read the document: {0}")]
    Extract(#[from] ExtractError),
    #[error("malformed document: {0}")]
    Malformed(String),
    #[error("refused: {}", refusal_message(.0))]
    Refused(Vec<Refusal>),
    #[error("the copy is not clean, so it was not written: {}; redact these by hand in the source file, or report the case", .0.join("; "))]
    NotClean(Vec<String>),
}

fn refusal_message(r: &[Refusal]) -> String {
    let list: Vec<String> = r
        .iter()
        .take(5)
        .map(|r| format!("{} at {} {} ({})", r.rule, r.part, r.location, r.matched))
        .collect();
    let rules: BTreeSet<&str> = r.iter().map(|r| r.rule.as_str()).collect();
    let flags: Vec<String> = rules
        .iter()
        .map(|id| format!("--remove-paragraphs-with {id}"))
        .collect();
    format!(
        "{} state-secret or work-secret marking(s) remain in the visible text: {}{}. A classified document is not made publishable by deleting its marking: have it declassified (解密) first; then name what to do with each ({})",
        r.len(),
        list.join("; "),
        if r.len() > 5 { "; …" } else { "" },
        flags.join(" ")
    )
}

/// One format's rewriting. Implementations remove what their format hides
/// and pass every visible text to [`Context::process`], then apply the
/// edits it returns; the shared engine decides what to mask or refuse, so
/// every format follows the same conventions.
pub trait Redactor {
    /// Rewrites `input` into the publishable copy.
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError>;
}

/// What a redactor works with: the rules, the options, the limits, and the
/// record of changes and refusals.
pub struct Context<'a> {
    /// The rules the copy is redacted and rescanned with.
    pub scanner: &'a Scanner,
    pub options: &'a Options,
    /// The caps hostile files are read under (the scanner's own).
    pub limits: &'a Limits,
    changes: Vec<Change>,
    refusals: Vec<Refusal>,
    /// The full text behind the last recorded change, so that one removal
    /// Word split into several runs is one change.
    last_removed: String,
}

/// What to do to one flow: text edits on its nodes and paragraphs to empty.
#[derive(Debug, Default)]
pub struct FlowEdits {
    /// (node, byte range in the node's text, replacement), in text order.
    pub text: Vec<(usize, std::ops::Range<usize>, String)>,
    /// Ids of paragraphs to empty (as given to [`Flow::end_paragraph`]).
    pub removed_paragraphs: BTreeSet<usize>,
}

impl<'a> Context<'a> {
    /// A context with no changes recorded yet.
    pub fn new(scanner: &'a Scanner, options: &'a Options, limits: &'a Limits) -> Self {
        Context {
            scanner,
            options,
            limits,
            changes: Vec::new(),
            refusals: Vec::new(),
            last_removed: String::new(),
        }
    }

    /// Records a change made by a redactor itself (a hidden item removed).
    /// A removal right after one at the same place (Word writes one
    /// deletion as a run per formatting change) extends it.
    pub fn record(
        &mut self,
        part: &str,
        location: impl Into<String>,
        action: Action,
        before: &str,
    ) {
        let location: String = location.into();
        if let Some(last) = self.changes.last() {
            if last.part == part
                && last.location == location
                && last.action == action
                && action == Action::RemovedHidden
                && last.rule.is_none()
            {
                let text = format!("{}{before}", self.last_removed);
                let preview = self.preview(&text);
                self.last_removed = text;
                if let Some(last) = self.changes.last_mut() {
                    last.before = preview;
                }
                return;
            }
        }
        self.last_removed = before.to_string();
        self.changes.push(Change {
            part: part.to_string(),
            location,
            action,
            rule: None,
            before: self.preview(before),
            after: String::new(),
        });
    }

    /// A short masked preview of a text: personal data masked, at most 40
    /// characters.
    pub fn preview(&self, text: &str) -> String {
        let spans = self
            .scanner
            .scan(text)
            .findings
            .iter()
            .filter(|f| f.category == Category::PersonalInfo)
            .map(|f| (f.span.start..f.span.end, Mask::Keep { head: 1, tail: 1 }))
            .collect();
        let mut t = text.to_string();
        for (r, m) in mask_spans(text, spans).into_iter().rev() {
            t.replace_range(r, &m);
        }
        let t = t.replace('\n', "⏎");
        let t = t.trim();
        if t.chars().count() > 40 {
            format!("{}…", t.chars().take(40).collect::<String>())
        } else {
            t.to_string()
        }
    }

    fn mask_of(&self, rule: &str) -> Mask {
        self.scanner
            .rules()
            .iter()
            .find(|r| &*r.id == rule)
            .and_then(|r| r.mask)
            .unwrap_or(Mask::Full)
    }

    /// Scans one flow of visible text and decides what happens to it:
    /// personal data is masked, paragraphs with a finding of a named rule
    /// are emptied, state-secret and work-secret `block` findings elsewhere
    /// are refusals. Other findings stay (the rescan lists them).
    pub fn process(&mut self, flow: &Flow, part: &str) -> FlowEdits {
        let text = flow.text();
        let report = self.scanner.scan(text);
        let mut edits = FlowEdits::default();
        let mut masks = Vec::new();
        let mut refusals = Vec::new();
        for f in &report.findings {
            let span = f.span.start..f.span.end.max(f.span.start + 1);
            if self
                .options
                .remove_paragraphs_with
                .iter()
                .any(|r| **r == *f.rule)
            {
                for (range, id) in flow.paragraphs_overlapping(span.clone()) {
                    if edits.removed_paragraphs.insert(id) {
                        self.changes.push(Change {
                            part: part.to_string(),
                            location: location(f),
                            action: Action::RemovedParagraph,
                            rule: Some(f.rule.to_string()),
                            before: self.preview(&text[range]),
                            after: String::new(),
                        });
                    }
                }
            } else if f.category == Category::PersonalInfo {
                masks.push((f, span));
            } else if f.severity == Severity::Block
                && matches!(f.category, Category::StateSecret | Category::WorkSecret)
            {
                refusals.push((f, span));
            }
        }
        let removed: Vec<std::ops::Range<usize>> = flow
            .paragraphs()
            .filter(|(_, id)| edits.removed_paragraphs.contains(id))
            .map(|(r, _)| r)
            .collect();
        let inside = |s: &std::ops::Range<usize>| {
            removed
                .iter()
                .any(|r| r.start <= s.start && s.end <= r.end + 1)
        };
        for (f, span) in refusals {
            if !inside(&span) {
                self.refusals.push(Refusal {
                    rule: f.rule.to_string(),
                    part: part.to_string(),
                    location: location(f),
                    matched: f.matched.to_string(),
                });
            }
        }
        let spans: Vec<_> = masks
            .iter()
            .filter(|(_, s)| !inside(s))
            .map(|(f, s)| (s.clone(), self.mask_of(&f.rule)))
            .collect();
        for (range, masked) in mask_spans(text, spans) {
            let f = masks
                .iter()
                .find(|(_, s)| s.start < range.end && range.start < s.end)
                .map(|(f, _)| *f);
            self.changes.push(Change {
                part: part.to_string(),
                location: f.map(location).unwrap_or_default(),
                action: Action::Masked,
                rule: f.map(|f| f.rule.to_string()),
                before: baomi_core::mask::preview(&text[range.clone()]),
                after: masked.clone(),
            });
            edits.text.extend(flow.map_edit(range, &masked));
        }
        edits
    }
}

fn location(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(c) = &f.location.cell {
        s.push_str(&format!("[{c}] "));
    }
    s.push_str(&format!("¶{}:{}", f.location.line, f.location.column));
    s
}

/// Redacts one document held in memory. `name` is used to detect the
/// format (content first) and in messages. On success the copy has been
/// rescanned ([`Redacted::proof`]) and is clean of everything this was
/// asked to remove.
pub fn redact(
    name: &Path,
    bytes: &[u8],
    scanner: &Scanner,
    options: &Options,
    limits: &Limits,
) -> Result<Redacted, RedactError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty.into());
    }
    let format = if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(RedactError::Unsupported(
            "a binary Office or WPS file (OLE2)".into(),
        ));
    } else {
        baomi_extract::detect(name, &bytes[..bytes.len().min(4096)])?
    };
    let redactor: Box<dyn Redactor> = match format {
        Format::Text | Format::Markdown => Box::new(text::PlainText),
        Format::Html => Box::new(html::Html),
        Format::Docx => Box::new(docx::Docx),
        Format::Odt => Box::new(odt::Odt),
        Format::Xlsx => Box::new(xlsx::Xlsx),
        Format::Pdf => Box::new(pdf::Pdf),
        other => return Err(RedactError::Unsupported(other.name().to_string())),
    };
    let mut ctx = Context::new(scanner, options, limits);
    let out = redactor.redact(bytes, &mut ctx)?;
    if !ctx.refusals.is_empty() {
        return Err(RedactError::Refused(ctx.refusals));
    }
    let proof = prove(name, &out, scanner, options, limits)?;
    Ok(Redacted {
        bytes: out,
        format: format.name(),
        changes: ctx.changes,
        proof,
    })
}

/// Scans a copy again with the same rules and fails unless it was read
/// completely and holds nothing the redaction was to remove: no finding in
/// a hidden part, no personal data, no finding of a rule whose paragraphs
/// were to go, no state-secret or work-secret `block` finding. Other
/// findings (an internal marking left for the reviewer) stay in the report.
pub fn prove(
    name: &Path,
    copy: &[u8],
    scanner: &Scanner,
    options: &Options,
    limits: &Limits,
) -> Result<DocumentReport, RedactError> {
    let shown = name.display().to_string();
    let report = baomi_extract::review_bytes(&shown, copy, scanner, limits);
    let mut problems = Vec::new();
    if report.verdict == Verdict::Error {
        problems.push(format!(
            "the copy could not be read completely ({})",
            report
                .error
                .clone()
                .unwrap_or_else(|| report.coverage.notes.join(", "))
        ));
    }
    for f in &report.findings {
        let why = if f.location.part.is_hidden() {
            "in a hidden part"
        } else if f.category == Category::PersonalInfo {
            "personal data"
        } else if options
            .remove_paragraphs_with
            .iter()
            .any(|r| **r == *f.rule)
        {
            "a rule whose paragraphs were to go"
        } else if f.severity == Severity::Block
            && matches!(f.category, Category::StateSecret | Category::WorkSecret)
        {
            "a state-secret or work-secret marking"
        } else {
            continue;
        };
        let shown = if f.category == Category::PersonalInfo {
            baomi_core::mask::preview(&f.matched)
        } else {
            f.matched.to_string()
        };
        problems.push(format!("{} ({why}) at {}: {shown}", f.rule, f.location));
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(RedactError::NotClean(problems))
    }
}
