//! Hostile and broken documents: each is a clear `error` verdict, never a
//! panic, never unbounded memory, and never anything written to disk.

use baomi_core::{DocumentReport, Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

const DOC_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#;
const DOC_END: &str = "</w:body></w:document>";

fn para(text: &str) -> String {
    format!("<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
}

/// A zip of (name, content) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn docx_with(document_xml: &str) -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", document_xml.as_bytes()),
    ])
}

fn review(name: &str, bytes: &[u8], limits: &Limits) -> DocumentReport {
    review_bytes(name, bytes, &Scanner::shipped(), limits)
}

fn assert_error(r: &DocumentReport, needle: &str) {
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    let e = r.error.as_deref().unwrap_or_default();
    assert!(e.contains(needle), "expected {needle:?} in {e:?}");
}

#[test]
fn a_plain_docx_built_here_is_read() {
    // The baseline the other tests break: proves the helpers make valid docx.
    let xml = format!("{DOC_START}{}{DOC_END}", para("本件机密★1年"));
    let r = review("ok.docx", &docx_with(&xml), &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
}

#[test]
fn zip_bomb_by_entry_size_is_refused() {
    let zeros = vec![b' '; 4 << 20];
    let bytes = zip_of(&[("word/document.xml", &zeros)]);
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_error(&review("bomb.docx", &bytes, &limits), "decompression bomb");
}

#[test]
fn zip_bomb_by_ratio_is_refused() {
    // 8 MiB of one byte deflates to a few KiB: a ratio far above 200.
    let zeros = vec![b' '; 8 << 20];
    let bytes = zip_of(&[("word/document.xml", &zeros)]);
    assert!(bytes.len() < 64 << 10);
    assert_error(
        &review("bomb.docx", &bytes, &Limits::default()),
        "ratio limit",
    );
}

#[test]
fn zip_bomb_with_lying_sizes_is_stopped_by_the_bytes_actually_read() {
    // Declare 1000 bytes in both headers while the data inflates to 8 MiB.
    let mut xml = String::from(DOC_START);
    while xml.len() < 8 << 20 {
        xml.push_str("<w:p/>");
    }
    xml.push_str(DOC_END);
    let mut bytes = docx_with(&xml);
    let real = xml.len() as u32;
    let mut patched = 0;
    for sig in [&b"PK\x03\x04"[..], b"PK\x01\x02"] {
        let size_at = if sig[2] == 3 { 22 } else { 24 };
        let mut i = 0;
        while let Some(pos) = bytes[i..].windows(4).position(|w| w == sig) {
            let at = i + pos + size_at;
            if bytes[at..at + 4] == real.to_le_bytes() {
                bytes[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
                patched += 1;
            }
            i += pos + 4;
        }
    }
    assert_eq!(patched, 2, "both headers patched");
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    let r = review("liar.docx", &bytes, &limits);
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
}

#[test]
fn too_many_entries_and_too_much_in_total_are_refused() {
    let names: Vec<String> = (0..30)
        .map(|i| format!("word/media/image{i}.png"))
        .collect();
    let mut entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    let xml = format!("{DOC_START}{}{DOC_END}", para("正文"));
    entries.push(("word/document.xml", xml.as_bytes()));
    let bytes = zip_of(&entries);
    let limits = Limits {
        max_entries: 20,
        ..Limits::default()
    };
    assert_error(&review("many.docx", &bytes, &limits), "31 entries");

    let big = format!("{DOC_START}{}{DOC_END}", para(&"文".repeat(200_000)));
    let bytes = zip_of(&[
        ("word/document.xml", big.as_bytes()),
        ("word/header1.xml", big.as_bytes()),
        ("word/footer1.xml", big.as_bytes()),
    ]);
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_error(&review("total.docx", &bytes, &limits), "decompressed total");
}

#[test]
fn entries_with_parent_paths_are_never_written_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let xml = format!("{DOC_START}{}{DOC_END}", para("内部资料"));
    let bytes = zip_of(&[
        ("../../escaped.txt", b"x"),
        ("/abs/escaped.txt", b"x"),
        ("word/../../escaped-too.xml", b"<x/>"),
        ("word/document.xml", xml.as_bytes()),
    ]);
    let path = dir.path().join("sub").join("evil.docx");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let r = review_file(&path, &Scanner::shipped(), &Limits::default());
    // The planted entries are parts baomi does not know: gaps that name
    // them (so `error`, never `clear`), and nothing is written anywhere.
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(r.findings.iter().any(|f| f.matched == "内部资料"), "{r:#?}");
    for name in ["../../escaped.txt", "/abs/escaped.txt"] {
        assert!(
            r.coverage.notes.iter().any(|n| n.starts_with(name)),
            "{name}: {r:#?}"
        );
    }
    let mut left: Vec<_> = walk(dir.path());
    left.sort();
    assert_eq!(left, [path]);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn truncated_and_corrupt_containers_are_errors() {
    let docx = std::fs::read(fixture("draft.docx")).unwrap();
    for cut in [10, 100, docx.len() / 2, docx.len() - 30] {
        let r = review("cut.docx", &docx[..cut], &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "cut at {cut}: {r:#?}");
    }
    let odt = std::fs::read(fixture("draft.odt")).unwrap();
    let r = review("cut.odt", &odt[..odt.len() / 2], &Limits::default());
    assert_eq!(r.verdict, Verdict::Error);
    // Flipped bytes inside compressed data.
    let mut bad = docx.clone();
    for i in (200..bad.len() / 2).step_by(97) {
        bad[i] ^= 0x5A;
    }
    assert_eq!(
        review("flipped.docx", &bad, &Limits::default()).verdict,
        Verdict::Error
    );
}

#[test]
fn malformed_xml_is_an_error_naming_the_part() {
    let unclosed = format!("{DOC_START}<w:p><w:r><w:t>机密");
    assert_error(
        &review("a.docx", &docx_with(&unclosed), &Limits::default()),
        "word/document.xml",
    );
    let mismatched = format!("{DOC_START}<w:p></w:r>{DOC_END}");
    assert_error(
        &review("b.docx", &docx_with(&mismatched), &Limits::default()),
        "malformed docx",
    );
    let invalid = zip_of(&[(
        "word/document.xml",
        &[0x3C, 0x61, 0x3E, 0xFF, 0xFE, 0x3C, 0x2F, 0x61, 0x3E],
    )]);
    assert_error(
        &review("c.docx", &invalid, &Limits::default()),
        "invalid UTF-8",
    );
}

#[test]
fn entity_expansion_is_never_performed() {
    let laughs = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"#;
    assert_error(
        &review("lol.docx", &docx_with(laughs), &Limits::default()),
        "DOCTYPE",
    );
    let undefined = format!("{DOC_START}{}{DOC_END}", para("&lol9;"));
    assert_error(
        &review("ref.docx", &docx_with(&undefined), &Limits::default()),
        "undefined entity &lol9;",
    );
    // Predefined entities and character references are text, as they should be.
    let fine = format!(
        "{DOC_START}{}{DOC_END}",
        para("机&#23494;&#x2605;1年 &amp;")
    );
    let r = review("fine.docx", &docx_with(&fine), &Limits::default());
    assert_eq!(r.findings[0].matched, "机密★1年");
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 100_000;
    let xml = format!(
        "{DOC_START}{}{}{DOC_END}",
        "<w:sdt>".repeat(depth),
        "</w:sdt>".repeat(depth)
    );
    assert_error(
        &review("deep.docx", &docx_with(&xml), &Limits::default()),
        "nested deeper than 256",
    );
    let html = format!(
        "<html><body>{}机密★1年</body></html>",
        "<div>".repeat(depth)
    );
    assert_error(
        &review("deep.html", html.as_bytes(), &Limits::default()),
        "nested deeper",
    );
}

#[test]
fn unsupported_formats_name_themselves_and_say_what_to_do() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a.doc",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "save it as .docx",
        ),
        (
            "a.wps",
            vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
            "legacy OLE2",
        ),
        (
            "a.png",
            b"\x89PNG\r\n\x1a\n\0\0".to_vec(),
            "PNG image: its header cannot be read",
        ),
        (
            "a.jpg",
            b"\xFF\xD8\xFF\xE0\0\x10JFIF".to_vec(),
            "JPEG image",
        ),
        (
            "a.pptx",
            zip_of(&[("ppt/presentation.xml", b"<x/>")]),
            "malformed pptx",
        ),
        ("a.zip", zip_of(&[("notes.txt", b"hello")]), "unpack it"),
        (
            "a.odg",
            zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.graphics")]),
            "OpenDocument file other than a text document",
        ),
        ("a.docx", b"not a zip at all".to_vec(), "not a valid docx"),
        ("a.pdf", b"plain text named pdf".to_vec(), "not a valid pdf"),
    ];
    for (name, bytes, needle) in cases {
        let r = review(name, &bytes, &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "{name}");
        let e = r.error.unwrap();
        assert!(e.contains(needle), "{name}: {e}");
    }
}

