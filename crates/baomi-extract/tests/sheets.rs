//! Legacy and OpenDocument spreadsheets, on workbooks LibreOffice Calc wrote
//! from tests/fixtures/sheets.fods (tests/fixtures/make_sheets.sh): every
//! planted item is found in its sheet, cell and part, with the locations the
//! .xlsx reader gives.

use baomi_core::{DocumentReport, Finding, Part, Scanner, Verdict};
use baomi_extract::{extract, review_file, Limits};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn review(name: &str) -> DocumentReport {
    review_file(&fixture(name), &Scanner::shipped(), &Limits::default())
}

/// The findings of `rule` in `part`.
fn hits<'a>(r: &'a DocumentReport, rule: &str, part: Part) -> Vec<&'a Finding> {
    r.findings
        .iter()
        .filter(|f| f.rule.as_ref() == rule && f.location.part == part)
        .collect()
}

fn one<'a>(r: &'a DocumentReport, rule: &str, part: Part) -> &'a Finding {
    let h = hits(r, rule, part);
    assert_eq!(h.len(), 1, "{rule} in {part}: {:#?}", r.findings);
    h[0]
}

/// What .xls, .et and .ods share: cells, hidden parts, comments.
fn workbook_expectations(r: &DocumentReport, comment_detail: &str) {
    assert_eq!(r.verdict, Verdict::Withhold, "{r:#?}");
    assert!(r.coverage.complete, "{:#?}", r.coverage);
    assert_eq!(r.title.as_deref(), Some("2026年第三季度临时救助名单"));

    let id = one(r, "personal.id-card", Part::Body);
    assert_eq!(id.matched, "11010519491231002X");
    assert_eq!(id.location.cell.as_deref(), Some("名单!B2"));
    assert_eq!((id.location.line, id.location.column), (2, 4));

    let health = one(r, "personal.health", Part::Hidden);
    assert_eq!(health.location.cell.as_deref(), Some("名单!C2"));
    assert_eq!(health.location.detail.as_deref(), Some("hidden column"));

    let marking = one(r, "marking.classification", Part::Hidden);
    assert_eq!(marking.matched, "机密★5年");
    assert_eq!(marking.location.cell.as_deref(), Some("名单!A3"));
    assert_eq!(marking.location.detail.as_deref(), Some("hidden row"));

    let work = one(r, "internal.work-secret", Part::Hidden);
    assert_eq!(work.location.cell.as_deref(), Some("底稿!A1"));
    assert_eq!(
        work.location.detail.as_deref(),
        Some("sheet 底稿 (hidden sheet)")
    );

    let note = one(r, "internal.marking", Part::Comment);
    assert_eq!(note.location.author.as_deref(), Some("李四"));
    assert_eq!(note.location.cell.as_deref(), Some("名单!B2"));
    assert_eq!(note.location.detail.as_deref(), Some(comment_detail));

    // A number cell shows as the digits Calc stored, not 1.38e10.
    let mobile = one(r, "personal.mobile", Part::Body);
    assert_eq!(mobile.matched, "13812345678");
    assert_eq!(mobile.location.cell.as_deref(), Some("名单!B4"));

    assert!(!hits(r, "internal.marking", Part::Header).is_empty());
    assert!(hits(r, "marking.classification", Part::Footer)
        .iter()
        .all(|f| f.matched == "秘密★10年"));
    assert!(!hits(r, "marking.classification", Part::Footer).is_empty());
    let keyword = one(r, "internal.marking", Part::Metadata);
    assert_eq!(keyword.matched, "内部资料");
}

#[test]
fn xls_written_by_calc_is_read_part_by_part() {
    let r = review("sheets.xls");
    workbook_expectations(&r, "sheet 名单: note");
    let keyword = one(&r, "internal.marking", Part::Metadata);
    assert_eq!(
        keyword.location.detail.as_deref(),
        Some("SummaryInformation: keywords")
    );
    // Excel keeps one header/footer per sheet: both sheets have them.
    let footers = hits(&r, "marking.classification", Part::Footer);
    let sheets: Vec<_> = footers
        .iter()
        .map(|f| f.location.detail.as_deref().unwrap())
        .collect();
    assert_eq!(sheets, ["sheet 名单", "sheet 底稿"]);
}

#[test]
fn wps_et_is_the_same_biff8_format() {
    let r = review("sheets.et");
    workbook_expectations(&r, "sheet 名单: note");
}

#[test]
fn ods_written_by_calc_is_read_part_by_part() {
    let r = review("sheets.ods");
    workbook_expectations(&r, "sheet 名单: comment");
    let keyword = one(&r, "internal.marking", Part::Metadata);
    assert_eq!(
        keyword.location.detail.as_deref(),
        Some("meta.xml: meta:keyword")
    );
    let footer = one(&r, "marking.classification", Part::Footer);
    assert_eq!(
        footer.location.detail.as_deref(),
        Some("page style PageStyle_Default")
    );
}

#[test]
fn every_cell_and_sheet_name_is_laid_out_like_xlsx() {
    for name in ["sheets.xls", "sheets.ods"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let ex = extract(&fixture(name), &bytes, &Limits::default()).unwrap();
        let sheet = ex
            .segments
            .iter()
            .find(|s| s.info.detail.as_deref() == Some("sheet 名单"))
            .unwrap_or_else(|| panic!("{name}: no sheet 名单"));
        assert_eq!(
            sheet.text,
            "姓名\t身份证号\t救助原因\n张三\t11010519491231002X\t患有尿毒症，因病致贫\n审核意见：机密★5年\n联系人\t13812345678\n备注：核对人王五\n",
            "{name}"
        );
        // A cell after three empty ones keeps its own column.
        let last = sheet
            .regions
            .iter()
            .rev()
            .find(|r| r.info.cell.is_some())
            .unwrap();
        assert_eq!(last.info.cell.as_deref(), Some("名单!D5"), "{name}");
        let names: Vec<_> = ex
            .segments
            .iter()
            .filter(|s| s.info.detail.as_deref() == Some("sheet name"))
            .map(|s| (s.text.as_str(), s.info.part))
            .collect();
        assert_eq!(
            names,
            [("名单", Some(Part::Body)), ("底稿", Some(Part::Hidden))],
            "{name}"
        );
    }
}
