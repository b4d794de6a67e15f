//! The WebAssembly build in the JS engines it is for: builds
//! `baomi_wasm.wasm` (bindings/wasm/build.sh), then reviews the same drafts
//! under Node (bindings/wasm/test/node.mjs) and in headless Chromium through
//! the example page (tests/browser/wasm_page.mjs: typing into the
//! `<textarea>`, the debounced check, the findings shown), and requires
//! every JSON report to be byte-for-byte the native scanner's.
//!
//! Needs node, Debian's chromium and the wasm32-unknown-unknown target
//! (CI has all three: .ci/install-deps.sh); elsewhere it is skipped with a
//! message, but never under CI.

use baomi_core::{ScanReport, Scanner};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn available() -> bool {
    let node = Command::new("node").arg("--version").output().is_ok();
    let target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(true); // no rustup: let cargo say what is missing
    let chromium =
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some();
    if node && target && chromium {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must have node, chromium and the wasm32-unknown-unknown target (see .ci/install-deps.sh)"
    );
    eprintln!("SKIPPED: needs node, chromium and `rustup target add wasm32-unknown-unknown`");
    false
}

/// The drafts both sides review: every UTF-8 example, plus texts that
/// exercise the clock (ID-card birth dates), traditional characters,
/// Markdown titles and the empty text.
fn cases() -> Vec<(String, String)> {
    let mut cases = Vec::new();
    let examples = root().join("examples");
    let mut paths: Vec<_> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        if let Ok(text) = String::from_utf8(std::fs::read(&p).unwrap()) {
            cases.push((p.file_name().unwrap().to_string_lossy().into_owned(), text));
        }
    }
    for (name, text) in [
        (
            "id.txt",
            "联系人身份证号11010519491231002X，手机13912345678",
        ),
        ("trad.txt", "本文件屬於內部資料，不得外傳"),
        ("notes.md", "前言\n# 关于报送材料的通知\n工作秘密★\n"),
        ("empty.txt", ""),
        ("", "机密★1年"),
    ] {
        cases.push((name.into(), text.into()));
    }
    cases
}

fn run_node(script: &Path, cases_file: &Path) -> serde_json::Value {
    let out = Command::new("node")
        .arg(script)
        .arg(cases_file)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} failed:\n{stdout}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn wasm_reports_equal_native_under_node_and_in_chromium() {
    if !available() {
        return;
    }
    let build = Command::new("bash")
        .arg(root().join("bindings/wasm/build.sh"))
        .status()
        .expect("bash runs");
    assert!(build.success(), "bindings/wasm/build.sh failed");

    let scanner = Scanner::shipped();
    let cases = cases();
    let expected: Vec<String> = cases
        .iter()
        .map(|(name, text)| {
            let name = if name.is_empty() { "text" } else { name };
            ScanReport::one(scanner.review_text(name, text)).to_json()
        })
        .collect();
    let tmp = std::env::temp_dir().join(format!("baomi-wasm-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let cases_file = tmp.join("cases.json");
    let list: Vec<_> = cases
        .iter()
        .map(|(n, t)| serde_json::json!({"name": n, "text": t}))
        .collect();
    std::fs::write(&cases_file, serde_json::to_string(&list).unwrap()).unwrap();

    let node = run_node(&root().join("bindings/wasm/test/node.mjs"), &cases_file);
    for (i, (name, _)) in cases.iter().enumerate() {
        assert_eq!(node["reports"][i], expected[i].as_str(), "node: {name:?}");
    }
    assert!(
        node["rulesError"]
            .as_str()
            .unwrap()
            .starts_with("baomi: rules.toml"),
        "{node}"
    );
    assert_eq!(node["freedError"], "baomi: this Scanner was freed");

    let browser_dir = root().join("tests/browser");
    if !browser_dir.join("node_modules/playwright-core").exists() {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&browser_dir)
            .status()
            .expect("npm runs");
        assert!(st.success(), "npm ci in tests/browser failed");
    }
    let page = run_node(&browser_dir.join("wasm_page.mjs"), &cases_file);
    assert_eq!(page["errors"], serde_json::json!([]), "{page:#}");
    for (i, (name, _)) in cases.iter().enumerate() {
        assert_eq!(
            page["reports"][i],
            expected[i].as_str(),
            "chromium: {name:?}"
        );
    }
    // Typed key by key: checked once, after the typing stopped (debounced),
    // with both findings listed.
    let typed = &page["typed"];
    assert_eq!(typed["checks"], 1, "{typed}");
    assert_eq!(typed["verdict"], "withhold — 不得发布");
    let findings: Vec<&str> = typed["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings[0].ends_with("：机密★5年"), "{findings:?}");
    assert!(findings[1].contains("personal.id-card"), "{findings:?}");
    assert_eq!(page["cleared"], "clear — 可以发布");
    let _ = std::fs::remove_dir_all(&tmp);
}