#[test]
fn truncated_and_garbage_pdfs_are_errors() {
    let pdf = std::fs::read(fixture("draft.pdf")).unwrap();
    for cut in [20, 1000, pdf.len() / 3] {
        let r = review("cut.pdf", &pdf[..cut], &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "cut at {cut}: {r:#?}");
    }
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend((0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    assert_eq!(
        review("garbage.pdf", &garbage, &Limits::default()).verdict,
        Verdict::Error
    );
}

#[test]
fn a_200_mb_pdf_is_handled_in_bounded_time() {
    // A sparse 200 MB file that claims to be a PDF: poppler scans all of it
    // looking for objects, which takes a minute here; the time limit stops
    // it and the document is an error, not a hang.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.pdf");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"%PDF-1.7\n").unwrap();
    f.set_len(200 << 20).unwrap();
    drop(f);
    let limits = Limits {
        subprocess_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let started = Instant::now();
    let r = review_file(&path, &Scanner::shipped(), &limits);
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    let e = r.error.unwrap();
    assert!(
        e.contains("took longer than 2 s") || e.contains("could not read it"),
        "{e}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    // Over the file cap it is not even read.
    let small = Limits {
        max_file_bytes: 100 << 20,
        ..Limits::default()
    };
    assert_error(
        &review_file(&path, &Scanner::shipped(), &small),
        "too large",
    );
}

#[test]
fn broken_html_never_panics() {
    // Tag soup is HTML's normal case: text that is there is still found.
    for html in [
        "<html><body><p>未闭合<div><table><td>机密★1年",
        "<html></p></td></tr></table></body>机密★1年",
        "<html><!-- 未闭合的注释 机密★1年",
        "<html>&#xFFFFFFFF; &#0; &bogus; &amp 机密★1年</html>",
    ] {
        let r = review("broken.html", html.as_bytes(), &Limits::default());
        assert_eq!(r.verdict, Verdict::Withhold, "{html}: {r:#?}");
    }
    // Unterminated script and attribute: code and an unfinished tag, no text.
    for html in [
        "<html><script>机密★1年",
        "<!doctype html><p title='内部资料",
    ] {
        let r = review("broken.html", html.as_bytes(), &Limits::default());
        assert_eq!(r.verdict, Verdict::Clear, "{html}: {r:#?}");
    }
}

#[test]
fn a_deletion_referenced_many_times_is_put_back_once() {
    // An odt whose one 100 KB tracked deletion is referenced 100,000 times
    // would otherwise grow to 10 GB of text.
    let deleted = "机密★1年".repeat(10_000);
    let marks = r#"<text:change text:change-id="c1"/>"#.repeat(100_000);
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:body><office:text><text:tracked-changes><text:changed-region text:id="c1"><text:deletion><office:change-info><dc:creator>甲</dc:creator></office:change-info><text:p>{deleted}</text:p></text:deletion></text:changed-region></text:tracked-changes><text:p>正文{marks}</text:p></office:text></office:body></office:document-content>"#
    );
    let bytes = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
    ]);
    let ex =
        baomi_extract::extract(std::path::Path::new("x.odt"), &bytes, &Limits::default()).unwrap();
    let total: usize = ex.segments.iter().map(|s| s.text.len()).sum();
    assert!(total < 2 * deleted.len() + 1000, "{total}");
    let r = review("x.odt", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold);
}

#[test]
fn broken_workbooks_are_errors() {
    let no_workbook = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/sharedStrings.xml", b"<sst/>"),
    ]);
    let r = review("broken.xlsx", &no_workbook, &Limits::default());
    assert_error(&r, "xl/workbook.xml is missing");

    let no_sheets = zip_of(&[("xl/workbook.xml", b"<x/>")]);
    let r = review("a.xlsx", &no_sheets, &Limits::default());
    assert_error(&r, "lists no sheets");

    // A workbook naming one sheet, with that sheet's part as given.
    let one_sheet = |sheet: Option<&[u8]>| {
        let mut entries: Vec<(&str, &[u8])> = vec![
            ("[Content_Types].xml", b"<Types/>"),
            (
                "xl/workbook.xml",
                br#"<workbook><sheets><sheet name="a" r:id="rId1" xmlns:r="r"/></sheets></workbook>"#,
            ),
            (
                "xl/_rels/workbook.xml.rels",
                br#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ];
        entries.extend(sheet.map(|xml| ("xl/worksheets/sheet1.xml", xml)));
        zip_of(&entries)
    };
    let bad_sheet = one_sheet(Some(b"<worksheet><sheetData><row><c"));
    let r = review("truncated.xlsx", &bad_sheet, &Limits::default());
    assert_error(&r, "xl/worksheets/sheet1.xml");

    // A sheet the workbook names but the archive lacks: read what is there,
    // and the document is not fully covered (never `clear`).
    let missing_sheet = one_sheet(None);
    let r = review("missing.xlsx", &missing_sheet, &Limits::default());
    assert_eq!(r.verdict, Verdict::Error, "{r:?}");
    assert!(!r.coverage.complete);
}

/// A docx whose body says `text` and which embeds `inner` (each of them)
/// as word/embeddings/docN.docx.
fn docx_embedding(text: &str, inner: &[Vec<u8>]) -> Vec<u8> {
    let xml = format!("{DOC_START}{}{DOC_END}", para(text));
    let names: Vec<String> = (0..inner.len())
        .map(|i| format!("word/embeddings/doc{i}.docx"))
        .collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", xml.as_bytes()),
    ];
    for (name, bytes) in names.iter().zip(inner) {
        entries.push((name, bytes));
    }
    zip_of(&entries)
}

