//! End-to-end: `baomi scan` on an .xlsx written by LibreOffice Calc
//! (tests/fixtures/make_xlsx.sh): every planted item is found in its sheet
//! and cell, hidden rows, columns and sheets and comments marked as such.

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

#[test]
fn every_planted_item_is_found_in_its_cell_and_part() {
    let (code, v) = scan_json(&fixture("workbook.xlsx"));
    assert_eq!(code, 1);
    let doc = &v["documents"][0];
    assert_eq!(doc["verdict"], "withhold");
    assert_eq!(doc["title"], "2026年第三季度临时救助名单");
    assert_eq!(doc["coverage"]["complete"], true);
    let findings = doc["findings"].as_array().unwrap();
    let find = |rule: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} not found in {findings:#?}"))
    };
    let id = find("personal.id-card");
    assert_eq!(id["matched"], "11010519491231002X");
    assert_eq!(id["location"]["part"], "body");
    assert_eq!(id["location"]["cell"], "名单!B2");

    let health = find("personal.health");
    assert_eq!(health["location"]["part"], "hidden");
    assert_eq!(health["location"]["cell"], "名单!C2");
    assert_eq!(health["location"]["detail"], "hidden column");

    let marking = find("marking.classification");
    assert_eq!(marking["matched"], "机密★5年");
    assert_eq!(marking["location"]["part"], "hidden");
    assert_eq!(marking["location"]["detail"], "hidden row");

    let work = find("internal.work-secret");
    assert_eq!(work["location"]["part"], "hidden");
    assert_eq!(work["location"]["cell"], "底稿!A1");

    let comment = find("internal.marking");
    assert_eq!(comment["location"]["part"], "comment");
    assert_eq!(comment["location"]["author"], "李四");
    assert_eq!(comment["location"]["cell"], "名单!B2");

    assert_eq!(find("personal.mobile")["location"]["cell"], "名单!B4");
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["rule"] == "marking.classification")
            .count(),
        1,
        "工作秘密★ is a work-secret marking, not also a classification level"
    );
}
