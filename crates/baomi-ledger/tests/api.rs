//! The library API the daemon and the web UI build on, on every backend
//! (SQLite and a real PostgreSQL server; see `support`).

mod support;
use support::{Backend, TestDb};

use baomi_core::{Coverage, DocumentReport, Scanner, Verdict};
use baomi_ledger::entry::canonical_bytes;
use baomi_ledger::{KeyPair, Ledger, LedgerError, NewEntry, Recorded, ScanForm};

fn scanned(text: &str, sha: &str) -> DocumentReport {
    let scanner = Scanner::shipped();
    let findings = scanner.scan(text).findings;
    let mut r = DocumentReport {
        path: "drafts/通知.txt".into(),
        sha256: sha.into(),
        title: Some("关于某事项的通知".into()),
        doc_number: None,
        verdict: Verdict::Clear,
        coverage: Coverage::default(),
        findings,
        error: None,
    };
    r.decide();
    r
}

fn seq_and_duplicate(recorded: &[Recorded]) -> Vec<(u64, bool)> {
    recorded.iter().map(|r| (r.seq, r.duplicate)).collect()
}

fn record_scan_is_idempotent_and_supersedes_across_rule_sets(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    let a = scanned("本文件为机密★5年。", &"a".repeat(64));
    let b = scanned("各单位：请按时报送。", &"b".repeat(64));

    let r1 = ledger.record_scan(&a, "rules-1", &key).unwrap();
    assert_eq!((r1.seq, r1.duplicate, r1.supersedes), (1, false, None));
    let batch = ledger
        .record_scans(&[b.clone(), a.clone(), b.clone()], "rules-1", &key)
        .unwrap();
    assert_eq!(
        seq_and_duplicate(&batch),
        [(2, false), (1, true), (2, true)]
    );
    let r3 = ledger.record_scan(&a, "rules-2", &key).unwrap();
    assert_eq!((r3.seq, r3.duplicate, r3.supersedes), (3, false, Some(1)));
    assert_eq!(ledger.len().unwrap(), 3);

    assert_eq!(
        ledger.find_scan(&a.sha256, "rules-1").unwrap().unwrap().seq,
        1
    );
    assert_eq!(
        ledger.find_scan(&a.sha256, "rules-2").unwrap().unwrap().seq,
        3
    );
    assert!(ledger.find_scan(&a.sha256, "rules-3").unwrap().is_none());
    assert_eq!(ledger.latest_scan(&a.sha256).unwrap().unwrap().seq, 3);
    assert_eq!(ledger.entries_for_document(&a.sha256).unwrap().len(), 2);
    assert_eq!(
        ledger
            .entries_after(1, 10)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        [2, 3]
    );
    assert!(ledger.entry(4).unwrap().is_none());

    let e = ledger.entry(3).unwrap().unwrap();
    let form: ScanForm = serde_json::from_value(e.payload.clone()).unwrap();
    assert_eq!(form.verdict, Verdict::Withhold);
    assert_eq!(form.supersedes, Some(1));
    assert_eq!(form.signer, key.key_id());
    assert_eq!(form.rules_fingerprint, "rules-2");
    assert_eq!(form.summary, "关于某事项的通知");
    assert!(form.reasons.iter().any(|r| r.matched_preview == "机*★*年"));
    // The stored bytes are the canonical form of the parsed payload.
    assert_eq!(e.payload_bytes, canonical_bytes(&e.payload).unwrap());
    assert!(ledger.verify(None).unwrap().ok());
}

/// The daemon's group commit: drafts that finish together are one
/// transaction with one automatic checkpoint, each keeping its own
/// `moved_to`, and a repeat inside the batch is a duplicate of the first.
fn a_batch_of_moved_drafts_is_one_commit_with_one_checkpoint(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    let a = scanned("本文件为机密★5年。", &"a".repeat(64));
    let b = scanned("各单位：请按时报送。", &"b".repeat(64));
    ledger.record_scan(&a, "rules-1", &key).unwrap();
    let checkpoints = || ledger.checkpoint_dir().list().unwrap().len();
    let before = checkpoints();
    let batch = ledger
        .record_scans_moved(
            &[
                (&b, Some("/share/cleared/b.txt")),
                (&a, Some("/share/withheld/a.txt")),
                (&b, Some("/share/cleared/b-again.txt")),
            ],
            "rules-1",
            &key,
        )
        .unwrap();
    assert_eq!(
        seq_and_duplicate(&batch),
        [(2, false), (1, true), (2, true)]
    );
    assert_eq!(checkpoints(), before + 1, "one checkpoint for the batch");
    let form: ScanForm = serde_json::from_value(ledger.entry(2).unwrap().unwrap().payload).unwrap();
    assert_eq!(form.moved_to.as_deref(), Some("/share/cleared/b.txt"));
    assert!(ledger.verify(None).unwrap().ok());
}

fn unreadable_documents_are_recorded_every_time(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    let failed = DocumentReport::failed("locked.docx", "", "permission denied");
    assert!(!ledger.record_scan(&failed, "r", &key).unwrap().duplicate);
    assert!(!ledger.record_scan(&failed, "r", &key).unwrap().duplicate);
    assert_eq!(ledger.len().unwrap(), 2);
    let e = ledger.entry(2).unwrap().unwrap();
    assert_eq!(e.payload_str("verdict"), Some("error"));
    assert_eq!(
        e.payload_str("conclusion"),
        Some("未能完整审查，不得视为通过")
    );
}

