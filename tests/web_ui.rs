//! The reviewer web UI in a real browser: `baomi serve` (the real binary)
//! on a real ledger filled by `baomi scan --db`, driven by headless
//! Chromium through `tests/browser/review_flow.mjs` (playwright-core).
//!
//! Needs Debian's `chromium` and `node` (CI installs both through
//! `.ci/install-deps.sh`). Where they are missing the test says so and
//! passes locally, but fails under CI (`CI` set), so a missing install step
//! cannot hide.

mod web_support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use web_support::Office;

const CHROMIUM: &str = "/usr/bin/chromium";

fn tools_present() -> bool {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let ok = node && Path::new(CHROMIUM).exists();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium and node (see .ci/install-deps.sh)"
        );
        eprintln!("SKIPPED: the browser test needs {CHROMIUM} and node (apt-get install chromium nodejs npm)");
    }
    ok
}

/// `npm ci` in tests/browser when playwright-core is not installed yet.
fn browser_dir() -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !dir.join("node_modules/playwright-core").exists() {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm runs");
        assert!(st.success(), "npm ci in tests/browser failed");
    }
    dir
}

fn assert_png(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        path.display()
    );
    // A blank page compresses to a few hundred bytes; real text does not.
    assert!(
        bytes.len() > 10_000,
        "{} looks empty ({} bytes)",
        path.display(),
        bytes.len()
    );
    bytes.len()
}

#[test]
fn a_reviewer_reads_the_finding_in_context_signs_and_prints_the_form() {
    if !tools_present() {
        return;
    }
    let browser = browser_dir();
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let docx_sha = office.sha_of("drafts/draft.docx");
    let before = office.entries();
    let server = office.serve("dept", &[]);
    let shots = office.path("shots");
    std::fs::create_dir_all(&shots).unwrap();

    let started = Instant::now();
    let out = Command::new("node")
        .arg(browser.join("review_flow.mjs"))
        .env("BAOMI_URL", server.url(""))
        .env("BAOMI_SHA", &sha)
        .env("BAOMI_DOCX_SHA", &docx_sha)
        .env("OUT_DIR", &shots)
        .env("CHROMIUM", CHROMIUM)
        .output()
        .expect("node runs");
    assert!(started.elapsed() < Duration::from_secs(300));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seen: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("")).unwrap_or_else(|e| {
            panic!(
                "no result from the browser ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(
        out.status.success() && seen.get("error").is_none(),
        "browser flow failed: {seen:#}"
    );

    // Untrusted text rendered as text: nothing ran, nothing was injected.
    assert!(seen["dialogs"].as_array().unwrap().is_empty(), "{seen:#}");
    assert_eq!(seen["pwned"], Value::Null);
    assert_eq!(seen["scriptElements"], 0);
    assert_eq!(seen["imgElements"], 0);
    assert_ne!(seen["titleAfterLoad"], "pwned");
    assert_eq!(seen["scriptShownAsText"], true, "{seen:#}");
    assert_eq!(seen["controlsShown"], true, "{seen:#}");

    // An out-of-order decision was refused with the reason.
    assert!(
        seen["refusal"].as_str().unwrap().contains("未记录"),
        "{seen:#}"
    );

    // The decision went through the form and shows on the page.
    assert!(
        seen["notice"]
            .as_str()
            .unwrap()
            .contains("审查意见已签名并记入账本"),
        "{seen:#}"
    );
    let rows = seen["decisionRows"].to_string();
    assert!(
        rows.contains("张部门") && rows.contains("不予公开"),
        "{rows}"
    );

    // Tracked deletion and comment findings are set apart.
    let hidden = seen["hiddenSections"].to_string();
    assert!(
        hidden.contains("修订删除") && hidden.contains("批注"),
        "{hidden}"
    );
    assert!(seen["hiddenWarnings"].as_u64().unwrap() >= 2);
    assert_eq!(seen["hiddenBorder"], "rgb(179, 38, 30)");

    // The printable form: every field of the office's form, the signer, one
    // A4 page, no navigation in print.
    let form = seen["formText"].as_str().unwrap();
    for label in [
        "信息公开保密审查表",
        "标题",
        "文号",
        "不公开的依据或理由",
        "审查结论或处理意见",
        "审查责任人签章和日期",
    ] {
        assert!(form.contains(label), "form lacks {label}: {form}");
    }
    assert!(
        form.contains("某办发〔2026〕9号")
            && form.contains("张部门")
            && form.contains("个人信息保护法")
    );
    // Dates on the form are the office's, and the form says which zone.
    let zone = baomi_core::time::office_zone().label();
    assert!(form.contains(&format!("（{zone}）")), "{form}");
    assert!(
        !form.contains('\u{202e}') && !form.contains('\u{1b}'),
        "raw control characters on the form: {form}"
    );
    assert_eq!(seen["formPdfPages"], 1, "the form prints on one A4 page");
    assert_eq!(seen["printHidesNav"], "none");
    let pdf = std::fs::read(shots.join("form.pdf")).unwrap();
    let pdf = String::from_utf8_lossy(&pdf);
    assert!(
        pdf.contains("/MediaBox [0 0 595") || pdf.contains("/MediaBox [0 0 594"),
        "A4 media box"
    );

    for shot in ["document.png", "hidden-parts.png", "form.png"] {
        assert_png(&shots.join(shot));
    }
    if let Some(dir) = std::env::var_os("BAOMI_KEEP_SCREENSHOTS") {
        for f in ["document.png", "hidden-parts.png", "form.png", "form.pdf"] {
            std::fs::copy(shots.join(f), Path::new(&dir).join(f)).unwrap();
        }
    }

    // The ledger holds exactly one new entry: the signed decision, and it
    // verifies against the trust file.
    drop(server);
    assert_eq!(office.entries(), before + 1);
    let ledger = baomi_ledger::Ledger::open_existing(&office.path("baomi.db")).unwrap();
    let last = ledger.entries_for_document(&sha).unwrap().pop().unwrap();
    assert_eq!(last.kind, "decision");
    assert_eq!(last.payload["stage"], "department");
    assert_eq!(last.payload["role"], "department");
    assert_eq!(last.payload["conclusion"], "withhold");
    let dept = baomi_ledger::load_private_key(&office.path("keys/dept.key")).unwrap();
    assert_eq!(last.key_id, dept.key_id());
    let verify = office.run(&[
        "ledger",
        "verify",
        "--db",
        "baomi.db",
        "--trust",
        "trust.toml",
    ]);
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
