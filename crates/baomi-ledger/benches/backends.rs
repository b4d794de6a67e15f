//! The two backends side by side, in one run: durable single appends with
//! 1, 4 and 16 concurrent writers (each its own connection, as separate
//! processes would be), verification entries/s, and a queue page (50
//! documents, newest first) p99 on a ledger of many scanned documents.
//!
//! ```sh
//! cargo bench -p baomi-ledger --bench backends
//! BAOMI_BENCH_ENTRIES=20000 BAOMI_BENCH_APPENDS=200 cargo bench -p baomi-ledger --bench backends
//! ```
//!
//! PostgreSQL is a throwaway local cluster (initdb + pg_ctl, as the tests
//! use) with durable settings: fsync on, and the ledger's sessions set
//! `synchronous_commit = on`. SQLite is a file in `TMPDIR` (WAL,
//! `synchronous = FULL`). Both on the same disk.

#[path = "../tests/support/pg.rs"]
mod pg;

use baomi_ledger::{DocumentQuery, KeyPair, Ledger, NewEntry, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scan_payload(i: usize) -> serde_json::Value {
    serde_json::json!({
        "path": format!("drafts/2026/notice-{i}.docx"),
        "title": "关于开展2026年度保密自查自评工作的通知",
        "doc_number": format!("办〔2026〕{i}号"),
        "verdict": if i.is_multiple_of(3) { "withhold" } else { "clear" },
        "reasons": [{"rule": "marking.classification", "severity": "block",
                     "basis": "《中华人民共和国保守国家秘密法》第二十条", "matched_preview": "机*★*年"}],
        "rules_fingerprint": "3b9c0d3e1f2a4b5c", "role": "scanner",
        "time": "2026-11-27T11:20:00Z",
    })
}

fn open(db: &Path, cps: &Path) -> Ledger {
    Ledger::open_with(
        db,
        &OpenOptions {
            checkpoints: Some(cps.to_owned()),
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

/// `writers` threads, each with its own connection and key, `total`
/// single appends between them; appends/s.
fn appends(db: &Path, cps: &Path, writers: usize, total: usize) -> f64 {
    let each = total.div_ceil(writers);
    let ledgers: Vec<Ledger> = (0..writers).map(|_| open(db, cps)).collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for (w, l) in ledgers.into_iter().enumerate() {
            s.spawn(move || {
                let key = KeyPair::generate().unwrap();
                for i in 0..each {
                    l.append(
                        "note",
                        "",
                        serde_json::json!({"writer": w, "i": i, "text": "备注"}),
                        &key,
                    )
                    .unwrap();
                }
            });
        }
    });
    (each * writers) as f64 / start.elapsed().as_secs_f64()
}

struct Figures {
    appends: Vec<(usize, f64)>,
    verify: f64,
    verified: u64,
    page_p50: Duration,
    page_p99: Duration,
}

fn run(db: &Path, cps: &Path, entries: usize, per_writer_count: usize) -> Figures {
    let mut fig = Figures {
        appends: Vec::new(),
        verify: 0.0,
        verified: 0,
        page_p50: Duration::ZERO,
        page_p99: Duration::ZERO,
    };
    for w in [1, 4, 16] {
        fig.appends.push((w, appends(db, cps, w, per_writer_count)));
    }
    // The large ledger: distinct scanned documents, in batches.
    let l = open(db, cps);
    let key = KeyPair::generate().unwrap();
    let mut i = 0;
    while i < entries {
        let n = 5_000.min(entries - i);
        let items = (i..i + n)
            .map(|j| NewEntry {
                kind: "scan".into(),
                doc_sha256: format!("{j:064x}"),
                payload: scan_payload(j),
            })
            .collect();
        l.append_batch(items, &key).unwrap();
        i += n;
    }
    let fresh = open(db, cps);
    let start = Instant::now();
    let r = fresh.verify(None).unwrap();
    assert!(r.ok(), "{:?}", r.problem);
    fig.verified = r.verified;
    fig.verify = r.verified as f64 / start.elapsed().as_secs_f64();
    let mut times = Vec::new();
    for k in 0..200 {
        let q = DocumentQuery {
            limit: 50,
            verdict: (k % 2 == 1).then(|| "withhold".to_string()),
            before_scan_seq: (k % 4 >= 2).then_some(r.verified / 2),
            ..Default::default()
        };
        let t = Instant::now();
        let page = fresh.indexed_documents(&q, "bench").unwrap();
        times.push(t.elapsed());
        assert_eq!(page.len(), 50);
    }
    times.sort();
    fig.page_p50 = times[times.len() / 2];
    fig.page_p99 = times[times.len() * 99 / 100];
    fig
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    let entries = env("BAOMI_BENCH_ENTRIES", 100_000);
    let appends_n = env("BAOMI_BENCH_APPENDS", 800);
    let tmp = tempfile::tempdir().unwrap();
    let server = pg::PgServer::start_durable();
    server.psql("postgres", "CREATE DATABASE bench");
    let url = PathBuf::from(server.url("bench"));
    let file = tmp.path().join("bench.db");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{entries} entries, {appends_n} single appends per writer count; load before: {}",
        load.trim()
    );
    for (name, db) in [("SQLite", file), ("PostgreSQL", url)] {
        let cps = tmp.path().join(format!("{name}.checkpoints"));
        let f = run(&db, &cps, entries, appends_n);
        for (w, r) in &f.appends {
            println!("{name}: appends/s with {w:>2} writers: {r:>8.0}");
        }
        println!(
            "{name}: verify: {:.0} entries/s ({} entries)",
            f.verify, f.verified
        );
        println!(
            "{name}: queue page of 50: p50 {:.2} ms, p99 {:.2} ms",
            f.page_p50.as_secs_f64() * 1e3,
            f.page_p99.as_secs_f64() * 1e3
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load after: {}", load.trim());
}
