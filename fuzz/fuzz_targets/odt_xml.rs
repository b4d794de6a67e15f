//! Arbitrary content.xml and styles.xml inside a valid odt container: the
//! OpenDocument walker (tracked changes, annotations, hidden styles).
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let entries: [(&str, &[u8]); 4] = [
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", data),
        ("styles.xml", data),
        ("meta.xml", data),
    ];
    for (name, bytes) in entries {
        if w.start_file(name, opts).is_err() || w.write_all(bytes).is_err() {
            return;
        }
    }
    let Ok(bytes) = w.finish() else { return };
    let _ = extract(Path::new("x.odt"), &bytes.into_inner(), &Limits::default());
});