#[test]
fn nested_embedded_documents_stop_at_the_depth_cap() {
    // Ten documents each embedded in the next: levels 1–3 are read, the
    // fourth is a gap that says why, nothing deeper is even opened.
    let mut doc = docx_embedding("第10层：机密★1年", &[]);
    for level in (0..10).rev() {
        doc = docx_embedding(&format!("第{level}层：正文"), &[doc]);
    }
    let started = Instant::now();
    let r = review("nested.docx", &doc, &Limits::default());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let nested = "word/embeddings/doc0.docx: word/embeddings/doc0.docx: word/embeddings/doc0.docx: embedded object word/embeddings/doc0.docx is nested more than 3 documents deep";
    assert!(
        r.coverage.notes.iter().any(|n| n.starts_with(nested)),
        "{:#?}",
        r.coverage.notes
    );
    // A marking within the cap is found, in the embedded part, and the path
    // of documents is its detail.
    let mut doc = docx_embedding("第3层：机密★1年", &[]);
    for level in (0..3).rev() {
        doc = docx_embedding(&format!("第{level}层"), &[doc]);
    }
    let r = review("nested.docx", &doc, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    let f = &r.findings[0];
    assert_eq!(f.location.part, baomi_core::Part::Embedded);
    assert_eq!(
        f.location.detail.as_deref(),
        Some("word/embeddings/doc0.docx: word/embeddings/doc0.docx: word/embeddings/doc0.docx")
    );
}

#[test]
fn a_fan_out_of_embedded_documents_is_bounded() {
    // Every level embeds the next one eight times: 8^10 documents if
    // nothing stopped it; the depth cap leaves 8^3.
    let mut doc = docx_embedding("叶", &[]);
    for _ in 0..10 {
        doc = docx_embedding("层", &vec![doc; 8]);
        if doc.len() > 8 << 20 {
            break;
        }
    }
    let started = Instant::now();
    let r = review("fan.docx", &doc, &Limits::default());
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.verdict, Verdict::Error);
    assert!(!r.coverage.complete);
}

#[test]
fn an_embedded_bomb_counts_against_the_container_total() {
    // Each archive alone stays under the total cap; together they do not.
    let spaces = vec![b' '; 3 << 20];
    let xml = [DOC_START.as_bytes(), &spaces, DOC_END.as_bytes()].concat();
    let inner = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", &xml),
    ]);
    let outer_xml = [DOC_START.as_bytes(), &spaces, DOC_END.as_bytes()].concat();
    let outer = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("word/document.xml", &outer_xml),
        ("word/embeddings/inner.docx", &inner),
    ]);
    let limits = Limits {
        max_total_bytes: 5 << 20,
        max_ratio: 100_000,
        ..Limits::default()
    };
    assert_error(&review("bomb.docx", &outer, &limits), "decompressed total");
    // With room for both, it is read.
    let roomy = Limits {
        max_ratio: 100_000,
        ..Limits::default()
    };
    let r = review("bomb.docx", &outer, &roomy);
    assert!(r.error.is_none(), "{r:#?}");
}

// ---- .xls / .et (BIFF8 in OLE2), .ods, .pptx ----

/// One BIFF record.
fn rec(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut v = kind.to_le_bytes().to_vec();
    v.extend((data.len() as u16).to_le_bytes());
    v.extend(data);
    v
}

fn bof(kind: u16) -> Vec<u8> {
    let mut d = 0x0600u16.to_le_bytes().to_vec();
    d.extend(kind.to_le_bytes());
    d.extend([0; 12]);
    rec(0x0809, &d)
}

/// BOUNDSHEET of a visible worksheet named `name` whose BOF is at `offset`.
fn boundsheet(offset: u32, name: &str) -> Vec<u8> {
    let mut d = offset.to_le_bytes().to_vec();
    d.extend([0, 0, name.len() as u8, 0]);
    d.extend(name.as_bytes());
    rec(0x0085, &d)
}

/// A LABEL cell (inline string) at (row, col).
fn label(row: u16, col: u16, text: &str) -> Vec<u8> {
    let mut d = row.to_le_bytes().to_vec();
    d.extend(col.to_le_bytes());
    d.extend([0, 0]);
    d.extend((text.len() as u16).to_le_bytes());
    d.push(0);
    d.extend(text.as_bytes());
    rec(0x0204, &d)
}

/// A workbook stream: globals (with `globals` records and one sheet) and
/// the sheet's records.
fn workbook(globals: &[Vec<u8>], sheet: &[Vec<u8>]) -> Vec<u8> {
    let head: Vec<u8> = bof(5).into_iter().chain(globals.concat()).collect();
    let sheet_at = (head.len() + boundsheet(0, "S").len() + 4) as u32;
    let mut out = head;
    out.extend(boundsheet(sheet_at, "S"));
    out.extend(rec(0x000A, &[]));
    out.extend(bof(0x10));
    out.extend(sheet.concat());
    out.extend(rec(0x000A, &[]));
    out
}

