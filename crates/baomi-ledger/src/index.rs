//! The derived index: what the review queue, document pages and the status
//! API need per document, kept in tables of the same SQLite file so that a
//! read touches a few rows instead of parsing the whole ledger.
//!
//! It is never a second truth. Every row is computed from the entries, and
//! the index records the last sequence number it has taken in
//! (`index_state.last_seq`): each append brings it up to date inside the
//! append's own transaction, and a reader that finds it behind (a ledger
//! written by an older baomi, or after [`Ledger::reindex`]) catches it up
//! first. `baomi ledger reindex` drops and rebuilds it from the entries; a
//! test proves the rebuilt index equals the incrementally maintained one.
//! Readers show values from the entries themselves, which they verify, and
//! use the index only to find and filter them.
//!
//! Besides the facts taken from entries, each document row has a *review
//! state* (status, stage waited for, open findings) that the review layer
//! (`baomi-web`) computes from the entries and its trust file and review
//! path, tagged with a fingerprint of those (`review_ctx`). Any new entry
//! about a document clears it, and a reader with another trust file or path
//! recomputes it: the state can lag, never lie.

use crate::error::Result;
use crate::ledger::Ledger;
use crate::store::{Arg, Row, Store, Tx, Value};
use baomi_core::{Severity, Verdict};
use serde::Deserialize;

/// Schema step that creates the index (see `MIGRATIONS` in `ledger.rs`).
pub(crate) const SCHEMA: &str = "
    CREATE TABLE index_state (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL) STRICT;
    INSERT INTO index_state (id, last_seq) VALUES (1, 0);
    CREATE TABLE index_documents (
        sha256        TEXT PRIMARY KEY,
        scan_seq      INTEGER NOT NULL,
        path          TEXT NOT NULL,
        location      TEXT NOT NULL,
        verdict       TEXT NOT NULL,
        findings      INTEGER NOT NULL,
        block         INTEGER NOT NULL,
        decisions     INTEGER NOT NULL,
        waivers       INTEGER NOT NULL,
        last_seq      INTEGER NOT NULL,
        review_ctx    TEXT,
        status        TEXT,
        waiting_for   TEXT,
        open_findings INTEGER,
        open_block    INTEGER
    ) STRICT;
    CREATE INDEX index_documents_by_scan ON index_documents (scan_seq);
    CREATE INDEX index_documents_by_path ON index_documents (path, scan_seq);
    CREATE INDEX index_documents_by_status ON index_documents (status, scan_seq);
    CREATE INDEX index_documents_by_stage ON index_documents (waiting_for, scan_seq);
    CREATE INDEX index_documents_by_verdict ON index_documents (verdict, scan_seq);
    CREATE TABLE index_paths (path TEXT PRIMARY KEY, scan_seq INTEGER NOT NULL, sha256 TEXT NOT NULL) STRICT;
    CREATE TABLE index_waivers (seq INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, path TEXT) STRICT;
    CREATE INDEX index_waivers_by_document ON index_waivers (sha256);
    CREATE INDEX index_waivers_by_path ON index_waivers (path);
";

/// One document as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedDocument {
    pub sha256: String,
    /// Its latest `scan` entry.
    pub scan_seq: u64,
    /// The path of that scan.
    pub path: String,
    /// Where the draft is now: the folder the recorder moved it to, else
    /// `path`.
    pub location: String,
    pub verdict: String,
    /// Findings in that scan, and how many of them are `block`.
    pub findings: u64,
    pub block: u64,
    /// Decision and waiver entries about this content.
    pub decisions: u64,
    pub waivers: u64,
    /// The newest entry of any kind about it.
    pub last_seq: u64,
    /// The content of the newest scan under the same path, when that is not
    /// this document (it was revised).
    pub superseded_by: Option<String>,
    /// The review layer's state, when computed for the current context.
    pub review: Option<ReviewState>,
}

/// What the review layer derived for a document (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewState {
    /// `pending`, `withheld` or `approved`.
    pub status: String,
    /// The stage id waited for (pending only).
    pub waiting_for: Option<String>,
    pub open_findings: u64,
    pub open_block: u64,
}

/// A page of the queue: filters are applied in SQL.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    pub verdict: Option<String>,
    pub status: Option<String>,
    pub waiting_for: Option<String>,
    /// Also list revisions that a newer scan of the same path replaced.
    pub include_superseded: bool,
    /// Only documents whose latest scan is older than this (paging).
    pub before_scan_seq: Option<u64>,
    /// Page size (at most 10,000).
    pub limit: usize,
}

