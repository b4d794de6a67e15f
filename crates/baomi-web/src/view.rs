//! What the pages, the CLI and the API show about documents: plain data
//! assembled by [`crate::store`] from the ledger (and, where possible, from a
//! fresh read of the file), rendered by `html`, the CLI and the JSON API.

use crate::context::InContext;
use crate::review::{Decision, Progress, ReviewError, Status, Waiver};
use crate::store::StoreError;
use baomi_core::display::visible;
use baomi_core::{Category, Confidence, Coverage, Location, Severity, Verdict};
use baomi_ledger::Role;
use serde::Serialize;

/// A signing key as people know it: its id and, from the trust file, a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signer {
    pub key_id: String,
    /// From the trust file; `None` for a key the trust file does not list.
    pub name: Option<String>,
}

impl Signer {
    /// `name (key id)`, or the key id with a warning for an unknown key;
    /// both made [`visible`] (the trust file and the ledger are text too).
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) => format!("{}（{}）", visible(n), visible(&self.key_id)),
            None => format!("未登记的密钥 {}", visible(&self.key_id)),
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
    /// Where the file is now: the folder the daemon moved it to, else the
    /// path as scanned.
    pub location: String,
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
    /// When this document is a redacted copy (`baomi redact`): the
    /// original's SHA-256, from the signed `redaction` entry.
    pub redacted_from: Option<String>,
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

// Dates and times people read come from one place,
// `baomi_core::time::{format_datetime, format_date}` (the office's zone,
// labelled); every displayed field goes through `baomi_core::display::visible`.

/// Chinese labels for parts, severities, confidences and verdicts (the
/// same words as on the exported forms, [`baomi_ledger::export`]).
pub fn part_label(p: baomi_core::Part) -> &'static str {
    baomi_ledger::export::part_zh(p)
}

pub fn severity_label(s: Severity) -> &'static str {
    baomi_ledger::export::severity_zh(s)
}

pub fn confidence_label(c: Confidence) -> &'static str {
    baomi_ledger::export::confidence_zh(c)
}

/// Where a finding sits, without its part: `第 3 段 · 作者 李四 · 第 3 行第 4 列`.
pub fn location_label(l: &Location) -> String {
    baomi_ledger::export::location_zh(l)
}

/// A trust-file role as people call it (`secrecy-committee` → 保密委员会);
/// a role this version does not know is shown as written.
pub fn role_label(role: &str) -> String {
    match role.parse::<Role>() {
        Ok(r) => r.role_zh().to_string(),
        Err(_) => visible(role),
    }
}

/// A stage id in a refusal (`work-department` → 工作部审核): the default
/// path's label, else the id as written.
fn stage_label(stage: &str) -> String {
    match stage.parse::<Role>() {
        Ok(r) => r.label_zh().to_string(),
        Err(_) if stage.starts_with("waiver") => "豁免".to_string(),
        Err(_) => visible(stage),
    }
}

/// What a page says when a request is refused or fails: the reason in the
/// office's words, then, after a line break, the technical message (the
/// same English as the CLI and the logs) for whoever has to fix it. Pages
/// show the first line as the message and the rest as 技术信息.
pub fn message_zh(e: &StoreError) -> String {
    let zh = match e {
        StoreError::Review(r) => review_zh(r),
        StoreError::NotFound(m) if m.starts_with("no scan of document") => {
            "账本中没有这个文档的扫描记录。".to_string()
        }
        StoreError::NotFound(m) if m.contains("has no finding") => {
            "该文档没有这项发现（文档可能已重新扫描），请刷新页面后再试。".to_string()
        }
        StoreError::NotFound(_) => "没有找到所请求的内容。".to_string(),
        StoreError::Refused(m) if m.contains("newer revision") => {
            "该文件之后又扫描了新版本，请审查新版本。".to_string()
        }
        StoreError::Refused(m) if m.contains("already waived") => {
            "这项发现已经豁免过，无需再次豁免。".to_string()
        }
        StoreError::Refused(m) if m.starts_with("unknown status") => {
            "未知的审查状态；可选：审查中、不予公开、已公开存档。".to_string()
        }
        StoreError::Refused(_) => "请求被拒绝，未记录任何内容。".to_string(),
        StoreError::Ledger(_) => {
            "账本操作失败，未记录任何内容。请联系保密管理员运行 baomi ledger verify 检查账本。"
                .to_string()
        }
        StoreError::Internal(_) => "内部错误，未记录任何内容。".to_string(),
    };
    format!("{zh}\n{e}")
}

fn review_zh(e: &ReviewError) -> String {
    match e {
        ReviewError::UnknownStage { stage, path } => format!(
            "没有“{}”这个审查阶段；审查流程为：{}。",
            visible(stage),
            visible(path)
        ),
        ReviewError::MissingRole {
            key, role, stage, ..
        } => format!(
            "当前签名密钥 {} 没有“{}”所需的“{}”角色。请保密管理员在信任文件中为该密钥登记此角色，或改用{}审查人的密钥签名。",
            visible(key),
            stage_label(stage),
            role_label(role),
            role_label(role)
        ),
        ReviewError::OutOfOrder { stage, waiting } => format!(
            "现在还不能提交“{}”的意见：文档正在等待“{}”（各阶段须依次进行）。",
            stage_label(stage),
            stage_label(waiting)
        ),
        ReviewError::AlreadyDecided { stage, seq } => format!(
            "“{}”已有审查意见（账本 #{seq}）；文档修改后重新扫描，审查流程才会重新开始。",
            stage_label(stage)
        ),
        ReviewError::Ended { stage, seq } => format!(
            "该文档的审查流程已结束：在“{}”不予公开（账本 #{seq}）。修改文档并重新扫描后重新开始。",
            stage_label(stage)
        ),
        ReviewError::Complete => {
            "该文档的审查流程已完成（同意公开，办理存档），没有待审查的阶段。".to_string()
        }
        ReviewError::SameSigner { key, stage, .. } => format!(
            "密钥 {} 已签署过本文档的“{}”；每个阶段须由不同的审查人签署。",
            visible(key),
            stage_label(stage)
        ),
        ReviewError::Incomplete(m) if m.contains("opinion") => {
            "“审查结论或处理意见”不能为空：请写明审查了什么、结论的理由。".to_string()
        }
        ReviewError::Incomplete(m) if m.contains("publish-after-changes") => {
            "选择“修改后公开”时，须填写修改要求。".to_string()
        }
        ReviewError::Incomplete(m) if m.contains("withhold") => {
            "选择“不予公开”时，须填写不公开的依据或理由。".to_string()
        }
        ReviewError::Incomplete(m) if m.contains("reason") => {
            "豁免须写明理由（为什么属于误报）。".to_string()
        }
        ReviewError::Incomplete(_) => "填写的内容不完整。".to_string(),
        ReviewError::NotScanned(_) => {
            "账本中没有该文档的扫描记录；请先用 baomi scan --db … 扫描。".to_string()
        }
        ReviewError::UnwaivedBlock(n) => format!(
            "该文档还有 {n} 项未豁免的“不得公开”发现，不能“同意公开”：请选择“修改后公开”或“不予公开”，或先将误报豁免。"
        ),
        ReviewError::BadPath(_) => "审查流程配置有误。".to_string(),
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