/// An OLE2 compound file with a `Workbook` stream, written by `cfb`.
fn ole_workbook(stream: &[u8]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    cf.create_stream("/Workbook")
        .unwrap()
        .write_all(stream)
        .unwrap();
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

#[test]
fn a_biff8_workbook_built_here_is_read() {
    // The baseline the hostile variants below break.
    let bytes = ole_workbook(&workbook(&[], &[label(0, 1, "secret 11010519491231002X")]));
    let r = review("a.xls", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_eq!(r.findings[0].location.cell.as_deref(), Some("S!B1"));
}

/// Text boxes (OBJ of type 6 + TXO + CONTINUE) and an embedded chart's
/// series names (SERIESTEXT inside a nested chart substream) are read as
/// the sheet's text, in records built here by the BIFF8 layout.
#[test]
fn biff8_text_boxes_and_chart_text_are_read() {
    let obj = |ot: u16, id: u16| {
        let mut d = 0x15u16.to_le_bytes().to_vec();
        d.extend(0x12u16.to_le_bytes());
        d.extend(ot.to_le_bytes());
        d.extend(id.to_le_bytes());
        d.extend([0; 14]);
        rec(0x005D, &d)
    };
    let text = "内部资料";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut txo = vec![0; 18];
    txo[10] = text.chars().count() as u8;
    let mut cont = vec![1];
    cont.extend(&utf16);
    let mut series = vec![0, 0, 9, 0];
    series.extend(b"Q3 secret");
    let stream = workbook(
        &[],
        &[
            obj(6, 1),
            rec(0x01B6, &txo),
            rec(0x003C, &cont),
            rec(0x003C, &[0; 16]),
            bof(0x20),
            rec(0x100D, &series),
            rec(0x000A, &[]),
        ],
    );
    let ex = baomi_extract::extract(
        std::path::Path::new("t.xls"),
        &ole_workbook(&stream),
        &Limits::default(),
    )
    .unwrap();
    let find = |detail: &str| {
        ex.segments
            .iter()
            .find(|s| s.info.detail.as_deref() == Some(detail))
            .map(|s| s.text.trim().to_string())
    };
    assert_eq!(find("sheet S: text box").as_deref(), Some("内部资料"));
    assert_eq!(find("sheet S: chart").as_deref(), Some("Q3 secret"));
    assert!(ex.coverage.complete, "{:?}", ex.coverage);
}

#[test]
fn truncated_and_corrupt_workbooks_are_errors() {
    let real = std::fs::read(fixture("sheets.xls")).unwrap();
    for cut in [9, 512, 1000, 2048, 4000, real.len() - 100] {
        let r = review("cut.xls", &real[..cut], &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "cut at {cut}: {r:?}");
    }
    // A record declaring more bytes than the stream has.
    let bogus = vec![0x04, 0x02, 0xFF, 0xFF, 1, 2, 3];
    let stream = workbook(&[], &[label(0, 0, "x"), bogus]);
    let r = review("len.xls", &ole_workbook(&stream), &Limits::default());
    assert_error(&r, "past the end of the stream");
    // A sheet whose records stop before its EOF: read, but a gap.
    let stream = workbook(&[], &[label(0, 0, "x")]);
    let n = stream.len();
    let r = review(
        "eof.xls",
        &ole_workbook(&stream[..n - 4]),
        &Limits::default(),
    );
    assert!(!r.coverage.complete, "{r:?}");
    assert_ne!(r.verdict, Verdict::Clear);
    // Not BIFF8, and garbage instead of records.
    let mut biff5 = workbook(&[], &[]);
    biff5[4] = 0x00;
    biff5[5] = 0x05;
    assert_error(
        &review("old.xls", &ole_workbook(&biff5), &Limits::default()),
        "BIFF5",
    );
    assert_error(
        &review(
            "junk.xls",
            &ole_workbook(b"\x01\x02\x00\x00garbage"),
            &Limits::default(),
        ),
        "BOF",
    );
    // Password-protected (FILEPASS).
    let enc = ole_workbook(&workbook(&[rec(0x002F, &[1, 0, 1, 0])], &[]));
    assert_error(&review("enc.xls", &enc, &Limits::default()), "encrypted");
}

#[test]
fn huge_declared_counts_and_positions_cost_nothing() {
    let t = Instant::now();
    // A shared-string table declaring 4 billion strings, holding one.
    let mut sst = 0xFFFF_FFFFu32.to_le_bytes().to_vec();
    sst.extend(0xFFFF_FFFFu32.to_le_bytes());
    sst.extend([3, 0, 0, b'a', b'b', b'c']);
    // A cell at the last row and column BIFF8 allows, naming string 0 and
    // a string far past the table's end.
    let labelsst = |row: u16, col: u16, i: u32| {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0, 0]);
        d.extend(i.to_le_bytes());
        rec(0x00FD, &d)
    };
    // A MULRK claiming 255 columns, a string of 65535 chars in 3 bytes,
    // a TXO of 65535 chars with no text.
    let mut mulrk = vec![0, 0, 0, 0];
    mulrk.extend([0; 6]);
    mulrk.extend([0xFF, 0]);
    let mut long_label = vec![1, 0, 1, 0, 0, 0, 0xFF, 0xFF, 0, b'x'];
    long_label.truncate(10);
    let mut txo = vec![0; 18];
    txo[10] = 0xFF;
    txo[11] = 0xFF;
    let stream = workbook(
        &[rec(0x00FC, &sst)],
        &[
            labelsst(0xFFFF, 0xFF, 0),
            labelsst(1, 1, 4_000_000_000),
            rec(0x00BD, &mulrk),
            rec(0x0204, &long_label),
            rec(0x01B6, &txo),
        ],
    );
    let r = review("huge.xls", &ole_workbook(&stream), &Limits::default());
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert!(
        !r.coverage.complete,
        "a missing shared string is a gap: {r:?}"
    );
    assert!(
        r.coverage.notes.iter().any(|n| n.contains("shared-string")),
        "{r:?}"
    );

    // 60 000 sheets all pointing at the same records are read once, and
    // more sheets than the entry limit are refused.
    let many: Vec<Vec<u8>> = (0..60_000).map(|_| boundsheet(0, "S")).collect();
    let mut stream = bof(5);
    stream.extend(many.concat());
    stream.extend(rec(0x000A, &[]));
    let r = review("many.xls", &ole_workbook(&stream), &Limits::default());
    assert_error(&r, "sheets");
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn nested_substreams_are_bounded() {
    let nested: Vec<Vec<u8>> = (0..1000).map(|_| bof(0x20)).collect();
    let r = review(
        "deep.xls",
        &ole_workbook(&workbook(&[], &nested)),
        &Limits::default(),
    );
    assert_error(&r, "nested");
}

fn ods_with(content: &[u8]) -> Vec<u8> {
    zip_of(&[
        (
            "mimetype",
            b"application/vnd.oasis.opendocument.spreadsheet",
        ),
        ("content.xml", content),
    ])
}

#[test]
fn ods_repeats_are_never_expanded_and_bombs_refused() {
    let t = Instant::now();
    let content = r#"<office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet><table:table table:name="S"><table:table-column table:number-columns-repeated="4000000000" table:visibility="collapse"/><table:table-row table:number-rows-repeated="4000000000"><table:table-cell table:number-columns-repeated="4000000000"><text:p>机密★5年</text:p></table:table-cell><table:table-cell><text:p>after</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>last</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let r = review("rep.ods", &ods_with(content.as_bytes()), &Limits::default());
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:?}");
    assert_eq!(r.findings[0].location.part, baomi_core::Part::Hidden);
    assert_eq!(r.findings[0].location.cell.as_deref(), Some("S!A1"));

    let bomb = vec![b' '; 10 << 20];
    let r = review("bomb.ods", &ods_with(&bomb), &Limits::default());
    assert_error(&r, "bomb");

    let deep = "<a>".repeat(10_000);
    let r = review("deep.ods", &ods_with(deep.as_bytes()), &Limits::default());
    assert_error(&r, "nested deeper");

    let truncated = ods_with(b"<office:document-content><office:body><table:table");
    assert_error(
        &review("cut.ods", &truncated, &Limits::default()),
        "content.xml",
    );

    let encrypted = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("META-INF/manifest.xml", b"<manifest:manifest><manifest:file-entry><manifest:encryption-data/></manifest:file-entry></manifest:manifest>"),
        ("content.xml", b"\x8f\x12binary"),
    ]);
    assert_error(
        &review("enc.ods", &encrypted, &Limits::default()),
        "encrypted",
    );
}

fn pptx_with(slides: usize, slide: &[u8]) -> Vec<u8> {
    let ids: String = (0..slides)
        .map(|i| format!(r#"<p:sldId id="{}" r:id="rId1"/>"#, 256 + i))
        .collect();
    let pres = format!(
        r#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst>{ids}</p:sldIdLst></p:presentation>"#
    );
    zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("ppt/presentation.xml", pres.as_bytes()),
        (
            "ppt/_rels/presentation.xml.rels",
            br#"<Relationships><Relationship Id="rId1" Type="x/slide" Target="slides/slide1.xml"/></Relationships>"#,
        ),
        ("ppt/slides/slide1.xml", slide),
    ])
}

