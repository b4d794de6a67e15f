//! The review layer over the ledger: reads the signed entries, derives each
//! document's state with [`crate::review`], and appends decisions and
//! waivers after checking them. Used by `baomi review` and by the server.
//!
//! Reads go through the ledger's derived index ([`baomi_ledger::index`]) to
//! find the few entries a page needs, then read those entries themselves,
//! each checked (hash and signature) before it is shown: the index finds
//! and filters, the signed entries say what is shown. Another process —
//! `baomi scan`, the watch daemon, a second reviewer — may append at any
//! time; the index catches up on every read. The only other cache is of
//! re-read files (by path and SHA-256), which cannot go stale: a changed
//! file has another hash.

use crate::context::{rescan, Rescanned};
use crate::html::Me;
use crate::review::{
    self, check_decision, progress, text_key, Conclusion, Decision, ReviewError, ReviewPath, Roles,
    SignedDecision, Waiver, KIND_DECISION, KIND_WAIVER,
};
use crate::view::{
    DecisionView, DocDetail, DocSummary, FindingSource, FindingView, Signer, WaiverView,
};
use baomi_archive::Archive;
use baomi_core::{Scanner, Severity};
use baomi_extract::Limits;
use baomi_ledger::forms::matched_hash;
use baomi_ledger::{
    DocumentQuery, Entry, IndexedDocument, KeyPair, Ledger, LedgerError, ReviewState, Role,
    ScanForm, Trust,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Internal(String),
}

/// The role `baomi ledger verify` requires of a waiver's signer.
pub const WAIVER_ROLE: Role = Role::SecrecyCommittee;

/// A decision as entered by a reviewer (CLI flags or the web form).
#[derive(Debug, Clone)]
pub struct DecisionInput {
    pub stage: String,
    pub conclusion: Conclusion,
    pub opinion: String,
    pub changes: Option<String>,
    pub basis: Option<String>,
}

/// Queue filters.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only documents waiting for this stage.
    pub stage: Option<String>,
    /// `pending`, `withheld` or `approved`.
    pub status: Option<String>,
    /// Machine verdict: `clear`, `review`, `withhold`, `error`.
    pub verdict: Option<String>,
    /// Include revisions that a newer scan of the same path superseded.
    pub all: bool,
    /// Only documents scanned before this scan entry (the next page).
    pub before: Option<u64>,
    /// Page size (default [`DEFAULT_PAGE`]).
    pub limit: Option<usize>,
}

/// Documents per queue page unless asked otherwise.
pub const DEFAULT_PAGE: usize = 50;

/// The ledger page's facts.
pub struct LedgerStatus {
    pub db: String,
    pub entries: u64,
    /// `Ok(summary)` or `Err(first problem)`.
    pub verify: Result<String, String>,
    pub checkpoint: Option<String>,
}

/// A file re-read for context, or why it could not be.
type Reread = Result<Arc<Vec<Rescanned>>, String>;

/// A waiver entry, parsed.
#[derive(Debug, Clone)]
struct WaiverEntry {
    entry: Entry,
    waiver: Waiver,
}

/// The latest scan of one document.
#[derive(Debug, Clone)]
struct ScanEntry {
    entry: Entry,
    form: Arc<ScanForm>,
}

/// One document with the entries the review layer needs, each verified.
struct Doc {
    idx: IndexedDocument,
    scan: ScanEntry,
    decisions: Vec<Entry>,
    /// Waivers made on this content or under its path (they may follow
    /// the text into this revision).
    waivers: Vec<WaiverEntry>,
}

struct TrustRoles<'a>(&'a Trust);

impl Roles for TrustRoles<'_> {
    fn has_role(&self, key_id: &str, role: &str) -> bool {
        self.0.roles_of(key_id).iter().any(|r| r.as_str() == role)
    }
    fn name(&self, key_id: &str) -> String {
        self.0.name_of(key_id).unwrap_or("未登记").to_string()
    }
}

/// The review layer over one ledger file.
pub struct Store {
    ledger: Ledger,
    /// Empty when no trust file was given: then no key holds a role.
    trust: Trust,
    trust_given: bool,
    path: ReviewPath,
    scanner: Arc<Scanner>,
    limits: Limits,
    /// Re-read files by (path, sha256): findings in context, or why not.
    rescans: HashMap<(String, String), Reread>,
    /// Fingerprint of the trust file's roles and the review path, under
    /// which review states in the index were computed.
    ctx: String,
    /// Where drafts are kept by SHA-256: context is read from there first,
    /// and scans recorded through the API keep their bytes there.
    archive: Option<Archive>,
    /// Parsed review forms by scan entry: seq → (entry hash, form).
    forms: std::cell::RefCell<HashMap<u64, CachedForm>>,
    /// The ledger's last entry when the review states were last found
    /// complete for `ctx`: until it moves, nothing is stale.
    states_complete_at: Option<u64>,
    /// Paths with waivers, as of the ledger's last entry then.
    waiver_paths: std::cell::RefCell<Option<(u64, std::collections::HashSet<String>)>>,
    /// At most this many review states computed by one filtered listing
    /// (`None`: all, as the CLI needs; the server bounds it and computes
    /// the rest in the background).
    refresh_budget: Option<usize>,
}

