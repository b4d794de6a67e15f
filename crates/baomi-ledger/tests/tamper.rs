//! The tampering suite: real SQLite files on disk and real PostgreSQL
//! databases, edited behind the ledger's back with plain SQL, and `verify`
//! must name the first bad entry and why. Tests that edit with SQLite-only
//! means (re-signing rows through rusqlite, corrupting file pages) run on
//! SQLite; the rest run on both backends.

mod support;
use support::{Backend, TestDb};

use baomi_core::{Coverage, DocumentReport, Verdict};
use baomi_ledger::entry::{entry_hash, signed_message};
use baomi_ledger::{
    Checkpoint, Conclusion, Decision, KeyPair, Ledger, LedgerError, ProblemKind, Role, Signer,
    Trust,
};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

struct Fixture {
    t: TestDb,
    db: PathBuf,
    scanner: KeyPair,
    officer: KeyPair,
    trust: Trust,
}

fn report(i: usize, verdict: Verdict) -> DocumentReport {
    DocumentReport {
        path: format!("drafts/{i}.txt"),
        sha256: format!("{:064x}", i + 1),
        title: Some(format!("关于第{i}号事项的通知")),
        doc_number: Some(format!("办〔2026〕{i}号")),
        verdict,
        coverage: Coverage::default(),
        findings: Vec::new(),
        error: None,
    }
}

/// A ledger of 5 scans and a decision on document 2 (6 entries), in SQLite.
fn fixture() -> Fixture {
    fixture_on(Backend::Sqlite)
}

impl Fixture {
    fn open(&self) -> Ledger {
        self.t.open_existing().unwrap()
    }
}

/// The same ledger on `backend`.
fn fixture_on(backend: Backend) -> Fixture {
    let t = TestDb::new(backend);
    let db = t.db.clone();
    let scanner = KeyPair::generate().unwrap();
    let officer = KeyPair::generate().unwrap();
    let ledger = t.open();
    for i in 0..5 {
        let v = if i % 2 == 0 {
            Verdict::Clear
        } else {
            Verdict::Withhold
        };
        ledger
            .record_scan(&report(i, v), "rules-A", &scanner)
            .unwrap();
    }
    ledger
        .record_decision(
            &report(1, Verdict::Withhold).sha256,
            &Decision {
                role: Role::SecrecyCommittee,
                conclusion: Conclusion::Withhold,
                opinion: "含工作秘密，不予公开".into(),
                changes: None,
                basis: None,
                scan_seq: Some(2),
                title: None,
                doc_number: None,
                path: None,
            },
            &officer,
        )
        .unwrap();
    let mut trust = Trust::default();
    trust.insert(Signer {
        key_id: scanner.key_id().into(),
        name: "扫描服务".into(),
        roles: vec![Role::Scanner],
        public_key: Some(scanner.public_key().to_base64()),
    });
    trust.insert(Signer {
        key_id: officer.key_id().into(),
        name: "李四（保密委）".into(),
        roles: vec![Role::SecrecyCommittee],
        public_key: None,
    });
    Fixture {
        t,
        db,
        scanner,
        officer,
        trust,
    }
}

/// Opens the file the way an attacker with write access would, and removes
/// the append-only triggers (they stop accidents, not people).
fn raw(db: &Path) -> Connection {
    let c = Connection::open(db).unwrap();
    c.execute_batch(
        "DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;",
    )
    .unwrap();
    c
}

fn first_problem(f: &Fixture) -> (u64, ProblemKind, String) {
    let ledger = f.open();
    let r = ledger.verify(Some(&f.trust)).unwrap();
    let p = r.problem.expect("verify must find the tampering");
    (p.seq, p.kind, p.detail)
}

fn untouched_ledger_verifies(b: Backend) {
    let f = fixture_on(b);
    let ledger = f.open();
    let r = ledger.verify(Some(&f.trust)).unwrap();
    assert!(r.ok(), "{:?}", r.problem);
    assert_eq!((r.total, r.verified), (6, 6));
    assert_eq!(r.signers[f.scanner.key_id()], 5);
    assert_eq!(r.signers[f.officer.key_id()], 1);
}

