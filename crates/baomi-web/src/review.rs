//! The staged review path as pure functions over ledger entries.
//!
//! Nothing here touches the ledger or the network: the CLI (`baomi review`)
//! and the web server both hand in the entries of one document and get back
//! its status, or a refusal with the reason, so the two can never disagree
//! about what a document's state is. Status is *derived* from the signed
//! entries every time, never stored beside them: a status column could be
//! edited without a signature, the chain cannot.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Ledger entry kind of a reviewer's decision at one stage.
pub const KIND_DECISION: &str = "decision";
/// Ledger entry kind of a waived (false-positive) finding.
pub const KIND_WAIVER: &str = "waiver";
/// Ledger entry kind of a machine scan (written by the ledger crate).
pub const KIND_SCAN: &str = "scan";

/// Why a decision or waiver is refused. Every message says what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReviewError {
    #[error("unknown stage `{stage}`; the review path is: {path}")]
    UnknownStage { stage: String, path: String },
    #[error("key {key} ({name}) lacks the role `{role}` that stage `{stage}` requires; add the role to the key in the trust file, or sign with the key of a {role} reviewer")]
    MissingRole {
        key: String,
        name: String,
        role: String,
        stage: String,
    },
    #[error("stage `{stage}` cannot be decided yet: the document is waiting for stage `{waiting}` first (stages happen in order)")]
    OutOfOrder { stage: String, waiting: String },
    #[error("stage `{stage}` was already decided (entry #{seq}); a new revision of the document starts the path again")]
    AlreadyDecided { stage: String, seq: u64 },
    #[error("the review path of this document has ended: withheld at stage `{stage}` (entry #{seq}); change the document and scan it again to start over")]
    Ended { stage: String, seq: u64 },
    #[error("the review path of this document is complete (published and archived); nothing is left to decide")]
    Complete,
    #[error("key {key} ({name}) already signed stage `{stage}` of this document; each stage needs a different reviewer")]
    SameSigner {
        key: String,
        name: String,
        stage: String,
    },
    #[error("{0}")]
    Incomplete(String),
    #[error("no scan of document {0} is in the ledger; scan it with `baomi scan --db …` first")]
    NotScanned(String),
    #[error("the document has {0} unwaived `block` finding(s); conclude `publish-after-changes` or `withhold`, or waive them as false positives first")]
    UnwaivedBlock(usize),
    #[error("invalid review path: {0}")]
    BadPath(String),
}

/// One stage of the review path and the trust-file role allowed to sign it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Stable identifier used on the command line, in URLs and in entries.
    pub id: String,
    /// What the office calls it (shown on forms).
    pub label: String,
    /// Role a key must hold in the trust file to sign this stage.
    pub role: String,
}

/// The ordered stages every document goes through. After the last stage
/// concludes in favour of publication the document is "published and
/// archived" (办理存档): that is the end state, not another signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPath {
    #[serde(rename = "stage")]
    pub stages: Vec<Stage>,
}

impl Default for ReviewPath {
    /// The office's path: 部门申请 → 工作部审核 → 保密委审查 (→ 办理存档).
    fn default() -> Self {
        let s = |id: &str, label: &str| Stage {
            id: id.into(),
            label: label.into(),
            role: id.into(),
        };
        ReviewPath {
            stages: vec![
                s("department", "部门申请"),
                s("work-department", "工作部审核"),
                s("secrecy-committee", "保密委审查"),
            ],
        }
    }
}