/// Review forms kept parsed per store (≈ 3 KB each).
const FORM_CACHE: usize = 4096;

/// A parsed review form and the hash of the entry it came from.
type CachedForm = ([u8; 32], Arc<ScanForm>);

/// How [`Store::open`] opens the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the ledger if missing (a server that records scans).
    Create,
    /// An existing ledger, checked with `PRAGMA quick_check` (a command
    /// that appends: decisions, waivers).
    Existing,
    /// An existing ledger, only to show it (`review list/show`): the file's
    /// structure is not re-read whole (on a year's ledger that costs more
    /// than the listing); every entry shown is still verified.
    Display,
}

/// The fingerprint of what a document's review state depends on besides
/// its entries: who holds which role, and the stages.
fn review_context(trust: Option<&Trust>, path: &ReviewPath) -> String {
    let mut h = Sha256::new();
    h.update(b"baomi-review-context-v1\n");
    if let Some(t) = trust {
        let mut signers: Vec<String> = t
            .signers()
            .map(|s| {
                let roles: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
                format!("{}={}", s.key_id, roles.join(","))
            })
            .collect();
        signers.sort();
        for s in signers {
            h.update(s.as_bytes());
            h.update(b"\n");
        }
    } else {
        h.update(b"no trust file\n");
    }
    for st in &path.stages {
        h.update(format!("stage {} {}\n", st.id, st.role).as_bytes());
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Opens the review layer over an existing ledger (`create` makes an
    /// empty one instead, for a server that records scans itself). Every
    /// stage's role must be one the ledger knows, or `baomi ledger verify`
    /// could never accept the decisions.
    pub fn open(
        db: &Path,
        mode: OpenMode,
        trust: Option<Trust>,
        path: ReviewPath,
        scanner: Arc<Scanner>,
    ) -> Result<Store, StoreError> {
        for s in &path.stages {
            if s.role.parse::<Role>().is_err() || s.role == Role::Scanner.as_str() {
                return Err(ReviewError::BadPath(format!(
                    "stage `{}` has role `{}`; use department, work-department or secrecy-committee",
                    s.id, s.role
                ))
                .into());
            }
        }
        let ledger = Ledger::open_with(
            db,
            &baomi_ledger::OpenOptions {
                create: mode == OpenMode::Create,
                quick_check: mode != OpenMode::Display,
                ..Default::default()
            },
        )?;
        Ok(Store {
            ledger,
            ctx: review_context(trust.as_ref(), &path),
            trust_given: trust.is_some(),
            trust: trust.unwrap_or_default(),
            path,
            scanner,
            limits: Limits::default(),
            rescans: HashMap::new(),
            archive: None,
            forms: Default::default(),
            states_complete_at: None,
            waiver_paths: Default::default(),
            refresh_budget: None,
        })
    }

    /// Bounds the review states one filtered listing computes (see
    /// [`Store::refresh_reviews`]).
    pub fn set_refresh_budget(&mut self, budget: Option<usize>) {
        self.refresh_budget = budget;
    }

    /// Reads drafts from (and keeps uploaded drafts in) `archive`.
    pub fn with_archive(mut self, archive: Archive) -> Store {
        self.archive = Some(archive);
        self
    }

    /// Another store over the same ledger file, trust file and path, with
    /// its own connection (the server keeps one per worker).
    pub fn reopen(&self) -> Result<Store, StoreError> {
        Ok(Store {
            ledger: Ledger::open_with(
                self.ledger.path(),
                &baomi_ledger::OpenOptions {
                    create: false,
                    quick_check: false,
                    checkpoints: Some(self.ledger.checkpoint_dir().path().to_owned()),
                    ..Default::default()
                },
            )?,
            trust: self.trust.clone(),
            trust_given: self.trust_given,
            path: self.path.clone(),
            scanner: self.scanner.clone(),
            limits: self.limits.clone(),
            rescans: HashMap::new(),
            ctx: self.ctx.clone(),
            archive: self.archive.clone(),
            forms: Default::default(),
            states_complete_at: None,
            waiver_paths: Default::default(),
            refresh_budget: self.refresh_budget,
        })
    }

    /// Replaces the trust file's contents (re-read by a running server
    /// after the administrator registered a key), and the review context
    /// computed from it.
    pub fn set_trust(&mut self, trust: Option<&Trust>) {
        self.ctx = review_context(trust, &self.path);
        self.trust_given = trust.is_some();
        self.trust = trust.cloned().unwrap_or_default();
        self.states_complete_at = None;
    }

    /// The trust in use (empty without a trust file).
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    pub fn review_path(&self) -> &ReviewPath {
        &self.path
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Who a key is, for page headers.
    pub fn me(&self, key_id: &str) -> Me {
        Me {
            key_id: key_id.to_string(),
            name: self.trust.name_of(key_id).map(str::to_string),
            roles: self
                .trust
                .roles_of(key_id)
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            integrity: None,
            browser: false,
        }
    }

    fn signer(&self, key_id: &str) -> Signer {
        Signer {
            key_id: key_id.to_string(),
            name: self.trust.name_of(key_id).map(str::to_string),
        }
    }

    /// A document and its entries, each verified before use.
    fn load(&self, sha: &str) -> Result<Doc, StoreError> {
        let idx = self
            .ledger
            .indexed_document(sha, &self.ctx)?
            .ok_or_else(|| {
                StoreError::NotFound(format!("no scan of document {sha} is in the ledger"))
            })?;
        self.load_indexed(idx)
    }

    fn load_indexed(&self, idx: IndexedDocument) -> Result<Doc, StoreError> {
        let entry = self.ledger.verified_entry_unparsed(idx.scan_seq)?;
        let form = self.form_of(&entry)?;
        // The index counts them: most documents have none to read.
        let decisions = if idx.decisions > 0 {
            self.ledger
                .verified_entries_of(&idx.sha256, KIND_DECISION)?
        } else {
            Vec::new()
        };
        let mut waivers = Vec::new();
        if idx.waivers > 0 || self.has_path_waivers(&form.path)? {
            for seq in self
                .ledger
                .waiver_seqs(Some(&idx.sha256), Some(&form.path))?
            {
                if let Some(w) = self.waiver_entry(seq)? {
                    waivers.push(w);
                }
            }
        }
        Ok(Doc {
            idx,
            scan: ScanEntry { entry, form },
            decisions,
            waivers,
        })
    }

    /// The review form of a (verified) scan entry, parsed once per entry
    /// and hash: entries never change, and one that did has another hash.
    fn form_of(&self, entry: &Entry) -> Result<Arc<ScanForm>, StoreError> {
        if let Some((h, f)) = self.forms.borrow().get(&entry.seq) {
            if *h == entry.hash {
                return Ok(f.clone());
            }
        }
        let form: ScanForm = serde_json::from_slice(&entry.payload_bytes).map_err(|e| {
            StoreError::Internal(format!(
                "scan entry #{} does not hold a review form ({e}); run `baomi ledger verify`",
                entry.seq
            ))
        })?;
        let form = Arc::new(form);
        let mut cache = self.forms.borrow_mut();
        if cache.len() >= FORM_CACHE {
            cache.clear();
        }
        cache.insert(entry.seq, (entry.hash, form.clone()));
        Ok(form)
    }

    /// Whether any waiver was made under `path` (the paths are few and
    /// read once per ledger state, so most rows of a page need no query).
    fn has_path_waivers(&self, path: &str) -> Result<bool, StoreError> {
        let now = self.ledger.last_seq()?;
        let mut cache = self.waiver_paths.borrow_mut();
        if cache.as_ref().is_none_or(|(at, _)| *at != now) {
            *cache = Some((now, self.ledger.waiver_paths()?));
        }
        Ok(cache
            .as_ref()
            .is_some_and(|(_, paths)| paths.contains(path)))
    }

    /// A waiver entry, verified; `None` when its payload is not a waiver.
    fn waiver_entry(&self, seq: u64) -> Result<Option<WaiverEntry>, StoreError> {
        let entry = self.ledger.verified_entry(seq)?;
        Ok(serde_json::from_value::<Waiver>(entry.payload.clone())
            .ok()
            .map(|waiver| WaiverEntry { entry, waiver }))
    }

    /// Computes the review state of every document whose state in the
    /// index is missing or was computed under another trust file or path,
    /// so that status and stage filters can run in SQL. Documents nothing
    /// happened to but their scan are set in one statement; the rest (those
    /// with decisions or waivers) one by one.
    ///
    /// With `budget`, at most about that many are computed one by one
    /// (a page must not wait for a whole ledger after the trust file
    /// changed; the server computes the rest in the background at start);
    /// returns whether none is left stale.
    pub fn refresh_reviews(&mut self, budget: Option<usize>) -> Result<bool, StoreError> {
        let now = self.ledger.last_seq()?;
        if self.states_complete_at == Some(now) {
            return Ok(true);
        }
        let first = self.path.stages.first().map_or("", |s| s.id.as_str());
        self.ledger.set_untouched_reviews(&self.ctx, first)?;
        let mut done = 0usize;
        loop {
            let stale = self.ledger.stale_reviews(&self.ctx, 500)?;
            if stale.is_empty() {
                self.states_complete_at = Some(now);
                return Ok(true);
            }
            if budget.is_some_and(|b| done >= b) || done > 100_000_000 {
                return Ok(false);
            }
            done += stale.len();
            let mut states = Vec::with_capacity(stale.len());
            for (sha, _) in stale {
                let Some(idx) = self.ledger.indexed_document(&sha, &self.ctx)? else {
                    continue;
                };
                let last_seq = idx.last_seq;
                let state = match self.load_indexed(idx) {
                    Ok(doc) => {
                        let (findings, _) = self.findings(&doc, false);
                        let s = self.summary(&doc, &findings);
                        ReviewState {
                            status: s.status_key.to_string(),
                            waiting_for: s.waiting_for,
                            open_findings: s.open_findings as u64,
                            open_block: s.open_block as u64,
                        }
                    }
                    // Listed by no status filter; shown with its problem.
                    Err(_) => ReviewState {
                        status: "invalid".into(),
                        waiting_for: None,
                        open_findings: 0,
                        open_block: 0,
                    },
                };
                states.push((sha, last_seq, state));
            }
            self.ledger.set_reviews(&self.ctx, &states)?;
        }
    }

    fn decision_view(&self, e: &Entry, d: Decision) -> DecisionView {
        let stage_label = self.path.stage(&d.stage).map_or_else(
            || format!("{}（未知阶段）", d.stage),
            |(_, s)| s.label.clone(),
        );
        DecisionView {
            seq: e.seq,
            recorded_at: e.recorded_at.clone(),
            signer: self.signer(&e.key_id),
            stage_label,
            decision: d,
            signature: e.signature.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    fn waiver_view(&self, w: &WaiverEntry) -> WaiverView {
        WaiverView {
            seq: w.entry.seq,
            recorded_at: w.entry.recorded_at.clone(),
            signer: self.signer(&w.entry.key_id),
            doc_sha256: w.entry.doc_sha256.clone(),
            waiver: w.waiver.clone(),
        }
    }

    fn signed_decisions(&self, entries: &[Entry]) -> Vec<SignedDecision> {
        entries
            .iter()
            .filter_map(|e| {
                let d: Decision = serde_json::from_value(e.payload.clone()).ok()?;
                Some(SignedDecision {
                    seq: e.seq,
                    key_id: e.key_id.clone(),
                    decision: d.resolve(&self.path),
                })
            })
            .collect()
    }

    /// The file re-read for context, cached by (path, sha256).
    fn rescanned(&mut self, path: &str, sha: &str) -> Reread {
        let key = (path.to_string(), sha.to_string());
        if let Some(r) = self.rescans.get(&key) {
            return r.clone();
        }
        // The archived copy first: exactly the bytes that were scanned,
        // wherever the draft itself went since.
        let archived = self
            .archive
            .as_ref()
            .and_then(|a| a.find(sha).ok().flatten());
        let r = match archived {
            Some(p) => rescan(&p, sha, &self.scanner, &self.limits),
            None => rescan(Path::new(path), sha, &self.scanner, &self.limits),
        }
        .map(Arc::new);
        // Only successes are kept: a file that is unreadable now (a share
        // briefly offline) may be readable on the next page view.
        if r.is_ok() {
            if self.rescans.len() > 256 {
                self.rescans.clear();
            }
            self.rescans.insert(key, r.clone());
        }
        r
    }

    /// Whether any waiver could cover something in this document only
    /// through its text key (i.e. was made on another revision).
    fn needs_text_keys(&self, doc: &Doc) -> bool {
        let scan = &doc.scan;
        doc.waivers.iter().any(|w| {
            w.entry.doc_sha256 != scan.entry.doc_sha256
                && w.waiver.text_key.is_some()
                && w.waiver.path.as_deref() == Some(scan.form.path.as_str())
                && scan.form.reasons.iter().any(|r| r.rule == w.waiver.rule)
        })
    }

    /// Findings of a document with waivers applied and, when `context`, the
    /// original text around each (re-reading the file).
    fn findings(&mut self, doc: &Doc, context: bool) -> (Vec<FindingView>, FindingSource) {
        let scan = &doc.scan;
        let sha = scan.entry.doc_sha256.as_str();
        let reread = if context || self.needs_text_keys(doc) {
            self.rescanned(&scan.form.path, sha)
        } else {
            Err("未重新读取原文件".into())
        };
        let source = match &reread {
            Ok(_) => FindingSource::Rescanned,
            Err(why) => FindingSource::Recorded(why.clone()),
        };
        let mut used = vec![false; reread.as_ref().map_or(0, |r| r.len())];
        let mut out = Vec::new();
        for r in &scan.form.reasons {
            // Pair the recorded reason with the re-read finding: same rule,
            // same text (by the ledger's hash), same place.
            let fresh = reread.as_ref().ok().and_then(|found| {
                let i = found.iter().enumerate().position(|(i, f)| {
                    !used[i]
                        && *f.finding.rule == *r.rule
                        && f.finding.location == r.location
                        && matched_hash(sha, &f.finding.matched) == r.matched_sha256
                })?;
                used[i] = true;
                Some(&found[i])
            });
            let text_key = fresh.map(|f| text_key(&r.rule, &f.finding.matched));
            let waived = doc
                .waivers
                .iter()
                .filter(|w| {
                    w.entry.doc_sha256 == sha
                        || w.waiver.path.as_deref() == Some(scan.form.path.as_str())
                })
                .find(|w| {
                    w.waiver.covers(
                        &w.entry.doc_sha256,
                        &r.rule,
                        sha,
                        &r.matched_sha256,
                        text_key.as_deref(),
                    )
                })
                .map(|w| self.waiver_view(w));
            out.push(FindingView {
                rule: r.rule.clone(),
                title: r.title.clone(),
                category: Some(r.category),
                severity: r.severity,
                basis: r.basis.clone(),
                confidence: Some(r.confidence),
                location: r.location.clone(),
                matched_sha256: r.matched_sha256.clone(),
                text_key,
                preview: r.matched_preview.clone(),
                context: fresh.map(|f| f.context.clone()),
                waived,
            });
        }
        (out, source)
    }

    fn summary(&self, doc: &Doc, findings: &[FindingView]) -> DocSummary {
        let scan = &doc.scan;
        let sha = scan.entry.doc_sha256.clone();
        let decisions = self.signed_decisions(&doc.decisions);
        let p = progress(&self.path, &decisions, &TrustRoles(&self.trust));
        let superseded_by = doc.idx.superseded_by.clone();
        let open: Vec<&FindingView> = findings.iter().filter(|f| f.waived.is_none()).collect();
        DocSummary {
            sha256: sha,
            path: scan.form.path.clone(),
            title: scan.form.title.clone(),
            doc_number: scan.form.doc_number.clone(),
            verdict: scan.form.verdict,
            scan_seq: scan.entry.seq,
            scanned_at: scan.entry.recorded_at.clone(),
            findings: findings.len(),
            open_findings: open.len(),
            open_block: open
                .iter()
                .filter(|f| f.severity == Severity::Block)
                .count(),
            status_key: p.status.key(),
            status_label: p.status.label(&self.path),
            waiting_for: p.status.waiting_for(&self.path).map(|s| s.id.clone()),
            status: p.status,
            superseded_by,
            problem: None,
            location: doc.idx.location.clone(),
        }
    }

    /// A queue row for a document whose entries do not verify: what the
    /// index knows, and the problem.
    fn broken_summary(&self, idx: &IndexedDocument, problem: String) -> DocSummary {
        let status = review::Status::Pending { stage: 0 };
        DocSummary {
            sha256: idx.sha256.clone(),
            path: idx.path.clone(),
            title: None,
            doc_number: None,
            verdict: serde_json::from_value(Value::String(idx.verdict.clone()))
                .unwrap_or(baomi_core::Verdict::Error),
            scan_seq: idx.scan_seq,
            scanned_at: String::new(),
            findings: idx.findings as usize,
            open_findings: idx.findings as usize,
            open_block: idx.block as usize,
            status_key: "invalid",
            status_label: "账本条目未通过核验".into(),
            waiting_for: None,
            status,
            superseded_by: idx.superseded_by.clone(),
            problem: Some(problem),
            location: idx.location.clone(),
        }
    }

    /// The queue, newest scan first.
    pub fn summaries(&mut self, f: &ListFilter) -> Result<Vec<DocSummary>, StoreError> {
        if let Some(s) = &f.stage {
            if self.path.stage(s).is_none() {
                return Err(ReviewError::UnknownStage {
                    stage: s.clone(),
                    path: self.path.describe(),
                }
                .into());
            }
        }
        if let Some(s) = &f.status {
            if !["pending", "withheld", "approved"].contains(&s.as_str()) {
                return Err(StoreError::Refused(format!(
                    "unknown status `{s}`; use pending, withheld or approved"
                )));
            }
        }
        if f.status.is_some() || f.stage.is_some() {
            self.refresh_reviews(self.refresh_budget)?;
        }
        let rows = self.ledger.indexed_documents(
            &DocumentQuery {
                verdict: f.verdict.clone(),
                status: f.status.clone(),
                waiting_for: f.stage.clone(),
                include_superseded: f.all,
                before_scan_seq: f.before,
                limit: f.limit.unwrap_or(DEFAULT_PAGE),
            },
            &self.ctx,
        )?;
        // One snapshot for the page (the loop reads, never writes, and
        // turns every error into a row, so the transaction always ends).
        self.ledger.begin_snapshot()?;
        let mut out = Vec::with_capacity(rows.len());
        for idx in rows {
            let row = idx.clone();
            out.push(match self.load_indexed(idx) {
                Ok(doc) => {
                    let (findings, _) = self.findings(&doc, false);
                    self.summary(&doc, &findings)
                }
                Err(e) => self.broken_summary(&row, e.to_string()),
            });
        }
        self.ledger.end_snapshot()?;
        Ok(out)
    }

    /// Finds a document by full SHA-256, a unique prefix of it (≥ 6 hex
    /// digits), or the sequence number of any of its entries.
    pub fn resolve(&self, id: &str) -> Result<String, StoreError> {
        let id = id.trim().to_ascii_lowercase();
        if let Ok(seq) = id.parse::<u64>() {
            if id.len() < 6 {
                let e = self
                    .ledger
                    .entry(seq)?
                    .ok_or_else(|| StoreError::NotFound(format!("no ledger entry #{seq}")))?;
                if e.doc_sha256.is_empty() {
                    return Err(StoreError::NotFound(format!(
                        "entry #{seq} is not about a document"
                    )));
                }
                return Ok(e.doc_sha256);
            }
        }
        if id.len() < 6 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound(format!(
                "`{id}` is neither an entry number nor a SHA-256 (prefix of at least 6 hex digits)"
            )));
        }
        let hits = self.ledger.documents_with_prefix(&id, 2)?;
        match hits.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(StoreError::NotFound(format!(
                "no scanned document with SHA-256 {id}…"
            ))),
            _ => Err(StoreError::NotFound(format!(
                "{id}… matches several documents; give more digits"
            ))),
        }
    }

    /// Everything about one document, with findings in context when the
    /// file can be re-read.
    pub fn detail(&mut self, sha: &str) -> Result<DocDetail, StoreError> {
        let doc = self.load(sha)?;
        self.detail_of(&doc)
    }

    fn detail_of(&mut self, doc: &Doc) -> Result<DocDetail, StoreError> {
        let sha = doc.idx.sha256.as_str();
        let scan = &doc.scan;
        let (findings, source) = self.findings(doc, true);
        let summary = self.summary(doc, &findings);
        let entries = &doc.decisions;
        let signed = self.signed_decisions(entries);
        let p = progress(&self.path, &signed, &TrustRoles(&self.trust));
        let by_seq: HashMap<u64, &Entry> = entries.iter().map(|e| (e.seq, e)).collect();
        let decisions = p
            .steps
            .iter()
            .filter_map(|s| {
                by_seq
                    .get(&s.seq)
                    .map(|e| self.decision_view(e, s.decision.clone()))
            })
            .collect();
        let ignored = p
            .ignored
            .iter()
            .filter_map(|(s, why)| {
                by_seq
                    .get(&s.seq)
                    .map(|e| (self.decision_view(e, s.decision.clone()), why.clone()))
            })
            .collect();
        let mut waivers: Vec<WaiverView> =
            findings.iter().filter_map(|f| f.waived.clone()).collect();
        waivers.dedup_by_key(|w| w.seq);
        let mut revisions = Vec::new();
        for r in self.ledger.indexed_revisions(&scan.form.path, &self.ctx)? {
            if r.sha256 != sha {
                let at = self.ledger.verified_entry_unparsed(r.scan_seq)?.recorded_at;
                revisions.push((r.sha256, at));
            }
        }
        let redacted_from = self
            .ledger
            .verified_entries_of(sha, baomi_ledger::KIND_REDACTION)?
            .last()
            .and_then(|e| e.payload_str("original_sha256").map(str::to_string));
        Ok(DocDetail {
            redacted_from,
            summary,
            coverage: scan.form.coverage.clone(),
            error: scan.form.error.clone(),
            findings,
            source,
            progress: p,
            decisions,
            ignored,
            waivers,
            scanner: self.signer(&scan.entry.key_id),
            revisions,
        })
    }

    /// A draft as the archive keeps it: (the name it was scanned under,
    /// its bytes, checked against `sha`).
    pub fn archived(&mut self, sha: &str) -> Result<(String, Vec<u8>), StoreError> {
        let doc = self.load(sha)?;
        let name = doc.idx.path.clone();
        let file = self
            .archive
            .as_ref()
            .and_then(|a| a.find(sha).ok().flatten())
            .ok_or_else(|| {
                StoreError::Refused(format!(
                    "the draft {sha} is not in the archive, so it cannot be redacted here; run `baomi redact` on the file"
                ))
            })?;
        let bytes = std::fs::read(&file)
            .map_err(|e| StoreError::Internal(format!("cannot read {}: {e}", file.display())))?;
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if got != sha {
            return Err(StoreError::Internal(format!(
                "the archived copy {} does not match its SHA-256; it was changed on disk",
                file.display()
            )));
        }
        Ok((name, bytes))
    }

    /// Records a redacted copy: the original kept in the archive, the copy
    /// scanned into the queue (its rescan is its scan entry) and a signed
    /// `redaction` entry under the copy linking back to the original:
    /// (scan entry, redaction entry).
    pub fn record_redaction(
        &mut self,
        original_name: &str,
        original: &[u8],
        red: &baomi_redact::Redacted,
        copy_name: &str,
        key: &KeyPair,
    ) -> Result<(u64, u64), StoreError> {
        let original_sha: String = Sha256::digest(original)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if let Some(a) = &self.archive {
            let ext = Path::new(original_name)
                .extension()
                .and_then(|e| e.to_str());
            a.put_checked(&original_sha, original, ext, Path::new(original_name))
                .map_err(|e| StoreError::Internal(format!("cannot keep the original: {e}")))?;
        }
        let mut proof = red.proof.clone();
        proof.path = copy_name.to_string();
        let scanner = self.scanner.clone();
        let (scan_seq, _) = self.record_scan(&proof, &red.bytes, &scanner, key)?;
        let payload = red.ledger_payload(
            &original_sha,
            original_name,
            copy_name,
            scanner.fingerprint(),
        );
        let e = self
            .ledger
            .append(baomi_ledger::KIND_REDACTION, &proof.sha256, payload, key)?;
        tracing::info!(seq = e.seq, copy = %proof.sha256, "redaction recorded");
        Ok((scan_seq, e.seq))
    }

    /// The scanner and limits this store reads drafts with.
    pub fn scanner(&self) -> (&Scanner, &Limits) {
        (&self.scanner, &self.limits)
    }

    /// Checks and signs a decision. Nothing is written when it is refused.
    pub fn decide(
        &mut self,
        sha: &str,
        input: DecisionInput,
        key: &KeyPair,
    ) -> Result<DecisionView, StoreError> {
        let (decision, payload) = self.check_decide(sha, input, key.key_id())?;
        let e = self.ledger.append(KIND_DECISION, sha, payload, key)?;
        tracing::info!(seq = e.seq, stage = %decision.stage, conclusion = %decision.conclusion, "decision recorded");
        Ok(self.decision_view(&e, decision))
    }

    /// The checks of [`decide`](Self::decide) for a decision that `key_id`
    /// is to sign, and the payload it signs; nothing is written. For a
    /// signer outside this process (a reviewer's browser), which signs the
    /// entry [`Ledger::prepare_unsigned`] makes of it.
    pub fn check_decide(
        &mut self,
        sha: &str,
        input: DecisionInput,
        key_id: &str,
    ) -> Result<(Decision, Value), StoreError> {
        let doc = self.load(sha)?;
        let d = self.detail_of(&doc)?;
        if let Some(newer) = &d.summary.superseded_by {
            return Err(StoreError::Refused(format!(
                "a newer revision of {} ({newer}) was scanned after this one; review that revision",
                d.summary.path
            )));
        }
        let existing = self.signed_decisions(&doc.decisions);
        let decision = Decision {
            stage: input.stage,
            role: String::new(),
            conclusion: input.conclusion,
            opinion: input.opinion,
            changes: input.changes,
            basis: input.basis,
            title: d.summary.title.clone(),
            doc_number: d.summary.doc_number.clone(),
            follows: None,
            scan_seq: Some(d.summary.scan_seq),
            path: Some(d.summary.path.clone()),
        };
        let decision = check_decision(
            &self.path,
            &existing,
            &TrustRoles(&self.trust),
            key_id,
            decision,
            d.summary.open_block,
        )?;
        let payload =
            serde_json::to_value(&decision).map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok((decision, payload))
    }

    /// Signs a waiver of one finding (by rule and the ledger's hash of its
    /// text). Needs the secrecy-committee role, which `baomi ledger verify`
    /// requires of waivers.
    pub fn waive(
        &mut self,
        sha: &str,
        rule: &str,
        matched_sha256: &str,
        reason: &str,
        key: &KeyPair,
    ) -> Result<WaiverView, StoreError> {
        let (waiver, payload) =
            self.check_waive(sha, rule, matched_sha256, reason, key.key_id())?;
        let e = self.ledger.append(KIND_WAIVER, sha, payload, key)?;
        Ok(self.waiver_view(&WaiverEntry { entry: e, waiver }))
    }

    /// The checks of [`waive`](Self::waive) for a waiver that `key_id` is
    /// to sign, and its payload; nothing is written (see
    /// [`check_decide`](Self::check_decide)).
    pub fn check_waive(
        &mut self,
        sha: &str,
        rule: &str,
        matched_sha256: &str,
        reason: &str,
        key_id: &str,
    ) -> Result<(Waiver, Value), StoreError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ReviewError::Incomplete(
                "a waiver needs a reason (why this is a false positive)".into(),
            )
            .into());
        }
        if !self.trust.roles_of(key_id).contains(&WAIVER_ROLE) {
            return Err(StoreError::Review(ReviewError::MissingRole {
                key: key_id.into(),
                name: TrustRoles(&self.trust).name(key_id),
                role: WAIVER_ROLE.as_str().into(),
                stage: "waiver (豁免)".into(),
            }));
        }
        let d = self.detail(sha)?;
        let f = d
            .findings
            .iter()
            .find(|f| f.rule == rule && f.matched_sha256 == matched_sha256)
            .ok_or_else(|| {
                StoreError::NotFound(format!(
                    "document {sha} has no finding of rule {rule} with that text hash"
                ))
            })?;
        if let Some(w) = &f.waived {
            return Err(StoreError::Refused(format!(
                "this finding is already waived (entry #{})",
                w.seq
            )));
        }
        let waiver = Waiver {
            rule: rule.to_string(),
            matched_sha256: matched_sha256.to_string(),
            text_key: f.text_key.clone(),
            reason: reason.to_string(),
            preview: Some(f.preview.clone()),
            path: Some(d.summary.path.clone()),
        };
        let payload =
            serde_json::to_value(&waiver).map_err(|e| StoreError::Internal(e.to_string()))?;
        Ok((waiver, payload))
    }

    /// Waivers that cover no finding of any current document (the text was
    /// edited away, or the document replaced): candidates for review.
    pub fn unused_waivers(&mut self) -> Result<Vec<WaiverView>, StoreError> {
        let mut out = Vec::new();
        for w in self.all_waivers()? {
            // The current documents it could cover: the one it was made on
            // and the newest revision under its path.
            let mut candidates = vec![w.entry.doc_sha256.clone()];
            if let Some(p) = &w.waiver.path {
                if let Some(r) = self.ledger.indexed_revisions(p, &self.ctx)?.first() {
                    candidates.push(r.sha256.clone());
                }
            }
            candidates.dedup();
            let mut used = false;
            for sha in candidates {
                let Ok(doc) = self.load(&sha) else { continue };
                if doc.idx.superseded_by.is_some() {
                    continue;
                }
                let (findings, _) = self.findings(&doc, false);
                if findings
                    .iter()
                    .any(|f| f.waived.as_ref().is_some_and(|v| v.seq == w.entry.seq))
                {
                    used = true;
                    break;
                }
            }
            if !used {
                out.push(self.waiver_view(&w));
            }
        }
        Ok(out)
    }

    fn all_waivers(&self) -> Result<Vec<WaiverEntry>, StoreError> {
        let mut out = Vec::new();
        for seq in self.ledger.waiver_seqs(None, None)? {
            out.extend(self.waiver_entry(seq)?);
        }
        Ok(out)
    }

    /// All waivers, oldest first.
    pub fn waivers(&self) -> Result<Vec<WaiverView>, StoreError> {
        Ok(self
            .all_waivers()?
            .iter()
            .map(|w| self.waiver_view(w))
            .collect())
    }

    /// Records a scan (the API's `?record=true`) of the uploaded `bytes`,
    /// kept in the archive first: (seq, duplicate).
    pub fn record_scan(
        &mut self,
        report: &baomi_core::DocumentReport,
        bytes: &[u8],
        scanner: &Scanner,
        key: &KeyPair,
    ) -> Result<(u64, bool), StoreError> {
        if let (Some(a), false) = (&self.archive, report.sha256.is_empty()) {
            let ext = Path::new(&report.path).extension().and_then(|e| e.to_str());
            a.put_checked(&report.sha256, bytes, ext, Path::new(&report.path))
                .map_err(|e| {
                    StoreError::Internal(format!("cannot keep the draft for reviewers: {e}"))
                })?;
        }
        let r = self
            .ledger
            .record_scan(report, scanner.fingerprint(), key)?;
        Ok((r.seq, r.duplicate))
    }

    /// `GET /api/v1/documents/{sha256}`: may it go out, and who decided.
    pub fn status_json(&mut self, sha: &str) -> Result<Value, StoreError> {
        // Publishing tools poll this: its few reads share one snapshot.
        self.ledger.sync_index()?;
        self.ledger.begin_snapshot()?;
        let doc = self.load(sha);
        self.ledger.end_snapshot()?;
        let doc = doc?;
        let (findings, _) = self.findings(&doc, false);
        let s = self.summary(&doc, &findings);
        let entries = &doc.decisions;
        let p = progress(
            &self.path,
            &self.signed_decisions(entries),
            &TrustRoles(&self.trust),
        );
        let by_seq: HashMap<u64, &Entry> = entries.iter().map(|e| (e.seq, e)).collect();
        let decisions: Vec<Value> = p
            .steps
            .iter()
            .filter_map(|st| {
                by_seq
                    .get(&st.seq)
                    .map(|e| self.decision_view(e, st.decision.clone()))
            })
            .map(|d| {
                json!({
                    "seq": d.seq, "stage": d.decision.stage, "stage_label": d.stage_label,
                    "conclusion": d.decision.conclusion, "opinion": d.decision.opinion,
                    "changes": d.decision.changes, "basis": d.decision.basis,
                    "signer": d.signer, "recorded_at": d.recorded_at,
                })
            })
            .collect();
        // `publish-after-changes` approves the content *after* the changes:
        // these exact bytes must not go out. The changed file is a new
        // document (new SHA-256) that goes through the path again.
        let changes_required = matches!(p.status, review::Status::Approved { with_changes: true });
        let may_publish = matches!(
            p.status,
            review::Status::Approved {
                with_changes: false
            }
        ) && s.superseded_by.is_none();
        Ok(json!({
            "sha256": s.sha256,
            "path": s.path,
            "title": s.title,
            "doc_number": s.doc_number,
            "verdict": s.verdict,
            "scan_seq": s.scan_seq,
            "status": s.status_key,
            "status_label": s.status_label,
            "waiting_for": s.waiting_for,
            "superseded_by": s.superseded_by,
            "may_publish": may_publish,
            "changes_required": changes_required,
            "findings": { "total": s.findings, "open": s.open_findings, "open_block": s.open_block },
            "decisions": decisions,
        }))
    }

    /// Verify result and a fresh head checkpoint signed by `key`.
    pub fn ledger_status_with(&self, key: &KeyPair) -> Result<LedgerStatus, StoreError> {
        // Without a trust file, check hashes and signatures only (an empty
        // trust would report every signer as unknown).
        let report = self
            .ledger
            .verify(self.trust_given.then_some(&self.trust))?;
        let verify = match &report.problem {
            None => Ok(format!(
                "{} 条全部核验通过（哈希链、签名{}）",
                report.verified,
                if report.trust_checked {
                    "、信任文件中的签名者与角色"
                } else {
                    "；未提供信任文件，未核对签名者角色"
                }
            )),
            Some(p) => Err(p.to_string()),
        };
        let checkpoint = if report.total > 0 {
            Some(self.ledger.head(key)?.to_text())
        } else {
            None
        };
        Ok(LedgerStatus {
            db: self.ledger.path().display().to_string(),
            entries: report.total,
            verify,
            checkpoint,
        })
    }
}

/// Where `--trust` defaults to.
pub const DEFAULT_TRUST: &str = "trust.toml";

/// Loads `--trust FILE`, else `./trust.toml` when present. Without one no
/// key holds a role, so every decision would be refused — say so now
/// rather than at the first refusal.
pub fn load_trust(path: Option<&Path>) -> Result<Option<Trust>, StoreError> {
    let p: PathBuf = path.map_or_else(|| PathBuf::from(DEFAULT_TRUST), Path::to_path_buf);
    if path.is_none() && !p.exists() {
        tracing::warn!("no trust.toml here and no --trust given: no key holds a review role");
        return Ok(None);
    }
    Ok(Some(Trust::load(&p)?))
}