#[test]
fn the_matched_secret_never_reaches_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let secret = "身份证号110101199003071234";
    {
        let ledger = Ledger::open(&db).unwrap();
        let key = KeyPair::generate().unwrap();
        let r = scanned(&format!("机密★5年\n联系人{secret}"), &"c".repeat(64));
        assert!(!r.findings.is_empty());
        ledger.record_scan(&r, "r", &key).unwrap();
    }
    let mut bytes = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("l.db-wal")) {
        bytes.extend(wal);
    }
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!has("110101199003071234"));
    assert!(!has("机密★5年"));
    assert!(has("机*★*年"));
}

fn batches_are_all_or_nothing_and_keep_the_chain(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    let items = |n: usize| {
        (0..n)
            .map(|i| NewEntry {
                kind: "note".into(),
                doc_sha256: String::new(),
                payload: serde_json::json!({"i": i, "text": "备注"}),
            })
            .collect::<Vec<_>>()
    };
    let out = ledger.append_batch(items(600), &key).unwrap();
    assert_eq!(out.first().unwrap().seq, 1);
    assert_eq!(out.last().unwrap().seq, 600);
    assert!(out.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    // A failure in the middle of a batch (here: a trigger refusing the
    // second insert) leaves nothing of it behind.
    let fail_at = |seq: u64, msg: &str| {
        match b {
        Backend::Sqlite => format!(
            "DROP TRIGGER IF EXISTS fail_at;
             CREATE TRIGGER fail_at BEFORE INSERT ON entries WHEN NEW.seq = {seq}
             BEGIN SELECT RAISE(ABORT, '{msg}'); END;"
        ),
        Backend::Postgres => format!(
            "CREATE OR REPLACE FUNCTION fail_at() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN IF NEW.seq = {seq} THEN RAISE EXCEPTION '{msg}'; END IF; RETURN NEW; END $$;
             DROP TRIGGER IF EXISTS fail_at ON entries;
             CREATE TRIGGER fail_at BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION fail_at();"
        ),
    }
    };
    t.try_sql(&fail_at(602, "disk full, say")).unwrap();
    let err = ledger.append_batch(items(3), &key).unwrap_err();
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(ledger.len().unwrap(), 600);
    // The same in a large batch, where a separate thread signs while this
    // one inserts: the failure stops both, and nothing is left behind.
    t.try_sql(&fail_at(900, "disk full again")).unwrap();
    let err = ledger.append_batch(items(2000), &key).unwrap_err();
    assert!(err.to_string().contains("disk full again"), "{err}");
    assert_eq!(ledger.len().unwrap(), 600);
    let ok = ledger.append_batch(items(250), &key).unwrap();
    assert_eq!((ok[0].seq, ok[249].seq), (601, 850));
    assert!(ok.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    assert!(ledger.verify(None).unwrap().ok());
}

fn newer_schema_and_reopen(b: Backend) {
    let t = TestDb::new(b);
    let id = t.open().ledger_id().to_owned();
    // Reopening keeps the identity (no second migration).
    assert_eq!(t.open().ledger_id(), id);
    assert_eq!(t.open().origin(), format!("baomi.ledger/{id}"));
    t.try_sql(match b {
        Backend::Sqlite => "PRAGMA user_version = 99",
        Backend::Postgres => "UPDATE meta SET value = '99' WHERE key = 'schema_version'",
    })
    .unwrap();
    let err = t.try_open().unwrap_err();
    assert!(
        matches!(err, LedgerError::NewerSchema { found: 99, .. }),
        "{err}"
    );
}

fn appended_payload_equals_what_readers_see(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    for p in [
        serde_json::json!({"b": 1.0, "a": [1e21, 0.1, -0.0], "big": 9007199254740993u64}),
        serde_json::json!({"z": "机密", "y": {"n": 42, "t": true, "u": null}}),
    ] {
        let e = ledger.append("note", "", p, &key).unwrap();
        let back = ledger.entry(e.seq).unwrap().unwrap();
        assert_eq!(e.payload, back.payload);
        assert_eq!(e.payload_bytes, back.payload_bytes);
        assert_eq!(e, back);
    }
    assert!(ledger.verify(None).unwrap().ok());
}

fn odd_kinds_and_document_hashes_are_refused(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    for (kind, doc) in [
        ("", ""),
        ("Scan", ""),
        ("a b", ""),
        ("note", "ABCD"),
        ("note", &"A".repeat(64)),
    ] {
        let err = ledger
            .append(kind, doc, serde_json::json!({}), &key)
            .unwrap_err();
        assert!(
            matches!(err, LedgerError::InvalidEntry(_)),
            "{kind:?} {doc:?}: {err}"
        );
    }
    assert_eq!(ledger.len().unwrap(), 0);
    ledger
        .append("work-note2", &"a".repeat(64), serde_json::json!({}), &key)
        .unwrap();
}

both!(
    record_scan_is_idempotent_and_supersedes_across_rule_sets,
    a_batch_of_moved_drafts_is_one_commit_with_one_checkpoint,
    unreadable_documents_are_recorded_every_time,
    batches_are_all_or_nothing_and_keep_the_chain,
    appended_payload_equals_what_readers_see,
    odd_kinds_and_document_hashes_are_refused,
    newer_schema_and_reopen,
);
