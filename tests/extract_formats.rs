//! End-to-end: `baomi scan --format json` on the document fixtures
//! (tests/fixtures, made by make_fixtures.py) reports every hidden part
//! with its location, and fails closed on what it cannot read.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `baomi scan --format json PATH...`; returns the exit code and the documents.
fn scan(paths: &[&Path]) -> (i32, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .arg("scan")
        .args(["--format", "json"])
        .args(paths)
        .output()
        .expect("run baomi");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let docs = json["documents"].as_array().expect("documents").clone();
    (out.status.code().unwrap_or(-1), docs)
}

/// The findings of a document as (part, matched, location object).
fn findings(doc: &Value) -> Vec<(String, String, Value)> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["location"]["part"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                f["matched"].as_str().unwrap_or_default().to_string(),
                f["location"].clone(),
            )
        })
        .collect()
}

fn location<'a>(all: &'a [(String, String, Value)], part: &str, matched: &str) -> &'a Value {
    let hits: Vec<_> = all
        .iter()
        .filter(|(p, m, _)| p == part && m == matched)
        .collect();
    assert_eq!(hits.len(), 1, "{part} {matched}: {all:#?}");
    &hits[0].2
}

#[test]
fn docx_hidden_parts_are_reported_with_their_locations() {
    let (code, docs) = scan(&[&fixture("draft.docx")]);
    assert_eq!(code, 1);
    let doc = &docs[0];
    assert_eq!(doc["verdict"], "withhold");
    assert_eq!(doc["title"], "关于开展2024年度保密自查的通知");
    assert_eq!(doc["doc_number"], "办发〔2024〕7号");
    assert_eq!(doc["coverage"]["complete"], true);
    let all = findings(doc);

    let del = location(&all, "tracked-deletion", "机密★5年");
    assert_eq!(del["paragraph"], 3);
    assert_eq!(del["author"], "李四");
    assert_eq!(
        (del["line"].as_u64(), del["column"].as_u64()),
        (Some(3), Some(4))
    );
    let ins = location(&all, "tracked-insertion", "仅供内部参考");
    assert_eq!(ins["author"], "王五");
    assert_eq!(location(&all, "hidden", "不得外传")["paragraph"], 5);
    let comment = location(&all, "comment", "绝密★长期");
    assert_eq!(comment["author"], "赵六");
    assert_eq!(
        location(&all, "footnote", "请勿外传")["detail"],
        "footnote 2"
    );
    assert_eq!(
        location(&all, "header", "内部传阅")["detail"],
        "word/header1.xml"
    );
    assert_eq!(
        location(&all, "body", "11010519491231002X")["cell"],
        "table 1, row 2, cell 2"
    );
    let metadata: Vec<_> = all
        .iter()
        .filter(|(p, _, _)| p == "metadata")
        .map(|(_, _, l)| l["detail"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        metadata,
        ["docProps/core.xml: dc:subject", "docProps/app.xml: Company"]
    );
}

#[test]
fn odt_pdf_and_html_are_read_too() {
    let (code, docs) = scan(&[
        &fixture("draft.odt"),
        &fixture("cjk-cmaps.pdf"),
        &fixture("notice.html"),
    ]);
    assert_eq!(code, 1);
    let odt = findings(&docs[0]);
    assert_eq!(
        location(&odt, "tracked-deletion", "机密★5年")["author"],
        "李四"
    );
    assert_eq!(location(&odt, "comment", "绝密★长期")["author"], "赵六");

    let pdf = findings(&docs[1]);
    assert_eq!(docs[1]["title"], "关于做好保密工作的通知");
    assert_eq!(location(&pdf, "body", "机密★５年")["page"], 1);
    assert_eq!(location(&pdf, "body", "内部资料")["page"], 2);

    let html = findings(&docs[2]);
    assert_eq!(
        location(&html, "html-comment", "机密★10年")["detail"],
        "line 12"
    );
    assert_eq!(
        location(&html, "html-attribute", "内部资料")["detail"],
        "line 17: <img alt>"
    );
}

#[test]
fn content_decides_the_format_not_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("draft.doc");
    std::fs::copy(fixture("draft.docx"), &renamed).unwrap();
    let bare = dir.path().join("download");
    std::fs::copy(fixture("cjk-cmaps.pdf"), &bare).unwrap();
    let (code, docs) = scan(&[&renamed, &bare]);
    assert_eq!(code, 1);
    assert_eq!(docs[0]["verdict"], "withhold");
    assert!(findings(&docs[0])
        .iter()
        .any(|(p, _, _)| p == "tracked-deletion"));
    assert_eq!(docs[1]["verdict"], "withhold");
}

