//! Scores the personal-information rules on the labelled drafts of
//! `tests/fixtures/pi_corpus.toml`: per category, how many expected
//! findings were found (recall) and how many findings nobody expected
//! (false alarms), printed as a table, with floors asserted. Decoy drafts
//! (任前公示, penalty decisions on companies, law text, policy prose,
//! de-identified lists) expect nothing.

use baomi_core::{Part, Scanner, SegmentInfo};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Corpus {
    doc: Vec<Doc>,
}

#[derive(Deserialize)]
struct Doc {
    name: String,
    text: String,
    #[serde(default)]
    pdf: bool,
    expect: Vec<String>,
}

/// The category a rule reports under, for scoring.
fn category(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "personal.health" | "personal.health-condition" => "health",
        "personal.disability-grade" | "personal.disability-detail" | "personal.disability-cert" => {
            "disability"
        }
        "personal.religion" => "religion",
        "personal.criminal-record" => "criminal",
        "personal.minor" => "minor",
        "personal.whereabouts" => "whereabouts",
        "personal.bank-card" | "personal.financial-account" => "financial",
        "personal.home-address" | "personal.home-address-detail" => "address",
        "personal.complainant" => "complainant",
        "personal.id-card"
        | "personal.id-card-undermasked"
        | "personal.passport"
        | "personal.officer-id"
        | "personal.travel-permit" => "identity",
        "personal.mobile" | "personal.mobile-undermasked" => "contact",
        "personal.biometric" => "biometric",
        "personal.vehicle-plate" => "vehicle",
        _ => return None,
    })
}

#[derive(Default)]
struct Score {
    expected: usize,
    found: usize,
    false_alarms: usize,
}

#[test]
fn personal_information_recall_and_false_alarms() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pi_corpus.toml");
    let corpus: Corpus = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let scanner = Scanner::shipped();
    let mut scores: BTreeMap<&str, Score> = BTreeMap::new();
    let mut problems = Vec::new();
    for doc in &corpus.doc {
        let info = SegmentInfo {
            page: doc.pdf.then_some(1),
            ..SegmentInfo::new(Part::Body)
        };
        let findings: Vec<_> = scanner
            .scan_segment(&doc.text, &info)
            .into_iter()
            .filter_map(|f| category(&f.rule).map(|c| (c, f)))
            .collect();
        let expected: Vec<(&str, &str)> = doc
            .expect
            .iter()
            .map(|e| e.split_once(':').expect("category:text"))
            .collect();
        let agrees = |(c, t): (&str, &str), (fc, m): (&str, &str)| {
            c == fc && (m.contains(t) || t.contains(m))
        };
        for &(c, t) in &expected {
            let s = scores.entry(c).or_default();
            s.expected += 1;
            if findings
                .iter()
                .any(|(fc, f)| agrees((c, t), (fc, &f.matched)))
            {
                s.found += 1;
            } else {
                problems.push(format!("{}: missed {c}:{t:?}", doc.name));
            }
        }
        for (fc, f) in &findings {
            if !expected.iter().any(|&e| agrees(e, (fc, &f.matched))) {
                scores.entry(fc).or_default().false_alarms += 1;
                problems.push(format!(
                    "{}: false alarm {fc} ({}) {:?}",
                    doc.name, f.rule, f.matched
                ));
            }
        }
    }
    println!(
        "{:<12} {:>8} {:>6} {:>7} {:>12}",
        "category", "expected", "found", "recall", "false alarms"
    );
    let (mut expected, mut found, mut false_alarms) = (0, 0, 0);
    for (c, s) in &scores {
        println!(
            "{c:<12} {:>8} {:>6} {:>6.0}% {:>12}",
            s.expected,
            s.found,
            100.0 * s.found as f64 / s.expected.max(1) as f64,
            s.false_alarms
        );
        expected += s.expected;
        found += s.found;
        false_alarms += s.false_alarms;
    }
    println!(
        "{:<12} {expected:>8} {found:>6} {:>6.0}% {false_alarms:>12}",
        "all",
        100.0 * found as f64 / expected as f64
    );
    for p in &problems {
        println!("  {p}");
    }
    assert!(
        corpus.doc.len() >= 15 && expected >= 40,
        "the corpus shrank"
    );
    // Floors: every expected finding of these drafts is found, and at most
    // one finding in the whole corpus is unexpected.
    assert!(
        found as f64 >= 0.95 * expected as f64,
        "recall {found}/{expected}"
    );
    assert!(false_alarms <= 1, "{false_alarms} false alarms");
    for (c, s) in &scores {
        assert!(
            s.expected == 0 || s.found as f64 >= 0.8 * s.expected as f64,
            "{c}: recall {}/{}",
            s.found,
            s.expected
        );
    }
}