/// The few fields of a scan payload the index needs.
#[derive(Deserialize)]
struct ScanHead {
    path: String,
    #[serde(default)]
    moved_to: Option<String>,
    verdict: Verdict,
    #[serde(default)]
    reasons: Vec<ReasonHead>,
}

#[derive(Deserialize)]
struct ReasonHead {
    severity: Severity,
}

#[derive(Deserialize)]
struct WaiverHead {
    #[serde(default)]
    path: Option<String>,
}

fn last_indexed(conn: &dyn Store) -> Result<u64> {
    let n = conn.query_int("SELECT last_seq FROM index_state WHERE id = 1", &[])?;
    Ok(n.max(0) as u64)
}

fn last_entry(conn: &dyn Store) -> Result<u64> {
    let n = conn.query_int("SELECT max(seq) FROM entries", &[])?;
    Ok(n.max(0) as u64)
}

/// Takes every entry after the last indexed one into the index. Runs inside
/// the caller's write transaction (an append's, or a reader's catch-up).
pub(crate) fn catch_up(tx: &dyn Store) -> Result<u64> {
    let from = last_indexed(tx)?;
    let rows = tx.query(
        "SELECT seq, kind, doc_sha256, payload FROM entries WHERE seq > ?1 ORDER BY seq",
        &[from.into()],
    )?;
    let mut last = from;
    let mut n = 0;
    for r in rows {
        let seq = r[0].int().unwrap_or(0).max(0) as u64;
        // Text columns read as bytes: a tampered row of another type is
        // simply not indexed (verification reports it).
        let col = |i: usize| r[i].bytes().unwrap_or_default();
        let doc = String::from_utf8_lossy(col(2));
        apply(tx, seq, col(1), &doc, col(3))?;
        last = seq;
        n += 1;
    }
    tx.execute(
        "UPDATE index_state SET last_seq = ?1 WHERE id = 1",
        &[last.into()],
    )?;
    Ok(n)
}

/// Takes one entry into the index. Entries whose payload does not parse
/// as what their kind needs are left out (they are not something a reviewer
/// can act on; `baomi ledger verify` reports them if they were tampered).
fn apply(tx: &dyn Store, seq: u64, kind: &[u8], doc: &str, payload: &[u8]) -> Result<()> {
    if doc.is_empty() {
        return Ok(());
    }
    let seq_i = seq as i64;
    match kind {
        b"scan" => {
            let Ok(head) = serde_json::from_slice::<ScanHead>(payload) else {
                tracing::warn!(seq, "scan entry with an unreadable payload not indexed");
                return Ok(());
            };
            let block = head
                .reasons
                .iter()
                .filter(|r| r.severity == Severity::Block)
                .count() as i64;
            tx.execute(
                "INSERT INTO index_documents (sha256, scan_seq, path, location, verdict, findings, block, decisions, waivers, last_seq)
                 VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6,
                    (SELECT count(*) FROM entries WHERE doc_sha256 = ?1 AND kind = 'decision' AND seq < ?2),
                    (SELECT count(*) FROM entries WHERE doc_sha256 = ?1 AND kind = 'waiver' AND seq < ?2), ?2)
                 ON CONFLICT (sha256) DO UPDATE SET scan_seq = ?2, path = ?3, location = ?7, verdict = ?4,
                    findings = ?5, block = ?6, last_seq = ?2, review_ctx = NULL",
                &[
                    doc.into(),
                    seq_i.into(),
                    Arg::Text(&head.path),
                    head.verdict.as_str().into(),
                    (head.reasons.len() as i64).into(),
                    block.into(),
                    head.moved_to.as_deref().unwrap_or(&head.path).into(),
                ],
            )?;
            // The revision it replaces under this path changes state too.
            tx.execute(
                "UPDATE index_documents SET review_ctx = NULL
                 WHERE sha256 = (SELECT sha256 FROM index_paths WHERE path = ?1) AND sha256 <> ?2",
                &[Arg::Text(&head.path), doc.into()],
            )?;
            tx.execute(
                "INSERT INTO index_paths (path, scan_seq, sha256) VALUES (?1, ?2, ?3)
                 ON CONFLICT (path) DO UPDATE SET scan_seq = ?2, sha256 = ?3",
                &[Arg::Text(&head.path), seq_i.into(), doc.into()],
            )?;
        }
        b"decision" => {
            tx.execute(
                "UPDATE index_documents SET decisions = decisions + 1, last_seq = ?2, review_ctx = NULL
                 WHERE sha256 = ?1",
                &[doc.into(), seq_i.into()],
            )?;
        }
        b"waiver" => {
            let path = serde_json::from_slice::<WaiverHead>(payload)
                .ok()
                .and_then(|w| w.path);
            tx.execute(
                "INSERT INTO index_waivers (seq, sha256, path) VALUES (?1, ?2, ?3)",
                &[seq_i.into(), doc.into(), path.as_deref().into()],
            )?;
            tx.execute(
                "UPDATE index_documents SET waivers = waivers + 1, last_seq = ?2 WHERE sha256 = ?1",
                &[doc.into(), seq_i.into()],
            )?;
            // A waiver can follow its text into other revisions of the path.
            tx.execute(
                "UPDATE index_documents SET review_ctx = NULL WHERE sha256 = ?1 OR path = ?2",
                &[doc.into(), path.as_deref().into()],
            )?;
        }
        _ => {}
    }
    Ok(())
}