fn triggers_refuse_in_place_edits(b: Backend) {
    let f = fixture_on(b);
    let err =
        f.t.try_sql("UPDATE entries SET kind = 'x' WHERE seq = 1")
            .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    let err =
        f.t.try_sql("DELETE FROM entries WHERE seq = 1")
            .unwrap_err();
    assert!(err.contains("append-only"), "{err}");
    if b == Backend::Postgres {
        let err = f.t.try_sql("TRUNCATE entries").unwrap_err();
        assert!(err.contains("append-only"), "{err}");
    }
    assert!(f.open().verify(Some(&f.trust)).unwrap().ok());
}

fn changed_payload_byte(b: Backend) {
    let f = fixture_on(b);
    f.t.tamper(
        "UPDATE entries SET payload = replace(payload, '\"verdict\":\"withhold\"', '\"verdict\":\"clear\"') WHERE seq = 4",
    );
    let (seq, kind, detail) = first_problem(&f);
    assert_eq!((seq, kind), (4, ProblemKind::ContentChanged), "{detail}");
    assert!(detail.contains("payload"));
}

#[test]
fn changed_payload_with_recomputed_hash_fails_the_signature() {
    let f = fixture();
    let c = raw(&f.db);
    c.execute("UPDATE entries SET payload = replace(payload, '办〔2026〕2号', '办〔2026〕9号') WHERE seq = 3", [])
        .unwrap();
    // The attacker recomputes this entry's hash (but cannot sign).
    rehash(&c, 3, None);
    let (seq, kind, _) = first_problem(&f);
    // Either the changed hash breaks entry 4's link, or the signature fails at 3.
    assert_eq!((seq, kind), (3, ProblemKind::SignatureInvalid));
}

fn swapped_pair_of_entries(b: Backend) {
    let f = fixture_on(b);
    f.t.tamper(
        "UPDATE entries SET seq = -2 WHERE seq = 2;
         UPDATE entries SET seq = 2 WHERE seq = 3;
         UPDATE entries SET seq = 3 WHERE seq = -2",
    );
    let (seq, kind, _) = first_problem(&f);
    assert_eq!(seq, 2);
    assert_eq!(kind, ProblemKind::ContentChanged);
}

fn deleted_middle_entry(b: Backend) {
    let f = fixture_on(b);
    f.t.tamper("DELETE FROM entries WHERE seq = 3");
    let (seq, kind, detail) = first_problem(&f);
    assert_eq!((seq, kind), (4, ProblemKind::SequenceGap));
    assert!(detail.contains("expected entry 3"), "{detail}");
}

#[test]
fn deleted_middle_entry_and_renumbered() {
    let f = fixture();
    let c = raw(&f.db);
    c.execute_batch(
        "DELETE FROM entries WHERE seq = 3; UPDATE entries SET seq = seq - 1 WHERE seq > 3;",
    )
    .unwrap();
    let (seq, kind, _) = first_problem(&f);
    assert_eq!((seq, kind), (3, ProblemKind::ContentChanged));
}

fn truncated_tail_is_caught_by_the_automatic_checkpoints(b: Backend) {
    let f = fixture_on(b);
    let cp = {
        let ledger = f.open();
        Checkpoint::parse(&ledger.head(&f.scanner).unwrap().to_text()).unwrap()
    };
    f.t.tamper("DELETE FROM entries WHERE seq >= 5");
    let ledger = f.open();
    // The appends left checkpoints beside the database: plain verify sees the cut.
    let p = ledger.verify(Some(&f.trust)).unwrap().problem.unwrap();
    assert_eq!((p.seq, p.kind), (5, ProblemKind::Truncated), "{p}");
    assert!(p.detail.contains(".checkpoints"), "{p}");
    // Appending to it is refused too: it would fork the signed history.
    let e = ledger
        .record_scan(&report(9, Verdict::Clear), "rules-A", &f.scanner)
        .unwrap_err();
    assert!(e.to_string().contains("entries 5–6 were removed"), "{e}");
    // Without the folder a clean cut is invisible, and verify says so…
    std::fs::remove_dir_all(ledger.checkpoint_dir().path()).unwrap();
    let r = ledger.verify(Some(&f.trust)).unwrap();
    assert!(r.ok());
    assert!(
        r.warnings.iter().any(|w| w.contains("no checkpoint")),
        "{:?}",
        r.warnings
    );
    // …but a checkpoint kept elsewhere still catches it.
    let r = ledger.verify_with(Some(&f.trust), Some(&cp)).unwrap();
    let p = r.problem.unwrap();
    assert_eq!(p.kind, ProblemKind::Truncated, "{p}");
    assert!(p.detail.contains("only 4"), "{}", p.detail);
}

