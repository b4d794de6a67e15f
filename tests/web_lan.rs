//! Reviewers on their own PCs: one `baomi serve` without `--key`, each
//! reviewer's key made and kept in their own browser (headless Chromium,
//! one context per reviewer, through `tests/browser/lan_review.mjs`), the
//! administrator registering their enrolment codes with the command line.
//! The ledger then verifies with the trust file, with one distinct signer
//! per stage, and every forged or replayed request was refused with
//! nothing written.

use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");
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
        eprintln!("SKIPPED: the browser test needs {CHROMIUM} and node");
    }
    ok
}

fn browser_dir() -> PathBuf {
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

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("BAOMI_CHECKPOINTS")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An office with one draft scanned (entry 1), in `<tmp>/office`.
fn office() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["init", "office"]);
    assert!(out.status.success(), "{}", text(&out));
    let dir = tmp.path().join("office");
    let draft = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/draft.docx");
    std::fs::copy(&draft, dir.join("share/inbox/draft.docx")).unwrap();
    let out = run(&dir, &["watch", "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(std::fs::read(&draft).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (tmp, dir, sha)
}

struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> (Serve, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("baomi serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (Serve(child), url)
}

fn entries(dir: &Path) -> u64 {
    baomi_ledger::Ledger::open_existing(&dir.join("state/baomi.db"))
        .unwrap()
        .len()
        .unwrap()
}

#[test]
fn three_reviewers_sign_from_their_own_browsers() {
    if !tools_present() {
        return;
    }
    let browser = browser_dir();
    let (_tmp, dir, sha) = office();
    assert_eq!(entries(&dir), 1);
    let (server, url) = serve(&dir, &[]);
    let reviewers = serde_json::json!([
        {"person": "张三（办公室）", "role": "department", "stage": "department",
         "conclusion": "publish-after-changes", "changes": "删除密级标志", "opinion": "修改后可公开"},
        {"person": "李四（工作部）", "role": "work-department", "stage": "work-department",
         "conclusion": "publish-after-changes", "changes": "同部门意见", "opinion": "同意部门意见"},
        {"person": "王五（保密委）", "role": "secrecy-committee", "stage": "secrecy-committee",
         "waive": "示例文字，非真实密级", "conclusion": "withhold", "opinion": "不予公开",
         "basis": "《中华人民共和国保守国家秘密法》第二条"},
    ]);
    let out = Command::new("node")
        .arg(browser.join("lan_review.mjs"))
        .env("BAOMI_URL", &url)
        .env("BAOMI_SHA", &sha)
        .env("BAOMI_BIN", BIN)
        .env("BAOMI_DIR", &dir)
        .env("BAOMI_REVIEWERS", reviewers.to_string())
        .env("BAOMI_REFUSALS", "1")
        .env("CHROMIUM", CHROMIUM)
        .output()
        .expect("node runs");
    drop(server);
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
        "browser run failed: {seen:#}"
    );
    let rs = seen["reviewers"].as_array().unwrap();
    assert_eq!(rs.len(), 3);
    let ids: Vec<&str> = rs.iter().map(|r| r["keyId"].as_str().unwrap()).collect();
    let distinct: std::collections::HashSet<&&str> = ids.iter().collect();
    assert_eq!(distinct.len(), 3, "each browser has its own key: {ids:?}");
    // The committee's waiver, shown in words and signed in its browser.
    assert!(
        rs[2]["waiverShown"].as_str().unwrap().contains("示例文字"),
        "{seen:#}"
    );
    assert_eq!(rs[2]["waived"], 1, "{seen:#}");
    for r in rs {
        let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
        assert!(
            s("loginBeforeRegistration").contains("not registered"),
            "{r:#}"
        );
        assert!(s("registered").contains(&s("keyId")), "{r:#}");
        assert!(s("header").contains(&s("person")), "{r:#}");
        // Shown in words before signing: the stage and the conclusion.
        assert!(s("shown").contains("审查结论"), "{r:#}");
        assert!(
            s("shown").contains("修改后公开") || s("shown").contains("不予公开"),
            "{r:#}"
        );
        assert!(s("signedPayload").contains(&s("stage")), "{r:#}");
        assert!(s("notice").contains("已签名"), "{r:#}");
    }
    let f = &seen["refusals"];
    let refused = |name: &str, status: u64, words: &str| {
        assert_eq!(f[name]["status"], status, "{name}: {f:#}");
        assert!(
            f[name]["error"].as_str().unwrap_or("").contains(words),
            "{name}: {f:#}"
        );
    };
    refused("otherKey", 403, "does not verify");
    refused("changedPayload", 400, "differs from the one prepared");
    refused("forgedOrigin", 403, "evil.example");
    refused("replayed", 409, "already used");
    refused("unregisteredPrepare", 401, "not logged in");
    refused("revokedPrepare", 403, "revoked");
    assert!(
        f["unregisteredLogin"]
            .as_str()
            .unwrap()
            .contains("not registered"),
        "{f:#}"
    );
    assert_eq!(f["unregisteredReadsLogin"], true, "{f:#}");
    assert_eq!(
        f["revokedReadsLogin"], true,
        "a revoked key's session ends: {f:#}"
    );
    assert!(
        f["revokedLogin"].as_str().unwrap().contains("revoked"),
        "{f:#}"
    );
    assert!(f["revoked"].as_str().unwrap().contains(ids[0]), "{f:#}");
    // Read without JavaScript: queue, document (findings in context), form.
    assert!(
        f["noJsQueue"].as_str().unwrap().contains("保密自查"),
        "{f:#}"
    );
    assert!(
        f["noJsDocument"].as_str().unwrap().contains("审查记录"),
        "{f:#}"
    );
    assert!(f["noJsMarks"].as_u64().unwrap() > 0, "{f:#}");
    assert!(f["noJsForm"].as_str().unwrap().contains("张三"), "{f:#}");
    assert!(
        f["noJsPost"]
            .as_str()
            .unwrap()
            .contains("需要在浏览器中签名"),
        "{f:#}"
    );

    // Exactly: the scan, two decisions, the waiver, the third decision,
    // the revocation. Nothing refused was written.
    assert_eq!(entries(&dir), 6);
    let v = run(&dir, &["ledger", "verify", "--json"]);
    assert!(v.status.success(), "{}", text(&v));
    let report: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(report["trust_checked"], true, "{report:#}");
    let signers = report["signers"].as_object().unwrap();
    // One key per stage; the committee also signed the waiver.
    for (id, n) in ids.iter().zip([1, 1, 2]) {
        assert_eq!(
            signers.get(*id).and_then(Value::as_u64),
            Some(n),
            "{report:#}"
        );
    }
    assert_eq!(signers.len(), 4, "scanner + three reviewers: {report:#}");
    // No private key reached the server's folder: only public keys are in
    // the trust file, and no enrolment request is left.
    let trust = std::fs::read_to_string(dir.join("trust.toml")).unwrap();
    for id in &ids {
        assert!(trust.contains(id), "{trust}");
    }
    let left = std::fs::read_dir(dir.join("state/baomi.db.enrolments"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 1, "only the stranger's request waits");
}

#[test]
fn lan_binding_needs_a_public_url_and_browser_mode_a_trust_file() {
    let (_tmp, dir, _) = office();
    let out = run(
        &dir,
        &["serve", "--bind", "0.0.0.0:0", "--allow-host", "x:1"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("needs --public-url"), "{}", text(&out));
    std::fs::remove_file(dir.join("trust.toml")).unwrap();
    std::fs::write(
        dir.join("baomi.toml"),
        std::fs::read_to_string(dir.join("baomi.toml"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("trust"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let out = run(&dir, &["serve", "--bind", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("trust file"), "{}", text(&out));
}

#[test]
fn register_and_revoke_say_what_is_wrong() {
    let (_tmp, dir, _) = office();
    let out = run(
        &dir,
        &[
            "key",
            "register",
            "--enrolment",
            "ZZZZ-ZZZZ",
            "--person",
            "x",
            "--role",
            "department",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no enrolment request with code ZZZZ-ZZZZ"),
        "{}",
        text(&out)
    );
    let out = run(&dir, &["key", "enrolments"]);
    assert!(
        text(&out).contains("no enrolment requests waiting"),
        "{}",
        text(&out)
    );
    let out = run(&dir, &["key", "revoke", "not-a-key"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is not a key id"), "{}", text(&out));
    // A reviewer may not revoke: only the scanner key or the committee.
    let out = run(
        &dir,
        &[
            "key",
            "new",
            "keys/zhang",
            "--person",
            "张三",
            "--role",
            "department",
            "--register",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        &dir,
        &[
            "key",
            "revoke",
            "0123456789abcdef",
            "--key",
            "keys/zhang.key",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("signing here needs scanner or secrecy-committee"),
        "{}",
        text(&out)
    );
    assert_eq!(entries(&dir), 1, "nothing written");
    // The scanner key revokes (once); the ledger still verifies.
    let out = run(
        &dir,
        &["key", "revoke", "0123456789abcdef", "--reason", "丢失"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in entry #2"), "{}", text(&out));
    let out = run(&dir, &["key", "revoke", "0123456789ABCDEF"]);
    assert!(
        text(&out).contains("already revoked by entry #2"),
        "{}",
        text(&out)
    );
    let v = run(&dir, &["ledger", "verify"]);
    assert!(v.status.success(), "{}", text(&v));
}
