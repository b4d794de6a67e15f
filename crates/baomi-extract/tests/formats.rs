//! Every format and every hidden part, on the committed fixtures (made by
//! tests/fixtures/make_fixtures.py): each planted marking is found, in the
//! right part, at the right place.

use baomi_core::{DocumentReport, Finding, Part, Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn review(name: &str) -> DocumentReport {
    review_file(&fixture(name), &Scanner::shipped(), &Limits::default())
}

/// The one finding of `rule` matching `matched` in `part`.
fn find<'a>(r: &'a DocumentReport, part: Part, matched: &str) -> &'a Finding {
    let hits: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.location.part == part && f.matched == matched)
        .collect();
    assert_eq!(hits.len(), 1, "{part} {matched:?} in {:#?}", r.findings);
    hits[0]
}

/// docx and odt are made from the same source, so they share expectations.
fn office_expectations(
    r: &DocumentReport,
    header_detail: &str,
    comment_detail: &str,
    footnote_detail: &str,
) {
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete);
    assert_eq!(r.title.as_deref(), Some("关于开展2024年度保密自查的通知"));
    assert_eq!(r.doc_number.as_deref(), Some("办发〔2024〕7号"));

    // A marking split by LibreOffice into three deleted runs, in paragraph 3.
    let del = find(r, Part::TrackedDeletion, "机密★5年");
    assert_eq!(del.rule.as_ref(), "marking.classification");
    assert_eq!(
        (
            del.location.paragraph,
            del.location.line,
            del.location.column
        ),
        (Some(3), 3, 4)
    );
    assert_eq!(del.location.author.as_deref(), Some("李四"));

    let ins = find(r, Part::TrackedInsertion, "仅供内部参考");
    assert_eq!(ins.location.paragraph, Some(4));
    assert_eq!(ins.location.author.as_deref(), Some("王五"));

    let hidden = find(r, Part::Hidden, "不得外传");
    assert_eq!(hidden.location.paragraph, Some(5));

    let comment = find(r, Part::Comment, "绝密★长期");
    assert_eq!(comment.location.author.as_deref(), Some("赵六"));
    assert_eq!(comment.location.detail.as_deref(), Some(comment_detail));

    let note = find(r, Part::Footnote, "请勿外传");
    assert_eq!(note.location.detail.as_deref(), Some(footnote_detail));

    let header = find(r, Part::Header, "内部传阅");
    assert_eq!(header.location.detail.as_deref(), Some(header_detail));

    let id = find(r, Part::Body, "11010519491231002X");
    assert_eq!(id.location.cell.as_deref(), Some("table 1, row 2, cell 2"));
    // Paragraphs 1–6, then the table's two rows as one paragraph each.
    assert_eq!(id.location.paragraph, Some(8));

    // 秘 is bold, 密★6个月 is not: two runs, one finding.
    let split = find(r, Part::Body, "秘密★6个月");
    assert_eq!(split.location.paragraph, Some(9));

    let text_box = r
        .findings
        .iter()
        .find(|f| f.location.detail.as_deref() == Some("text box 1"))
        .expect("text box finding");
    assert_eq!(
        (text_box.location.part, text_box.matched.as_str()),
        (Part::Body, "内部资料")
    );

    // Nothing hidden is reported twice, and visible text is not reported as hidden.
    assert_eq!(
        r.findings
            .iter()
            .filter(|f| f.matched == "机密★5年")
            .count(),
        1
    );
    for part in [
        Part::Body,
        Part::Header,
        Part::Footer,
        Part::Footnote,
        Part::Comment,
        Part::TrackedDeletion,
        Part::TrackedInsertion,
        Part::Hidden,
        Part::Metadata,
    ] {
        assert!(
            r.coverage.parts.contains(&part),
            "{part} not in {:?}",
            r.coverage.parts
        );
    }
}

#[test]
fn docx_every_part_with_locations() {
    let r = review("draft.docx");
    office_expectations(&r, "word/header1.xml", "comment 0", "footnote 2");
    let details: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.location.part == Part::Metadata)
        .filter_map(|f| f.location.detail.as_deref())
        .collect();
    assert_eq!(
        details,
        ["docProps/core.xml: dc:subject", "docProps/app.xml: Company"]
    );
}

#[test]
fn odt_every_part_with_locations() {
    let r = review("draft.odt");
    office_expectations(&r, "styles.xml: header", "annotation 1", "footnote 1");
    assert_eq!(
        find(&r, Part::Metadata, "内部资料")
            .location
            .detail
            .as_deref(),
        Some("meta.xml: dc:subject")
    );
}

