//! Compiles `examples/scan.c` with the system C compiler against the static
//! library and runs it: the C interface works from C as the header
//! describes, and its JSON is the CLI's (the same `ScanReport` of the same
//! review as `baomi scan --format json`).

use baomi_core::{ScanReport, Scanner};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// target/debug (or release): where cargo put libbaomi_ffi.a for this build.
fn lib_dir() -> PathBuf {
    common::lib_dir()
}

#[test]
fn c_program_scans_text_and_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = lib_dir().join("libbaomi_ffi.a");
    assert!(lib.exists(), "{} not built", lib.display());
    let tmp = std::env::temp_dir().join(format!("baomi-ffi-c-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let exe = tmp.join("scan");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(dir.join("include"))
        .arg(dir.join("examples/scan.c"))
        .arg(&lib)
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(
        out.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let examples = dir.join("../../examples");
    let flagged = examples.join("flagged-notice.txt");
    let missing = tmp.join("no-such-draft.docx");
    let out = Command::new(&exe)
        .arg(&flagged)
        .arg(&missing)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();

    let scanner = Scanner::shipped();
    let text = "关于报送材料的通知\n本件机密★5年，请妥善保管。\n";
    assert_eq!(lines[0], "text: verdict 2");
    assert_eq!(
        lines[1],
        ScanReport::one(scanner.review_text("draft.txt", text)).to_json()
    );
    let parsed: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(parsed["documents"][0]["title"], "关于报送材料的通知");
    assert_eq!(parsed["documents"][0]["findings"][0]["matched"], "机密★5年");
    assert!(
        lines[2].starts_with("bad text: text: text is not valid UTF-8"),
        "{}",
        lines[2]
    );

    // A file: byte-for-byte the CLI's JSON for it.
    let limits = baomi_extract::Limits::default();
    let cli =
        |p: &Path| ScanReport::one(baomi_extract::review_file(p, &scanner, &limits)).to_json();
    assert_eq!(lines[3], format!("{}: verdict 2", flagged.display()));
    assert_eq!(lines[4], cli(&flagged));
    // An unreadable file is a report with verdict error (fail closed).
    assert_eq!(lines[5], format!("{}: verdict 3", missing.display()));
    assert_eq!(lines[6], cli(&missing));
    assert!(lines[6].contains(r#""verdict":"error""#));
    let _ = std::fs::remove_dir_all(&tmp);
}
