//! Arbitrary HTML: tokenizer, hidden-element tracking, tables, comments.
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut page = b"<!doctype html>".to_vec();
    page.extend_from_slice(data);
    let _ = extract(Path::new("x.html"), &page, &Limits::default());
});
