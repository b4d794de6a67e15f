//! Arbitrary Word binary streams inside a valid OLE2 compound file: the
//! input is a little-endian u32 length, that many bytes of `WordDocument`
//! stream (FIB, text, CHPX/PAPX pages), and the rest as the table stream
//! (`0Table` and `1Table`: piece table, PLCs, author tables) and as the
//! `\x05SummaryInformation` property set. Exercises the .doc reader
//! (crates/baomi-extract/src/doc.rs) and the property-set reader, past the
//! container that `any_document` rarely gets through.
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let len = (u32::from_le_bytes(*len) as usize).min(rest.len());
    let (word, table) = rest.split_at(len);
    let Ok(mut comp) = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())) else {
        return;
    };
    for (name, bytes) in [
        ("WordDocument", word),
        ("0Table", table),
        ("1Table", table),
        ("\u{5}SummaryInformation", table),
    ] {
        let Ok(mut s) = comp.create_stream(name) else {
            return;
        };
        if s.write_all(bytes).is_err() {
            return;
        }
    }
    if comp.flush().is_err() {
        return;
    }
    let bytes = comp.into_inner().into_inner();
    for name in ["x.doc", "x.wps"] {
        let _ = extract(Path::new(name), &bytes, &Limits::default());
    }
});
