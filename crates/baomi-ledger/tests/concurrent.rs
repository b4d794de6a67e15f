//! Several connections appending at once keep one linear, valid chain, on
//! every backend.

mod support;
use baomi_ledger::{KeyPair, Ledger};
use std::sync::Barrier;
use support::{Backend, TestDb};

fn four_writers_thousand_entries_each(b: Backend) {
    const WRITERS: usize = 4;
    const EACH: usize = 1000;
    let t = TestDb::new(b);
    let (db, opts) = (t.db.clone(), t.options());
    let barrier = Barrier::new(WRITERS);
    let start = std::time::Instant::now();
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (db, barrier, opts) = (&db, &barrier, &opts);
            s.spawn(move || {
                // Each writer opens its own connection, as separate processes
                // would; the first ones race to create and migrate the file.
                let opened = Ledger::open_with(db, opts);
                let key = KeyPair::generate().unwrap();
                // Wait before unwrapping: a writer that failed to open must
                // fail the test, not leave the others waiting forever.
                barrier.wait();
                let ledger = opened.unwrap();
                for i in 0..EACH {
                    let payload = serde_json::json!({"writer": w, "i": i});
                    ledger
                        .append("note", &format!("{w:064x}"), payload, &key)
                        .unwrap();
                }
            });
        }
    });
    eprintln!(
        "{} appends by {WRITERS} writers in {:?}",
        WRITERS * EACH,
        start.elapsed()
    );
    let ledger = t.open_existing().unwrap();
    assert_eq!(ledger.len().unwrap(), (WRITERS * EACH) as u64);
    let r = ledger.verify(None).unwrap();
    assert!(r.ok(), "{:?}", r.problem);
    assert_eq!(r.verified, (WRITERS * EACH) as u64);
    assert_eq!(r.signers.len(), WRITERS);
    assert!(r.signers.values().all(|&n| n == EACH as u64));
    // Each writer's entries are in its own order within the one chain.
    for w in 0..WRITERS {
        let mine = ledger.entries_for_document(&format!("{w:064x}")).unwrap();
        let is: Vec<u64> = mine
            .iter()
            .map(|e| e.payload["i"].as_u64().unwrap())
            .collect();
        assert_eq!(is, (0..EACH as u64).collect::<Vec<_>>());
    }
}

fn concurrent_record_scan_is_exactly_once(b: Backend) {
    let t = TestDb::new(b);
    let key = KeyPair::generate().unwrap();
    t.open();
    let report = baomi_core::DocumentReport {
        path: "a.txt".into(),
        sha256: "ab".repeat(32),
        title: None,
        doc_number: None,
        verdict: baomi_core::Verdict::Clear,
        coverage: Default::default(),
        findings: vec![],
        error: None,
    };
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let l = t.open();
                    (0..20)
                        .map(|_| l.record_scan(&report, "fp", &key).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);
    assert!(results.iter().all(|r| r.seq == 1));
    assert_eq!(t.open().len().unwrap(), 1);
}

both!(
    four_writers_thousand_entries_each,
    concurrent_record_scan_is_exactly_once
);
