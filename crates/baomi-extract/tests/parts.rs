//! The parts outside the running text (issue 11): hyperlink targets, alt
//! text, charts, SmartArt, custom XML, simple fields, spreadsheet headers
//! and footers, drawings, sheet names, properties named by the package
//! relationships, embedded documents — each planted marking found in the
//! right part with the right detail, on fixtures made by LibreOffice
//! (tests/fixtures/make_parts.py), and the coverage rule: a text-bearing
//! part baomi does not know is a gap, never silently skipped.

use baomi_core::{DocumentReport, Finding, Part, Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::io::{Read, Write};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn review(name: &str) -> DocumentReport {
    review_file(&fixture(name), &Scanner::shipped(), &Limits::default())
}

/// The one finding matching `matched` in `part`; its detail.
fn find<'a>(r: &'a DocumentReport, part: Part, matched: &str) -> &'a Finding {
    let hits: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.location.part == part && f.matched == matched)
        .collect();
    assert_eq!(hits.len(), 1, "{part} {matched:?} in {:#?}", r.findings);
    hits[0]
}

fn detail(f: &Finding) -> &str {
    f.location.detail.as_deref().unwrap_or("")
}

/// The entries of a zip, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (e.name().unwrap().to_string(), data)
        })
        .collect()
}

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in files {
        w.start_file(name.as_str(), opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A fixture with entries added.
fn with_entries(name: &str, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut files = entries(&std::fs::read(fixture(name)).unwrap());
    for (n, d) in extra {
        files.push((n.to_string(), d.to_vec()));
    }
    zip_of(&files)
}

#[test]
fn docx_link_targets_alt_text_and_charts() {
    let r = review("parts.docx");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    let link = find(&r, Part::Hyperlink, "机密★5年");
    assert_eq!(detail(link), "word/_rels/document.xml.rels: hyperlink rId2");
    assert!(
        link.context.to_string().contains(" and Settings/zhang/"),
        "percent-decoded: {link:?}"
    );
    let alt = find(&r, Part::AltText, "绝密★长期");
    assert!(
        detail(alt).starts_with("word/document.xml: drawing 1 "),
        "{alt:?}"
    );
    let title = find(&r, Part::Body, "机密★10年");
    assert_eq!(detail(title), "word/charts/chart1.xml (chart)");
    // The category of the chart, on its own line.
    let category = find(&r, Part::Body, "内部资料");
    assert_eq!(detail(category), "word/charts/chart1.xml (chart)");
    for part in [Part::Hyperlink, Part::AltText] {
        assert!(r.coverage.parts.contains(&part), "{:?}", r.coverage.parts);
    }
}

#[test]
fn docx_fields_smartart_custom_xml_psmdcp_and_the_embedded_workbook() {
    let r = review("parts-extra.docx");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    // w:fldSimple: the code is hidden, the shown text is body.
    let code = find(&r, Part::Hidden, "秘密★1年");
    assert!(code.context.to_string().contains("DOCPROPERTY"), "{code:?}");
    let shown = r
        .findings
        .iter()
        .find(|f| {
            f.location.part == Part::Body
                && f.matched == "内部资料"
                && f.location.paragraph.is_some()
        })
        .expect("the field's shown text in the body");
    assert!(shown.location.detail.is_none(), "{shown:?}");
    let smartart = find(&r, Part::Body, "不得外传");
    assert_eq!(detail(smartart), "word/diagrams/data1.xml (SmartArt)");
    let custom = find(&r, Part::Metadata, "绝密★20年");
    assert_eq!(detail(custom), "customXml/item1.xml (custom XML data)");
    // Core properties where the package relationships say, not docProps/.
    let subject = find(&r, Part::Metadata, "内部资料");
    assert_eq!(
        detail(subject),
        "package/services/metadata/core-properties/c2f3a1.psmdcp: dc:subject"
    );
    assert_eq!(r.title.as_deref(), Some("关于图表和链接的说明"));
    // The workbook Word keeps behind a chart, read with the xlsx reader.
    const WB: &str = "word/embeddings/Microsoft_Excel_Worksheet.xlsx";
    let sheet = find(&r, Part::Embedded, "机密★5年");
    assert_eq!(detail(sheet), format!("{WB}: xl/workbook.xml: sheet name"));
    let footer = find(&r, Part::Embedded, "绝密★长期");
    assert_eq!(
        detail(footer),
        format!("{WB}: sheet 机密★5年名单: oddFooter")
    );
    let chart = find(&r, Part::Embedded, "秘密★1年");
    assert_eq!(detail(chart), format!("{WB}: xl/charts/chart1.xml (chart)"));
}

#[test]
fn odt_links_frame_titles_and_embedded_charts() {
    let r = review("parts.odt");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    let link = find(&r, Part::Hyperlink, "机密★5年");
    assert_eq!(detail(link), "content.xml: a link");
    let title = find(&r, Part::AltText, "内部资料");
    assert_eq!(detail(title), "content.xml: frame 1 svg:title");
    let desc = find(&r, Part::AltText, "绝密★长期");
    assert_eq!(detail(desc), "content.xml: frame 1 svg:desc");
    let chart = find(&r, Part::Embedded, "机密★10年");
    assert_eq!(detail(chart), "Object 1/content.xml (embedded object)");
}

#[test]
fn xlsx_sheet_names_headers_footers_drawings_and_charts() {
    let r = review("sheet-parts.xlsx");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    let name = find(&r, Part::Body, "机密★5年");
    assert_eq!(detail(name), "xl/workbook.xml: sheet name");
    // "&C内部资料 页眉": the code is gone, the text starts the line.
    let header = find(&r, Part::Header, "内部资料");
    assert_eq!(detail(header), "sheet 机密★5年名单: oddHeader");
    assert_eq!((header.location.line, header.location.column), (1, 1));
    let footer = find(&r, Part::Footer, "绝密★长期");
    assert_eq!(detail(footer), "sheet 机密★5年名单: oddFooter");
    assert_eq!(footer.context, "绝密★长期 第页");
    let text_box = find(&r, Part::Body, "不得外传");
    assert_eq!(detail(text_box), "xl/drawings/drawing1.xml (drawing)");
    let chart = find(&r, Part::Body, "秘密★1年");
    assert_eq!(detail(chart), "xl/charts/chart1.xml (chart)");
    // Cell references in the chart (`'机密★5年名单'!$B$1`) are not text:
    // the sheet name is reported once, from the workbook.
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.matched == "机密★5年")
            .count(),
        1,
        "{:#?}",
        r.findings
    );
}

