//! Ledger throughput: durable single appends, batched appends, and
//! verification of a 100,000-entry ledger.
//!
//! ```sh
//! cargo bench -p baomi-ledger --bench ledger            # 100k entries
//! BAOMI_BENCH_ENTRIES=20000 cargo bench -p baomi-ledger --bench ledger
//! ```
//!
//! Prints one line per figure. The database lives in a temporary folder on
//! the same disk as `TMPDIR`, so single-append figures measure that disk's
//! fsync.

use baomi_ledger::{KeyPair, Ledger, NewEntry};
use std::time::Instant;

/// A payload the size and shape of a real scan entry with two reasons.
fn payload(i: usize) -> serde_json::Value {
    let reason = |rule: &str, line: usize| {
        serde_json::json!({
            "rule": rule, "title": "密级标志", "category": "state-secret", "severity": "block",
            "basis": "《中华人民共和国保守国家秘密法》第二十条：国家秘密的载体以及属于国家秘密的设备、产品，应当做出国家秘密标志。",
            "confidence": "high",
            "location": {"part": "body", "line": line, "column": 5},
            "matched_sha256": format!("{:064x}", i * 7 + line),
            "matched_preview": "机*★*年",
        })
    };
    serde_json::json!({
        "path": format!("drafts/2026/notice-{i}.docx"),
        "title": "关于开展2026年度保密自查自评工作的通知",
        "doc_number": format!("办〔2026〕{i}号"),
        "summary": format!("关于开展2026年度保密自查自评工作的通知（办〔2026〕{i}号）"),
        "verdict": "withhold", "conclusion": "不予公开",
        "coverage": {"complete": true, "parts": ["body", "comment", "metadata"], "notes": []},
        "error": null,
        "reasons": [reason("marking.classification", 3), reason("internal.marking", 9)],
        "rules_fingerprint": "3b9c0d3e1f2a4b5c", "signer": "0011223344556677", "role": "scanner",
        "time": "2026-11-27T11:20:00Z",
    })
}

/// CPU time (user + system) of this process so far, in seconds: on a busy
/// shared machine wall time says little, CPU time says what the work costs.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage fills the zero-initialised struct we pass.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } == 0 {
            let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            return tv(u.ru_utime) + tv(u.ru_stime);
        }
    }
    0.0
}

/// Wall and CPU seconds since `start`.
struct Timer(Instant, f64);
impl Timer {
    fn start() -> Timer {
        Timer(Instant::now(), cpu_seconds())
    }
    fn stop(&self) -> (f64, f64) {
        (self.0.elapsed().as_secs_f64(), cpu_seconds() - self.1)
    }
}

