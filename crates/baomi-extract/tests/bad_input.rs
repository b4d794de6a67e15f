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
    assert_eq!(r.verdict, Verdict::Review, "{r:#?}");
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
            "PowerPoint",
        ),
        ("a.zip", zip_of(&[("notes.txt", b"hello")]), "unpack it"),
        (
            "a.ods",
            zip_of(&[(
                "mimetype",
                b"application/vnd.oasis.opendocument.spreadsheet",
            )]),
            "OpenDocument spreadsheet",
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
