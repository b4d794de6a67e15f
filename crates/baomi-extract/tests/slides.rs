//! Presentations, on files LibreOffice Impress wrote from
//! tests/fixtures/slides.fodp (tests/fixtures/make_slides.sh): every planted
//! item is found on its slide (`page` = slide number) and in its part.

use baomi_core::{DocumentReport, Finding, Part, Scanner, Verdict};
use baomi_extract::{extract, review_bytes, review_file, Limits};
use std::io::Write;
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn one<'a>(r: &'a DocumentReport, rule: &str, part: Part) -> &'a Finding {
    let h: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.as_ref() == rule && f.location.part == part)
        .collect();
    assert_eq!(h.len(), 1, "{rule} in {part}: {:#?}", r.findings);
    h[0]
}

#[test]
fn pptx_written_by_impress_is_read_slide_by_slide() {
    let r = review_file(
        &fixture("slides.pptx"),
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    assert_eq!(r.title.as_deref(), Some("2026年保密工作汇报"));

    let id = one(&r, "personal.id-card", Part::Body);
    assert_eq!(id.location.page, Some(1));
    assert_eq!(id.location.detail.as_deref(), Some("slide 1"));
    assert_eq!(id.location.line, 1);

    let phone = one(&r, "personal.mobile", Part::Body);
    assert_eq!(phone.location.page, Some(1));
    assert_eq!(
        phone.location.cell.as_deref(),
        Some("table 1, row 1, cell 2")
    );

    // Text of a grouped shape, split into three runs by Impress.
    let grouped = r
        .findings
        .iter()
        .find(|f| f.matched == "机密★5年")
        .expect("marking in the group");
    assert_eq!(grouped.location.part, Part::Body);
    assert_eq!(grouped.location.page, Some(1));

    let alt = one(&r, "internal.work-secret", Part::Hidden);
    assert_eq!(alt.location.detail.as_deref(), Some("slide 1: alt text"));

    let comment = one(&r, "internal.marking", Part::Comment);
    assert_eq!(comment.matched, "不得外传");
    assert_eq!(comment.location.author.as_deref(), Some("李四"));
    assert_eq!(comment.location.page, Some(1));

    let notes = r
        .findings
        .iter()
        .find(|f| f.location.detail.as_deref() == Some("slide 1: speaker notes"))
        .expect("speaker notes");
    assert_eq!(notes.matched, "内部资料");
    assert_eq!(notes.location.part, Part::Hidden);

    let hidden = r
        .findings
        .iter()
        .find(|f| f.matched.starts_with("绝密★"))
        .expect("hidden slide");
    assert_eq!(hidden.location.part, Part::Hidden);
    assert_eq!(hidden.location.page, Some(2));
    assert_eq!(
        hidden.location.detail.as_deref(),
        Some("slide 2 (hidden slide)")
    );

    let health = one(&r, "personal.health", Part::Body);
    assert_eq!(health.location.page, Some(3));

    let keyword = one(&r, "internal.marking", Part::Metadata);
    assert_eq!(
        keyword.location.detail.as_deref(),
        Some("docProps/core.xml: cp:keywords")
    );
}

/// Impress's own format, from the same source: the same parts and places.
#[test]
fn odp_written_by_impress_is_read_slide_by_slide() {
    let r = review_file(
        &fixture("slides.odp"),
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    assert_eq!(r.title.as_deref(), Some("2026年保密工作汇报"));
    assert_eq!(
        one(&r, "personal.id-card", Part::Body).location.page,
        Some(1)
    );
    let phone = one(&r, "personal.mobile", Part::Body);
    assert_eq!(
        phone.location.cell.as_deref(),
        Some("table 1, row 1, cell 2")
    );
    let alt = one(&r, "internal.work-secret", Part::Hidden);
    assert_eq!(alt.location.detail.as_deref(), Some("slide 1: alt text"));
    let comment = one(&r, "internal.marking", Part::Comment);
    assert_eq!(comment.location.author.as_deref(), Some("李四"));
    let notes = r
        .findings
        .iter()
        .find(|f| f.location.detail.as_deref() == Some("slide 1: speaker notes"))
        .expect("speaker notes");
    assert_eq!(notes.location.part, Part::Hidden);
    let hidden = r
        .findings
        .iter()
        .find(|f| f.matched.starts_with("绝密★"))
        .expect("hidden slide");
    assert_eq!(
        (hidden.location.part, hidden.location.page),
        (Part::Hidden, Some(2))
    );
    assert_eq!(
        one(&r, "personal.health", Part::Body).location.page,
        Some(3)
    );
}

#[test]
fn binary_ppt_is_refused_with_what_to_do() {
    let r = review_file(
        &fixture("slides.ppt"),
        &Scanner::shipped(),
        &Limits::default(),
    );
    assert_eq!(r.verdict, Verdict::Error);
    let e = r.error.unwrap();
    assert!(
        e.contains("binary PowerPoint") && e.contains("save it as .pptx or PDF"),
        "{e}"
    );
}

fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const NS: &str = r#"xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;

fn slide(text: &str) -> String {
    format!(
        r#"<p:sld {NS}><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>{text}</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#
    )
}

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// Slides numbered by the presentation's list, whatever their part names;
/// threaded comments with authors from authors.xml; properties found
/// through the package relationships under a non-standard name.
#[test]
fn slide_order_comes_from_the_slide_list_and_parts_from_relationships() {
    let pres = format!(
        r#"<p:presentation {NS}><p:sldIdLst><p:sldId id="256" r:id="rB"/><p:sldId id="257" r:id="rA"/></p:sldIdLst></p:presentation>"#
    );
    let pres_rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rA" Type="{REL}/slide" Target="slides/slide1.xml"/><Relationship Id="rB" Type="{REL}/slide" Target="/ppt/slides/slide2.xml"/><Relationship Id="rC" Type="http://schemas.microsoft.com/office/2018/10/relationships/authors" Target="authors.xml"/></Relationships>"#
    );
    let package_rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="{REL}/officeDocument" Target="ppt/presentation.xml"/><Relationship Id="r2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="package/services/metadata/core-properties/abc.psmdcp"/></Relationships>"#
    );
    let slide1_rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="c1" Type="http://schemas.microsoft.com/office/2018/10/relationships/comments" Target="../comments/modernComment_100_0.xml"/></Relationships>"#;
    let comments = r#"<p188:cmLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p188:cm id="{C1}" authorId="{A1}"><p188:txBody><a:p><a:r><a:t>审核：秘密★1年</a:t></a:r></a:p></p188:txBody></p188:cm></p188:cmLst>"#;
    let authors = r#"<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main"><p188:author id="{A1}" name="王五" initials="W" userId="w" providerId="None"/></p188:authorLst>"#;
    let core = r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>内部资料汇编</dc:title></cp:coreProperties>"#;
    let bytes = zip_of(&[
        ("[Content_Types].xml", "<Types/>"),
        ("_rels/.rels", &package_rels),
        ("ppt/presentation.xml", &pres),
        ("ppt/_rels/presentation.xml.rels", &pres_rels),
        ("ppt/slides/slide1.xml", &slide("第二张：机密★5年")),
        ("ppt/slides/_rels/slide1.xml.rels", slide1_rels),
        ("ppt/slides/slide2.xml", &slide("第一张")),
        ("ppt/comments/modernComment_100_0.xml", comments),
        ("ppt/authors.xml", authors),
        ("package/services/metadata/core-properties/abc.psmdcp", core),
    ]);
    let ex = extract(Path::new("x.pptx"), &bytes, &Limits::default()).unwrap();
    let body: Vec<_> = ex
        .segments
        .iter()
        .filter(|s| s.info.part == Some(Part::Body))
        .map(|s| (s.text.trim(), s.info.page))
        .collect();
    assert_eq!(body, [("第一张", Some(1)), ("第二张：机密★5年", Some(2))]);
    let r = review_bytes("x.pptx", &bytes, &Scanner::shipped(), &Limits::default());
    let c = one(&r, "marking.classification", Part::Comment);
    assert_eq!(
        (c.location.author.as_deref(), c.location.page),
        (Some("王五"), Some(2))
    );
    assert_eq!(r.title.as_deref(), Some("内部资料汇编"));
}