fn truncation_names_the_first_missing_entry_not_the_checkpoint_size(b: Backend) {
    let f = fixture_on(b);
    let cp = f.open().head(&f.scanner).unwrap();
    assert_eq!(cp.size, 6);
    f.t.tamper("DELETE FROM entries WHERE seq >= 4");
    let ledger = f.open();
    let r = ledger.verify_with(Some(&f.trust), Some(&cp)).unwrap();
    let p = r.problem.unwrap();
    assert_eq!((p.seq, p.kind), (4, ProblemKind::Truncated), "{p}");
    assert_eq!(r.verified, 3);
    assert_eq!(
        p.to_string(),
        "entry 4: truncated: the checkpoint has 6 entries but the ledger only 3: entries 4–6 were removed"
    );

    // One entry short: that entry, by its number.
    let f = fixture_on(b);
    let cp = f.open().head(&f.scanner).unwrap();
    f.t.tamper("DELETE FROM entries WHERE seq = 6");
    let ledger = f.open();
    let p = ledger
        .verify_with(Some(&f.trust), Some(&cp))
        .unwrap()
        .problem
        .unwrap();
    assert_eq!((p.seq, p.kind), (6, ProblemKind::Truncated), "{p}");
    assert!(p.detail.ends_with("only 5: entry 6 was removed"), "{p}");
}

#[test]
fn appended_ledger_still_extends_checkpoint_but_rewritten_does_not() {
    let f = fixture();
    let ledger = f.open();
    let cp = ledger.head(&f.scanner).unwrap();
    ledger
        .record_scan(&report(9, Verdict::Clear), "rules-A", &f.scanner)
        .unwrap();
    assert!(ledger.verify_with(Some(&f.trust), Some(&cp)).unwrap().ok());

    // A forger rewrites entry 2 entirely with keys of their own and re-chains
    // everything after it: verify without trust passes, the checkpoint does not.
    let mallory = KeyPair::generate().unwrap();
    let c = raw(&f.db);
    for seq in 2..=7 {
        rehash(&c, seq, Some(&mallory));
    }
    // The chain and signatures are consistent again; the checkpoints the
    // appends wrote are not.
    // (Here the real signers' keys no longer sign any entry, so their
    // checkpoints are the first thing that does not add up.)
    let p = ledger.verify(None).unwrap().problem.unwrap();
    assert_eq!(p.kind, ProblemKind::HeadMismatch, "{p}");
    assert!(p.detail.contains("checkpoint"), "{p}");
    let p = ledger
        .verify_with(None, Some(&cp))
        .unwrap()
        .problem
        .unwrap();
    assert_eq!(p.kind, ProblemKind::HeadMismatch, "{p}");
}

#[test]
fn resigned_entry_by_untrusted_key() {
    let f = fixture();
    let mallory = KeyPair::generate().unwrap();
    let c = raw(&f.db);
    c.execute(
        "UPDATE entries SET payload = replace(payload, '\"withhold\"', '\"clear\"') WHERE seq = 6",
        [],
    )
    .unwrap();
    rehash(&c, 6, Some(&mallory));
    let ledger = f.open();
    // The signature itself is fine; the automatic checkpoints (signed by
    // the real scanner) are not.
    let p = ledger.verify(None).unwrap().problem.unwrap();
    assert_eq!(p.kind, ProblemKind::HeadMismatch, "{p}");
    let (seq, kind, detail) = first_problem(&f);
    assert_eq!((seq, kind), (6, ProblemKind::UnknownKey));
    assert!(detail.contains(mallory.key_id()), "{detail}");
}

