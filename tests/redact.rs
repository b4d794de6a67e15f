//! End-to-end tests of `baomi redact`: the real binary on the committed
//! LibreOffice-made fixtures (tests/fixtures/make_fixtures.py lists what is
//! planted where), the copy read back by baomi-extract and unzipped, the
//! original compared byte for byte, LibreOffice converting original and
//! copy to text, a signed ledger entry verified, hostile inputs.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn baomi(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("BAOMI_LOG")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sha(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every entry of a zip, decompressed: (name, text).
fn entries(path: &Path) -> Vec<(String, String)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut b = Vec::new();
            e.read_to_end(&mut b).unwrap();
            (
                e.name().unwrap().to_string(),
                String::from_utf8_lossy(&b).into_owned(),
            )
        })
        .collect()
}

/// Copies a fixture into `dir` (the original under test is this copy, so
/// the test can check it is untouched).
fn copy_in(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(fixture(name), &to).unwrap();
    to
}

/// Redacts `name` with `extra` arguments and `--format json`; returns the
/// process output and the parsed report (when one was printed).
fn redact(dir: &Path, name: &str, out: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["redact", name, "-o", out, "--format", "json"];
    args.extend_from_slice(extra);
    let o = baomi(dir, &args);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o, v)
}

#[test]
fn docx_planted_items_are_gone_or_masked_and_the_copy_scans_clean() {
    planted_items_are_gone("docx", "word/document.xml");
}

#[test]
fn odt_planted_items_are_gone_or_masked_and_the_copy_scans_clean() {
    planted_items_are_gone("odt", "content.xml");
}

/// draft.docx and draft.odt are the same LibreOffice document
/// (tests/fixtures/draft.fodt) saved in both formats.
fn planted_items_are_gone(ext: &str, body_part: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("draft.{ext}");
    let out = format!("copy.{ext}");
    let original = copy_in(dir.path(), &name);
    let before = sha(&original);
    let (o, report) = redact(
        dir.path(),
        &name,
        &out,
        &["--remove-paragraphs-with", "marking.classification"],
    );
    // Internal markings in the visible text are left for the reviewer: 1.
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert_eq!(sha(&original), before, "the original was modified");
    let copy = dir.path().join(&out);
    assert_eq!(report["copy"]["sha256"], sha(&copy));
    assert_eq!(report["original"]["sha256"], before);
    assert_eq!(report["proof"]["verdict"], "review");
    assert_eq!(report["proof"]["coverage"]["complete"], true);

    // Nothing planted in a hidden part, and no full ID number, is anywhere
    // in the package (every entry, decompressed).
    let all: String = entries(&copy)
        .into_iter()
        .map(|(n, t)| format!("{n}\n{t}\n"))
        .collect();
    for gone in [
        "11010519491231002X", // table cell: masked
        "机密★",              // tracked deletion
        "李四",               // its author
        "此段不得外传",       // hidden text
        "绝密★长期",          // comment
        "赵六",               // its author
        "秘密★6个月",         // paragraph removed on request
        "comments.xml",       // docx: the part and every reference to it
        "lastModifiedBy",     // docx: core properties other than the title
        "内部资料印刷厂",     // docx: app.xml Company
        "w:ins ",             // docx: insertions accepted
        "w:del ",
        "<dc:subject", // odt meta.xml
        "<dc:creator",
        "张三</dc:creator",
        "tracked-changes", // odt: insertions accepted, deletions gone
        "office:annotation",
        "Thumbnails/",
    ] {
        assert!(!all.contains(gone), "{gone:?} is still in the copy");
    }
    assert!(all.contains("1101**********002X"));
    // Visible text otherwise survives, in body, header, footnote, text box.
    for kept in [
        "关于开展",
        "各单位：现将有关事项通知如下。",
        "本通知仅供内部参考。",
        "请于月底前完成自查。",
        "谢谢。",
        "内部传阅",
        "工作秘密，请勿外传",
        "文本框：内部资料",
        "特此通知。",
    ] {
        assert!(all.contains(kept), "{kept:?} is missing from the copy");
    }

    // What the report says was done, with masked previews only.
    let changes = report["changes"].as_array().unwrap();
    let masked: Vec<_> = changes.iter().filter(|c| c["action"] == "masked").collect();
    assert_eq!(masked.len(), 1, "{changes:?}");
    assert_eq!(masked[0]["rule"], "personal.id-card");
    assert_eq!(masked[0]["after"], "1101**********002X");
    assert_eq!(masked[0]["part"], body_part);
    assert!(!report.to_string().contains("11010519491231002X"));
    for action in [
        "removed-part",
        "removed-hidden",
        "removed-paragraph",
        "accepted-insertion",
    ] {
        assert!(changes.iter().any(|c| c["action"] == action), "no {action}");
    }

    // Scanning the copy as `baomi scan` does agrees with the proof.
    let o = baomi(dir.path(), &["scan", &out, "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let findings = scan["documents"][0]["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["rule"], "internal.marking", "{f}");
        assert!(
            ["body", "header", "footnote"].contains(&f["location"]["part"].as_str().unwrap()),
            "{f}"
        );
    }
}

