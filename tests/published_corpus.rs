//! The 1,069 published legal and administrative texts of the shared
//! benchmark corpus (`/work/shared/bench/corpus`, or `BAOMI_BENCH_CORPUS`)
//! are what a government site publishes on purpose: none may be withheld,
//! and every `review` is printed (rule, match, context) so that a rule
//! change that starts flagging law text shows up. The corpus lives outside
//! the repository; without it the test says so and passes.

use baomi_core::{Scanner, Severity, Verdict};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[test]
fn published_texts_are_never_withheld() {
    let dir = std::env::var_os("BAOMI_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/bench/corpus"));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED: benchmark corpus not found at {} (set BAOMI_BENCH_CORPUS to its folder)",
            dir.display()
        );
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let scanner = Scanner::shipped();
    // Two threads: the test runs in debug builds, and the corpus is 19 MB.
    let half = files.len().div_ceil(2);
    let reports: Vec<(PathBuf, baomi_core::Report)> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(half.max(1))
            .map(|chunk| {
                let scanner = &scanner;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|path| {
                            let text =
                                std::fs::read_to_string(path).expect("corpus files are UTF-8");
                            (path.clone(), scanner.scan(&text))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("scan thread"))
            .collect()
    });
    let (mut withheld, mut reviewed) = (Vec::new(), 0usize);
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for (path, report) in &reports {
        match report.verdict() {
            Verdict::Withhold => withheld.push(path.display().to_string()),
            Verdict::Review => reviewed += 1,
            _ => {}
        }
        for f in &report.findings {
            if f.severity >= Severity::Review {
                *by_rule.entry(f.rule.to_string()).or_default() += 1;
                println!(
                    "{} {}: {} {:?} … {}",
                    path.file_name().unwrap().to_string_lossy(),
                    f.severity.as_str(),
                    f.rule,
                    f.matched,
                    f.context
                );
            }
        }
    }
    println!(
        "published corpus: {} texts, {} withhold, {reviewed} review; review findings by rule: {by_rule:?}",
        files.len(),
        withheld.len()
    );
    assert!(
        files.len() >= 1000,
        "expected the 1,069 texts in {}",
        dir.display()
    );
    assert!(withheld.is_empty(), "withheld: {withheld:?}");
}