#[test]
fn a_docx_renamed_doc_or_without_extension_is_still_a_docx() {
    let bytes = std::fs::read(fixture("draft.docx")).unwrap();
    let scanner = Scanner::shipped();
    for name in ["draft.doc", "draft", "draft.txt"] {
        let r = review_bytes(name, &bytes, &scanner, &Limits::default());
        assert_eq!(r.verdict, Verdict::Withhold, "{name}: {:?}", r.error);
        assert!(r
            .findings
            .iter()
            .any(|f| f.location.part == Part::TrackedDeletion));
    }
    let pdf = std::fs::read(fixture("cjk-cmaps.pdf")).unwrap();
    let r = review_bytes("download", &pdf, &scanner, &Limits::default());
    assert_eq!(r.verdict, Verdict::Withhold, "{:?}", r.error);
}

#[test]
fn pdf_with_predefined_cjk_cmaps_is_decoded() {
    // Page 1 uses GBK-EUC-H, page 2 UniGB-UCS2-H; the font is not embedded
    // and there is no ToUnicode map.
    let r = review("cjk-cmaps.pdf");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete);
    assert_eq!(r.title.as_deref(), Some("关于做好保密工作的通知"));
    assert_eq!(r.doc_number.as_deref(), Some("国办发〔２０２４〕１２号"));
    let secret = r
        .findings
        .iter()
        .find(|f| f.rule.as_ref() == "marking.classification")
        .expect("机密★5年 on page 1");
    assert_eq!(secret.matched, "机密★５年");
    assert_eq!(
        (
            secret.location.part,
            secret.location.page,
            secret.location.line
        ),
        (Part::Body, Some(1), 3)
    );
    let internal = find(&r, Part::Body, "内部资料");
    assert_eq!(internal.location.page, Some(2));
}

#[test]
fn pdf_exported_by_libreoffice_reads_body_and_info() {
    let r = review("draft.pdf");
    assert_eq!(r.verdict, Verdict::Withhold);
    assert_eq!(r.title.as_deref(), Some("关于开展2024年度保密自查的通知"));
    assert!(r
        .findings
        .iter()
        .all(|f| f.location.page.is_some() || f.location.part == Part::Metadata));
    assert!(r
        .findings
        .iter()
        .any(|f| f.matched == "11010519491231002X" && f.location.page == Some(1)));
    let subject = find(&r, Part::Metadata, "内部资料");
    assert_eq!(
        subject.location.detail.as_deref(),
        Some("document info: Subject")
    );
}

#[test]
fn pdf_pages_without_text_are_coverage_gaps() {
    let r = review("partial.pdf");
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.is_none());
    assert!(!r.coverage.complete);
    // Page 2 holds only a drawn box: OCR looked and found nothing.
    assert_eq!(
        r.coverage.notes,
        ["page 2 (no text layer): OCR found no text (blank page, or a scan too faint or noisy to read); review it by eye"]
    );

    let r = review("image-only.pdf");
    assert_eq!(r.verdict, Verdict::Error);
    assert!(r.error.is_none());
    assert!(r.coverage.notes[0].contains("OCR found no text"));
}

#[test]
fn encrypted_files_are_errors_that_say_so() {
    for name in ["encrypted.pdf", "encrypted.docx"] {
        let r = review(name);
        assert_eq!(r.verdict, Verdict::Error, "{name}");
        let e = r.error.unwrap();
        assert!(e.contains("encrypted or password-protected"), "{name}: {e}");
    }
    // LibreOffice's AES-encrypted OpenDocument (make_encrypted_odf.py): said
    // to be encrypted, naming the kind, not "invalid UTF-8".
    for (name, kind) in [
        ("encrypted.odt", "OpenDocument text (.odt)"),
        ("encrypted.ods", "OpenDocument spreadsheet (.ods)"),
    ] {
        let r = review(name);
        assert_eq!(r.verdict, Verdict::Error, "{name}");
        let e = r.error.unwrap();
        assert!(
            e.contains(&format!("encrypted or password-protected {kind}"))
                && e.contains("remove the protection"),
            "{name}: {e}"
        );
    }
}