impl ReviewPath {
    /// Reads a path from TOML:
    ///
    /// ```toml
    /// [[stage]]
    /// id = "department"
    /// label = "部门申请"
    /// role = "department"
    /// ```
    pub fn from_toml(text: &str) -> Result<Self, ReviewError> {
        let path: ReviewPath =
            toml::from_str(text).map_err(|e| ReviewError::BadPath(e.to_string()))?;
        if path.stages.is_empty() {
            return Err(ReviewError::BadPath("it has no [[stage]]".into()));
        }
        for (i, s) in path.stages.iter().enumerate() {
            if s.id.is_empty()
                || !s
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ReviewError::BadPath(format!(
                    "stage id `{}` must be non-empty ASCII letters, digits, - or _",
                    s.id
                )));
            }
            if path.stages[..i].iter().any(|o| o.id == s.id) {
                return Err(ReviewError::BadPath(format!(
                    "stage `{}` appears twice",
                    s.id
                )));
            }
        }
        Ok(path)
    }

    pub fn stage(&self, id: &str) -> Option<(usize, &Stage)> {
        self.stages.iter().enumerate().find(|(_, s)| s.id == id)
    }

    /// `a → b → c`, for messages.
    pub fn describe(&self) -> String {
        self.stages
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

/// 审查结论: what a reviewer concludes at a stage (the ledger's type, so that
/// `baomi ledger verify` and the web UI read decisions alike).
pub use baomi_ledger::Conclusion;

/// The payload of a `decision` entry: one stage's row of the review form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The stage decided (an id of the review path). Entries written by
    /// tools that know only roles may omit it; see [`Decision::resolve`].
    #[serde(default)]
    pub stage: String,
    /// The trust-file role of that stage: what `baomi ledger verify` checks
    /// the signer holds. Filled in by [`check_decision`].
    #[serde(default)]
    pub role: String,
    pub conclusion: Conclusion,
    /// 审查结论或处理意见: the reviewer's own words.
    pub opinion: String,
    /// Required changes (for `publish-after-changes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
    /// 不公开的依据或理由 (for `withhold`): law, regulation or reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// 标题 and 文号 as scanned, copied so that the entry alone is a
    /// complete row of the review form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_number: Option<String>,
    /// Sequence number of the decision this one follows (None for the
    /// first stage), binding the order into the signed payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows: Option<u64>,
    /// The scan entry the reviewer looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_seq: Option<u64>,
    /// The document's path as scanned, for the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Decision {
    /// A decision read from the ledger that names only its role gets the
    /// first stage with that role.
    pub fn resolve(mut self, path: &ReviewPath) -> Decision {
        if self.stage.is_empty() {
            if let Some(s) = path.stages.iter().find(|s| s.role == self.role) {
                self.stage = s.id.clone();
            }
        }
        self
    }

    /// Checks the fields a conclusion needs, trimming surrounding blanks.
    pub fn normalised(mut self) -> Result<Decision, ReviewError> {
        let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        self.opinion = self.opinion.trim().to_string();
        self.changes = clean(self.changes);
        self.basis = clean(self.basis);
        if self.opinion.is_empty() {
            return Err(ReviewError::Incomplete(
                "the opinion (审查结论或处理意见) is empty; say what was checked and why".into(),
            ));
        }
        match self.conclusion {
            Conclusion::PublishAfterChanges if self.changes.is_none() => {
                return Err(ReviewError::Incomplete(
                    "`publish-after-changes` needs the required changes (--changes)".into(),
                ))
            }
            Conclusion::Withhold if self.basis.is_none() => {
                return Err(ReviewError::Incomplete(
                    "`withhold` needs the basis for not publishing (不公开的依据或理由, --basis)"
                        .into(),
                ))
            }
            _ => {}
        }
        Ok(self)
    }
}

/// The payload of a `waiver` entry: one finding declared a false positive.
///
/// Keyed by the rule and a hash of the matched text, never by position, so
/// that it follows the text through edits and never covers new text (a new
/// secret on the same line has another hash).
///
/// The ledger's own per-finding hash is salted with the document's SHA-256,
/// so it differs in every revision. A waiver therefore carries two keys:
/// `matched_sha256` (the ledger's hash, valid for the document it was made
/// on) and `text_key` (see [`text_key`], the same in every revision; present
/// when the matched text itself was at hand, i.e. the file was re-read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub rule: String,
    /// The ledger's salted hash of the matched text in the waived document.
    pub matched_sha256: String,
    /// Revision-independent key of the matched text, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_key: Option<String>,
    pub reason: String,
    /// The masked preview of what was waived, so that a listing of waivers
    /// says what they are about without revealing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// Path of the document when waived: later revisions under the same path
    /// inherit the waiver while the text is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Waiver {
    /// Whether this waiver (made on document `waived_on`) covers a finding
    /// of `rule` in document `doc_sha256` whose ledger hash is
    /// `matched_sha256` and whose revision-independent key, when the text is
    /// known, is `text_key`.
    pub fn covers(
        &self,
        waived_on: &str,
        rule: &str,
        doc_sha256: &str,
        matched_sha256: &str,
        text_key: Option<&str>,
    ) -> bool {
        if self.rule != rule {
            return false;
        }
        if waived_on == doc_sha256 && self.matched_sha256 == matched_sha256 {
            return true;
        }
        matches!((&self.text_key, text_key), (Some(a), Some(b)) if a == b)
    }
}

