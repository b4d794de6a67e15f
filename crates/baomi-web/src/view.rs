//! What the pages, the CLI and the API show about documents: plain data
//! assembled by [`crate::store`] from the ledger (and, where possible, from a
//! fresh read of the file), rendered by `html`, the CLI and the JSON API.

use crate::context::InContext;
use crate::review::{Decision, Progress, Status, Waiver};
use baomi_core::{Category, Confidence, Coverage, Location, Severity, Verdict};
use serde::Serialize;

/// A signing key as people know it: its id and, from the trust file, a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub key_id: String,
    /// From the trust file; `None` for a key the trust file does not list.
    pub name: Option<String>,
}

impl Signer {
    /// `name (key id)`, or the key id with a warning for an unknown key.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{n}（{}）", self.key_id),
            None => format!("未登记的密钥 {}", self.key_id),
        }
    }
}

/// One decision entry with who signed it and when.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub seq: u64,
    /// RFC 3339 UTC.
    pub recorded_at: String,
    pub signer: Signer,
    pub stage_label: String,
    #[serde(flatten)]
    pub decision: Decision,
    /// Hex Ed25519 signature, shown (shortened) on the printed form.
    pub signature: String,
}

/// One waiver entry with who signed it and when.
#[derive(Debug, Clone, Serialize)]
pub struct WaiverView {
    pub seq: u64,
    pub recorded_at: String,
    pub signer: Signer,
    pub doc_sha256: String,
    #[serde(flatten)]
    pub waiver: Waiver,
}

/// One finding as a reviewer sees it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub rule: String,
    pub title: String,
    pub category: Option<Category>,
    pub severity: Severity,
    pub basis: String,
    pub confidence: Option<Confidence>,
    pub location: Location,
    /// The ledger's (document-salted) hash of the matched text.
    pub matched_sha256: String,
    /// Revision-independent key of the matched text (see
    /// [`crate::review::text_key`]); known only when the file was re-read.
    #[serde(skip)]
    pub text_key: Option<String>,
    /// Masked preview from the ledger (never the full text).
    pub preview: String,
    /// The original text around the match, when the file could be re-read.
    #[serde(skip)]
    pub context: Option<InContext>,
    /// Set when a waiver covers this finding.
    pub waived: Option<WaiverView>,
}

/// Where the findings shown came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", content = "reason", rename_all = "kebab-case")]
pub enum FindingSource {
    /// The file was re-read (same SHA-256) and scanned again: full context.
    Rescanned,
    /// Only the ledger's masked previews; the reason says why.
    Recorded(String),
}

/// A document in the queue.
#[derive(Debug, Clone, Serialize)]
pub struct DocSummary {
    pub sha256: String,
    pub path: String,
    pub title: Option<String>,
    pub doc_number: Option<String>,
    pub verdict: Verdict,
    /// Sequence number and time of the latest scan entry.
    pub scan_seq: u64,
    pub scanned_at: String,
    pub findings: usize,
    /// Findings not covered by a waiver.
    pub open_findings: usize,
    /// Unwaived findings of severity `block`.
    pub open_block: usize,
    #[serde(skip)]
    pub status: Status,
    pub status_key: &'static str,
    pub status_label: String,
    /// Stage the document waits for (pending only).
    pub waiting_for: Option<String>,
    /// A newer revision (same path, other content) was scanned after it.
    pub superseded_by: Option<String>,
    /// Set when the document's entries do not verify (tampered): what is
    /// wrong. The other fields then come from the index only.
    pub problem: Option<String>,
}

/// Everything the document page, `baomi review show` and the printed form
/// need about one document.
#[derive(Debug, Clone)]
pub struct DocDetail {
    pub summary: DocSummary,
    pub coverage: Coverage,
    pub error: Option<String>,
    pub findings: Vec<FindingView>,
    pub source: FindingSource,
    pub progress: Progress,
    /// Decisions on the path, in order.
    pub decisions: Vec<DecisionView>,
    /// Decision entries that do not count, with why.
    pub ignored: Vec<(DecisionView, String)>,
    /// Waivers that apply to this document (made on it or inherited).
    pub waivers: Vec<WaiverView>,
    /// The machine scan's signer and time.
    pub scanner: Signer,
    /// Other revisions under the same path: (sha256, latest scan time).
    pub revisions: Vec<(String, String)>,
}

impl DocDetail {
    /// Findings grouped by part, body first, hidden parts after, in the
    /// order `Part` declares.
    pub fn by_part(&self) -> Vec<(baomi_core::Part, Vec<&FindingView>)> {
        let mut parts: Vec<baomi_core::Part> =
            self.findings.iter().map(|f| f.location.part).collect();
        parts.sort();
        parts.dedup();
        parts
            .into_iter()
            .map(|p| {
                (
                    p,
                    self.findings
                        .iter()
                        .filter(|f| f.location.part == p)
                        .collect(),
                )
            })
            .collect()
    }
}

/// The date part of an RFC 3339 time (`2026-11-27`), for forms.
pub fn date_of(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// Chinese labels for parts, severities and verdicts.
pub fn part_label(p: baomi_core::Part) -> &'static str {
    use baomi_core::Part::*;
    match p {
        Body => "正文",
        Header => "页眉",
        Footer => "页脚",
        Footnote => "脚注",
        Endnote => "尾注",
        Comment => "批注",
        TrackedDeletion => "修订删除",
        TrackedInsertion => "修订插入",
        Hidden => "隐藏文字",
        Metadata => "文档属性",
        TextLayer => "文字层",
        HtmlComment => "HTML 注释",
        HtmlAttribute => "HTML 属性",
    }
}

pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Block => "禁止",
        Severity::Review => "需审查",
        Severity::Note => "提示",
    }
}

pub fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Clear => "未发现问题",
        Verdict::Review => "需人工审查",
        Verdict::Withhold => "不宜公开",
        Verdict::Error => "无法完整读取",
    }
}
