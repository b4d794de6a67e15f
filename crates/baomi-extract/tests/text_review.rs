//! `Scanner::review_text` (what the C, Python and WebAssembly bindings call
//! on a text they are handed) must give the same report as reviewing a file
//! of the same bytes, the path `baomi scan` takes: otherwise an editor
//! plug-in could call clear what the CLI withholds.

use baomi_core::{Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::path::Path;

#[test]
fn text_review_equals_file_review_on_every_utf8_example() {
    let scanner = Scanner::shipped();
    let limits = Limits::default();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut compared = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue; // gbk-draft.txt: the bindings take UTF-8 text only
        };
        let name = path.display().to_string();
        let from_file = review_file(&path, &scanner, &limits);
        let from_text = scanner.review_text(&name, text);
        assert_eq!(from_text, from_file, "{name}");
        compared += 1;
    }
    assert!(compared >= 3, "examples/ lost its UTF-8 drafts");
}

#[test]
fn text_review_equals_upload_review_on_edge_cases() {
    let scanner = Scanner::shipped();
    let limits = Limits::default();
    for (name, text) in [
        ("empty.txt", ""),
        ("blank.txt", "\n"),
        (
            "notes.md",
            "前言\n# 关于报送材料的通知\n内部资料 注意保管\n",
        ),
        (
            "notice.txt",
            "国办发〔2024〕12号\n关于…的通知\n联系人身份证号11010519491231002X\n",
        ),
    ] {
        let upload = review_bytes(name, text.as_bytes(), &scanner, &limits);
        assert_eq!(scanner.review_text(name, text), upload, "{name}");
    }
    let empty = scanner.review_text("text", "");
    assert_eq!(empty.verdict, Verdict::Error);
    assert!(empty.error.unwrap().contains("the file is empty"));
}