/// The revision-independent waiver key of a matched text: hex SHA-256 of
/// `"baomi-waiver-v1\n" + rule + "\n" + matched`. It lets a waiver follow
/// unchanged text into later revisions; a guess of the text can be
/// confirmed with it exactly as with the ledger's own hash (whose salt, the
/// document hash, is public), so it reveals nothing more.
pub fn text_key(rule: &str, matched: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"baomi-waiver-v1\n");
    h.update(rule.as_bytes());
    h.update(b"\n");
    h.update(matched.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One decision entry as read from the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedDecision {
    pub seq: u64,
    pub key_id: String,
    pub decision: Decision,
}

/// Where a document stands on the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for the stage with this index.
    Pending { stage: usize },
    /// A stage concluded `withhold`; the path has ended.
    Withheld { stage: usize, seq: u64 },
    /// Every stage concluded in favour: published and archived (办理存档).
    /// `with_changes` when any stage required changes.
    Approved { with_changes: bool },
}

impl Status {
    /// Machine-readable name used by `--status` and the API.
    pub fn key(&self) -> &'static str {
        match self {
            Status::Pending { .. } => "pending",
            Status::Withheld { .. } => "withheld",
            Status::Approved { .. } => "approved",
        }
    }

    /// Label for people, in the office's words.
    pub fn label(&self, path: &ReviewPath) -> String {
        match self {
            Status::Pending { stage } => format!("待{}", path.stages[*stage].label),
            Status::Withheld { stage, .. } => format!("不予公开（{}）", path.stages[*stage].label),
            Status::Approved {
                with_changes: false,
            } => "已同意公开，办理存档".into(),
            Status::Approved { with_changes: true } => "修改后公开，办理存档".into(),
        }
    }

    /// The stage id the document waits for, if any.
    pub fn waiting_for<'p>(&self, path: &'p ReviewPath) -> Option<&'p Stage> {
        match self {
            Status::Pending { stage } => path.stages.get(*stage),
            _ => None,
        }
    }
}

/// The derived state of one document: status, the decisions that count (in
/// path order), and entries that do not count with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub status: Status,
    pub steps: Vec<SignedDecision>,
    /// Decision entries present in the ledger but not valid on the path
    /// (out of order, wrong role, after the end), with why. Shown to
    /// reviewers; they never advance the status.
    pub ignored: Vec<(SignedDecision, String)>,
}

/// Trust-file lookups the path needs. Implemented over the ledger's trust
/// file by the store, and by plain maps in tests.
pub trait Roles {
    fn has_role(&self, key_id: &str, role: &str) -> bool;
    fn name(&self, key_id: &str) -> String;
}

