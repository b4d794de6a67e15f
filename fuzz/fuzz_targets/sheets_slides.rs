//! Spreadsheets and slides: the bytes as the `Workbook` stream of an OLE2
//! file (the BIFF8 record walk of .xls/.et), as the `\x05SummaryInformation`
//! property set next to a minimal workbook, as content.xml and styles.xml
//! of an .ods and an .odp, and as a slide, its notes and its comments of a
//! .pptx.
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;
use zip::write::SimpleFileOptions;

fn ole(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut cf = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        cf.create_stream(name).unwrap().write_all(data).unwrap();
    }
    cf.flush().unwrap();
    cf.into_inner().into_inner()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// BOF (BIFF8 globals) then EOF: the smallest workbook.
const MINIMAL: &[u8] = b"\x09\x08\x10\x00\x00\x06\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x00";

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_entry_bytes: 4 << 20,
        max_total_bytes: 8 << 20,
        ..Limits::default()
    };
    let _ = extract(Path::new("x.xls"), &ole(&[("/Workbook", data)]), &limits);
    let props = ole(&[("/Workbook", MINIMAL), ("/\u{5}SummaryInformation", data)]);
    let _ = extract(Path::new("x.et"), &props, &limits);
    let ods = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        ("content.xml", data),
        ("styles.xml", data),
    ]);
    let _ = extract(Path::new("x.ods"), &ods, &limits);
    let odp = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.presentation"),
        ("content.xml", data),
        ("styles.xml", data),
    ]);
    let _ = extract(Path::new("x.odp"), &odp, &limits);
    let pptx = zip_of(&[
        ("ppt/presentation.xml", br#"<p:presentation xmlns:p="p" xmlns:r="r"><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst></p:presentation>"#),
        ("ppt/_rels/presentation.xml.rels", br#"<Relationships><Relationship Id="rId1" Type="x/slide" Target="slides/slide1.xml"/></Relationships>"#),
        ("ppt/slides/slide1.xml", data),
        ("ppt/slides/_rels/slide1.xml.rels", br#"<Relationships><Relationship Id="n" Type="x/notesSlide" Target="../notesSlides/n.xml"/><Relationship Id="c" Type="x/comments" Target="../comments/c.xml"/></Relationships>"#),
        ("ppt/notesSlides/n.xml", data),
        ("ppt/comments/c.xml", data),
    ]);
    let _ = extract(Path::new("x.pptx"), &pptx, &limits);
});
