//! `docs/report.schema.json` is the contract of the JSON report that the
//! CLI, the HTTP API and the C, Python and WebAssembly bindings return. It
//! is generated from the Rust types (`baomi_core::ScanReport`, schemars), so
//! it cannot describe anything but what is serialised; this test fails when
//! the checked-in file has drifted (regenerate: `BAOMI_BLESS=1 cargo test
//! --test report_schema`), and validates real `baomi scan --format json`
//! output of every kind of document against it.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

fn schema_text() -> String {
    let schema = schemars::schema_for!(baomi_core::ScanReport<'static>);
    format!("{}\n", serde_json::to_string_pretty(&schema).unwrap())
}

#[test]
fn schema_file_matches_the_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    let generated = schema_text();
    if std::env::var_os("BAOMI_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is out of date with the report types; regenerate it with \
         `BAOMI_BLESS=1 cargo test --test report_schema` and commit it",
        path.display()
    );
}

#[test]
fn real_cli_output_validates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: serde_json::Value = serde_json::from_str(&schema_text()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.txt"), b"").unwrap();
    let mut args: Vec<std::path::PathBuf> =
        vec![root.join("examples"), dir.path().join("empty.txt")];
    for f in [
        "draft.docx",
        "draft.odt",
        "notice.html",
        "workbook.xlsx",
        "draft.pdf",
        "image-only.pdf",
        "encrypted.docx",
    ] {
        args.push(root.join("tests/fixtures").join(f));
    }
    let out = Command::new(BIN)
        .args(["scan", "--format", "json"])
        .args(&args)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let docs = report["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 4 + 1 + 7);
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: it rejects what the contract forbids.
    for bad in [
        serde_json::json!({"documents": [{"path": "x"}]}),
        serde_json::json!({"docs": []}),
        {
            let mut r = report.clone();
            r["documents"][0]["verdict"] = "ok".into();
            r
        },
        {
            let mut r = report.clone();
            let f = docs
                .iter()
                .position(|d| !d["findings"].as_array().unwrap().is_empty())
                .unwrap();
            r["documents"][f]["findings"][0]["location"]["line"] = "one".into();
            r
        },
    ] {
        assert!(!validator.is_valid(&bad), "accepted {bad}");
    }
}