/// Replays the decisions of one document (in ledger order) over the path.
/// A decision counts only if it is for the stage the document waits for,
/// signed by a key holding that stage's role, by a key that has not signed
/// an earlier stage of the same document.
pub fn progress(path: &ReviewPath, decisions: &[SignedDecision], roles: &dyn Roles) -> Progress {
    let mut status = Status::Pending { stage: 0 };
    let mut steps: Vec<SignedDecision> = Vec::new();
    let mut ignored = Vec::new();
    let mut sorted: Vec<&SignedDecision> = decisions.iter().collect();
    sorted.sort_by_key(|d| d.seq);
    for d in sorted {
        match admissible(path, &status, &steps, &d.key_id, &d.decision.stage, roles) {
            Ok(i) => {
                steps.push(d.clone());
                status = match d.decision.conclusion {
                    Conclusion::Withhold => Status::Withheld {
                        stage: i,
                        seq: d.seq,
                    },
                    _ if i + 1 == path.stages.len() => Status::Approved {
                        with_changes: steps
                            .iter()
                            .any(|s| s.decision.conclusion == Conclusion::PublishAfterChanges),
                    },
                    _ => Status::Pending { stage: i + 1 },
                };
            }
            Err(e) => ignored.push((d.clone(), e.to_string())),
        }
    }
    Progress {
        status,
        steps,
        ignored,
    }
}

/// Whether `key_id` may decide `stage` now; returns the stage index.
fn admissible(
    path: &ReviewPath,
    status: &Status,
    steps: &[SignedDecision],
    key_id: &str,
    stage: &str,
    roles: &dyn Roles,
) -> Result<usize, ReviewError> {
    let Some((i, st)) = path.stage(stage) else {
        return Err(ReviewError::UnknownStage {
            stage: stage.into(),
            path: path.describe(),
        });
    };
    match status {
        Status::Withheld { stage: w, seq } => {
            return Err(ReviewError::Ended {
                stage: path.stages[*w].id.clone(),
                seq: *seq,
            })
        }
        Status::Approved { .. } => return Err(ReviewError::Complete),
        Status::Pending { stage: next } if i < *next => {
            let seq = steps
                .iter()
                .find(|s| s.decision.stage == stage)
                .map_or(0, |s| s.seq);
            return Err(ReviewError::AlreadyDecided {
                stage: stage.into(),
                seq,
            });
        }
        Status::Pending { stage: next } if i > *next => {
            return Err(ReviewError::OutOfOrder {
                stage: stage.into(),
                waiting: path.stages[*next].id.clone(),
            })
        }
        Status::Pending { .. } => {}
    }
    if !roles.has_role(key_id, &st.role) {
        return Err(ReviewError::MissingRole {
            key: key_id.into(),
            name: roles.name(key_id),
            role: st.role.clone(),
            stage: st.id.clone(),
        });
    }
    if let Some(prev) = steps.iter().find(|s| s.key_id == key_id) {
        return Err(ReviewError::SameSigner {
            key: key_id.into(),
            name: roles.name(key_id),
            stage: prev.decision.stage.clone(),
        });
    }
    Ok(i)
}

