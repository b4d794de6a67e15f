//! Arbitrary word/document.xml (and the same bytes as comments.xml,
//! footnotes.xml, styles.xml, settings.xml and docProps/core.xml) inside a
//! valid zip: the WordprocessingML walker.
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for name in [
        "word/document.xml",
        "word/comments.xml",
        "word/footnotes.xml",
        "docProps/core.xml",
        "word/styles.xml",
        "word/settings.xml",
    ] {
        if w.start_file(name, opts).is_err() || w.write_all(data).is_err() {
            return;
        }
    }
    let Ok(bytes) = w.finish() else { return };
    let _ = extract(Path::new("x.docx"), &bytes.into_inner(), &Limits::default());
});
