//! The payloads of the review form: what a `scan` entry and a `decision`
//! entry hold. They are ordinary serde types; the ledger stores them as
//! RFC 8785 canonical JSON.

use crate::trust::Role;
use baomi_core::{Category, Confidence, Coverage, DocumentReport, Location, Severity, Verdict};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The payload of a `scan` entry: the machine's review form.
///
/// It never holds the matched secret text itself: each reason carries a
/// salted hash of it (to confirm, given a suspected text, that it was this
/// one) and a masked preview such as `机*★*年`. Note the hash can confirm a
/// guess of a short, structured value (a phone number), so it is not secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanForm {
    /// The file's path as scanned.
    pub path: String,
    /// 标题, when detected.
    #[serde(default)]
    pub title: Option<String>,
    /// 文号, when detected (e.g. `财税〔2016〕36号`).
    #[serde(default)]
    pub doc_number: Option<String>,
    /// What the form's 标题/文号 line shows: title and 文号, or, lacking both,
    /// the file name.
    pub summary: String,
    /// The machine's conclusion.
    pub verdict: Verdict,
    /// The conclusion in the form's words (可以公开 / 需人工审查 / 不予公开 / 未能完整审查).
    pub conclusion: String,
    /// What of the document was read.
    pub coverage: Coverage,
    #[serde(default)]
    pub error: Option<String>,
    /// 不公开的依据或理由: one per finding.
    pub reasons: Vec<Reason>,
    /// `Scanner::fingerprint()` of the rule set used.
    pub rules_fingerprint: String,
    /// Key id of the scanner key.
    pub signer: String,
    /// Always `scanner`.
    pub role: Role,
    /// When the scan was recorded (RFC 3339 UTC).
    pub time: String,
    /// The earlier scan of the same content (with another rule set) this one
    /// replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<u64>,
    /// Where the draft goes after this scan, when the recorder moves it
    /// (the daemon's outcome folder, e.g. `share/withheld/通知.docx`), so
    /// that the queue says where the file is now. `path` stays the path as
    /// scanned: revisions and waivers follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
}

/// One reason on the form: which rule fired where, on what legal basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub rule: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub basis: String,
    pub confidence: Confidence,
    pub location: Location,
    /// Hex SHA-256 of `doc_sha256 + "\n" + matched text`.
    pub matched_sha256: String,
    /// The matched text with letters, digits and CJK characters other than
    /// the first and last replaced by `*`.
    pub matched_preview: String,
}

/// How a reviewer concludes (审查结论).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    /// 同意公开.
    Publish,
    /// 修改后公开.
    PublishAfterChanges,
    /// 不予公开.
    Withhold,
}

impl Conclusion {
    pub const ALL: [Conclusion; 3] = [
        Conclusion::Publish,
        Conclusion::PublishAfterChanges,
        Conclusion::Withhold,
    ];

    /// Parses the kebab-case name (`publish-after-changes`).
    pub fn parse(s: &str) -> Option<Conclusion> {
        Conclusion::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Conclusion::Publish => "publish",
            Conclusion::PublishAfterChanges => "publish-after-changes",
            Conclusion::Withhold => "withhold",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Conclusion::Publish => "同意公开",
            Conclusion::PublishAfterChanges => "修改后公开",
            Conclusion::Withhold => "不予公开",
        }
    }
}

impl std::fmt::Display for Conclusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The payload of a `decision` entry: one stage's signed conclusion.
///
/// `baomi ledger verify` checks that the signer's key has `role` in the
/// trust file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The stage signed for.
    pub role: Role,
    pub conclusion: Conclusion,
    /// 处理意见, free text.
    #[serde(default)]
    pub opinion: String,
    /// Required changes (for `publish-after-changes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
    /// 不公开的依据或理由 (for `withhold`): law, regulation or reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// The scan entry this decision is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_seq: Option<u64>,
    /// Copied for the form, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// The masked preview of matched text: keeps the first and last character
/// and anything that is not a letter or digit (so `机密★5年` → `机*★*年`);
/// one- and two-character matches keep only the first (`秘密` → `秘*`).
/// Long matches are cut at 40 characters.
pub fn mask(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate().take(40) {
        let keep = if n <= 2 {
            i == 0 && n == 2
        } else {
            i == 0 || i == n - 1
        };
        out.push(if keep || !c.is_alphanumeric() { c } else { '*' });
    }
    if n > 40 {
        out.push('…');
    }
    out
}

/// The salted hash recorded instead of the matched text.
pub fn matched_hash(doc_sha256: &str, matched: &str) -> String {
    let mut h = Sha256::new();
    h.update(doc_sha256.as_bytes());
    h.update(b"\n");
    h.update(matched.as_bytes());
    crate::hex(&h.finalize())
}

/// The form's words for a machine verdict.
pub fn conclusion_zh(v: Verdict) -> &'static str {
    match v {
        Verdict::Clear => "可以公开（未发现问题）",
        Verdict::Review => "需人工审查",
        Verdict::Withhold => "不予公开",
        Verdict::Error => "未能完整审查，不得视为通过",
    }
}

impl ScanForm {
    /// The form for a report; `signer`, `time` and `supersedes` are filled
    /// in by the ledger when it records it.
    pub fn from_report(report: &DocumentReport, rules_fingerprint: &str) -> ScanForm {
        let summary = match (&report.title, &report.doc_number) {
            (Some(t), Some(n)) => format!("{t}（{n}）"),
            (Some(t), None) => t.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => {
                let name = std::path::Path::new(&report.path)
                    .file_name()
                    .map_or_else(|| report.path.clone(), |n| n.to_string_lossy().into_owned());
                format!("{name}（未识别标题或文号）")
            }
        };
        ScanForm {
            path: report.path.clone(),
            title: report.title.clone(),
            doc_number: report.doc_number.clone(),
            summary,
            verdict: report.verdict,
            conclusion: conclusion_zh(report.verdict).to_owned(),
            coverage: report.coverage.clone(),
            error: report.error.clone(),
            reasons: report
                .findings
                .iter()
                .map(|f| Reason {
                    rule: f.rule.to_string(),
                    title: f.title.to_string(),
                    category: f.category,
                    severity: f.severity,
                    basis: f.basis.to_string(),
                    confidence: f.confidence,
                    location: f.location.clone(),
                    matched_sha256: matched_hash(&report.sha256, &f.matched),
                    matched_preview: mask(&f.matched),
                })
                .collect(),
            rules_fingerprint: rules_fingerprint.to_owned(),
            signer: String::new(),
            role: Role::Scanner,
            time: String::new(),
            supersedes: None,
            moved_to: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask("机密★5年"), "机*★*年");
        assert_eq!(mask("秘密"), "秘*");
        assert_eq!(mask("密"), "*");
        assert_eq!(mask("110101199003071234"), "1****************4");
        assert_eq!(mask("138 1234 5678"), "1** **** ***8");
        assert_eq!(mask(&"a".repeat(50)).chars().count(), 41);
    }
}
