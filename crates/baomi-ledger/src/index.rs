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
use baomi_core::{Severity, Verdict};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
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

fn last_indexed(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT last_seq FROM index_state WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

fn last_entry(conn: &Connection) -> Result<u64> {
    let n: Option<i64> = conn
        .prepare_cached("SELECT max(seq) FROM entries")?
        .query_row([], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// Takes every entry after the last indexed one into the index. Runs inside
/// the caller's write transaction (an append's, or a reader's catch-up).
pub(crate) fn catch_up(tx: &Transaction<'_>) -> Result<u64> {
    let from = last_indexed(tx)?;
    let mut st = tx.prepare_cached(
        "SELECT seq, kind, doc_sha256, payload FROM entries WHERE seq > ?1 ORDER BY seq",
    )?;
    let mut rows = st.query([from as i64])?;
    let mut last = from;
    let mut n = 0;
    while let Some(r) = rows.next()? {
        let seq = r.get::<_, i64>(0)?.max(0) as u64;
        // Text columns read as bytes: a tampered row of another type is
        // simply not indexed (verification reports it).
        let col = |i| -> rusqlite::Result<Vec<u8>> {
            Ok(r.get_ref(i)?
                .as_bytes()
                .map(<[u8]>::to_vec)
                .unwrap_or_default())
        };
        let (kind, doc, payload) = (col(1)?, col(2)?, col(3)?);
        let doc = String::from_utf8_lossy(&doc);
        apply(tx, seq, &kind, &doc, &payload)?;
        last = seq;
        n += 1;
    }
    tx.execute(
        "UPDATE index_state SET last_seq = ?1 WHERE id = 1",
        [last as i64],
    )?;
    Ok(n)
}

/// Takes one entry into the index. Entries whose payload does not parse
/// as what their kind needs are left out (they are not something a reviewer
/// can act on; `baomi ledger verify` reports them if they were tampered).
fn apply(tx: &Transaction<'_>, seq: u64, kind: &[u8], doc: &str, payload: &[u8]) -> Result<()> {
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
            tx.prepare_cached(
                "INSERT INTO index_documents (sha256, scan_seq, path, location, verdict, findings, block, decisions, waivers, last_seq)
                 VALUES (?1, ?2, ?3, ?7, ?4, ?5, ?6,
                    (SELECT count(*) FROM entries WHERE doc_sha256 = ?1 AND kind = 'decision' AND seq < ?2),
                    (SELECT count(*) FROM entries WHERE doc_sha256 = ?1 AND kind = 'waiver' AND seq < ?2), ?2)
                 ON CONFLICT (sha256) DO UPDATE SET scan_seq = ?2, path = ?3, location = ?7, verdict = ?4,
                    findings = ?5, block = ?6, last_seq = ?2, review_ctx = NULL",
            )?
            .execute(params![
                doc,
                seq_i,
                head.path,
                head.verdict.as_str(),
                head.reasons.len() as i64,
                block,
                head.moved_to.as_deref().unwrap_or(&head.path),
            ])?;
            // The revision it replaces under this path changes state too.
            tx.prepare_cached(
                "UPDATE index_documents SET review_ctx = NULL
                 WHERE sha256 = (SELECT sha256 FROM index_paths WHERE path = ?1) AND sha256 <> ?2",
            )?
            .execute(params![head.path, doc])?;
            tx.prepare_cached(
                "INSERT INTO index_paths (path, scan_seq, sha256) VALUES (?1, ?2, ?3)
                 ON CONFLICT (path) DO UPDATE SET scan_seq = ?2, sha256 = ?3",
            )?
            .execute(params![head.path, seq_i, doc])?;
        }
        b"decision" => {
            tx.prepare_cached(
                "UPDATE index_documents SET decisions = decisions + 1, last_seq = ?2, review_ctx = NULL
                 WHERE sha256 = ?1",
            )?
            .execute(params![doc, seq_i])?;
        }
        b"waiver" => {
            let path = serde_json::from_slice::<WaiverHead>(payload)
                .ok()
                .and_then(|w| w.path);
            tx.prepare_cached("INSERT INTO index_waivers (seq, sha256, path) VALUES (?1, ?2, ?3)")?
                .execute(params![seq_i, doc, path])?;
            tx.prepare_cached(
                "UPDATE index_documents SET waivers = waivers + 1, last_seq = ?2 WHERE sha256 = ?1",
            )?
            .execute(params![doc, seq_i])?;
            // A waiver can follow its text into other revisions of the path.
            tx.prepare_cached(
                "UPDATE index_documents SET review_ctx = NULL WHERE sha256 = ?1 OR path = ?2",
            )?
            .execute(params![doc, path])?;
        }
        _ => {}
    }
    Ok(())
}

const DOC_COLUMNS: &str = "d.sha256, d.scan_seq, d.path, d.verdict, d.findings, d.block, d.decisions, d.waivers, d.last_seq,
     CASE WHEN p.sha256 <> d.sha256 AND p.scan_seq > d.scan_seq THEN p.sha256 END,
     d.review_ctx, d.status, d.waiting_for, d.open_findings, d.open_block, d.location";

const DOC_FROM: &str = "FROM index_documents d LEFT JOIN index_paths p ON p.path = d.path";

fn read_doc(r: &rusqlite::Row<'_>, ctx: &str) -> rusqlite::Result<IndexedDocument> {
    let u = |i| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    let review_ctx: Option<String> = r.get(10)?;
    let review = match (review_ctx, r.get::<_, Option<String>>(11)?) {
        (Some(c), Some(status)) if c == ctx => Some(ReviewState {
            status,
            waiting_for: r.get(12)?,
            open_findings: r.get::<_, Option<i64>>(13)?.unwrap_or(0).max(0) as u64,
            open_block: r.get::<_, Option<i64>>(14)?.unwrap_or(0).max(0) as u64,
        }),
        _ => None,
    };
    Ok(IndexedDocument {
        sha256: r.get(0)?,
        scan_seq: u(1)?,
        path: r.get(2)?,
        verdict: r.get(3)?,
        findings: u(4)?,
        block: u(5)?,
        decisions: u(6)?,
        waivers: u(7)?,
        last_seq: u(8)?,
        superseded_by: r.get(9)?,
        location: r.get(15)?,
        review,
    })
}

impl Ledger {
    /// Brings the index up to date if another writer (or an older baomi)
    /// appended without it. Cheap when it is current: one comparison.
    pub fn sync_index(&self) -> Result<()> {
        // Inside a read snapshot nothing is written: the index is read as
        // it is, and the next call outside catches it up.
        if !self.conn().is_autocommit() || last_indexed(self.conn())? >= last_entry(self.conn())? {
            return Ok(());
        }
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        let n = catch_up(&tx)?;
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
        if !self.conn().is_autocommit() {
            self.conn().execute_batch("ROLLBACK")?;
        }
        Ok(self.conn().execute_batch("BEGIN DEFERRED")?)
    }

    /// Ends the read transaction of [`begin_snapshot`](Self::begin_snapshot).
    pub fn end_snapshot(&self) -> Result<()> {
        Ok(self.conn().execute_batch("COMMIT")?)
    }

    /// The sequence number of the last entry (0 when empty): one lookup.
    pub fn last_seq(&self) -> Result<u64> {
        last_entry(self.conn())
    }

    /// Drops the derived index and rebuilds it from the entries
    /// (`baomi ledger reindex`). Returns the number of entries read.
    pub fn reindex(&self) -> Result<u64> {
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "DELETE FROM index_documents; DELETE FROM index_paths; DELETE FROM index_waivers;
             UPDATE index_state SET last_seq = 0 WHERE id = 1;",
        )?;
        let n = catch_up(&tx)?;
        tx.commit()?;
        Ok(n)
    }

    /// The index row of one document, with its review state for `ctx`.
    pub fn indexed_document(&self, sha256: &str, ctx: &str) -> Result<Option<IndexedDocument>> {
        self.sync_index()?;
        let sql = format!("SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.sha256 = ?1");
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([sha256], |r| read_doc(r, ctx))
            .optional()?)
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
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(v) = &q.verdict {
            conds.push("d.verdict = ?");
            args.push(v);
        }
        if let Some(s) = &q.status {
            conds.push("d.status = ? AND d.review_ctx = ?");
            args.push(s);
            args.push(&ctx);
        }
        if let Some(w) = &q.waiting_for {
            conds.push("d.waiting_for = ? AND d.review_ctx = ?");
            args.push(w);
            args.push(&ctx);
        }
        if !q.include_superseded {
            conds.push("(p.sha256 = d.sha256 OR p.scan_seq <= d.scan_seq)");
        }
        let before = q.before_scan_seq.map(|s| s as i64);
        if let Some(b) = &before {
            conds.push("d.scan_seq < ?");
            args.push(b);
        }
        let limit = q.limit.min(10_000) as i64;
        args.push(&limit);
        let sql = format!(
            "SELECT {DOC_COLUMNS} {DOC_FROM} {} ORDER BY d.scan_seq DESC LIMIT ?",
            if conds.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", conds.join(" AND "))
            }
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map(args.as_slice(), |r| read_doc(r, ctx))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every scanned document under `path`, newest scan first (its revisions).
    pub fn indexed_revisions(&self, path: &str, ctx: &str) -> Result<Vec<IndexedDocument>> {
        let sql =
            format!("SELECT {DOC_COLUMNS} {DOC_FROM} WHERE d.path = ?1 ORDER BY d.scan_seq DESC");
        let mut st = self.conn().prepare_cached(&sql)?;
        let rows = st.query_map([path], |r| read_doc(r, ctx))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Scanned documents whose SHA-256 starts with `prefix` (lower-case
    /// hex), at most `limit`.
    pub fn documents_with_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<String>> {
        self.sync_index()?;
        if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Vec::new());
        }
        let mut st = self.conn().prepare_cached(
            "SELECT sha256 FROM index_documents WHERE sha256 >= ?1 AND sha256 < ?1 || 'g'
             ORDER BY sha256 LIMIT ?2",
        )?;
        let rows = st.query_map(params![prefix, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sequence numbers of waivers made on `sha256` or under `path`, oldest
    /// first; all waivers when both are `None`. Like
    /// [`indexed_revisions`](Self::indexed_revisions) it reads the index as
    /// it is: call it after a method that syncs ([`Ledger::sync_index`]).
    pub fn waiver_seqs(&self, sha256: Option<&str>, path: Option<&str>) -> Result<Vec<u64>> {
        let mut st = self.conn().prepare_cached(
            "SELECT seq FROM index_waivers
             WHERE (?1 IS NULL AND ?2 IS NULL) OR sha256 = ?1 OR path = ?2 ORDER BY seq",
        )?;
        let rows = st.query_map(params![sha256, path], |r| r.get::<_, i64>(0))?;
        Ok(rows
            .map(|r| r.map(|s| s.max(0) as u64))
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Every path a waiver was made under (read as the index is; see
    /// [`waiver_seqs`](Self::waiver_seqs)).
    pub fn waiver_paths(&self) -> Result<std::collections::HashSet<String>> {
        let mut st = self
            .conn()
            .prepare_cached("SELECT DISTINCT path FROM index_waivers WHERE path IS NOT NULL")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Documents whose review state was not computed for `ctx`, at most
    /// `limit`, as (sha256, has decisions or waivers that could matter).
    pub fn stale_reviews(&self, ctx: &str, limit: usize) -> Result<Vec<(String, bool)>> {
        self.sync_index()?;
        let mut st = self.conn().prepare_cached(
            "SELECT d.sha256, d.decisions > 0 OR d.waivers > 0 OR EXISTS
                (SELECT 1 FROM index_waivers w WHERE w.path = d.path)
             FROM index_documents d WHERE d.review_ctx IS NOT ?1 LIMIT ?2",
        )?;
        let rows = st.query_map(params![ctx, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stores review states computed for `ctx`, all in one transaction. A
    /// row that changed since (its `last_seq` is not the one given) is left
    /// stale, to be computed again.
    pub fn set_reviews(&self, ctx: &str, states: &[(String, u64, ReviewState)]) -> Result<()> {
        let tx = Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(
                "UPDATE index_documents SET review_ctx = ?1, status = ?2, waiting_for = ?3,
                    open_findings = ?4, open_block = ?5
                 WHERE sha256 = ?6 AND last_seq = ?7",
            )?;
            for (sha, last_seq, s) in states {
                st.execute(params![
                    ctx,
                    s.status,
                    s.waiting_for,
                    s.open_findings as i64,
                    s.open_block as i64,
                    sha,
                    *last_seq as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets, in one statement, the review state of every stale document
    /// that has no decision and no waiver that could apply: nothing has
    /// happened to it but its scan, so its state is the path's first stage
    /// and all its findings are open. Returns how many rows were set.
    pub fn set_untouched_reviews(&self, ctx: &str, first_stage: &str) -> Result<u64> {
        let n = self.conn().execute(
            "UPDATE index_documents SET review_ctx = ?1, status = 'pending', waiting_for = ?2,
                open_findings = findings, open_block = block
             WHERE review_ctx IS NOT ?1 AND decisions = 0 AND waivers = 0
               AND NOT EXISTS (SELECT 1 FROM index_waivers w WHERE w.path = index_documents.path)",
            params![ctx, first_stage],
        )?;
        Ok(n as u64)
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
            let mut st = self.conn().prepare(sql)?;
            let rows = st.query_map([], |r| {
                (0..10)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                            rusqlite::types::ValueRef::Text(t) => {
                                String::from_utf8_lossy(t).into_owned()
                            }
                            _ => String::new(),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map(|v| v.join("|"))
            })?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }
}