/// Word splits text into runs wherever formatting changes: an ID number
/// in three runs (one bold) and a mobile number split by a tab is found
/// in the paragraph's text and masked in each run, formatting kept.
#[test]
fn a_number_split_over_runs_is_masked_in_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let py = r#"
import zipfile, sys
src = zipfile.ZipFile(sys.argv[1])
z = zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED)
old = '<w:r><w:rPr></w:rPr><w:t>11010519491231002X</w:t></w:r>'.encode()
new = '<w:r><w:t>1101</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>05194912</w:t></w:r><w:r><w:t>31002X</w:t></w:r>'.encode()
last = '<w:t>特此通知。</w:t>'.encode()
phone = '<w:t xml:space="preserve">手机138</w:t></w:r><w:r><w:t>1234</w:t></w:r><w:r><w:t>5678</w:t>'.encode()
for i in src.infolist():
    d = src.read(i.filename)
    if i.filename == 'word/document.xml':
        assert old in d and last in d
        d = d.replace(old, new).replace(last, phone, 1)
    z.writestr(i, d)
z.close()
"#;
    let st = Command::new("python3")
        .args([
            "-c",
            py,
            fixture("draft.docx").to_str().unwrap(),
            dir.path().join("split.docx").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let (o, report) = redact(
        dir.path(),
        "split.docx",
        "copy.docx",
        &["--remove-paragraphs-with", "marking.classification"],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let doc = entries(&dir.path().join("copy.docx"))
        .into_iter()
        .find(|(n, _)| n == "word/document.xml")
        .unwrap()
        .1;
    assert!(
        doc.contains("<w:r><w:t>1101</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>********</w:t></w:r><w:r><w:t>**002X</w:t></w:r>"),
        "{doc}"
    );
    assert!(
        doc.contains("手机138</w:t></w:r><w:r><w:t>****</w:t></w:r><w:r><w:t>5678</w:t>"),
        "{doc}"
    );
    let masked: Vec<_> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "masked")
        .map(|c| c["after"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(masked, ["1101**********002X", "138****5678"]);
}

#[test]
fn a_classified_marking_in_visible_text_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "draft.docx");
    let (o, _) = redact(dir.path(), "draft.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("refused"), "{t}");
    assert!(t.contains("秘密★6个月"), "{t}");
    assert!(
        t.contains("--remove-paragraphs-with marking.classification"),
        "{t}"
    );
    assert!(!dir.path().join("copy.docx").exists());
    // A rule that does not exist is a mistake, not a silent no-op.
    let (o, _) = redact(
        dir.path(),
        "draft.docx",
        "copy.docx",
        &["--remove-paragraphs-with", "marking.nope"],
    );
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("no such rule"), "{}", text(&o));
    // Never onto the original, never over an existing file without --force.
    let (o, _) = redact(dir.path(), "draft.docx", "draft.docx", &[]);
    assert_eq!(code(&o), 2);
    assert!(text(&o).contains("not the original"), "{}", text(&o));
}

#[test]
fn styles_variables_custom_properties_and_thumbnail_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "word-styles.docx");
    let (o, report) = redact(dir.path(), "word-styles.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(report["proof"]["verdict"], "clear");
    let names: Vec<String> = entries(&dir.path().join("copy.docx"))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("docProps/thumbnail") || n == "docProps/custom.xml"),
        "{names:?}"
    );
    let all: String = entries(&dir.path().join("copy.docx"))
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    for gone in ["机密★1年", "docVar", "仅供内部参考", "整段隐藏", "王某"] {
        assert!(!all.contains(gone), "{gone:?} is still in the copy");
    }
}