const DOC_COLUMNS: &str = "d.sha256, d.scan_seq, d.path, d.verdict, d.findings, d.block, d.decisions, d.waivers, d.last_seq,
     CASE WHEN p.sha256 <> d.sha256 AND p.scan_seq > d.scan_seq THEN p.sha256 END,
     d.review_ctx, d.status, d.waiting_for, d.open_findings, d.open_block, d.location";

const DOC_FROM: &str = "FROM index_documents d LEFT JOIN index_paths p ON p.path = d.path";

fn read_doc(r: Row, ctx: &str) -> IndexedDocument {
    let u = |i: usize| r[i].int().unwrap_or(0).max(0) as u64;
    let t = |i: usize| r[i].text();
    let review = match (t(10), t(11)) {
        (Some(c), Some(status)) if c == ctx => Some(ReviewState {
            status,
            waiting_for: t(12),
            open_findings: u(13),
            open_block: u(14),
        }),
        _ => None,
    };
    IndexedDocument {
        sha256: t(0).unwrap_or_default(),
        scan_seq: u(1),
        path: t(2).unwrap_or_default(),
        verdict: t(3).unwrap_or_default(),
        findings: u(4),
        block: u(5),
        decisions: u(6),
        waivers: u(7),
        last_seq: u(8),
        superseded_by: t(9),
        location: t(15).unwrap_or_default(),
        review,
    }
}

impl Ledger {
    /// Brings the index up to date if another writer (or an older baomi)
    /// appended without it. Cheap when it is current: one comparison.
    pub fn sync_index(&self) -> Result<()> {
        // Inside a read snapshot nothing is written: the index is read as
        // it is, and the next call outside catches it up.
        if self.db().in_transaction() || last_indexed(self.db())? >= last_entry(self.db())? {
            return Ok(());
        }
        let tx = Tx::begin(self.db(), true)?;
        let n = catch_up(tx.db())?;
        tx.commit()?;
        tracing::debug!(entries = n, "index caught up");
        Ok(())
    }

    /// Starts one read transaction, ended by [`end_snapshot`](Self::end_snapshot):
    /// every query in between sees the same snapshot, and SQLite takes its
    /// shared lock once instead of once per query (a page of the queue
    /// makes a few hundred). Nothing may be written in between.
    pub fn begin_snapshot(&self) -> Result<()> {
        // One left open by a panic in between must not block every later page.
        if self.db().in_transaction() {
            self.db().rollback()?;
        }
        self.db().begin(false)
    }

    /// Ends the read transaction of [`begin_snapshot`](Self::begin_snapshot).
    pub fn end_snapshot(&self) -> Result<()> {
        self.db().commit()
    }

    /// The sequence number of the last entry (0 when empty): one lookup.
    pub fn last_seq(&self) -> Result<u64> {
        last_entry(self.db())
    }