#[test]
fn resigned_under_a_trusted_key_id_with_another_public_key() {
    let f = fixture();
    // Mallory stores the scanner's key id next to her own public key.
    let mallory = KeyPair::generate().unwrap();
    let c = raw(&f.db);
    rehash(&c, 5, Some(&mallory));
    c.execute(
        "UPDATE entries SET key_id = ?1 WHERE seq = 5",
        [f.scanner.key_id()],
    )
    .unwrap();
    rehash(&c, 5, None);
    let (seq, kind, _) = first_problem(&f);
    assert_eq!((seq, kind), (5, ProblemKind::KeyMismatch));
}

#[test]
fn decision_by_key_without_the_role() {
    let f = fixture();
    let clerk = KeyPair::generate().unwrap();
    let mut trust = f.trust.clone();
    trust.insert(Signer {
        key_id: clerk.key_id().into(),
        name: "王五（部门）".into(),
        roles: vec![Role::Department],
        public_key: None,
    });
    let ledger = f.open();
    ledger
        .record_decision(
            &report(3, Verdict::Withhold).sha256,
            &Decision {
                role: Role::SecrecyCommittee,
                conclusion: Conclusion::Publish,
                opinion: "同意公开".into(),
                changes: None,
                basis: None,
                scan_seq: Some(4),
                title: None,
                doc_number: None,
                path: None,
            },
            &clerk,
        )
        .unwrap();
    let r = ledger.verify(Some(&trust)).unwrap();
    let p = r.problem.unwrap();
    assert_eq!((p.seq, p.kind), (7, ProblemKind::RoleNotAllowed), "{p}");
    assert!(
        p.detail.contains("secrecy-committee") && p.detail.contains("department"),
        "{}",
        p.detail
    );
    // A scan signed by the officer is refused the same way.
    ledger
        .record_scan(&report(8, Verdict::Clear), "rules-A", &f.officer)
        .unwrap();
    let mut t2 = trust.clone();
    t2.insert(Signer {
        key_id: clerk.key_id().into(),
        name: "王五".into(),
        roles: vec![Role::SecrecyCommittee],
        public_key: None,
    });
    let p = ledger.verify(Some(&t2)).unwrap().problem.unwrap();
    assert_eq!((p.seq, p.kind), (8, ProblemKind::RoleNotAllowed), "{p}");
}

fn malformed_rows_are_named(b: Backend) {
    let f = fixture_on(b);
    f.t.tamper("UPDATE entries SET signature = 'zz' WHERE seq = 2");
    let (seq, kind, detail) = first_problem(&f);
    assert_eq!((seq, kind), (2, ProblemKind::Malformed));
    assert!(detail.contains("signature"), "{detail}");
    f.t.tamper("UPDATE entries SET payload = '{not json' WHERE seq = 1");
    let (seq, kind, _) = first_problem(&f);
    assert_eq!((seq, kind), (1, ProblemKind::Malformed));
}

#[test]
fn not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.db");
    std::fs::write(
        &p,
        "这不是数据库 — just some text that is long enough to fill a header page ".repeat(20),
    )
    .unwrap();
    let before = std::fs::read(&p).unwrap();
    let err = Ledger::open(&p).unwrap_err();
    assert!(matches!(err, LedgerError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite database"));
    assert_eq!(
        std::fs::read(&p).unwrap(),
        before,
        "nothing may be written to it"
    );
    assert!(!dir.path().join("notes.db-wal").exists());

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Ledger::open(&other).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");

    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Ledger::open_existing(&missing),
        Err(LedgerError::Missing { .. })
    ));
    assert!(!missing.exists());
}

#[test]
fn corrupt_pages_are_refused_and_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("baomi.db");
    {
        let key = KeyPair::generate().unwrap();
        let l = Ledger::open(&db).unwrap();
        for i in 0..300 {
            l.record_scan(&report(i, Verdict::Clear), "r", &key)
                .unwrap();
        }
        l.quick_check().unwrap();
    } // last connection closed: the WAL is checkpointed into the file
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() > 8 * 4096);
    let page = 4096;
    for b in &mut bytes[3 * page..3 * page + 64] {
        *b = 0xA5;
    }
    for b in &mut bytes[6 * page + 8..6 * page + 200] {
        *b = 0x00;
    }
    std::fs::write(&db, &bytes).unwrap();
    let err = Ledger::open(&db).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::Corrupt { .. } | LedgerError::NotADatabase { .. }
        ),
        "{err}"
    );
    eprintln!("corrupt: {err}");
    assert!(
        err.to_string().contains("refusing to write") || err.to_string().contains("not an SQLite")
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "a corrupt ledger must not be written to"
    );
}