#[test]
fn html_visible_text_and_what_the_source_hides() {
    let r = review("notice.html");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_eq!(r.title.as_deref(), Some("关于做好 2024年防汛工作的通知"));
    assert_eq!(r.doc_number.as_deref(), Some("市防办〔2024〕3号"));
    let comment = find(&r, Part::HtmlComment, "机密★10年");
    assert_eq!(comment.location.detail.as_deref(), Some("line 12"));
    let alt = find(&r, Part::HtmlAttribute, "内部资料");
    assert_eq!(alt.location.detail.as_deref(), Some("line 17: <img alt>"));
    let meta = find(&r, Part::Metadata, "内部资料");
    assert_eq!(
        meta.location.detail.as_deref(),
        Some("line 5: <meta name=\"keywords\">")
    );
    let div = find(&r, Part::Hidden, "仅供内部参考");
    assert_eq!(div.location.paragraph, Some(4));
    let input = find(&r, Part::Hidden, "严禁外传");
    assert_eq!(
        input.location.detail.as_deref(),
        Some("line 22: <input value>")
    );
    let mobile = find(&r, Part::Body, "13812345678");
    assert_eq!(
        mobile.location.cell.as_deref(),
        Some("table 1, row 2, cell 2")
    );
    // Script and style content is code, not text.
    assert!(!r
        .findings
        .iter()
        .any(|f| f.matched == "绝密★长期" || f.matched == "机密★1年"));
}

#[test]
fn html_text_is_entity_decoded_and_one_line_per_block() {
    let ex = baomi_extract::extract(
        std::path::Path::new("x.html"),
        "<html><body><p>请&amp;做好&lt;准备&gt;&#x4E2D;</p>\n<div>\n  <span>机</span><b>密</b>★1年\n</div></body></html>".as_bytes(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(ex.segments[0].text, "请&做好<准备>中\n机密★1年\n");
}

#[test]
fn detection_by_content() {
    use baomi_extract::{detect, Format};
    use std::path::Path;
    let p = Path::new;
    assert_eq!(detect(p("a"), b"%PDF-1.7\n").unwrap(), Format::Pdf);
    assert_eq!(
        detect(p("a.txt"), b"\x00\x01junk%PDF-1.4").unwrap(),
        Format::Pdf
    );
    assert_eq!(
        detect(p("a.txt"), "说明：文件头是 %PDF-1.4".as_bytes()).unwrap(),
        Format::Text
    );
    assert_eq!(
        detect(p("a.txt"), b"  <!DOCTYPE html><html>").unwrap(),
        Format::Html
    );
    assert_eq!(
        detect(p("a"), b"\xEF\xBB\xBF<html lang=zh>").unwrap(),
        Format::Html
    );
    assert_eq!(detect(p("a.htm"), "通知".as_bytes()).unwrap(), Format::Html);
    assert_eq!(detect(p("a.md"), b"# title").unwrap(), Format::Markdown);
    assert_eq!(
        detect(p("a.doc"), b"PK\x03\x04....word/document.xml").unwrap(),
        Format::Docx
    );
    assert_eq!(
        detect(
            p("a.zip"),
            b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.text"
        )
        .unwrap(),
        Format::Odt
    );
}

#[test]
fn docx_hidden_through_styles_and_document_variables() {
    // Made by python-docx from Word's own template (make_fixtures.py).
    let r = review("word-styles.docx");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_eq!(r.title.as_deref(), Some("关于印发工作方案的通知"));
    let run = find(&r, Part::Hidden, "仅供内部参考");
    assert_eq!(run.location.paragraph, Some(2));
    let para = find(&r, Part::Hidden, "内部传阅");
    assert_eq!(para.location.paragraph, Some(3));
    let var = find(&r, Part::Metadata, "机密★1年");
    assert_eq!(
        var.location.detail.as_deref(),
        Some("word/settings.xml: docVar \"密级\"")
    );
    let custom = find(&r, Part::Metadata, "内部资料");
    assert_eq!(
        custom.location.detail.as_deref(),
        Some("docProps/custom.xml: property \"备注\"")
    );
    assert!(!r.findings.iter().any(|f| f.location.part == Part::Body));
}

#[test]
fn a_pdf_that_only_forbids_copying_is_still_read() {
    // Anyone can open it, so its text is published: scan it.
    let r = review("copy-protected.pdf");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.findings.iter().any(|f| f.matched == "11010519491231002X"));
}

/// The findings of `rule`-independent text `matched` in `part`, ignoring
/// spaces (easyofd keeps the PDF's space in "机密★5 年").
fn find_ofd<'a>(r: &'a DocumentReport, part: Part, matched: &str) -> &'a Finding {
    let hits: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.location.part == part && f.matched.replace(' ', "") == matched)
        .collect();
    assert_eq!(hits.len(), 1, "{part} {matched:?} in {:#?}", r.findings);
    hits[0]
}

