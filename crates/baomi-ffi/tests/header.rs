//! `include/baomi.h` is generated from `src/lib.rs` by cbindgen (used as a
//! library, from this test, so no tool has to be installed); the test fails
//! when the checked-in header no longer matches the code.
//! Regenerate with `BAOMI_BLESS=1 cargo test -p baomi-ffi --test header`.

use std::path::Path;

#[test]
fn header_matches_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen parses src/lib.rs")
        .write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = dir.join("include/baomi.h");
    if std::env::var_os("BAOMI_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} is out of date with src/lib.rs; regenerate it with \
         `BAOMI_BLESS=1 cargo test -p baomi-ffi --test header` and commit it",
        path.display()
    );
    for f in [
        "baomi_scanner_new",
        "baomi_scan_text",
        "baomi_review_file",
        "baomi_string_free",
        "baomi_last_error",
    ] {
        assert!(
            generated.contains(&format!("{f}(")),
            "{f} missing from the header"
        );
    }
}