    /// Drops the derived index and rebuilds it from the entries
    /// (`baomi ledger reindex`). Returns the number of entries read.
    pub fn reindex(&self) -> Result<u64> {
        let tx = Tx::begin(self.db(), true)?;
        tx.db().execute_batch(
            "DELETE FROM index_documents; DELETE FROM index_paths; DELETE FROM index_waivers;
             UPDATE index_state SET last_seq = 0 WHERE id = 1;",
        )?;
        let n = catch_up(tx.db())?;
        tx.commit()?;
        Ok(n)
    }

    /// The index row of one document, with its review state for `ctx`.
    pub fn indexed_document(&self, sha256: &str, ctx: &str) -> Result<Option<IndexedDocument>> {
        self.sync_index()?;
        let sql = format!("SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.sha256 = ?1");
        Ok(self
            .db()
            .query_row(&sql, &[sha256.into()])?
            .map(|r| read_doc(r, ctx)))
    }

    /// A page of documents, newest scan first, filtered in SQL. Filters on
    /// status or stage see only rows whose review state was computed for
    /// `ctx` (bring them up to date with [`Ledger::stale_reviews`] first).
    pub fn indexed_documents(&self, q: &DocumentQuery, ctx: &str) -> Result<Vec<IndexedDocument>> {
        self.sync_index()?;
        // Only the conditions asked for, so that SQLite can walk the index
        // of the filtered column in scan order (`x IS NULL OR …` would make
        // it read every row).
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<Arg<'_>> = Vec::new();
        if let Some(v) = &q.verdict {
            conds.push("d.verdict = ?");
            args.push(v.into());
        }
        if let Some(s) = &q.status {
            conds.push("d.status = ? AND d.review_ctx = ?");
            args.push(s.into());
            args.push(ctx.into());
        }
        if let Some(w) = &q.waiting_for {
            conds.push("d.waiting_for = ? AND d.review_ctx = ?");
            args.push(w.into());
            args.push(ctx.into());
        }
        if !q.include_superseded {
            conds.push("(p.sha256 = d.sha256 OR p.scan_seq <= d.scan_seq)");
        }
        let before = q.before_scan_seq.map(|s| s as i64);
        if let Some(b) = before {
            conds.push("d.scan_seq < ?");
            args.push(b.into());
        }
        let limit = q.limit.min(10_000) as i64;
        args.push(limit.into());
        let sql = format!(
            "SELECT {DOC_COLUMNS} {DOC_FROM} {} ORDER BY d.scan_seq DESC LIMIT ?",
            if conds.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conds.join(" AND "))
            }
        );
        Ok(self
            .db()
            .query(&sql, &args)?
            .into_iter()
            .map(|r| read_doc(r, ctx))
            .collect())
    }

    /// Every scanned document under `path`, newest scan first (its revisions).
    pub fn indexed_revisions(&self, path: &str, ctx: &str) -> Result<Vec<IndexedDocument>> {
        let sql =
            format!("SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.path = ?1 ORDER BY d.scan_seq DESC");
        Ok(self
            .db()
            .query(&sql, &[path.into()])?
            .into_iter()
            .map(|r| read_doc(r, ctx))
            .collect())
    }

    /// Scanned documents whose SHA-256 starts with `prefix` (lower-case
    /// hex), at most `limit`.
    pub fn documents_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        self.sync_index()?;
        if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Vec::new());
        }
        let upper = format!("{prefix}g");
        Ok(self
            .db()
            .query(
                "SELECT sha256 FROM index_documents WHERE sha256 >= ?1 AND sha256 < ?2
                 ORDER BY sha256 LIMIT ?3",
                &[prefix.into(), Arg::Text(&upper), (limit as u64).into()],
            )?
            .into_iter()
            .filter_map(|r| r[0].text())
            .collect())
    }

    /// Sequence numbers of waivers made on `sha256` or under `path`, oldest
    /// first; all waivers when both are `None`. Like
    /// [`indexed_revisions`](Self::indexed_revisions) it reads the index as
    /// it is: call it after a method that syncs ([`Ledger::sync_index`]).
    pub fn waiver_seqs(&self, sha256: Option<&str>, path: Option<&str>) -> Result<Vec<u64>> {
        let sql = match (sha256, path) {
            (None, None) => "SELECT seq FROM index_waivers ORDER BY seq",
            (Some(_), None) => "SELECT seq FROM index_waivers WHERE sha256 = ?1 ORDER BY seq",
            (None, Some(_)) => "SELECT seq FROM index_waivers WHERE path = ?1 ORDER BY seq",
            (Some(_), Some(_)) => {
                "SELECT seq FROM index_waivers WHERE sha256 = ?1 OR path = ?2 ORDER BY seq"
            }
        };
        let args: Vec<Arg<'_>> = [sha256, path]
            .into_iter()
            .flatten()
            .map(Arg::Text)
            .collect();
        Ok(self
            .db()
            .query(sql, &args)?
            .into_iter()
            .map(|r| r[0].int().unwrap_or(0).max(0) as u64)
            .collect())
    }

    /// Every path a waiver was made under (read as the index is; see
    /// [`waiver_seqs`](Self::waiver_seqs)).
    pub fn waiver_paths(&self) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .db()
            .query(
                "SELECT DISTINCT path FROM index_waivers WHERE path IS NOT NULL",
                &[],
            )?
            .into_iter()
            .filter_map(|r| r[0].text())
            .collect())
    }

    /// Documents whose review state was not computed for `ctx`, at most
    /// `limit`, as (sha256, has decisions or waivers that could matter).
    pub fn stale_reviews(&self, ctx: &str, limit: usize) -> Result<Vec<(String, bool)>> {
        self.sync_index()?;
        Ok(self
            .db()
            .query(
                "SELECT d.sha256, d.decisions > 0 OR d.waivers > 0 OR EXISTS
                    (SELECT 1 FROM index_waivers w WHERE w.path = d.path)
                 FROM index_documents d WHERE d.review_ctx IS DISTINCT FROM ?1 LIMIT ?2",
                &[ctx.into(), (limit as u64).into()],
            )?
            .into_iter()
            .map(|r| (r[0].text().unwrap_or_default(), r[1].int() == Some(1)))
            .collect())
    }

    /// Stores review states computed for `ctx`, all in one transaction. A
    /// row that changed since (its `last_seq` is not the one given) is left
    /// stale, to be computed again.
    pub fn set_reviews(&self, ctx: &str, states: &[(String, u64, ReviewState)]) -> Result<()> {
        let tx = Tx::begin(self.db(), true)?;
        for (sha, last_seq, s) in states {
            tx.db().execute(
                "UPDATE index_documents SET review_ctx = ?1, status = ?2, waiting_for = ?3,
                    open_findings = ?4, open_block = ?5
                 WHERE sha256 = ?6 AND last_seq = ?7",
                &[
                    ctx.into(),
                    Arg::Text(&s.status),
                    s.waiting_for.as_deref().into(),
                    s.open_findings.into(),
                    s.open_block.into(),
                    sha.into(),
                    (*last_seq).into(),
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets, in one statement, the review state of every stale document
    /// that has no decision and no waiver that could apply: nothing has
    /// happened to it but its scan, so its state is the path's first stage
    /// and all its findings are open. Returns how many rows were set.
    pub fn set_untouched_reviews(&self, ctx: &str, first_stage: &str) -> Result<u64> {
        self.db().execute(
            "UPDATE index_documents SET review_ctx = ?1, status = 'pending', waiting_for = ?2,
                open_findings = findings, open_block = block
             WHERE review_ctx IS DISTINCT FROM ?1 AND decisions = 0 AND waivers = 0
               AND NOT EXISTS (SELECT 1 FROM index_waivers w WHERE w.path = index_documents.path)",
            &[ctx.into(), first_stage.into()],
        )
    }

    /// The index's contents derived from entries (not review states), as
    /// text rows in a fixed order: for tests that compare a rebuilt index
    /// with an incrementally maintained one.
    pub fn index_dump(&self) -> Result<Vec<String>> {
        self.sync_index()?;
        let mut out = Vec::new();
        for sql in [
            "SELECT 'doc', sha256, scan_seq, path || ' @ ' || location, verdict, findings, block, decisions, waivers, last_seq FROM index_documents ORDER BY sha256",
            "SELECT 'path', path, scan_seq, sha256, '', '', '', '', '', '' FROM index_paths ORDER BY path",
            "SELECT 'waiver', seq, sha256, coalesce(path, '-'), '', '', '', '', '', '' FROM index_waivers ORDER BY seq",
            "SELECT 'state', last_seq, '', '', '', '', '', '', '', '' FROM index_state",
        ] {
            for r in self.db().query(sql, &[])? {
                out.push(r.iter().map(Value::show).collect::<Vec<_>>().join("|"));
            }
        }
        Ok(out)
    }
}
