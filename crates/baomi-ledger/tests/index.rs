//! The derived index is only derived: after any mix of scans, rescans,
//! revisions, decisions, waivers and notes, maintained entry by entry by
//! the appends (and by several connections), it equals the index rebuilt
//! from the entries.

mod support;
use support::{Backend, TestDb};

use baomi_core::{Coverage, DocumentReport, Verdict};
use baomi_ledger::{DocumentQuery, KeyPair, Ledger, NewEntry};
use serde_json::json;

/// A small deterministic generator (xorshift64*): the same mix every run,
/// different mixes per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sha(i: u64) -> String {
    format!("{:064x}", i + 1)
}

fn scan_payload(rng: &mut Rng, path: &str) -> serde_json::Value {
    let verdicts = ["clear", "review", "withhold", "error"];
    let severities = ["block", "review", "note"];
    let reasons: Vec<_> = (0..rng.below(4))
        .map(|_| json!({ "severity": severities[rng.below(3) as usize] }))
        .collect();
    json!({
        "path": path,
        "verdict": verdicts[rng.below(4) as usize],
        "reasons": reasons,
    })
}

fn random_mix(ledger: &Ledger, other: &Ledger, rng: &mut Rng, steps: usize) {
    let key = KeyPair::generate().unwrap();
    for step in 0..steps {
        // Two connections take turns, as the daemon and the server do.
        let l = if rng.below(2) == 0 { ledger } else { other };
        let doc = rng.below(40);
        let path = format!("drafts/{}.docx", rng.below(12));
        match rng.below(10) {
            0..=3 => {
                l.append("scan", &sha(doc), scan_payload(rng, &path), &key)
                    .unwrap();
            }
            4 => {
                // A real scan form, through record_scan (idempotent per rule set).
                let report = DocumentReport {
                    path: path.clone(),
                    sha256: sha(doc),
                    title: Some(format!("第{step}号")),
                    doc_number: None,
                    verdict: Verdict::Review,
                    coverage: Coverage::default(),
                    findings: Vec::new(),
                    error: None,
                };
                let rules = format!("rules-{}", rng.below(2));
                l.record_scan(&report, &rules, &key).unwrap();
            }
            5 | 6 => {
                l.append(
                    "decision",
                    &sha(doc),
                    json!({"stage": "department", "role": "department", "conclusion": "publish", "opinion": "同意"}),
                    &key,
                )
                .unwrap();
            }
            7 => {
                let with_path = rng.below(2) == 0;
                l.append(
                    "waiver",
                    &sha(doc),
                    json!({"rule": "pii.mobile", "matched_sha256": sha(step as u64), "reason": "公开电话",
                           "path": if with_path { Some(path.clone()) } else { None }}),
                    &key,
                )
                .unwrap();
            }
            8 => {
                // A batch, in one transaction.
                let items = (0..rng.below(5) + 1)
                    .map(|i| NewEntry {
                        kind: "scan".into(),
                        doc_sha256: sha(doc + i),
                        payload: scan_payload(rng, &path),
                    })
                    .collect();
                l.append_batch(items, &key).unwrap();
            }
            _ => {
                l.append("note", "", json!({"text": "归档"}), &key).unwrap();
            }
        }
    }
}

fn rebuilt_index_equals_the_incrementally_maintained_one(b: Backend) {
    for seed in [1u64, 7, 0x5eed, 2026] {
        let t = TestDb::new(b);
        let ledger = t.open();
        let other = t.open();
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        random_mix(&ledger, &other, &mut rng, 300);
        let incremental = ledger.index_dump().unwrap();
        assert!(
            incremental.iter().filter(|r| r.starts_with("doc|")).count() > 10,
            "the mix is too small to mean anything"
        );
        assert!(incremental.iter().any(|r| r.starts_with("waiver|")));
        let n = ledger.reindex().unwrap();
        assert_eq!(n, ledger.len().unwrap());
        let rebuilt = ledger.index_dump().unwrap();
        assert_eq!(incremental, rebuilt, "seed {seed}");
        // And a fresh connection reading a ledger whose index was dropped
        // catches up on its own.
        other.reindex().unwrap();
        assert_eq!(other.index_dump().unwrap(), incremental, "seed {seed}");
    }
}

fn queue_pages_filter_in_sql_and_revisions_are_superseded(b: Backend) {
    let t = TestDb::new(b);
    let ledger = t.open();
    let key = KeyPair::generate().unwrap();
    let scan = |doc: u64, path: &str, verdict: &str| {
        ledger
            .append(
                "scan",
                &sha(doc),
                json!({"path": path, "verdict": verdict, "reasons": [{"severity": "block"}]}),
                &key,
            )
            .unwrap()
            .seq
    };
    for i in 0..30 {
        scan(
            i,
            &format!("d/{i}.txt"),
            if i % 3 == 0 { "withhold" } else { "clear" },
        );
    }
    // Document 0 is revised: 100 replaces it under the same path.
    let newest = scan(100, "d/0.txt", "clear");

    let page = |q: DocumentQuery| ledger.indexed_documents(&q, "ctx").unwrap();
    let first = page(DocumentQuery {
        limit: 10,
        ..Default::default()
    });
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].scan_seq, newest, "newest scan first");
    assert!(first.windows(2).all(|w| w[0].scan_seq > w[1].scan_seq));
    let next = page(DocumentQuery {
        limit: 10,
        before_scan_seq: Some(first[9].scan_seq),
        ..Default::default()
    });
    assert!(next[0].scan_seq < first[9].scan_seq);

    let withheld = page(DocumentQuery {
        verdict: Some("withhold".into()),
        limit: 100,
        ..Default::default()
    });
    // 0, 3, …, 27 are withhold; 0 was superseded by a revision.
    assert_eq!(withheld.len(), 9);
    assert!(withheld
        .iter()
        .all(|d| d.verdict == "withhold" && d.block == 1));
    let all = page(DocumentQuery {
        verdict: Some("withhold".into()),
        include_superseded: true,
        limit: 100,
        ..Default::default()
    });
    assert_eq!(all.len(), 10);
    let old = ledger.indexed_document(&sha(0), "ctx").unwrap().unwrap();
    assert_eq!(old.superseded_by.as_deref(), Some(sha(100).as_str()));
    assert_eq!(
        ledger.documents_with_prefix(&sha(100)[..63], 5).unwrap(),
        vec![sha(100)]
    );
    // No review state until the review layer computes one for its context.
    assert!(old.review.is_none());
    assert_eq!(ledger.stale_reviews("ctx", 1000).unwrap().len(), 31);
    assert_eq!(
        ledger.set_untouched_reviews("ctx", "department").unwrap(),
        31
    );
    assert!(ledger.stale_reviews("ctx", 1000).unwrap().is_empty());
    let pending = page(DocumentQuery {
        status: Some("pending".into()),
        waiting_for: Some("department".into()),
        limit: 100,
        ..Default::default()
    });
    assert_eq!(pending.len(), 30);
    // Another context (trust file changed) sees them stale again.
    assert_eq!(ledger.stale_reviews("other", 1000).unwrap().len(), 31);
    // A decision makes its document stale.
    ledger
        .append("decision", &sha(5), json!({"stage": "department"}), &key)
        .unwrap();
    let stale = ledger.stale_reviews("ctx", 1000).unwrap();
    assert_eq!(stale, vec![(sha(5), true)]);
}

both!(
    rebuilt_index_equals_the_incrementally_maintained_one,
    queue_pages_filter_in_sql_and_revisions_are_superseded
);
