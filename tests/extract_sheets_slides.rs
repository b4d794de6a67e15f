//! End-to-end: `baomi scan` on the .xls/.et/.ods workbooks and the .pptx
//! and .ppt presentations LibreOffice wrote (tests/fixtures/make_sheets.sh,
//! make_slides.sh): the report locates each planted item by sheet and cell
//! or by slide, and a binary .ppt is an error that says what to do.

use serde_json::Value;
use std::process::Command;

fn scan_json(path: &str) -> (i32, Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["scan", "--format", "json", path])
        .output()
        .expect("run baomi");
    let v = serde_json::from_slice(&o.stdout).expect("JSON report");
    (o.status.code().unwrap(), v)
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn finding<'a>(doc: &'a Value, rule: &str, part: &str) -> &'a Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule && f["location"]["part"] == part)
        .unwrap_or_else(|| panic!("{rule} in {part}: {doc:#}"))
}

#[test]
fn legacy_and_opendocument_workbooks_are_located_by_cell() {
    for name in ["sheets.xls", "sheets.et", "sheets.ods"] {
        let (code, v) = scan_json(&fixture(name));
        assert_eq!(code, 1, "{name}");
        let doc = &v["documents"][0];
        assert_eq!(doc["verdict"], "withhold", "{name}");
        assert_eq!(doc["coverage"]["complete"], true, "{name}");
        let id = finding(doc, "personal.id-card", "body");
        assert_eq!(id["location"]["cell"], "名单!B2", "{name}");
        let hidden = finding(doc, "marking.classification", "hidden");
        assert_eq!(hidden["location"]["detail"], "hidden row", "{name}");
        let note = finding(doc, "internal.marking", "comment");
        assert_eq!(note["location"]["author"], "李四", "{name}");
        finding(doc, "internal.work-secret", "hidden");
        finding(doc, "marking.classification", "footer");
    }
}

#[test]
fn presentations_are_located_by_slide() {
    let (code, v) = scan_json(&fixture("slides.pptx"));
    assert_eq!(code, 1);
    let doc = &v["documents"][0];
    assert_eq!(doc["verdict"], "withhold");
    let id = finding(doc, "personal.id-card", "body");
    assert_eq!(id["location"]["page"], 1);
    let hidden = finding(doc, "marking.classification", "hidden");
    assert_eq!(hidden["location"]["page"], 2);
    assert_eq!(hidden["location"]["detail"], "slide 2 (hidden slide)");
    assert_eq!(
        finding(doc, "internal.marking", "comment")["location"]["author"],
        "李四"
    );

    let (code, v) = scan_json(&fixture("slides.ppt"));
    assert_eq!(code, 2);
    let doc = &v["documents"][0];
    assert_eq!(doc["verdict"], "error");
    let e = doc["error"].as_str().unwrap();
    assert!(
        e.contains("slides.ppt") && e.contains("save it as .pptx or PDF"),
        "{e}"
    );
}