/// Recomputes entry `seq`'s hash as a forger would: re-signing with `key`
/// when given (so the signature verifies), and re-linking `prev_hash` to the
/// entry before it.
fn rehash(c: &Connection, seq: i64, key: Option<&KeyPair>) {
    let prev: [u8; 32] = if seq == 1 {
        [0; 32]
    } else {
        let h: String = c
            .query_row("SELECT hash FROM entries WHERE seq = ?1", [seq - 1], |r| {
                r.get(0)
            })
            .unwrap();
        unhex(&h).try_into().unwrap()
    };
    let (kind, doc, payload, key_id, pk, sig, at): (String, String, String, String, String, String, String) = c
        .query_row(
            "SELECT kind, doc_sha256, payload, key_id, public_key, signature, recorded_at FROM entries WHERE seq = ?1",
            [seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )
        .unwrap();
    let (key_id, pk, sig): (String, [u8; 32], [u8; 64]) = match key {
        Some(k) => {
            let msg = signed_message(seq as u64, &kind, &doc, &at, payload.as_bytes(), &prev);
            (k.key_id().into(), k.public_key().to_bytes(), k.sign(&msg))
        }
        None => (
            key_id,
            unhex(&pk).try_into().unwrap(),
            unhex(&sig).try_into().unwrap(),
        ),
    };
    let h = entry_hash(
        seq as u64,
        &kind,
        &doc,
        &at,
        payload.as_bytes(),
        &key_id,
        &pk,
        &sig,
        &prev,
    );
    c.execute(
        "UPDATE entries SET key_id = ?2, public_key = ?3, signature = ?4, prev_hash = ?5, hash = ?6 WHERE seq = ?1",
        rusqlite::params![seq, key_id, hex(&pk), hex(&sig), hex(&prev), hex(&h)],
    )
    .unwrap();
}

fn hex(b: &[u8]) -> String {
    baomi_ledger::hex(b)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn exports_of_a_tampered_ledger_say_so_and_do_not_break() {
    let f = fixture();
    raw(&f.db)
        .execute(
            "UPDATE entries SET doc_sha256 = '机密★<script>/../x', payload = replace(payload, '通知', '<b>通知</b>') WHERE seq = 2",
            [],
        )
        .unwrap();
    let ledger = f.open();
    let entries = ledger.entries().unwrap();
    let report = ledger.verify(Some(&f.trust)).unwrap();
    assert_eq!(report.problem.as_ref().unwrap().seq, 2);
    let forms =
        baomi_ledger::export::html_forms(&entries, &report, Some(&f.trust), &ledger.origin());
    let index = forms.last().unwrap();
    assert!(index.html.contains("账本验证失败"));
    for form in &forms {
        assert!(
            form.file_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{}",
            form.file_name
        );
        assert!(!form.html.contains("<script>") && !form.html.contains("<b>通知"));
    }
    let bad = forms
        .iter()
        .find(|f| f.html.contains("机密★&lt;script&gt;"))
        .expect("the tampered document's form");
    assert!(bad.html.contains("验证失败"));
    let mut csv = Vec::new();
    baomi_ledger::export::write_csv(&entries, Some(&f.trust), &mut csv).unwrap();
    let mut jsonl = Vec::new();
    baomi_ledger::export::write_jsonl(&entries, Some(&f.trust), &mut jsonl).unwrap();
    assert_eq!(String::from_utf8(jsonl).unwrap().lines().count(), 6);
}

both!(
    untouched_ledger_verifies,
    triggers_refuse_in_place_edits,
    changed_payload_byte,
    swapped_pair_of_entries,
    deleted_middle_entry,
    truncated_tail_is_caught_by_the_automatic_checkpoints,
    truncation_names_the_first_missing_entry_not_the_checkpoint_size,
    malformed_rows_are_named,
);