#[test]
fn hostile_presentations_are_errors() {
    let ok = pptx_with(
        1,
        b"<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><a:p><a:t>11010519491231002X</a:t></a:p></p:sld>",
    );
    assert_eq!(
        review("ok.pptx", &ok, &Limits::default()).verdict,
        Verdict::Withhold
    );

    let bomb = pptx_with(1, &vec![b' '; 10 << 20]);
    assert_error(&review("bomb.pptx", &bomb, &Limits::default()), "bomb");

    let deep = pptx_with(1, "<a>".repeat(10_000).as_bytes());
    assert_error(
        &review("deep.pptx", &deep, &Limits::default()),
        "nested deeper",
    );

    let many = pptx_with(20_000, b"<p:sld xmlns:p=\"p\"/>");
    assert_error(&review("many.pptx", &many, &Limits::default()), "slides");

    let cut = pptx_with(1, b"<p:sld xmlns:p=\"p\"><a:p><a:t>");
    assert_error(
        &review("cut.pptx", &cut, &Limits::default()),
        "ppt/slides/slide1.xml",
    );

    // The slide the list names is missing: a gap, never `clear`.
    let missing = zip_of(&[
        ("ppt/presentation.xml", br#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rX"/></p:sldIdLst></p:presentation>"#),
    ]);
    let r = review("missing.pptx", &missing, &Limits::default());
    assert!(!r.coverage.complete);
    assert_ne!(r.verdict, Verdict::Clear, "{r:?}");
}

const OFD_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>1</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;

/// A Document.xml with `pages` (BaseLoc per page) and `extra` after Pages.
fn ofd_document(pages: &[&str], extra: &str) -> String {
    let pages: String = pages
        .iter()
        .enumerate()
        .map(|(i, loc)| format!(r#"<ofd:Page ID="{}" BaseLoc="{loc}"/>"#, i + 1))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID></ofd:CommonData><ofd:Pages>{pages}</ofd:Pages>{extra}</ofd:Document>"#
    )
}

fn ofd_page(text: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="2"><ofd:TextObject ID="3" Font="1" Size="4" Boundary="10 10 100 5"><ofd:TextCode X="0" Y="4">{text}</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#
    )
}

/// An OFD with one page holding `text`, plus `more` entries.
fn ofd_with(document_xml: &str, more: &[(&str, &[u8])]) -> Vec<u8> {
    let page = ofd_page("本件机密★1年");
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("OFD.xml", OFD_XML.as_bytes()),
        ("Doc_0/Document.xml", document_xml.as_bytes()),
        ("Doc_0/Pages/Page_0/Content.xml", page.as_bytes()),
    ];
    entries.extend_from_slice(more);
    zip_of(&entries)
}

fn attachments_xml(loc: &str) -> String {
    format!(
        r#"<ofd:Attachments xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Attachment ID="5" Name="附件" Format="ofd"><ofd:FileLoc>{loc}</ofd:FileLoc></ofd:Attachment></ofd:Attachments>"#
    )
}