fn main() {
    let n: usize = std::env::var("BAOMI_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let key = KeyPair::generate().expect("key");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "baomi-ledger bench: {n} entries, {threads} cores, payload {} bytes",
        payload(0).to_string().len()
    );

    // The primitives, for scale.
    let msg = serde_json_canonicalizer::to_vec(&payload(1)).expect("canonical");
    let reps = 2000;
    let t = Timer::start();
    for _ in 0..reps {
        std::hint::black_box(serde_json_canonicalizer::to_vec(&payload(1)).expect("canonical"));
    }
    let (_, c_canon) = t.stop();
    let t = Timer::start();
    let mut sig = [0u8; 64];
    for _ in 0..reps {
        sig = key.sign(std::hint::black_box(&msg));
    }
    let (_, c_sign) = t.stop();
    let t = Timer::start();
    for _ in 0..reps {
        assert!(key.public_key().verify(std::hint::black_box(&msg), &sig));
    }
    let (_, c_verify) = t.stop();
    println!(
        "primitives (CPU per op): build+canonicalise payload {:.1} µs, Ed25519 sign {:.1} µs, verify {:.1} µs",
        c_canon * 1e6 / reps as f64,
        c_sign * 1e6 / reps as f64,
        c_verify * 1e6 / reps as f64
    );

    // Durable single appends: one BEGIN IMMEDIATE … COMMIT (fsync) each.
    let ledger = Ledger::open(&dir.path().join("single.db")).expect("open");
    let singles = 300;
    let items: Vec<serde_json::Value> = (0..singles).map(payload).collect();
    let t = Timer::start();
    for (i, p) in items.into_iter().enumerate() {
        ledger
            .append("scan", &format!("{i:064x}"), p, &key)
            .expect("append");
    }
    let (s, cpu) = t.stop();
    println!(
        "durable single appends: {singles} in {s:.2} s = {:.0} entries/s ({:.2} ms each, CPU {:.0} µs each)",
        singles as f64 / s,
        s * 1e3 / singles as f64,
        cpu * 1e6 / singles as f64
    );

    // Batched appends: 1,000 entries per transaction.
    let db = dir.path().join("big.db");
    let ledger = Ledger::open(&db).expect("open");
    let batch = 1000;
    let batches: Vec<Vec<NewEntry>> = (0..n)
        .step_by(batch)
        .map(|start| {
            (start..(start + batch).min(n))
                .map(|i| NewEntry {
                    kind: "scan".into(),
                    doc_sha256: format!("{i:064x}"),
                    payload: payload(i),
                })
                .collect()
        })
        .collect();
    let t = Timer::start();
    for items in batches {
        ledger.append_batch(items, &key).expect("batch");
    }
    let (s, cpu) = t.stop();
    println!(
        "batched appends ({batch}/transaction): {n} in {s:.2} s = {:.0} entries/s (CPU {:.1} µs/entry)",
        n as f64 / s,
        cpu * 1e6 / n as f64
    );
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("big.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "database size: {:.1} MiB ({} bytes/entry)",
        size as f64 / 1048576.0,
        size / n as u64
    );
    drop(ledger);

    // Open (quick_check) and verify.
    let t = Timer::start();
    let ledger = Ledger::open_existing(&db).expect("reopen");
    println!("open incl. PRAGMA quick_check: {:.2} s", t.stop().0);
    let t = Timer::start();
    let r = ledger.verify(None).expect("verify");
    let (s, cpu) = t.stop();
    assert!(r.ok(), "{:?}", r.problem);
    assert_eq!(r.verified, n as u64);
    println!(
        "verify: {n} entries in {s:.2} s = {:.0} entries/s (CPU {:.1} µs/entry, all threads)",
        n as f64 / s,
        cpu * 1e6 / n as f64
    );

    // The derived index: rebuilding it, and what it costs on disk (the
    // database compacted with and without the index rows).
    let t = Timer::start();
    let indexed = ledger.reindex().expect("reindex");
    let (s, cpu) = t.stop();
    println!(
        "reindex: {indexed} entries in {s:.2} s = {:.0} entries/s (CPU {:.1} µs/entry)",
        indexed as f64 / s,
        cpu * 1e6 / indexed.max(1) as f64
    );
    let compact = |drop_index: bool| -> u64 {
        let copy = dir.path().join(format!("copy-{drop_index}.db"));
        let c = rusqlite::Connection::open(&db).expect("open copy source");
        c.execute("VACUUM INTO ?1", [copy.to_str().expect("utf-8 path")])
            .expect("vacuum into");
        if drop_index {
            let c = rusqlite::Connection::open(&copy).expect("open copy");
            c.execute_batch(
                "DELETE FROM index_documents; DELETE FROM index_paths; DELETE FROM index_waivers; VACUUM;",
            )
            .expect("drop index rows");
        }
        std::fs::metadata(&copy).map(|m| m.len()).unwrap_or(0)
    };
    let (with, without) = (compact(false), compact(true));
    println!(
        "index size: {:.1} MiB of {:.1} MiB compacted ({:.0} bytes/entry)",
        with.saturating_sub(without) as f64 / 1048576.0,
        with as f64 / 1048576.0,
        with.saturating_sub(without) as f64 / n as f64
    );

    let t = Timer::start();
    let head = ledger.head(&key).expect("head");
    println!(
        "head (Merkle root over {} entries): {:.3} s",
        head.size,
        t.stop().0
    );
    let t = Timer::start();
    let proof = ledger.prove(n as u64 / 2, None).expect("prove");
    assert!(proof.verify_against(&head));
    println!("prove + check one entry: {:.3} s", t.stop().0);
}
