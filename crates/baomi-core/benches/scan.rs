//! Throughput of `Scanner::scan` on the shared benchmark corpus.
//!
//! `cargo bench -p baomi-core --bench scan` (needs ../shared/bench from the
//! repository root, or BAOMI_BENCH_DIR). Prints build time and MB/s for the
//! shipped rules alone, and with keywords-10k / keywords-100k added as one
//! extra keyword rule. Plain `harness = false` main: no benchmark framework
//! dependency, figures go to benches/README.md.

use baomi_core::{Category, Matcher, Rule, RuleSet, Scanner, Severity};
use std::path::PathBuf;
use std::time::Instant;

fn bench_dir() -> PathBuf {
    std::env::var_os("BAOMI_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench"))
}

/// The shipped rules plus one keyword rule holding every line of `file`.
pub fn with_keywords(file: &std::path::Path) -> RuleSet {
    let words: Vec<String> = std::fs::read_to_string(file)
        .expect("keyword list")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut set = RuleSet::shipped();
    set.push(Rule {
        id: "bench.keywords".into(),
        title: "bench".into(),
        category: Category::Internal,
        severity: Severity::Note,
        basis: "benchmark".into(),
        hit_examples: vec![words[0].clone()],
        miss_examples: vec!["。".into()],
        matcher: Matcher::Keywords(words),
        max_noise: 0,
        traditional: false,
        allow: vec![],
        hotwords: vec![],
        hotword_window: 0,
        require_hotword: false,
        whole_line: false,
        person: false,
        supersedes: Vec::new(),
        mask: None,
        origin: file.display().to_string(),
    })
    .expect("unique id");
    set
}

fn main() {
    let dir = bench_dir();
    let corpus = match std::fs::read_to_string(dir.join("corpus-all.txt")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "skipping: cannot read {}: {e}",
                dir.join("corpus-all.txt").display()
            );
            return;
        }
    };
    let mb = corpus.len() as f64 / 1e6;
    let sets = [
        ("shipped rules", RuleSet::shipped()),
        (
            "shipped + keywords-10k",
            with_keywords(&dir.join("keywords-10k.txt")),
        ),
        (
            "shipped + keywords-100k",
            with_keywords(&dir.join("keywords-100k.txt")),
        ),
    ];
    for (name, set) in sets {
        let t = Instant::now();
        let scanner = Scanner::new(set).expect("rules compile");
        let build = t.elapsed().as_secs_f64();
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..5 {
            let t = Instant::now();
            n = scanner.scan(&corpus).findings.len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{name:<26} build {build:>6.3} s   scan {best:>6.3} s   {:>7.1} MB/s   {n} findings",
            mb / best
        );
    }
}