#[test]
fn xlsx_hidden_rows_columns_sheets_and_comments_go_and_cells_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "workbook.xlsx");
    let (o, report) = redact(dir.path(), "workbook.xlsx", "copy.xlsx", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(report["proof"]["verdict"], "clear");
    let all: String = entries(&dir.path().join("copy.xlsx"))
        .into_iter()
        .map(|(n, t)| format!("{n}\n{t}\n"))
        .collect();
    for gone in [
        "11010519491231002X",   // visible cell (shared string): masked
        "13812345678",          // visible cell (a number): masked
        "尿毒症",               // hidden column, also its shared string
        "机密★5年",             // hidden row
        "工作秘密★",            // hidden sheet
        "内部资料，核对后删除", // comment
        "李四",                 // its author
        "vmlDrawing",
        "legacyDrawing",
    ] {
        assert!(!all.contains(gone), "{gone:?} is still in the copy");
    }
    for kept in [
        "1101**********002X",
        "138****5678",
        "姓名",
        "张三",
        "联系人",
        "2026年第三季度临时救助名单",
    ] {
        assert!(all.contains(kept), "{kept:?} is missing from the copy");
    }
}

#[test]
fn text_and_html_are_masked_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let txt = "关于低保名单的公示\n张三，身份证号11010519491231002X，联系电话13812345678。\n银行卡号：6222021234567890128\n";
    std::fs::write(dir.path().join("a.txt"), txt).unwrap();
    let (o, report) = redact(dir.path(), "a.txt", "b.txt", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.txt")).unwrap(),
        "关于低保名单的公示\n张三，身份证号1101**********002X，联系电话138****5678。\n银行卡号：***************0128\n"
    );
    assert_eq!(report["changes"].as_array().unwrap().len(), 3);

    let html = "<!DOCTYPE html><html><head><title>公示</title><meta name=\"author\" content=\"机密★1年\"></head>\
        <body><!-- 绝密★长期 批注 --><p>联系人：李四，电话 139&#45;1234 5678</p><p>手机13912345678</p></body></html>";
    std::fs::write(dir.path().join("a.html"), html).unwrap();
    let (o, _) = redact(dir.path(), "a.html", "b.html", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = std::fs::read_to_string(dir.path().join("b.html")).unwrap();
    assert!(out.contains("<p>手机139****5678</p>"), "{out}");
    assert!(!out.contains("绝密") && !out.contains("机密"), "{out}");
    assert!(out.contains("<title>公示</title>"), "{out}");
}

/// notice.html (a real page layout): a comment, a hidden element, alt
/// text, a hidden form value and a `<meta>` with findings go; the table's
/// mobile number is masked; the markup otherwise stays byte for byte.
#[test]
fn html_hidden_elements_and_attributes_go() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "notice.html");
    let (o, report) = redact(dir.path(), "notice.html", "copy.html", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(report["proof"]["verdict"], "clear");
    let copy = std::fs::read_to_string(dir.path().join("copy.html")).unwrap();
    for gone in [
        "机密★10年",
        "此段仅供内部参考",
        "内部资料",
        "严禁外传",
        "13812345678",
    ] {
        assert!(!copy.contains(gone), "{gone:?} is still in the copy");
    }
    assert!(
        copy.contains("<tr><td>张三</td><td>138****5678</td></tr>"),
        "{copy}"
    );
    assert!(
        copy.contains("<img src=\"map.png\" alt=\"\"> 附图一张。"),
        "{copy}"
    );
    let original = std::fs::read_to_string(fixture("notice.html")).unwrap();
    assert_eq!(original.lines().count(), copy.lines().count());
}