#[test]
fn ofd_is_read_part_by_part() {
    // notice.ofd: easyofd's OFD of a LibreOffice PDF, plus the parts easyofd
    // cannot write (see tests/fixtures/make_ofd.py).
    let r = review("notice.ofd");
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert_eq!(r.title.as_deref(), Some("关于加强档案管理的通知"));

    // Split by the writer into three TextObjects sharing one Boundary.
    let split = find_ofd(&r, Part::Body, "机密★5年");
    assert_eq!(split.rule.as_ref(), "marking.classification");
    assert_eq!((split.location.page, split.location.line), (Some(1), 2));
    let internal = find_ofd(&r, Part::Body, "内部资料");
    assert_eq!(internal.location.page, Some(2));
    let id = find_ofd(&r, Part::Body, "11010519491231002X");
    assert_eq!((id.location.page, id.location.line), (Some(2), 2));
    // Written 长期, ★, 绝密 in the file; read left to right by position.
    let reordered = find_ofd(&r, Part::Body, "绝密★长期");
    assert_eq!(reordered.location.page, Some(2));
    // Stored only as glyph indices, mapped back through the embedded font.
    let glyphs = find_ofd(&r, Part::Body, "内部掌握");
    assert_eq!(glyphs.location.page, Some(2));
    // The glyphs of a font without a file are a gap naming the page.
    assert!(!r.coverage.complete);
    assert_eq!(r.coverage.notes.len(), 1, "{:?}", r.coverage.notes);
    assert!(r.coverage.notes[0].starts_with("page 2: 2 glyph(s) of font 201 (MissingSubset)"));

    let template = find_ofd(&r, Part::Body, "内部传阅");
    assert_eq!(template.location.page, Some(1));
    assert_eq!(
        template.location.detail.as_deref(),
        Some("template page 100 (Doc_0/Tpls/Tpl_0/Content.xml), used on pages 1, 2")
    );

    let annot = find_ofd(&r, Part::Comment, "严禁外传");
    assert_eq!(annot.location.author.as_deref(), Some("李四"));
    assert_eq!(annot.location.page, Some(1));
    assert_eq!(
        annot.location.detail.as_deref(),
        Some("annotation 120 Highlight (Doc_0/Annots/Page_0/Annotation.xml)")
    );

    let attached = find_ofd(&r, Part::Body, "秘密★6个月");
    assert_eq!(
        attached.location.detail.as_deref(),
        Some("attachment 附件说明.txt")
    );
    assert_eq!(attached.location.page, None);

    for (matched, detail) in [
        ("内部资料", "OFD.xml: DocInfo/Subject"),
        ("仅供内部参考", "OFD.xml: DocInfo/Abstract"),
        ("秘密★1年", "OFD.xml: CustomData \"密级\""),
        (
            "内部参考资料",
            "custom tag Doc_0/Tags/CustomTag.xml: gw:密级标注",
        ),
        ("内部文件", "Doc_0/Document.xml: outline (level 1)"),
    ] {
        let f = find_ofd(&r, Part::Metadata, matched);
        assert_eq!(f.location.detail.as_deref(), Some(detail), "{matched}");
    }
    assert_eq!(
        r.coverage.parts,
        [Part::Body, Part::Metadata, Part::Comment],
        "{:?}",
        r.coverage.parts
    );
}

