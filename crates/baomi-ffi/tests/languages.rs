//! The shared library called from Java (JNA, examples/java) and PHP (FFI,
//! examples/php), as the README shows: each program prints the JSON
//! reports of a text and a file, which must be the CLI's byte for byte.
//! Needs `javac`/`java` with Debian's libjna-java, and `php` (CI installs
//! them: .ci/install-deps.sh); skipped elsewhere with a message, never
//! under CI.

use baomi_core::{ScanReport, Scanner};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

fn lib_dir() -> PathBuf {
    common::lib_dir()
}

fn have(tool: &str, what: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok()
        || Command::new(tool).arg("-version").output().is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have {tool} for {what} (see .ci/install-deps.sh)"
        );
        eprintln!("SKIPPED: {what} needs {tool}");
    }
    ok
}

/// What each program must print for examples/flagged-notice.txt.
fn expected(file: &Path) -> Vec<String> {
    let scanner = Scanner::shipped();
    let text = "关于报送材料的通知\n本件机密★5年，请妥善保管。\n";
    let limits = baomi_extract::Limits::default();
    vec![
        "text: verdict 2".into(),
        ScanReport::one(scanner.review_text("draft.txt", text)).to_json(),
        format!("{}: verdict 2", file.display()),
        ScanReport::one(baomi_extract::review_file(file, &scanner, &limits)).to_json(),
    ]
}

fn check(out: std::process::Output, file: &Path, who: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{who} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(lines, expected(file), "{who}");
}

fn flagged() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/flagged-notice.txt")
}

#[test]
fn java_through_jna() {
    let jna = Path::new("/usr/share/java/jna.jar");
    if !have("javac", "the Java example") {
        return;
    }
    if !jna.exists() {
        assert!(std::env::var_os("CI").is_none(), "CI must have libjna-java");
        eprintln!(
            "SKIPPED: the Java example needs {} (apt-get install libjna-java)",
            jna.display()
        );
        return;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/java/BaomiScan.java");
    let tmp = std::env::temp_dir().join(format!("baomi-java-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let st = Command::new("javac")
        .arg("-cp")
        .arg(jna)
        .arg("-d")
        .arg(&tmp)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success(), "javac failed");
    let out = Command::new("java")
        .arg("-cp")
        .arg(format!("{}:{}", jna.display(), tmp.display()))
        .arg(format!("-Djna.library.path={}", lib_dir().display()))
        .arg("-Dfile.encoding=UTF-8")
        .arg("-Dstdout.encoding=UTF-8")
        .arg("BaomiScan")
        .arg(flagged())
        .output()
        .unwrap();
    check(out, &flagged(), "java");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn php_through_ffi() {
    if !have("php", "the PHP example") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/php/scan.php");
    let out = Command::new("php")
        .args(["-d", "ffi.enable=1"])
        .arg(script)
        .arg(lib_dir().join("libbaomi_ffi.so"))
        .arg(flagged())
        .output()
        .unwrap();
    check(out, &flagged(), "php");
}