#[test]
fn unreadable_documents_fail_closed() {
    let (code, docs) = scan(&[
        &fixture("image-only.pdf"),
        &fixture("partial.pdf"),
        &fixture("encrypted.docx"),
        &fixture("encrypted.pdf"),
    ]);
    assert_eq!(code, 2);
    for doc in &docs {
        assert_eq!(doc["verdict"], "error", "{doc}");
    }
    // OCR looked at the image-only pages and found nothing: gaps.
    assert!(docs[0]["error"].is_null());
    assert!(docs[0]["coverage"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("OCR found no text"));
    assert!(docs[1]["error"].is_null());
    assert_eq!(docs[1]["coverage"]["complete"], false);
    assert!(docs[1]["coverage"]["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("page 2 (no text layer)"));
    assert!(docs[2]["error"]
        .as_str()
        .unwrap()
        .contains("password-protected"));
    assert!(docs[3]["error"]
        .as_str()
        .unwrap()
        .contains("password-protected"));
}

#[test]
fn ofd_parts_are_reported_with_pages_authors_and_gaps() {
    let (code, docs) = scan(&[&fixture("notice.ofd")]);
    assert_eq!(code, 1);
    let doc = &docs[0];
    assert_eq!(doc["verdict"], "withhold");
    assert_eq!(doc["title"], "关于加强档案管理的通知");
    // One TextCode whose glyphs cannot be mapped back to Unicode.
    assert_eq!(doc["coverage"]["complete"], false);
    let notes = doc["coverage"]["notes"].as_array().unwrap();
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("cannot be mapped back to Unicode"),
        "{notes:?}"
    );
    let all = findings(doc);
    // easyofd keeps the PDF's space: "机密★5 年", split over three TextObjects.
    assert_eq!(location(&all, "body", "机密★5 年")["page"], 1);
    assert_eq!(location(&all, "body", "11010519491231002X")["page"], 2);
    assert_eq!(location(&all, "body", "绝密★长期")["page"], 2);
    assert_eq!(location(&all, "body", "内部掌握")["page"], 2);
    let template = location(&all, "body", "内部传阅");
    assert!(template["detail"]
        .as_str()
        .unwrap()
        .starts_with("template page 100"));
    let annot = location(&all, "comment", "严禁外传");
    assert_eq!(
        (annot["author"].as_str(), annot["page"].as_u64()),
        (Some("李四"), Some(1))
    );
    assert_eq!(
        location(&all, "body", "秘密★6个月")["detail"],
        "attachment 附件说明.txt"
    );
    assert_eq!(
        location(&all, "metadata", "秘密★1年")["detail"],
        "OFD.xml: CustomData \"密级\""
    );
}

#[test]
fn doc_and_wps_parts_are_reported_with_their_locations() {
    // legacy.doc: LibreOffice's Word 97 export of legacy.fodt; legacy.wps:
    // the same bytes under WPS Writer's name (make_fixtures.py says why).
    let (code, docs) = scan(&[&fixture("legacy.doc"), &fixture("legacy.wps")]);
    assert_eq!(code, 1);
    assert_eq!(docs.len(), 2);
    for doc in &docs {
        assert_eq!(doc["verdict"], "withhold", "{doc}");
        assert_eq!(doc["title"], "关于做好2024年度保密检查工作的通知");
        assert_eq!(doc["doc_number"], "办发〔2024〕9号");
        assert_eq!(doc["coverage"]["complete"], true);
        let all = findings(doc);
        let del = location(&all, "tracked-deletion", "机密★5年");
        assert_eq!(
            (del["paragraph"].as_u64(), del["author"].as_str()),
            (Some(3), Some("李四"))
        );
        assert_eq!(
            location(&all, "tracked-insertion", "仅供内部参考")["author"],
            "王五"
        );
        assert_eq!(location(&all, "hidden", "不得外传")["paragraph"], 5);
        assert_eq!(location(&all, "comment", "绝密★长期")["author"], "赵六");
        assert_eq!(
            location(&all, "footnote", "请勿外传")["detail"],
            "footnote 1"
        );
        assert_eq!(
            location(&all, "endnote", "秘密★6个月")["detail"],
            "endnote 1"
        );
        assert_eq!(
            location(&all, "header", "内部传阅")["detail"],
            "section 1, header"
        );
        assert_eq!(
            location(&all, "body", "11010519491231002X")["cell"],
            "table 1, row 2, cell 2"
        );
        let parts = doc["coverage"]["parts"].as_array().unwrap();
        for p in [
            "body", "header", "footer", "footnote", "endnote", "comment", "metadata",
        ] {
            assert!(parts.iter().any(|x| x == p), "{p} in {parts:?}");
        }
    }
}

#[test]
fn encrypted_opendocument_says_encrypted() {
    let (code, docs) = scan(&[&fixture("encrypted.odt"), &fixture("encrypted.ods")]);
    assert_eq!(code, 2);
    for (doc, kind) in docs.iter().zip([
        "OpenDocument text (.odt)",
        "OpenDocument spreadsheet (.ods)",
    ]) {
        assert_eq!(doc["verdict"], "error");
        let e = doc["error"].as_str().unwrap();
        assert!(
            e.contains(&format!("encrypted or password-protected {kind}")),
            "{e}"
        );
        assert!(!e.contains("UTF-8"), "{e}");
    }
}

/// A 公示 list is a table: the name in one cell, the illness in another.
/// Each format's reader gives the scanner the row as one line (cells
/// separated by tabs), so the person-scoped health rule sees the name, while
/// a masked name's row, a row without an illness and policy prose stay clear.
#[test]
fn table_rows_are_one_person_in_every_format() {
    for name in [
        "roster-table.docx",
        "roster-table.odt",
        "roster-table.doc",
        "roster-table.html",
    ] {
        let (code, docs) = scan(&[&fixture(name)]);
        let doc = &docs[0];
        assert_eq!(code, 1, "{name}: {doc:#}");
        assert_eq!(doc["verdict"], "review", "{name}");
        let personal: Vec<&Value> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["category"] == "personal-info")
            .collect();
        let mut matched: Vec<&str> = personal
            .iter()
            .map(|f| f["matched"].as_str().unwrap_or_default())
            .collect();
        matched.sort_unstable();
        assert_eq!(matched, ["尿毒症", "透析"], "{name}: {personal:#?}");
        for f in &personal {
            assert_eq!(f["rule"], "personal.health-condition", "{name}");
            assert_eq!(
                f["location"]["cell"], "table 1, row 2, cell 5",
                "{name}: {f:#}"
            );
            // The context is the row: the reviewer sees whose illness it is.
            let context = f["context"].as_str().unwrap_or_default();
            assert!(context.contains("李建国"), "{name}: {context}");
        }
    }
}
