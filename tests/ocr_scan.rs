//! End-to-end: `baomi scan` on scanned documents (tests/fixtures/scan-*,
//! made by make_scans.py). A scanned page marked 机密★5年 is `withhold`,
//! each finding says it came from OCR and where on the page; `--no-ocr`
//! and a missing engine fail closed. Needs tesseract-ocr and
//! tesseract-ocr-chi-sim (.ci/install-deps.sh).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn baomi(args: &[&str], env: Option<(&str, &str)>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baomi"));
    cmd.args(args);
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.output().expect("run baomi")
}

fn json_docs(out: &Output) -> Vec<Value> {
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    json["documents"].as_array().expect("documents").clone()
}

#[test]
fn a_scanned_page_marked_secret_is_withheld_with_ocr_locations() {
    let pdf = fixture("scan-150.pdf");
    let out = baomi(&["scan", "--format", "json", pdf.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(1));
    let doc = &json_docs(&out)[0];
    assert_eq!(doc["verdict"], "withhold", "{doc}");
    assert!(doc["coverage"]["parts"]
        .as_array()
        .unwrap()
        .contains(&Value::from("ocr")));
    let findings = doc["findings"].as_array().unwrap();
    let marking = findings
        .iter()
        .find(|f| f["rule"] == "marking.classification")
        .expect("the marking is found");
    let loc = &marking["location"];
    assert_eq!(loc["part"], "ocr");
    assert_eq!(loc["page"], 1);
    assert_eq!(loc["line"], 1);
    assert_eq!(loc["bbox"]["unit"], "pt");
    assert!(loc["bbox"]["x"].as_u64().unwrap() > 300, "top right: {loc}");
    let id = findings
        .iter()
        .find(|f| f["rule"] == "personal.id-card")
        .expect("the ID number is found");
    assert_eq!(id["matched"], "11010519491231002X");
    assert_eq!(id["location"]["part"], "ocr");

    // The text report says where on the page.
    let out = baomi(&["scan", pdf.to_str().unwrap()], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains("[ocr, page 1, paragraph 1, at ")
                && l.contains(" pt] block marking.classification")),
        "{text}"
    );
}

#[test]
fn without_ocr_a_scan_is_an_error_never_clear() {
    let pdf = fixture("scan-150.pdf");
    let png = fixture("scan.png");
    let out = baomi(
        &[
            "scan",
            "--no-ocr",
            "--format",
            "json",
            pdf.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    for doc in json_docs(&out) {
        assert_eq!(doc["verdict"], "error");
        assert!(
            doc["error"].as_str().unwrap().contains("OCR is off"),
            "{doc}"
        );
    }
}

#[test]
fn a_missing_engine_says_what_to_install() {
    let pdf = fixture("scan-150.pdf");
    let out = baomi(
        &["scan", "--format", "json", pdf.to_str().unwrap()],
        Some(("BAOMI_TESSERACT", "/nonexistent/baomi-test/tesseract")),
    );
    assert_eq!(out.status.code(), Some(2));
    let doc = &json_docs(&out)[0];
    let e = doc["error"].as_str().unwrap();
    assert!(
        e.contains("apt-get install tesseract-ocr tesseract-ocr-chi-sim"),
        "{e}"
    );
}
