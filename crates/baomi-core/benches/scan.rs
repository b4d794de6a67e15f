//! Throughput of `Scanner::scan` on the shared benchmark corpus and on
//! generated worst-case shapes.
//!
//! `cargo bench -p baomi-core --bench scan` (the corpus part needs
//! ../shared/bench from the repository root, or BAOMI_BENCH_DIR). Prints
//! build time and MB/s for the shipped rules alone, and with keywords-10k /
//! keywords-100k added as one extra keyword rule; then MB/s with the
//! shipped rules on 10 MB texts of each worst-case shape (digit tables,
//! identity-number lists, one huge line, all punctuation, mixed scripts),
//! generated deterministically here. `BAOMI_BENCH_ONLY=shapes` or
//! `=corpus` runs one part; `BAOMI_BENCH_RUNS` (default 3) sets the runs per
//! shape and `BAOMI_BENCH_WRITE=DIR` also writes the shapes there. Plain `harness = false` main: no benchmark
//! framework dependency, figures go to benches/README.md.

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
    let only = std::env::var("BAOMI_BENCH_ONLY").unwrap_or_default();
    if only != "shapes" {
        corpus();
    }
    if only != "corpus" {
        shapes();
    }
}

/// A small deterministic generator (64-bit LCG, top bits), so that every
/// run scans the same bytes without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
    fn digit(&mut self) -> char {
        char::from(b'0' + self.below(10) as u8)
    }
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.below(of.len() as u32) as usize]
    }
}

/// A citizen identity number with a valid check digit (GB 11643).
fn ric(g: &mut Lcg) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let mut s = format!(
        "{}{:05}{}{:02}{:02}{:03}",
        1 + g.below(6),
        g.below(100_000),
        1950 + g.below(60),
        1 + g.below(12),
        1 + g.below(28),
        g.below(1000)
    );
    let sum: u32 = s.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    s.push(b"10X98765432"[(sum % 11) as usize] as char);
    s
}

const SIZE: usize = 10_000_000;

/// The worst-case shapes, each about 10 MB.
fn shape_texts() -> Vec<(&'static str, String)> {
    let mut g = Lcg(0x5eed);
    let fill = |g: &mut Lcg, f: &mut dyn FnMut(&mut Lcg, &mut String)| {
        let mut s = String::with_capacity(SIZE + 256);
        while s.len() < SIZE {
            f(g, &mut s);
        }
        s
    };
    let digits = fill(&mut g, &mut |g, s| {
        // A table row of space-separated 4-digit groups.
        for i in 0..12 {
            if i > 0 {
                s.push(' ');
            }
            for _ in 0..4 {
                s.push(g.digit());
            }
        }
        s.push('\n');
    });
    let ids = fill(&mut g, &mut |g, s| {
        // A roster row: number, name, identity number, mobile.
        let name = g.pick(&["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"]);
        let mobile: String = (0..8).map(|_| g.digit()).collect();
        let id = ric(g);
        s.push_str(&format!(
            "{}\t{name}\t身份证号{id}\t联系电话13{mobile}\t",
            g.below(10_000)
        ));
        s.push_str(g.pick(&["男", "女"]));
        s.push('\n');
    });
    const WORDS: &[&str] = &[
        "根据",
        "《中华人民共和国保守国家秘密法》",
        "有关规定，",
        "各级机关",
        "应当",
        "加强",
        "定密管理",
        "工作。",
        "第十二条",
        "2024年3月15日",
        "（一）",
        "联系电话",
        "010-6512",
        "3456",
        "，",
        "机关、单位",
        "身份证",
        "内部",
        "资料",
        "秘密",
        "公开",
        "审查",
        " ",
    ];
    let huge_line = fill(&mut g, &mut |g, s| s.push_str(g.pick(WORDS)));
    let punctuation = fill(&mut g, &mut |g, s| {
        s.push_str(g.pick(&[
            "，", "。", "、", "；", "：", "？", "！", "…", "—", "·", "*", "-", "_", "~", "|", "/",
            "\\", "+", "=", "#", "^", "“", "”", "（", "）", "《", "》", " ", "\u{3000}", "★", "☆",
            ".", "'", "\"", "【", "】",
        ]));
        if g.below(80) == 0 {
            s.push('\n');
        }
    });
    let mixed = fill(&mut g, &mut |g, s| {
        s.push_str(g.pick(&[
            "Hello ",
            "МОСКВА ",
            "Ελλάδα ",
            "مرحبا ",
            "שלום ",
            "नमस्ते ",
            "한국어 ",
            "日本語の",
            "カタカナ",
            "國家機密",
            "内部資料",
            "𠀀𠀁𠀂",
            "😀🎉",
            "ＡＢＣ１２３",
            "①②③",
            "⑴⑵",
            "ﬁﬂ",
            "é\u{301}",
            "\u{200B}",
            "Ǆ",
            "İstanbul ",
            "ß",
            "机密",
            "\n",
        ]));
    });
    vec![
        ("digit table (4-digit groups)", digits),
        ("identity-number list", ids),
        ("one huge line", huge_line),
        ("all punctuation", punctuation),
        ("mixed scripts", mixed),
    ]
}

fn shapes() {
    let scanner = Scanner::shipped();
    let runs: usize = std::env::var("BAOMI_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for (name, text) in shape_texts() {
        if let Some(dir) = std::env::var_os("BAOMI_BENCH_WRITE") {
            // For profiling the whole process on the same bytes.
            let file = name.split(' ').next().unwrap_or(name);
            std::fs::write(PathBuf::from(dir).join(format!("{file}.txt")), &text)
                .expect("write shape");
        }
        let mut best = f64::MAX;
        let mut n = 0;
        for _ in 0..runs {
            let t = Instant::now();
            n = scanner.scan(&text).findings.len();
            best = best.min(t.elapsed().as_secs_f64());
        }
        let mbs = text.len() as f64 / 1e6 / best;
        let mark = if mbs >= 50.0 { "" } else { "   BELOW 50 MB/s" };
        println!(
            "{name:<30} {:>5.1} MB   scan {best:>6.3} s   {mbs:>7.1} MB/s   {n} findings{mark}",
            text.len() as f64 / 1e6
        );
    }
}

fn corpus() {
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