/// Checks a new decision before anything is written: fields complete, the
/// stage is the one the document waits for, the key holds its role and has
/// not signed another stage, and `publish` is not concluded over unwaived
/// `block` findings. Returns the decision ready to sign (with `follows`).
pub fn check_decision(
    path: &ReviewPath,
    existing: &[SignedDecision],
    roles: &dyn Roles,
    key_id: &str,
    decision: Decision,
    unwaived_block: usize,
) -> Result<Decision, ReviewError> {
    let mut decision = decision.normalised()?;
    let p = progress(path, existing, roles);
    let (_, stage) = path
        .stage(&decision.stage)
        .ok_or_else(|| ReviewError::UnknownStage {
            stage: decision.stage.clone(),
            path: path.describe(),
        })?;
    decision.role = stage.role.clone();
    admissible(path, &p.status, &p.steps, key_id, &decision.stage, roles)?;
    if decision.conclusion == Conclusion::Publish && unwaived_block > 0 {
        return Err(ReviewError::UnwaivedBlock(unwaived_block));
    }
    decision.follows = p.steps.last().map(|s| s.seq);
    Ok(decision)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, (&'static str, Vec<&'static str>)>);
    impl Roles for Map {
        fn has_role(&self, k: &str, r: &str) -> bool {
            self.0.get(k).is_some_and(|(_, rs)| rs.contains(&r))
        }
        fn name(&self, k: &str) -> String {
            self.0
                .get(k)
                .map_or("unknown".into(), |(n, _)| n.to_string())
        }
    }

    fn trust() -> Map {
        Map(HashMap::from([
            ("kd", ("张部门", vec!["department"])),
            ("kw", ("李工作部", vec!["work-department"])),
            ("ks", ("王保密委", vec!["secrecy-committee"])),
            (
                "kall",
                (
                    "全能",
                    vec!["department", "work-department", "secrecy-committee"],
                ),
            ),
        ]))
    }

    fn dec(stage: &str, c: Conclusion) -> Decision {
        Decision {
            stage: stage.into(),
            role: String::new(),
            conclusion: c,
            opinion: "已审".into(),
            changes: Some("删除第3行".into()),
            basis: Some("《保守国家秘密法》".into()),
            title: None,
            doc_number: None,
            follows: None,
            scan_seq: None,
            path: None,
        }
    }

    fn signed(seq: u64, key: &str, d: Decision) -> SignedDecision {
        SignedDecision {
            seq,
            key_id: key.into(),
            decision: d,
        }
    }

    #[test]
    fn stages_happen_in_order_and_complete() {
        let path = ReviewPath::default();
        let t = trust();
        let mut log = vec![];
        assert_eq!(
            progress(&path, &log, &t).status,
            Status::Pending { stage: 0 }
        );
        let err = check_decision(
            &path,
            &log,
            &t,
            "kw",
            dec("work-department", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::OutOfOrder { .. }), "{err}");
        let d = check_decision(
            &path,
            &log,
            &t,
            "kd",
            dec("department", Conclusion::Publish),
            0,
        )
        .unwrap();
        assert_eq!(d.follows, None);
        log.push(signed(5, "kd", d));
        let d = check_decision(
            &path,
            &log,
            &t,
            "kw",
            dec("work-department", Conclusion::PublishAfterChanges),
            0,
        )
        .unwrap();
        assert_eq!(d.follows, Some(5));
        log.push(signed(9, "kw", d));
        let err = check_decision(
            &path,
            &log,
            &t,
            "kd",
            dec("department", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(
            matches!(err, ReviewError::AlreadyDecided { seq: 5, .. }),
            "{err}"
        );
        log.push(signed(
            12,
            "ks",
            dec("secrecy-committee", Conclusion::Publish),
        ));
        let p = progress(&path, &log, &t);
        assert_eq!(p.status, Status::Approved { with_changes: true });
        assert_eq!(p.status.label(&path), "修改后公开，办理存档");
        assert!(p.ignored.is_empty());
        let err = check_decision(
            &path,
            &log,
            &t,
            "ks",
            dec("secrecy-committee", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::Complete);
    }

    #[test]
    fn roles_are_required_and_each_stage_needs_another_key() {
        let path = ReviewPath::default();
        let t = trust();
        let err = check_decision(
            &path,
            &[],
            &t,
            "kw",
            dec("department", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("lacks the role `department`"),
            "{err}"
        );
        let err = check_decision(
            &path,
            &[],
            &t,
            "nobody",
            dec("department", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::MissingRole { .. }));
        let log = vec![signed(1, "kall", dec("department", Conclusion::Publish))];
        let err = check_decision(
            &path,
            &log,
            &t,
            "kall",
            dec("work-department", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::SameSigner { .. }), "{err}");
    }

    #[test]
    fn withhold_ends_the_path() {
        let path = ReviewPath::default();
        let t = trust();
        let log = vec![
            signed(1, "kd", dec("department", Conclusion::Publish)),
            signed(2, "kw", dec("work-department", Conclusion::Withhold)),
        ];
        let p = progress(&path, &log, &t);
        assert_eq!(p.status, Status::Withheld { stage: 1, seq: 2 });
        let err = check_decision(
            &path,
            &log,
            &t,
            "ks",
            dec("secrecy-committee", Conclusion::Publish),
            0,
        )
        .unwrap_err();
        assert!(matches!(err, ReviewError::Ended { seq: 2, .. }), "{err}");
    }

    #[test]
    fn invalid_entries_in_the_ledger_never_advance_the_status() {
        let path = ReviewPath::default();
        let t = trust();
        // Written by some other tool: wrong role, then out of order.
        let log = vec![
            signed(1, "kw", dec("department", Conclusion::Publish)),
            signed(2, "ks", dec("secrecy-committee", Conclusion::Publish)),
            signed(3, "kd", dec("department", Conclusion::Publish)),
        ];
        let p = progress(&path, &log, &t);
        assert_eq!(p.status, Status::Pending { stage: 1 });
        assert_eq!(p.ignored.len(), 2);
        assert_eq!(p.steps[0].seq, 3);
    }

    #[test]
    fn conclusions_need_their_fields_and_block_findings_stop_plain_publish() {
        let path = ReviewPath::default();
        let t = trust();
        let mut d = dec("department", Conclusion::Withhold);
        d.basis = Some("  ".into());
        assert!(matches!(
            check_decision(&path, &[], &t, "kd", d, 0),
            Err(ReviewError::Incomplete(_))
        ));
        let mut d = dec("department", Conclusion::PublishAfterChanges);
        d.changes = None;
        assert!(matches!(
            check_decision(&path, &[], &t, "kd", d, 0),
            Err(ReviewError::Incomplete(_))
        ));
        let mut d = dec("department", Conclusion::Publish);
        d.opinion = " ".into();
        assert!(matches!(
            check_decision(&path, &[], &t, "kd", d, 0),
            Err(ReviewError::Incomplete(_))
        ));
        let err = check_decision(
            &path,
            &[],
            &t,
            "kd",
            dec("department", Conclusion::Publish),
            2,
        )
        .unwrap_err();
        assert_eq!(err, ReviewError::UnwaivedBlock(2));
        assert!(check_decision(
            &path,
            &[],
            &t,
            "kd",
            dec("department", Conclusion::PublishAfterChanges),
            2
        )
        .is_ok());
    }

    #[test]
    fn waivers_follow_unchanged_text_only() {
        let w = Waiver {
            rule: "internal.marking".into(),
            matched_sha256: "h1".into(),
            text_key: Some(text_key("internal.marking", "内部资料")),
            reason: "书名".into(),
            preview: None,
            path: None,
        };
        // Same document, same ledger hash.
        assert!(w.covers("docA", "internal.marking", "docA", "h1", None));
        // A later revision: the ledger hash differs, the text key does not.
        assert!(w.covers(
            "docA",
            "internal.marking",
            "docB",
            "h2",
            Some(&text_key("internal.marking", "内部资料"))
        ));
        // Changed text, or unknown text, or another rule: not covered.
        assert!(!w.covers(
            "docA",
            "internal.marking",
            "docB",
            "h2",
            Some(&text_key("internal.marking", "内部文件"))
        ));
        assert!(!w.covers("docA", "internal.marking", "docB", "h1x", None));
        assert!(!w.covers("docA", "other.rule", "docA", "h1", None));
    }

    #[test]
    fn decisions_get_the_role_of_their_stage() {
        let path = ReviewPath::default();
        let d = check_decision(
            &path,
            &[],
            &trust(),
            "kd",
            dec("department", Conclusion::Publish),
            0,
        )
        .unwrap();
        assert_eq!(d.role, "department");
        let from_other_tool: Decision =
            serde_json::from_value(serde_json::json!({"role": "work-department", "conclusion": "publish", "opinion": "好"})).unwrap();
        assert_eq!(from_other_tool.resolve(&path).stage, "work-department");
    }

    #[test]
    fn review_path_from_toml() {
        let p = ReviewPath::from_toml(
            "[[stage]]\nid='a'\nlabel='甲'\nrole='r1'\n[[stage]]\nid='b'\nlabel='乙'\nrole='r2'\n",
        )
        .unwrap();
        assert_eq!(p.describe(), "a → b");
        assert!(ReviewPath::from_toml("").is_err());
        assert!(ReviewPath::from_toml("[[stage]]\nid='a b'\nlabel='x'\nrole='r'\n").is_err());
        assert!(ReviewPath::from_toml(
            "[[stage]]\nid='a'\nlabel='x'\nrole='r'\n[[stage]]\nid='a'\nlabel='y'\nrole='r'\n"
        )
        .is_err());
    }
}