#[test]
fn ofd_is_detected_by_its_root_entry_whatever_its_name() {
    let bytes = std::fs::read(fixture("notice.ofd")).unwrap();
    assert_eq!(
        baomi_extract::detect(
            std::path::Path::new("download.bin"),
            &bytes[..4096.min(bytes.len())]
        )
        .unwrap(),
        baomi_extract::Format::Ofd
    );
    let r = review_bytes(
        "download.zip",
        &bytes,
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert_eq!(r.verdict, Verdict::Withhold);
    assert!(r.findings.iter().any(|f| f.matched == "内部掌握"));
}

#[test]
fn an_ofd_of_page_images_is_an_error_that_says_why() {
    // easyofd's image-only conversion: two pages, one ImageObject each.
    let r = review("scanned.ofd");
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    let e = r.error.unwrap();
    assert!(e.contains("no text on any of its 2 page(s)"), "{e}");
    assert!(e.contains("needs OCR"), "{e}");
}

/// legacy.doc (LibreOffice's Word 97 export of legacy.fodt) and legacy.wps
/// (the same bytes under WPS Writer's name): every planted marking is found
/// in its part, with the locations a .docx gets.
#[test]
fn doc_and_wps_every_part_with_locations() {
    for name in ["legacy.doc", "legacy.wps"] {
        let r = review(name);
        assert_eq!(r.verdict, Verdict::Withhold, "{name}: {r:#?}");
        assert!(r.coverage.complete, "{name}: {:?}", r.coverage);
        assert_eq!(
            r.title.as_deref(),
            Some("关于做好2024年度保密检查工作的通知")
        );
        assert_eq!(r.doc_number.as_deref(), Some("办发〔2024〕9号"));

        let del = find(&r, Part::TrackedDeletion, "机密★5年");
        assert_eq!(
            (del.location.paragraph, del.location.column),
            (Some(3), 4),
            "{name}"
        );
        assert_eq!(del.location.author.as_deref(), Some("李四"));
        let ins = find(&r, Part::TrackedInsertion, "仅供内部参考");
        assert_eq!(ins.location.paragraph, Some(4));
        assert_eq!(ins.location.author.as_deref(), Some("王五"));
        let hidden = find(&r, Part::Hidden, "不得外传");
        assert_eq!(hidden.location.paragraph, Some(5));
        let comment = find(&r, Part::Comment, "绝密★长期");
        assert_eq!(comment.location.author.as_deref(), Some("赵六"));
        assert_eq!(comment.location.detail.as_deref(), Some("comment 1"));
        let foot = find(&r, Part::Footnote, "请勿外传");
        assert_eq!(foot.location.detail.as_deref(), Some("footnote 1"));
        let end = find(&r, Part::Endnote, "秘密★6个月");
        assert_eq!(end.location.detail.as_deref(), Some("endnote 1"));
        let header = find(&r, Part::Header, "内部传阅");
        assert_eq!(header.location.detail.as_deref(), Some("section 1, header"));
        let id = find(&r, Part::Body, "11010519491231002X");
        assert_eq!(id.location.cell.as_deref(), Some("table 1, row 2, cell 2"));
        assert_eq!(id.location.paragraph, Some(8));
        let text_box = r
            .findings
            .iter()
            .find(|f| f.location.detail.as_deref() == Some("text box 1"))
            .expect("text box finding");
        assert_eq!(
            (text_box.location.part, text_box.matched.as_str()),
            (Part::Body, "内部资料")
        );
        // The hyperlink's field code is hidden text, like docx instrText.
        let field = find(&r, Part::Hidden, "内部资料");
        assert_eq!(field.location.paragraph, Some(9));
        for (detail, matched) in [
            ("SummaryInformation: Subject", "内部资料"),
            ("SummaryInformation: Keywords", "机密★5年"),
            ("SummaryInformation: Comments", "11010519491231002X"),
            (
                "DocumentSummaryInformation: property \"Company\"",
                "内部资料",
            ),
        ] {
            let hits = r
                .findings
                .iter()
                .filter(|f| f.location.detail.as_deref() == Some(detail) && f.matched == matched)
                .count();
            assert_eq!(hits, 1, "{name}: {detail} {matched}: {:#?}", r.findings);
        }
        assert_eq!(
            r.findings.len(),
            14,
            "{name}: nothing else: {:#?}",
            r.findings
        );
    }
    // Parts without a finding, straight from the segments.
    let bytes = std::fs::read(fixture("legacy.doc")).unwrap();
    let ex = baomi_extract::extract(&fixture("legacy.doc"), &bytes, &Limits::default()).unwrap();
    let seg = |part: Part, text: &str| {
        ex.segments
            .iter()
            .any(|s| s.info.part == Some(part) && s.text.contains(text))
    };
    assert!(seg(Part::Footer, "页脚：工作秘密"));
    assert!(seg(
        Part::Body,
        "Plain Latin paragraph: secret ref ABC-123."
    ));
    assert!(seg(Part::Metadata, "张三"));
    let body = &ex.segments[0];
    assert!(
        !body.text.contains("HYPERLINK") && body.text.contains("详见内网链接。"),
        "the visible text has the field result, not its code: {:?}",
        body.text
    );
}