#[test]
fn an_unknown_part_with_text_is_a_gap_and_its_text_is_still_scanned() {
    let bytes = with_entries(
        "parts.docx",
        &[(
            "word/oaExtension.xml",
            "<oa:data xmlns:oa=\"urn:x\"><oa:note>机密★3年</oa:note></oa:data>".as_bytes(),
        )],
    );
    let r = review_bytes(
        "unknown.docx",
        &bytes,
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert!(!r.coverage.complete, "{:#?}", r.coverage);
    assert!(
        r.coverage
            .notes
            .iter()
            .any(|n| n.starts_with("word/oaExtension.xml: a part holding text")),
        "{:#?}",
        r.coverage.notes
    );
    let f = find(&r, Part::Hidden, "机密★3年");
    assert_eq!(detail(f), "word/oaExtension.xml (unrecognised part)");

    // Without a finding the gap alone makes the verdict `error`, not `clear`.
    let bytes = with_entries(
        "parts.docx",
        &[(
            "word/oaExtension.xml",
            "<oa:data xmlns:oa=\"urn:x\">备注</oa:data>".as_bytes(),
        )],
    );
    let clean = baomi_core::Scanner::from_str(
        "none.toml",
        "[[rule]]\nid = \"x\"\ntitle = \"t\"\ncategory = \"internal\"\nseverity = \"review\"\nbasis = \"b\"\nkeywords = [\"不会出现的词\"]\ntests.hit = [\"不会出现的词\"]\ntests.miss = [\"公开\"]\n",
    )
    .unwrap();
    let r = review_bytes("unknown.docx", &bytes, &clean, &Limits::default());
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");

    // Parts without text (attributes only), macros and binary parts.
    let bytes = with_entries(
        "sheet-parts.xlsx",
        &[
            ("xl/extra.xml", b"<x a=\"1\"><y b=\"2\"/></x>"),
            ("xl/vbaProject.bin", b"\xD0\xCF\x11\xE0 macros"),
        ],
    );
    let r = review_bytes(
        "macros.xlsm",
        &bytes,
        &Scanner::shipped(),
        &Limits::default(),
    );
    let notes = &r.coverage.notes;
    assert!(
        !notes.iter().any(|n| n.starts_with("xl/extra.xml")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("xl/vbaProject.bin: macros")),
        "{notes:#?}"
    );
    assert!(!r.coverage.complete);
}

#[test]
fn an_embedded_ole_object_is_a_gap_that_names_it() {
    let bytes = with_entries(
        "parts.docx",
        &[(
            "word/embeddings/oleObject1.bin",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 legacy",
        )],
    );
    let r = review_bytes("ole.docx", &bytes, &Scanner::shipped(), &Limits::default());
    assert!(!r.coverage.complete);
    assert!(
        r.coverage.notes.iter().any(|n| n.starts_with(
            "embedded object word/embeddings/oleObject1.bin was not read (unsupported format: an OLE object"
        )),
        "{:#?}",
        r.coverage.notes
    );
}

#[test]
fn xlsx_custom_xml_and_smartart_are_read_like_docx() {
    let bytes = with_entries(
        "sheet-parts.xlsx",
        &[
            (
                "customXml/item1.xml",
                "<record xmlns=\"urn:example:oa\"><classification>绝密★20年</classification></record>".as_bytes(),
            ),
            (
                "xl/diagrams/data1.xml",
                "<dgm:dataModel xmlns:dgm=\"d\" xmlns:a=\"a\"><dgm:ptLst><dgm:pt><dgm:t><a:p><a:r><a:t>机密★2年</a:t></a:r></a:p></dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>".as_bytes(),
            ),
        ],
    );
    let r = review_bytes(
        "custom.xlsx",
        &bytes,
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    let custom = find(&r, Part::Metadata, "绝密★20年");
    assert_eq!(detail(custom), "customXml/item1.xml (custom XML data)");
    let smartart = find(&r, Part::Body, "机密★2年");
    assert_eq!(detail(smartart), "xl/diagrams/data1.xml (SmartArt)");
}