#[test]
fn a_plain_ofd_built_here_is_read() {
    let doc = ofd_document(&["Pages/Page_0/Content.xml"], "");
    let r = review("ok.ofd", &ofd_with(&doc, &[]), &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{r:#?}");
    assert_eq!(r.findings[0].location.page, Some(1));
}

#[test]
fn ofd_bombs_truncation_and_missing_parts_are_errors() {
    // A page that inflates past the per-entry limit.
    let doc = ofd_document(&["Pages/Page_1/Content.xml"], "");
    let zeros = vec![b' '; 4 << 20];
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", &zeros)]);
    let limits = Limits {
        max_entry_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_error(&review("bomb.ofd", &bytes, &limits), "decompression bomb");

    // One page listed 5000 times is read once, not 5000 times.
    let locs = vec!["Pages/Page_0/Content.xml"; 5000];
    let doc = ofd_document(&locs, "");
    let r = review("amplified.ofd", &ofd_with(&doc, &[]), &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_eq!(r.findings.len(), 1, "{r:#?}");
    assert_eq!(
        r.coverage.notes,
        ["4999 page(s) (the first: page 2) use the content file of an earlier page (page 1); it was read once"]
    );
    // Distinct pages still count toward the archive's decompressed total.
    let page = ofd_page(&"文".repeat(100_000));
    let names: Vec<String> = (0..4)
        .map(|i| format!("Pages/Page_{i}/Content.xml"))
        .collect();
    let doc = ofd_document(&names.iter().map(String::as_str).collect::<Vec<_>>(), "");
    let full: Vec<String> = names.iter().map(|n| format!("Doc_0/{n}")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("OFD.xml", OFD_XML.as_bytes()),
        ("Doc_0/Document.xml", doc.as_bytes()),
    ];
    entries.extend(full.iter().map(|n| (n.as_str(), page.as_bytes())));
    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    assert_error(
        &review("total.ofd", &zip_of(&entries), &limits),
        "decompressed total",
    );

    // One document listed 100,000 times in OFD.xml.
    let body = "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>";
    let many = OFD_XML.replace("</ofd:OFD>", &format!("{}</ofd:OFD>", body.repeat(9_999)));
    let doc = ofd_document(&["Pages/Page_0/Content.xml"], "");
    let page = ofd_page("本件机密★1年");
    let bytes = zip_of(&[
        ("OFD.xml", many.as_bytes()),
        ("Doc_0/Document.xml", doc.as_bytes()),
        ("Doc_0/Pages/Page_0/Content.xml", page.as_bytes()),
    ]);
    let r = review("bodies.ofd", &bytes, &Limits::default());
    assert_eq!(r.findings.len(), 1, "read once: {r:#?}");
    let many = OFD_XML.replace("</ofd:OFD>", &format!("{}</ofd:OFD>", body.repeat(10_000)));
    let bytes = zip_of(&[("OFD.xml", many.as_bytes())]);
    assert_error(
        &review("bodies.ofd", &bytes, &Limits::default()),
        "10001 documents",
    );

    // More pages than entries allowed.
    let locs = vec!["Pages/Page_0/Content.xml"; 20_001];
    let doc = ofd_document(&locs, "");
    assert_error(
        &review("pages.ofd", &ofd_with(&doc, &[]), &Limits::default()),
        "20001 pages",
    );

    let good = ofd_with(&ofd_document(&["Pages/Page_0/Content.xml"], ""), &[]);
    for cut in [10, 100, good.len() / 2, good.len() - 30] {
        let r = review("cut.ofd", &good[..cut], &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "cut at {cut}: {r:#?}");
    }
    let fixture_bytes = std::fs::read(fixture("notice.ofd")).unwrap();
    let r = review(
        "cut.ofd",
        &fixture_bytes[..fixture_bytes.len() / 2],
        &Limits::default(),
    );
    assert_eq!(r.verdict, Verdict::Error);

    // DocRoot pointing nowhere; a page missing is a gap, not silence.
    let r = review(
        "noroot.ofd",
        &zip_of(&[("OFD.xml", OFD_XML.as_bytes())]),
        &Limits::default(),
    );
    assert_error(&r, "Doc_0/Document.xml is missing");
    let doc = ofd_document(
        &["Pages/Page_0/Content.xml", "Pages/Page_9/Content.xml"],
        "",
    );
    let r = review("gap.ofd", &ofd_with(&doc, &[]), &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold);
    assert!(!r.coverage.complete);
    assert!(r.coverage.notes[0].contains("page 2 (Doc_0/Pages/Page_9/Content.xml) is missing"));
}

#[test]
fn ofd_paths_that_leave_the_container_are_refused() {
    for (doc, what) in [
        (ofd_document(&["../../etc/passwd"], ""), "page"),
        (
            ofd_document(
                &["Pages/Page_0/Content.xml"],
                "<ofd:Attachments>../../../etc/passwd</ofd:Attachments>",
            ),
            "attachment list",
        ),
        (
            ofd_document(
                &["Pages/Page_0/Content.xml"],
                "<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>",
            ),
            "attachment",
        ),
    ] {
        let att = attachments_xml("../../../../etc/passwd");
        let bytes = ofd_with(&doc, &[("Doc_0/Attachs/Attachments.xml", att.as_bytes())]);
        let r = review("escape.ofd", &bytes, &Limits::default());
        assert_error(&r, "a path outside the container: refused");
        assert!(r.error.unwrap().contains("etc/passwd"), "{what}");
    }
}

#[test]
fn ofd_attachments_nest_only_so_deep() {
    // An OFD whose attachment is itself, as often as anyone likes: each level
    // is the same bytes, so without a cap this would never end.
    let doc = ofd_document(
        &["Pages/Page_0/Content.xml"],
        "<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>",
    );
    let att = attachments_xml("self.ofd");
    let mut inner = ofd_with(&doc, &[("Doc_0/Attachs/Attachments.xml", att.as_bytes())]);
    for _ in 0..6 {
        inner = ofd_with(
            &doc,
            &[
                ("Doc_0/Attachs/Attachments.xml", att.as_bytes()),
                ("Doc_0/Attachs/self.ofd", &inner),
            ],
        );
    }
    let r = review("nested.ofd", &inner, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(!r.coverage.complete);
    assert!(
        r.coverage
            .notes
            .iter()
            .any(|n| n.contains("nested more than 3 attachments deep")),
        "{:?}",
        r.coverage.notes
    );
    // Levels 0..=3 are read: the marking of each page is found.
    let attached = r
        .findings
        .iter()
        .filter(|f| {
            f.location
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("attachment 附件.ofd"))
        })
        .count();
    assert_eq!(attached, 3, "{:#?}", r.findings);

    // An attachment pointing at the document's own Attachments.xml is read
    // as what it is (XML text), once.
    let att = attachments_xml("Attachments.xml");
    let bytes = ofd_with(&doc, &[("Doc_0/Attachs/Attachments.xml", att.as_bytes())]);
    let r = review("selfref.ofd", &bytes, &Limits::default());
    assert_ne!(r.verdict, Verdict::Error, "{r:#?}");
}

#[test]
fn ofd_hostile_xml_and_huge_counts_are_bounded() {
    let deep = format!(
        r#"<ofd:Page xmlns:ofd="x"><ofd:Content>{}{}</ofd:Content></ofd:Page>"#,
        "<ofd:PageBlock>".repeat(100_000),
        "</ofd:PageBlock>".repeat(100_000)
    );
    let doc = ofd_document(&["Pages/Page_1/Content.xml"], "");
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", deep.as_bytes())]);
    assert_error(
        &review("deep.ofd", &bytes, &Limits::default()),
        "nested deeper than 256",
    );

    let laughs =
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ofd:Page xmlns:ofd="x"/>"#;
    let bytes = ofd_with(
        &doc,
        &[("Doc_0/Pages/Page_1/Content.xml", laughs.as_bytes())],
    );
    assert_error(&review("lol.ofd", &bytes, &Limits::default()), "DOCTYPE");

    // DeltaX claiming four billion advances, a CGTransform far past the text,
    // glyph indices past u16, a Boundary of NaNs: bounded and still read.
    let page = r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer>
<ofd:TextObject Font="9" Size="NaN" Boundary="NaN inf 1 1" CTM="1 0 0 1 1e308 1e308"><ofd:CGTransform CodePosition="4000000000" CodeCount="4000000000" GlyphCount="2"><ofd:Glyphs>99999999 70000</ofd:Glyphs></ofd:CGTransform><ofd:TextCode X="0" Y="0" DeltaX="g 4000000000 1">机密★1年</ofd:TextCode></ofd:TextObject>
</ofd:Layer></ofd:Content></ofd:Page>"#;
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", page.as_bytes())]);
    let started = Instant::now();
    let r = review("counts.ofd", &bytes, &Limits::default());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(!r.coverage.complete, "unmappable glyphs are a gap");

    // A font file that is garbage: its glyphs are a gap, not a panic.
    let res = r#"<ofd:Res xmlns:ofd="x" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="9" FontName="F"><ofd:FontFile>f.ttf</ofd:FontFile></ofd:Font></ofd:Fonts></ofd:Res>"#;
    let doc = r#"<ofd:Document xmlns:ofd="x"><ofd:CommonData><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages></ofd:Document>"#;
    let bytes = ofd_with(
        doc,
        &[
            ("Doc_0/Pages/Page_1/Content.xml", page.as_bytes()),
            ("Doc_0/PublicRes.xml", res.as_bytes()),
            (
                "Doc_0/Res/f.ttf",
                b"\x00\x01\x00\x00\xff\xff\xff\xff garbage",
            ),
        ],
    );
    let r = review("font.ofd", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(
        r.coverage.notes.iter().any(|n| n.contains("font 9 (F)")),
        "{:?}",
        r.coverage.notes
    );
}

#[test]
fn an_image_only_ofd_is_an_error_not_clear() {
    let page = r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:ImageObject ID="4" ResourceID="5" Boundary="0 0 210 297"/></ofd:Layer></ofd:Content></ofd:Page>"#;
    let doc = ofd_document(&["Pages/Page_1/Content.xml"], "");
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", page.as_bytes())]);
    assert_error(
        &review("scan.ofd", &bytes, &Limits::default()),
        "no text on any of its 1 page(s)",
    );
}

#[test]
fn ofd_private_use_text_is_a_gap_but_symbol_font_bullets_are_not() {
    let doc = ofd_document(&["Pages/Page_1/Content.xml"], "");
    let page = ofd_page("\u{F06C} 机密★1年");
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", page.as_bytes())]);
    let r = review("bullet.ofd", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold);
    assert!(r.coverage.complete, "{:?}", r.coverage.notes);

    let page = ofd_page("\u{E123}\u{E124}机密★1年");
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", page.as_bytes())]);
    let r = review("pua.ofd", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold);
    assert_eq!(
        r.coverage.notes,
        ["page 1: 2 private-use character(s) without a glyph mapping cannot be read as text: read that text by eye"]
    );
}

#[test]
fn ofd_link_targets_and_bookmarks_are_metadata() {
    // Not hostile: built here because the parts are small (the fixture has none).
    let doc = ofd_document(
        &["Pages/Page_1/Content.xml"],
        r#"<ofd:Bookmarks><ofd:Bookmark Name="内部传阅稿"><ofd:Dest Type="XYZ" PageID="1"/></ofd:Bookmark></ofd:Bookmarks>"#,
    );
    let page = r#"<ofd:Page xmlns:ofd="x"><ofd:Content><ofd:Layer><ofd:TextObject Boundary="0 0 9 9" Size="4"><ofd:TextCode X="0" Y="4">正文</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content><ofd:Actions><ofd:Action Event="CLICK"><ofd:URI URI="http://oa.example/内部资料/1.doc"/></ofd:Action></ofd:Actions></ofd:Page>"#;
    let bytes = ofd_with(&doc, &[("Doc_0/Pages/Page_1/Content.xml", page.as_bytes())]);
    let r = review("links.ofd", &bytes, &Limits::default());
    let details: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.matched.as_str(),
                f.location.page,
                f.location.detail.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        details,
        [
            ("内部传阅", None, Some("Doc_0/Document.xml: bookmark")),
            (
                "内部资料",
                Some(1),
                Some("link target (Doc_0/Pages/Page_1/Content.xml)")
            ),
        ],
        "{r:#?}"
    );
}

#[test]
fn ofd_is_found_by_its_directory_when_ofd_xml_is_not_the_first_entry() {
    let doc = ofd_document(&["Pages/Page_0/Content.xml"], "");
    let page = ofd_page("本件机密★1年");
    let bytes = zip_of(&[
        ("Doc_0/Document.xml", doc.as_bytes()),
        ("Doc_0/Pages/Page_0/Content.xml", page.as_bytes()),
        ("OFD.xml", OFD_XML.as_bytes()),
    ]);
    let r = review("download", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_error(
        &review("notice.ofd", b"not a zip at all", &Limits::default()),
        "named .ofd but its content is not a valid ofd file",
    );
}

/// The OLE2 layout of a committed .doc, for tests that break it in place.
struct Ole {
    bytes: Vec<u8>,
    fat: Vec<u32>,
    /// File offset of each FAT sector.
    fat_sectors: Vec<usize>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

impl Ole {
    fn legacy() -> Ole {
        let bytes = std::fs::read(fixture("legacy.doc")).unwrap();
        assert_eq!(bytes[0x1E], 9, "512-byte sectors");
        let n_fat = le32(&bytes, 0x2C) as usize;
        let fat_sectors: Vec<usize> = (0..n_fat)
            .map(|i| (le32(&bytes, 0x4C + 4 * i) as usize + 1) * 512)
            .collect();
        let fat = fat_sectors
            .iter()
            .flat_map(|at| (0..128).map(move |k| *at + 4 * k))
            .map(|at| le32(&bytes, at))
            .collect();
        Ole {
            bytes,
            fat,
            fat_sectors,
        }
    }

    fn set_fat(&mut self, sector: usize, next: u32) {
        let at = self.fat_sectors[sector / 128] + 4 * (sector % 128);
        self.bytes[at..at + 4].copy_from_slice(&next.to_le_bytes());
    }

    /// File offset of the first sector of a stream (in the regular FAT).
    fn stream_start(&self, name: &str) -> usize {
        // Directory entries are 128-byte aligned: the name, then its length.
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let entry = (512..self.bytes.len() - 128)
            .step_by(128)
            .find(|e| {
                self.bytes[*e..].starts_with(&utf16)
                    && self.bytes[e + 0x40] as usize == utf16.len() + 2
            })
            .expect("a directory entry of that name");
        assert!(
            le32(&self.bytes, entry + 0x78) >= 4096,
            "not in the mini stream"
        );
        (le32(&self.bytes, entry + 0x74) as usize + 1) * 512
    }

    /// Patches the WordDocument stream's FIB at `offset`.
    fn patch_fib(&self, offset: usize, value: &[u8]) -> Vec<u8> {
        let fib = self.stream_start("WordDocument");
        assert_eq!(&self.bytes[fib..fib + 2], [0xEC, 0xA5], "FIB signature");
        let mut b = self.bytes.clone();
        b[fib + offset..fib + offset + value.len()].copy_from_slice(value);
        b
    }
}

#[test]
fn truncated_doc_files_are_errors_at_every_length() {
    let bytes = std::fs::read(fixture("legacy.doc")).unwrap();
    for len in (1..bytes.len()).step_by(97) {
        let r = review("cut.doc", &bytes[..len], &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "cut at {len}: {r:#?}");
        let e = r.error.unwrap();
        assert!(
            e.contains("truncated") || e.contains("damaged") || e.contains("malformed"),
            "cut at {len}: {e}"
        );
    }
}

#[test]
fn doc_with_bogus_fib_offsets_and_huge_counts_is_an_error() {
    let ole = Ole::legacy();
    // fcClx (0x1A2) far outside the table stream.
    let bad_clx = ole.patch_fib(0x1A2, &0x7FFF_FFF0u32.to_le_bytes());
    assert_error(
        &review("clx.doc", &bad_clx, &Limits::default()),
        "piece table",
    );
    // lcbClx (0x1A6) huge.
    let huge = ole.patch_fib(0x1A6, &u32::MAX.to_le_bytes());
    assert_error(&review("lcb.doc", &huge, &Limits::default()), "piece table");
    // ccpText (0x4C) of two billion characters.
    let ccp = ole.patch_fib(0x4C, &0x7FFF_FFFFu32.to_le_bytes());
    assert_error(
        &review("ccp.doc", &ccp, &Limits::default()),
        "more text than",
    );
    // ccpText claiming more text than the piece table describes: what is
    // there is read, and the rest is a coverage gap, not silently dropped.
    let fib = ole.stream_start("WordDocument");
    let ccp_text = le32(&ole.bytes, fib + 0x4C);
    let longer = ole.patch_fib(0x4C, &(ccp_text + 5000).to_le_bytes());
    let r = review("longer.doc", &longer, &Limits::default());
    assert!(!r.coverage.complete, "{r:#?}");
    assert!(
        r.coverage
            .notes
            .iter()
            .any(|n| n.contains("character(s) of text could not be read")),
        "{:?}",
        r.coverage.notes
    );
    // Counts of the FIB's own arrays (csw at 32, cslw at 62) past the stream.
    let csw = ole.patch_fib(32, &0xFFFFu16.to_le_bytes());
    assert_error(
        &review("csw.doc", &csw, &Limits::default()),
        "file header (FIB)",
    );
    // Every FC/LCB pair pointing at garbage: no panic, and either an error
    // or a reading that still finds the tracked deletion in the body.
    let scanner = Scanner::shipped();
    for pair in 0..93usize {
        let at = 154 + 8 * pair;
        for value in [0u32, 0x7FFF_FFFF, 0xFFFF_FFFF, 1] {
            let b = ole.patch_fib(at, &value.to_le_bytes());
            let r = review_bytes("pair.doc", &b, &scanner, &Limits::default());
            assert!(
                r.verdict == Verdict::Error || r.findings.iter().any(|f| f.matched == "机密★5年"),
                "pair {pair} = {value:#x}: {r:#?}"
            );
        }
    }
    // Not a FIB at all.
    let ident = ole.patch_fib(0, b"XX");
    assert_error(
        &review("ident.doc", &ident, &Limits::default()),
        "Word file header",
    );
    // Word 6/95 files are named, not misread.
    let old = ole.patch_fib(2, &0x0065u16.to_le_bytes());
    assert_error(&review("old.doc", &old, &Limits::default()), "Word 6/95");
}

#[test]
fn encrypted_and_obfuscated_doc_files_say_so() {
    let ole = Ole::legacy();
    let flags = {
        let fib = ole.stream_start("WordDocument");
        u16::from_le_bytes([ole.bytes[fib + 0x0A], ole.bytes[fib + 0x0B]])
    };
    for (bit, name, what) in [
        (0x0100u16, "enc.doc", "Word 97-2003 document (.doc)"),
        (0x8000, "xor.doc", "Word 97-2003 document (.doc)"),
        (0x0100, "enc.wps", "WPS Writer document (.wps)"),
    ] {
        let b = ole.patch_fib(0x0A, &(flags | bit).to_le_bytes());
        let r = review(name, &b, &Limits::default());
        assert_error(&r, "encrypted or password-protected");
        assert_error(&r, what);
    }
}

#[test]
fn cyclic_and_shared_fat_chains_are_errors_not_endless_loops() {
    let base = Ole::legacy();
    // The first chain of at least three sectors that is not FAT/DIFAT.
    let pointed: std::collections::HashSet<u32> = base
        .fat
        .iter()
        .copied()
        .filter(|n| *n < 0xFFFF_FFFA)
        .collect();
    let (start, second, end) = (0..base.fat.len() as u32)
        .filter(|s| !pointed.contains(s) && base.fat[*s as usize] < 0xFFFF_FFFA)
        .find_map(|s| {
            let mut chain = vec![s];
            while let Some(&n) = base.fat.get(*chain.last().unwrap() as usize) {
                if n >= 0xFFFF_FFFA || chain.len() > 1000 {
                    break;
                }
                chain.push(n);
            }
            (chain.len() >= 3).then(|| (chain[0], chain[1], *chain.last().unwrap()))
        })
        .expect("a chain of three sectors");
    for (target, what) in [(start, "loop to the start"), (second, "loop inside")] {
        let mut ole = Ole::legacy();
        ole.set_fat(end as usize, target);
        let started = Instant::now();
        let r = review("cycle.doc", &ole.bytes, &Limits::default());
        assert_eq!(r.verdict, Verdict::Error, "{what}: {r:#?}");
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
    }
}

#[test]
fn thousands_of_nested_fields_in_a_doc_are_read_without_blowing_up() {
    // Overwrite the Latin paragraph's characters (UTF-16 in the fixture)
    // with field-begin marks: nesting is capped, the text stays readable,
    // and what follows the unterminated fields is read as hidden field code.
    let mut bytes = std::fs::read(fixture("legacy.doc")).unwrap();
    let needle: Vec<u8> = "Plain Latin paragraph: secret ref ABC-123."
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the paragraph is stored as UTF-16");
    for k in 0..needle.len() / 2 {
        bytes[at + 2 * k..at + 2 * k + 2].copy_from_slice(&0x13u16.to_le_bytes());
    }
    let r = review("fields.doc", &bytes, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.findings.iter().any(|f| f.matched == "机密★5年"));
}

/// A PDF of a few KB whose page content inflates without end: Flate
/// streams of form XObjects that each draw the next level twenty times,
/// eight levels deep (20^8 drawings of a leaf). Poppler would interpret it
/// for hours.
fn inflating_pdf() -> Vec<u8> {
    use flate2::{write::ZlibEncoder, Compression};
    let deflate = |data: &[u8]| {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    const LEVELS: usize = 8;
    // Objects: 1 catalog, 2 pages, 3 page, 4 page content, 5.. forms.
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>".to_vec(),
    ];
    let stream = |dict: String, body: &[u8]| {
        let z = deflate(body);
        let mut o = format!(
            "<< {dict} /Filter /FlateDecode /Length {} >>\nstream\n",
            z.len()
        )
        .into_bytes();
        o.extend_from_slice(&z);
        o.extend_from_slice(b"\nendstream");
        o
    };
    objects.push(stream(String::new(), "/X Do\n".repeat(20).as_bytes()));
    for level in 0..LEVELS {
        let form = "/Type /XObject /Subtype /Form /BBox [0 0 612 792]";
        let body = if level + 1 == LEVELS {
            "1 0 0 1 0 0 cm 0 0 m 1 1 l S\n".repeat(20)
        } else {
            "/X Do\n".repeat(20)
        };
        let res = if level + 1 == LEVELS {
            String::new()
        } else {
            format!(" /Resources << /XObject << /X {} 0 R >> >>", 6 + level)
        };
        objects.push(stream(format!("{form}{res}"), body.as_bytes()));
    }
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(o);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn a_small_pdf_that_inflates_without_end_is_an_error_in_seconds() {
    let pdf = inflating_pdf();
    assert!(pdf.len() < 8 << 10, "{} bytes", pdf.len());
    // The default limits: the 120 s cap is not what stops it, the
    // size-scaled limit (5 s + 1 s/MiB) and the child's CPU limit are.
    let started = Instant::now();
    let r = review("bomb.pdf", &pdf, &Limits::default());
    let took = started.elapsed();
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    let e = r.error.unwrap();
    assert!(
        e.contains("took longer than 5") || e.contains("stopped by its"),
        "{e}"
    );
    // Generous margin against a loaded machine; far below the 120 s cap.
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn an_ole2_file_that_is_not_a_word_document_names_itself() {
    // A well-formed compound file holding only a Visio-style stream (Word,
    // Excel and PowerPoint streams each have their own reader or refusal).
    let mut comp = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    comp.create_stream("VisioDocument")
        .unwrap()
        .write_all(&[0u8; 5000])
        .unwrap();
    comp.flush().unwrap();
    let bytes = comp.into_inner().into_inner();
    for name in ["drawing.vsd", "drawing.doc", "drawing"] {
        let r = review(name, &bytes, &Limits::default());
        assert_error(&r, "unsupported format: legacy OLE2 document");
        assert_error(
            &r,
            "not a Word, WPS, Excel or PowerPoint file: save it as .docx/.xlsx or PDF",
        );
    }
}

#[test]
fn random_byte_flips_in_a_doc_never_panic() {
    // A deterministic mini-fuzz (the cargo-fuzz target doc_streams goes
    // further): flip a few bytes of legacy.doc past its header, 400 times.
    let base = std::fs::read(fixture("legacy.doc")).unwrap();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut read = 0;
    let scanner = Scanner::shipped();
    for _ in 0..400 {
        let mut b = base.clone();
        for _ in 0..1 + next() % 8 {
            let at = 512 + (next() as usize) % (b.len() - 512);
            b[at] = next() as u8;
        }
        let r = review_bytes("flip.doc", &b, &scanner, &Limits::default());
        if r.verdict != Verdict::Error {
            read += 1;
        }
    }
    assert!(read > 100, "most flips hit text, not structure: {read}");
}