/// What the redactor does not rewrite but the rescan sees (a chart's
/// title with a classification marking, an embedded workbook) fails
/// closed: no copy, and the message names each finding.
#[test]
fn a_copy_the_rescan_does_not_clear_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "parts-extra.docx");
    let (o, _) = redact(dir.path(), "parts-extra.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("the copy is not clean, so it was not written"),
        "{t}"
    );
    assert!(t.contains("word/charts/chart1.xml"), "{t}");
    assert!(t.contains("Microsoft_Excel_Worksheet.xlsx"), "{t}");
    assert!(!dir.path().join("copy.docx").exists());
    // No temporary file is left behind either.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn other_formats_and_hostile_files_are_errors_not_copies() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["legacy.doc", "slides.pptx"] {
        copy_in(dir.path(), name);
        let (o, _) = redact(dir.path(), name, "copy.out", &[]);
        assert_eq!(code(&o), 2, "{name}: {}", text(&o));
        assert!(
            text(&o).contains("cannot redact this format"),
            "{name}: {}",
            text(&o)
        );
    }
    // Truncated: half a .docx.
    let bytes = std::fs::read(fixture("draft.docx")).unwrap();
    std::fs::write(dir.path().join("cut.docx"), &bytes[..bytes.len() / 2]).unwrap();
    let (o, _) = redact(dir.path(), "cut.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("no copy written"), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    // A zip bomb: a document.xml that inflates 1000-fold.
    let py = "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\n\
        z.writestr('[Content_Types].xml','<Types/>')\n\
        z.writestr('word/document.xml','<w:document>'+' '*(60<<20)+'</w:document>')\nz.close()\n";
    let st = Command::new("python3")
        .args(["-c", py, dir.path().join("bomb.docx").to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let (o, _) = redact(dir.path(), "bomb.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("decompression bomb"), "{}", text(&o));
    // Entity expansion ("billion laughs") in a part: refused, never expanded.
    let py = "import zipfile,sys\nsrc=zipfile.ZipFile(sys.argv[1])\nz=zipfile.ZipFile(sys.argv[2],'w',zipfile.ZIP_DEFLATED)\n\
        for i in src.infolist():\n d=src.read(i.filename)\n if i.filename=='word/document.xml':\n  \
        d=d.replace(b'?>',b'?><!DOCTYPE w:document [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>',1)\n z.writestr(i,d)\nz.close()\n";
    let st = Command::new("python3")
        .args([
            "-c",
            py,
            fixture("draft.docx").to_str().unwrap(),
            dir.path().join("laughs.docx").to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let (o, _) = redact(dir.path(), "laughs.docx", "copy.docx", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("DOCTYPE"), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert!(!dir.path().join("copy.docx").exists());
}

#[test]
fn the_redaction_is_a_signed_ledger_entry_linking_original_and_copy() {
    let dir = tempfile::tempdir().unwrap();
    copy_in(dir.path(), "word-styles.docx");
    let o = baomi(
        dir.path(),
        &[
            "redact",
            "word-styles.docx",
            "-o",
            "copy.docx",
            "--db",
            "baomi.db",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(
        text(&o).contains("recorded redaction entry 2"),
        "{}",
        text(&o)
    );
    let o = baomi(dir.path(), &["ledger", "verify", "--db", "baomi.db"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let db = rusqlite::Connection::open(dir.path().join("baomi.db")).unwrap();
    let (doc, payload): (String, String) = db
        .query_row(
            "SELECT doc_sha256, payload FROM entries WHERE kind = 'redaction'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let p: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let copy = sha(&dir.path().join("copy.docx"));
    // Recorded under the copy, linking back to the original.
    assert_eq!(doc, copy);
    assert_eq!(p["original_sha256"], sha(&fixture("word-styles.docx")));
    assert_eq!(p["copy_sha256"], copy);
    assert!(p["rules_fingerprint"].as_str().unwrap().len() == 64);
    assert!(p["changes"].as_array().unwrap().len() >= 5);
    // The copy is a scanned document of its own (the review path goes on
    // with it).
    let scanned: String = db
        .query_row(
            "SELECT doc_sha256 FROM entries WHERE kind = 'scan'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(scanned, copy);
}

/// LibreOffice reads the copy, and its text differs from the original's
/// only where something was removed or masked.
#[test]
fn libreoffice_opens_the_copies_and_only_the_intended_spans_differ() {
    for ext in ["docx", "odt"] {
        libreoffice_faithful(ext);
    }
}

fn libreoffice_faithful(ext: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("draft.{ext}");
    let out = format!("copy.{ext}");
    copy_in(dir.path(), &name);
    let (o, _) = redact(
        dir.path(),
        &name,
        &out,
        &["--remove-paragraphs-with", "marking.classification"],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    let profile = format!("file://{}/lo-profile", dir.path().display());
    let st = Command::new("soffice")
        .args([
            &format!("-env:UserInstallation={profile}"),
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
            dir.path().join("txt").to_str().unwrap(),
            dir.path().join(&name).to_str().unwrap(),
            dir.path().join(&out).to_str().unwrap(),
        ])
        .output()
        .expect("LibreOffice (soffice) is needed: .ci/install-deps.sh installs libreoffice-writer-nogui");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let read = |n: &str| std::fs::read_to_string(dir.path().join("txt").join(n)).unwrap();
    let (a, b) = (read("draft.txt"), read("copy.txt"));
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), b.len(), "{ext}: {a:?}\n{b:?}");
    let diff: Vec<(&str, &str)> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (*x, *y))
        .collect();
    assert_eq!(
        diff,
        vec![
            // LibreOffice shows the tracked deletion; the copy has none.
            ("密级：机密★5年公开", "密级：公开"),
            (
                "请于月底前完成自查。此段不得外传谢谢。",
                "请于月底前完成自查。谢谢。"
            ),
            ("11010519491231002X", "1101**********002X"),
            ("附件密级：秘密★6个月", ""),
        ],
        "{ext}"
    );
}

/// A 公示 list as a table (tests/fixtures/make_tables.sh): the redactor reads
/// a row as one line, as the scanner does, so the illness said of 李建国 in
/// another cell is masked and the copy scans clean, while the policy
/// sentence naming 尿毒症透析 and the de-identified row stay as written.
#[test]
fn a_persons_illness_in_another_table_cell_is_masked() {
    for ext in ["docx", "odt", "html"] {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("roster-table.{ext}");
        copy_in(dir.path(), &name);
        let out = format!("copy.{ext}");
        let (o, report) = redact(dir.path(), &name, &out, &[]);
        assert_eq!(code(&o), 0, "{ext}: {}", text(&o));
        let masked: Vec<&str> = report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == "masked")
            .map(|c| c["rule"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            masked,
            ["personal.health-condition", "personal.health-condition"],
            "{ext}: {report:#}"
        );
        let scan = baomi(dir.path(), &["scan", "--format", "json", &out]);
        let scanned: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
        let doc = &scanned["documents"][0];
        assert_eq!(doc["verdict"], "clear", "{ext}: {doc:#}");
        let copy = match ext {
            "html" => std::fs::read_to_string(dir.path().join(&out)).unwrap(),
            _ => entries(&dir.path().join(&out))
                .into_iter()
                .map(|(_, t)| t)
                .collect(),
        };
        for kept in ["李建国", "尿毒症透析纳入门诊慢特病保障", "肝硬化", "火灾"]
        {
            assert!(copy.contains(kept), "{ext}: {kept} is gone");
        }
        assert!(!copy.contains("长期透析"), "{ext}: the illness survived");
    }
}

fn pdftotext(pdf: &Path, pages: Option<u32>) -> String {
    let mut cmd = Command::new("pdftotext");
    if let Some(n) = pages {
        cmd.args(["-f", &n.to_string(), "-l", &n.to_string()]);
    }
    let o = cmd.arg(pdf).arg("-").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// person-pages.pdf (LibreOffice, tests/fixtures/person-pages.fodt): page 1
/// holds an ID number and a mobile, page 2 is clean. Page 1 of the copy is
/// an image with the numbers' word boxes filled (no text layer left to
/// copy out from under a box), page 2 keeps its text layer, the copy scans
/// clean (OCR reads page 1), the document information is gone and the
/// original is untouched. draft.pdf's classification markings refuse as in
/// the other formats, and a truncated PDF is an error, not a copy.
#[test]
fn pdf_flagged_pages_become_images_with_the_data_covered() {
    let dir = tempfile::tempdir().unwrap();
    let original = copy_in(dir.path(), "person-pages.pdf");
    let before = sha(&original);
    let (o, report) = redact(dir.path(), "person-pages.pdf", "copy.pdf", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(report["proof"]["verdict"], "clear", "{report}");
    assert_eq!(report["changes"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(sha(&original), before, "the original was modified");
    let copy = dir.path().join("copy.pdf");
    let all = pdftotext(&copy, None);
    for gone in ["11010519491231002X", "13812345678", "1381234"] {
        assert!(!all.contains(gone), "{gone:?} is in the copy: {all}");
    }
    assert!(
        pdftotext(&copy, Some(1)).trim().is_empty(),
        "page 1 still has a text layer"
    );
    assert!(
        pdftotext(&copy, Some(2)).contains("第二页：补助标准按照有关规定执行。"),
        "page 2 lost its text layer"
    );
    let info = Command::new("pdfinfo").arg(&copy).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("Pages:           2"), "{info}");
    assert!(!info.contains("LibreOffice"), "{info}");
    // `baomi scan` of the copy (OCR reads the image page).
    let o = baomi(dir.path(), &["scan", "copy.pdf", "--format", "json"]);
    let scan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let doc = &scan["documents"][0];
    assert!(
        doc["coverage"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "ocr"),
        "page 1 was not read by OCR: {doc}"
    );
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["category"] == "personal-info"),
        "{doc}"
    );

    // A page shown turned (/Rotate 90, written into the page dictionary;
    // poppler rebuilds the cross-reference table): the boxes follow the
    // turn and the rebuilt page keeps its landscape shape.
    let mut rotated = std::fs::read(fixture("person-pages.pdf")).unwrap();
    let at = rotated
        .windows(11)
        .position(|w| w == b"/Type/Page/")
        .unwrap();
    rotated.splice(at..at, b"/Rotate 90".iter().copied());
    std::fs::write(dir.path().join("rot.pdf"), &rotated).unwrap();
    let (o, report) = redact(dir.path(), "rot.pdf", "rot-copy.pdf", &[]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(report["proof"]["verdict"], "clear", "{report}");
    let rot = dir.path().join("rot-copy.pdf");
    let all = pdftotext(&rot, None);
    assert!(!all.contains("13812345678"), "{all}");
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "1"])
        .arg(&rot)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("size:  841.92 x 595.68 pts"), "{info}");

    // Classification markings refuse; once named, they are covered too.
    copy_in(dir.path(), "draft.pdf");
    let (o, _) = redact(dir.path(), "draft.pdf", "d.pdf", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("refused"), "{}", text(&o));
    assert!(!dir.path().join("d.pdf").exists());
    let (o, _) = redact(
        dir.path(),
        "draft.pdf",
        "d.pdf",
        &["--remove-paragraphs-with", "marking.classification"],
    );
    assert_eq!(code(&o), 1, "review findings are left: {}", text(&o));
    let d = pdftotext(&dir.path().join("d.pdf"), None);
    for gone in ["11010519491231002X", "机密", "秘密"] {
        assert!(!d.contains(gone), "{gone:?} is in the copy: {d}");
    }

    // Truncated: an error, no copy.
    let bytes = std::fs::read(fixture("person-pages.pdf")).unwrap();
    std::fs::write(dir.path().join("cut.pdf"), &bytes[..bytes.len() / 3]).unwrap();
    let (o, _) = redact(dir.path(), "cut.pdf", "c.pdf", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
    assert!(!dir.path().join("c.pdf").exists());
}
