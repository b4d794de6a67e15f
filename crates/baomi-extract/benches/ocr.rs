//! OCR timings: one 150 dpi A4 page (tests/fixtures/scan.png, read as an
//! image file, and scan-150.pdf, rasterised again at 300 dpi first), and a
//! 20-page scanned PDF end to end, made at run time by
//! `tests/fixtures/make_scans.py bench20` (LibreOffice, pdftoppm, img2pdf;
//! its pages differ, so none is a cache hit). The OCR cache is off for the
//! single pages, so each run is a real recognition.
//!
//! Run: `cargo bench -p baomi-extract --bench ocr` (prints min/median).

use baomi_core::{Scanner, Verdict};
use baomi_extract::{review_bytes, Limits};
use std::path::Path;
use std::time::{Duration, Instant};

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"))
}

fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[0], t[t.len() / 2])
}

fn main() {
    let scanner = Scanner::shipped();
    let mut limits = Limits::default();
    limits.ocr.cache = false;
    for name in ["scan.png", "scan-150.pdf"] {
        let bytes = std::fs::read(fixtures().join(name)).expect("fixture");
        let (min, med) = time(5, || {
            let r = review_bytes(name, &bytes, &scanner, &limits);
            assert_eq!(r.verdict, Verdict::Withhold, "{r:?}");
        });
        println!(
            "{name}: 1 page (150 dpi A4): min {:.2} s, median {:.2} s = {:.2} pages/s",
            min.as_secs_f64(),
            med.as_secs_f64(),
            1.0 / med.as_secs_f64()
        );
    }
    let dir = std::env::temp_dir().join(format!("baomi-ocr-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("scan-20.pdf");
    let made = std::process::Command::new("python3")
        .arg(fixtures().join("make_scans.py"))
        .arg("bench20")
        .arg(&pdf)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipping the 20-page PDF: make_scans.py bench20 failed (needs soffice, pdftoppm, img2pdf)");
        return;
    }
    let bytes = std::fs::read(&pdf).unwrap();
    let limits = Limits::default();
    let check = |r: baomi_core::DocumentReport| {
        assert_eq!(r.verdict, Verdict::Withhold);
        let ids = r.findings.iter().filter(|f| &*f.rule == "personal.id-card");
        assert_eq!(ids.count(), 20);
    };
    // The first run recognises every page; the second finds all 20 in the
    // process's cache (by image hash).
    let started = Instant::now();
    check(review_bytes("scan-20.pdf", &bytes, &scanner, &limits));
    let first = started.elapsed();
    let started = Instant::now();
    check(review_bytes("scan-20.pdf", &bytes, &scanner, &limits));
    let again = started.elapsed();
    println!(
        "scan-20.pdf ({} KB, 20 pages at 150 dpi): {:.1} s ({:.2} pages/s); again, cached: {:.2} s",
        bytes.len() / 1024,
        first.as_secs_f64(),
        20.0 / first.as_secs_f64(),
        again.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
