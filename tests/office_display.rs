//! What people read, end to end through the real binary: every date and
//! time in the office's zone, labelled, from one function — the printable
//! form of the web UI, the exported HTML form, `baomi review show/list` —
//! and control and bidi characters in file names, titles, opinions and
//! names shown as visible escapes (`⟨U+202E⟩`) on every page and in the CLI.
//!
//! The ledger's times are the clock's, so the test re-times a real ledger:
//! it scans and decides with the real binary, then rewrites every entry to
//! 23:30 UTC (07:30 the next morning in Beijing) and signs it again with
//! the same keys, exactly as if the clock had said so.

mod web_support;

use baomi_ledger::{load_private_key, Ledger};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use web_support::{Office, Server, BIN};

/// 23:30 UTC on 1 December: already 2 December in Beijing.
const LATE: &str = "2026-12-01T23:30:00Z";
const LOCAL: &str = "2026-12-02 07:30 北京时间";
const LOCAL_DATE: &str = "2026-12-02";
const UTC_DATE: &str = "2026-12-01";

/// A draft whose file name holds a right-to-left override (it would show
/// as `rtl-exe.txt`) and whose title holds an escape sequence and one.
const FILE: &str = "drafts/rtl-\u{202e}txt.exe";
const TITLE_TEXT: &str = "关于\u{1b}[31m年度\u{202e}检查的通知\n本件为内部资料，注意保存。\n";
const SHOWN_FILE: &str = "rtl-⟨U+202E⟩txt.exe";
const SHOWN_TITLE: &str = "关于⟨U+001B⟩[31m年度⟨U+202E⟩检查的通知";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `baomi ARGS` in the office with the given environment.
fn run_env(office: &Office, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(office.path(""))
        .env("NO_COLOR", "1")
        .env_remove("BAOMI_TIMEZONE");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok_env(office: &Office, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = run_env(office, args, env);
    assert!(
        out.status.success(),
        "baomi {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// `baomi serve` with the given environment (the shared helper inherits
/// the test's own).
fn serve_env(office: &Office, env: &[(&str, &str)]) -> Server {
    let mut c = Command::new(BIN);
    c.args([
        "serve",
        "--db",
        "baomi.db",
        "--trust",
        "trust.toml",
        "--listen",
        "127.0.0.1:0",
        "--key",
        "keys/committee.key",
        "--scanner-key",
        "keys/scanner.key",
    ])
    .current_dir(office.path(""))
    .env_remove("BAOMI_TIMEZONE")
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("baomi serve: listening on http://")
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("unexpected first line from baomi serve: {line:?}"))
        .to_string();
    Server { child, addr }
}

/// Rewrites every entry's time (and a scan's payload `time`) to `at`,
/// re-signs it with the office key that signed it and re-chains the
/// ledger; then drops the old checkpoints and rebuilds the index. The
/// result verifies like any ledger written at that time.
fn retime(office: &Office, at: &str) {
    let mut keys = HashMap::new();
    for entry in std::fs::read_dir(office.path("keys")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "key") {
            let k = load_private_key(&p).unwrap();
            keys.insert(k.key_id().to_string(), k);
        }
    }
    let entries = Ledger::open_existing(&office.path("baomi.db"))
        .unwrap()
        .entries()
        .unwrap();
    let db = rusqlite::Connection::open(office.path("baomi.db")).unwrap();
    db.execute_batch(
        "DROP TRIGGER entries_append_only_update; DROP TRIGGER entries_append_only_delete;",
    )
    .unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut prev = [0u8; 32];
    for mut e in entries {
        e.recorded_at = at.to_string();
        if let Some(old) = e.payload.get("time").and_then(|t| t.as_str()) {
            let text = String::from_utf8(e.payload_bytes.clone()).unwrap();
            let text = text.replace(
                &format!("\"time\":\"{old}\""),
                &format!("\"time\":\"{at}\""),
            );
            e.payload_bytes = text.into_bytes();
            e.payload["time"] = at.into();
        }
        e.prev_hash = prev;
        e.signature = keys[&e.key_id].sign(&e.signed_message());
        e.hash = e.computed_hash();
        prev = e.hash;
        db.execute(
            "UPDATE entries SET recorded_at = ?1, payload = ?2, signature = ?3, prev_hash = ?4, hash = ?5 WHERE seq = ?6",
            rusqlite::params![
                e.recorded_at,
                std::str::from_utf8(&e.payload_bytes).unwrap(),
                hex(&e.signature),
                hex(&e.prev_hash),
                hex(&e.hash),
                e.seq as i64
            ],
        )
        .unwrap();
    }
    drop(db);
    let _ = std::fs::remove_dir_all(office.path("baomi.db.checkpoints"));
    office.ok(&["ledger", "reindex", "--db", "baomi.db"]);
    let verify = office.ok(&[
        "ledger",
        "verify",
        "--db",
        "baomi.db",
        "--trust",
        "trust.toml",
    ]);
    assert!(stdout(&verify).contains("OK"), "{}", stdout(&verify));
    office.ok(&[
        "ledger",
        "head",
        "--db",
        "baomi.db",
        "--key",
        "keys/scanner.key",
    ]);
}

/// An office with the hostile-named draft scanned, its department stage
/// decided by a signer whose name holds an override, all at [`LATE`].
fn late_office() -> (Office, String) {
    let office = Office::new();
    // The department reviewer's name, as the secrecy officer typed it.
    let trust = std::fs::read_to_string(office.path("trust.toml")).unwrap();
    std::fs::write(
        office.path("trust.toml"),
        trust.replace("\"张部门\"", "\"张\u{202e}部门\""),
    )
    .unwrap();
    std::fs::write(office.path(FILE), TITLE_TEXT).unwrap();
    office.scan(&[FILE]);
    let sha = office.sha_of(FILE);
    office.ok(&[
        "review",
        "decide",
        &sha,
        "--stage",
        "department",
        "--conclusion",
        "publish-after-changes",
        "--changes",
        "删除“内部资料”\u{202e}字样",
        "--opinion",
        "删除后可公开\u{1b}[2J",
        "--key",
        "keys/dept.key",
    ]);
    retime(&office, LATE);
    (office, sha)
}

fn assert_no_raw_controls(what: &str, text: &str) {
    assert!(
        !text.contains('\u{202e}') && !text.contains('\u{1b}'),
        "{what} shows a raw control or bidi character:\n{text}"
    );
}

#[test]
fn review_show_and_list_use_the_office_clock_and_show_escapes() {
    let (office, sha) = late_office();
    let env = [("BAOMI_TIMEZONE", "Asia/Shanghai")];

    let show = ok_env(&office, &["review", "show", &sha], &env);
    assert!(show.contains(LOCAL), "{show}");
    assert!(!show.contains(UTC_DATE) && !show.contains(LATE), "{show}");
    assert_no_raw_controls("review show", &show);
    for shown in [
        SHOWN_FILE,
        SHOWN_TITLE,
        "张⟨U+202E⟩部门",
        "删除后可公开⟨U+001B⟩[2J",
        "删除“内部资料”⟨U+202E⟩字样",
    ] {
        assert!(show.contains(shown), "review show lacks {shown}:\n{show}");
    }

    let list = ok_env(&office, &["review", "list"], &env);
    assert!(list.contains(LOCAL), "{list}");
    assert!(!list.contains(UTC_DATE), "{list}");
    assert_no_raw_controls("review list", &list);
    assert!(
        list.contains(SHOWN_FILE) && list.contains(SHOWN_TITLE),
        "{list}"
    );

    // Another zone, from the environment: the same instant, its own date.
    let utc = ok_env(
        &office,
        &["review", "show", &sha],
        &[("BAOMI_TIMEZONE", "UTC")],
    );
    assert!(utc.contains("2026-12-01 23:30 UTC"), "{utc}");
    let urumqi = ok_env(
        &office,
        &["review", "list"],
        &[("BAOMI_TIMEZONE", "Asia/Urumqi")],
    );
    assert!(urumqi.contains("2026-12-02 05:30 乌鲁木齐时间"), "{urumqi}");
    // The default, with nothing configured, is Beijing time.
    let default = ok_env(&office, &["review", "list"], &[]);
    assert!(default.contains(LOCAL), "{default}");
}

#[test]
fn the_exported_form_dates_are_local() {
    let (office, _) = late_office();
    let env = [("BAOMI_TIMEZONE", "Asia/Shanghai")];
    let out = run_env(
        &office,
        &["ledger", "export", "--format", "html", "--out", "forms"],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let forms: Vec<String> = std::fs::read_dir(office.path("forms"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    let form = forms
        .iter()
        .find(|f| f.contains("信息公开保密审查表") && f.contains(SHOWN_FILE))
        .expect("the draft's form");
    assert!(form.contains(LOCAL), "{form}");
    assert!(!form.contains(UTC_DATE), "{form}");
    assert!(form.contains("张⟨U+202E⟩部门"), "{form}");
    for f in &forms {
        assert_no_raw_controls("exported form", f);
    }

    let csv = ok_env(&office, &["ledger", "export", "--format", "csv"], &env);
    assert!(csv.contains(LOCAL) && csv.contains(LATE), "{csv}");
    assert!(csv.lines().next().unwrap().contains(",recorded_local,"));
}

#[test]
fn web_pages_use_the_office_clock_and_show_escapes() {
    let (office, sha) = late_office();
    let server = serve_env(&office, &[("BAOMI_TIMEZONE", "Asia/Shanghai")]);

    let queue = server.get("/").text();
    let doc = server.get(&format!("/documents/{sha}")).text();
    let form = server.get(&format!("/documents/{sha}/form")).text();
    for (name, page) in [("queue", &queue), ("document", &doc), ("form", &form)] {
        assert_no_raw_controls(name, page);
        assert!(
            page.contains(SHOWN_FILE) && page.contains(SHOWN_TITLE),
            "{name} lacks the escaped file name or title:\n{page}"
        );
        assert!(
            !page.contains(UTC_DATE),
            "{name} shows the UTC date:\n{page}"
        );
    }
    assert!(queue.contains(LOCAL), "{queue}");
    assert!(doc.contains(LOCAL), "{doc}");
    // The printable form's dates are the office's date, and say so.
    assert!(form.contains(&format!("<td>{LOCAL_DATE}</td>")), "{form}");
    assert!(form.contains("（北京时间）"), "{form}");
    assert!(form.contains("张⟨U+202E⟩部门"), "{form}");
    assert!(doc.contains("删除后可公开⟨U+001B⟩[2J"), "{doc}");
    // Chinese for the officer: the key's role, no English identifiers.
    assert!(doc.contains("角色：保密委员会"), "{doc}");
    assert!(!doc.contains("角色：secrecy-committee"), "{doc}");
    assert!(doc.contains("置信度：高"), "{doc}");
    drop(server);

    // A zone from baomi.toml (BAOMI_TIMEZONE unset): the office's file.
    std::fs::write(office.path("baomi.toml"), "timezone = \"Asia/Hong_Kong\"\n").unwrap();
    let server = serve_env(&office, &[]);
    let form = server.get(&format!("/documents/{sha}/form")).text();
    assert!(form.contains("（香港时间）"), "{form}");
    let doc = server.get(&format!("/documents/{sha}")).text();
    assert!(doc.contains("2026-12-02 07:30 香港时间"), "{doc}");
    drop(server);
    // …and the environment wins over the file.
    let list = ok_env(&office, &["review", "list"], &[("BAOMI_TIMEZONE", "UTC")]);
    assert!(list.contains("2026-12-01 23:30 UTC"), "{list}");
}
