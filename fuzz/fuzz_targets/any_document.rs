//! Any bytes under any name: format detection, the zip reader (docx/odt
//! containers), HTML and plain text. PDFs go to poppler, not our code, and
//! are skipped so runs stay fast.
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if data.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return;
    }
    let mut limits = Limits {
        max_entry_bytes: 4 << 20,
        max_total_bytes: 8 << 20,
        ..Limits::default()
    };
    // Images go to Tesseract, not our code (the header checks before it
    // still run): keep runs fast.
    limits.ocr.enabled = false;
    for name in ["x.docx", "x.odt", "x.html", "x.txt"] {
        let _ = extract(Path::new(name), data, &limits);
    }
});
