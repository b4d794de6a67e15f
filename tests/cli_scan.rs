//! End-to-end tests of `baomi scan` and `baomi rules`: the real binary on
//! real files.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn baomi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run baomi")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn json_scan(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let o = baomi(&all);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)));
    (code(&o), v)
}

fn repo(p: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(p)
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

#[test]
fn examples_are_flagged_and_exit_code_is_one() {
    let (c, v) = json_scan(&[&repo("examples")]);
    assert_eq!(c, 1);
    let docs = v["documents"].as_array().unwrap();
    let verdict = |name: &str| {
        docs.iter()
            .find(|d| d["path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} missing"))["verdict"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(verdict("clean-notice.txt"), "clear");
    assert_eq!(verdict("flagged-notice.txt"), "withhold");
    assert_eq!(verdict("benefit-recipients.md"), "withhold");
    assert_eq!(verdict("gbk-draft.txt"), "review");
}

#[test]
fn json_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "draft.txt",
        "关于某事项的通知\n财税〔2016〕36号\n\n正文第一行\n本件　机 密★１年\n".as_bytes(),
    );
    let (c, v) = json_scan(&[&f]);
    assert_eq!(c, 1);
    let d = &v["documents"][0];
    assert_eq!(d["path"], f.as_str());
    assert_eq!(d["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(d["title"], "关于某事项的通知");
    assert_eq!(d["doc_number"], "财税〔2016〕36号");
    assert_eq!(d["verdict"], "withhold");
    assert_eq!(d["coverage"]["complete"], true);
    assert_eq!(d["error"], Value::Null);
    let finding = &d["findings"][0];
    assert_eq!(finding["rule"], "marking.classification");
    assert_eq!(finding["category"], "state-secret");
    assert_eq!(finding["severity"], "block");
    assert_eq!(
        finding["matched"], "机 密★１年",
        "reported in the original text, full-width digit and all"
    );
    assert_eq!(finding["confidence"], "high");
    assert_eq!(finding["location"]["part"], "body");
    assert_eq!(finding["location"]["line"], 5);
    assert_eq!(finding["location"]["column"], 4);
    assert!(finding["basis"]
        .as_str()
        .unwrap()
        .contains("保守国家秘密法"));
    assert!(finding["context"]
        .as_str()
        .unwrap()
        .contains("正文第一行⏎本件"));
}

#[test]
fn clean_text_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.txt", "依据《中华人民共和国保守国家秘密法》，做好保密审查工作，防止失窃密。涉及商业秘密的不予公开。".as_bytes());
    let blank = write(dir.path(), "blank.txt", b"\n");
    let o = baomi(&["scan", &f, &blank]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 documents: 2 clear"));
}

/// The same rule as the daemon's (tests/watch_daemon.rs): zero bytes is
/// almost always a failed copy, so it is an `error`, never `clear`.
#[test]
fn an_empty_file_is_an_error_not_clear() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.txt", b"");
    let empty_docx = write(dir.path(), "empty.docx", b"");
    let (c, v) = json_scan(&[&empty, &empty_docx]);
    assert_eq!(c, 2, "{v}");
    for d in v["documents"].as_array().unwrap() {
        assert_eq!(d["verdict"], "error", "{d}");
        assert_eq!(d["coverage"]["complete"], false);
        let e = d["error"].as_str().unwrap();
        assert!(
            e.contains("the file is empty (0 bytes): nothing to review; was the copy interrupted?"),
            "{e}"
        );
    }
    // Recorded as what it is: an error entry, not a cleared document.
    let db = dir.path().join("baomi.db");
    let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["scan", "--db"])
        .arg(&db)
        .arg(&empty)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["ledger", "export", "--db"])
        .arg(&db)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(r#""verdict":"error""#), "{out}");
}

#[test]
fn summary_says_why_a_document_is_an_error_and_ends_with_totals() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-ok.txt", "关于召开会议的通知\n".as_bytes());
    write(
        dir.path(),
        "b-flagged.txt",
        "内部资料 注意保存\n内部资料\n".as_bytes(),
    );
    write(
        dir.path(),
        "c-legacy.doc",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
    );
    write(dir.path(), "d-empty.txt", b"");
    let o = baomi(&["scan", "--format", "summary", dir.path().to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(lines[0].ends_with("a-ok.txt: clear 0 findings"), "{out}");
    assert!(
        lines[1].ends_with("b-flagged.txt: review 2 findings internal.marking=2"),
        "{out}"
    );
    let legacy = lines[2];
    assert!(
        legacy.contains("c-legacy.doc: error 0 findings — "),
        "{out}"
    );
    assert!(legacy.contains("save it as .docx"), "the reason: {out}");
    assert_eq!(
        legacy.matches("c-legacy.doc").count(),
        1,
        "the path is not repeated in the reason: {out}"
    );
    assert!(
        lines[3].contains("d-empty.txt: error 0 findings — the file is empty"),
        "{out}"
    );
    assert_eq!(
        lines[4], "4 documents: 1 clear, 1 review, 0 withhold, 2 error",
        "{out}"
    );
}

/// Log lines to a file, a pipe or the journal carry no colour codes (only
/// a terminal gets them).
#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.txt", "内部资料\n".as_bytes());
    for level in ["debug", "warn,baomi=debug"] {
        let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
            .args(["scan", &f])
            .env_remove("NO_COLOR")
            .env("BAOMI_LOG", level)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("DEBUG") && err.contains("reviewed"), "{err}");
        assert!(
            !err.contains("\x1b["),
            "colour codes in a piped log: {err:?}"
        );
    }
}

/// On a terminal colour stays, except with NO_COLOR. Runs only where
/// `script` (util-linux) can give the command a terminal.
#[test]
fn no_color_turns_colour_off_even_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.txt", "内部资料\n".as_bytes());
    let cmd = format!("{} scan {} 2>&1", env!("CARGO_BIN_EXE_baomi"), f);
    let run = |no_color: Option<&str>| {
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"])
            .env("BAOMI_LOG", "debug")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        c.output().ok().filter(|o| o.status.code().is_some())
    };
    let Some(tty) = run(None) else {
        eprintln!("skipped: no `script` to run baomi on a terminal");
        return;
    };
    let tty = String::from_utf8_lossy(&tty.stdout);
    if !tty.contains("reviewed") {
        eprintln!("skipped: `script` did not run baomi: {tty}");
        return;
    }
    assert!(tty.contains("\x1b["), "a terminal gets colour: {tty:?}");
    let plain = run(Some("1")).unwrap();
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(plain.contains("reviewed"), "{plain}");
    assert!(!plain.contains("\x1b["), "NO_COLOR=1: {plain:?}");
}

/// Runs `baomi ARGS` with standard output a pipe that is closed after one
/// line has been read (`| head -1`); returns the exit code and stderr.
fn closed_after_one_line(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty(), "{args:?} printed nothing");
    // The reader is dropped here: the pipe is closed.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

fn assert_quiet(what: &str, (code, err): (Option<i32>, String)) {
    assert!(
        !err.contains("Broken pipe") && !err.contains("panicked") && !err.contains("error:"),
        "{what}: {err}"
    );
    assert!(
        matches!(code, Some(141) | Some(0)),
        "{what}: exit {code:?}, {err}"
    );
}

#[test]
fn a_closed_pipe_ends_scan_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // Far more output than a pipe holds (64 KiB), so the writes after the
    // reader left fail for sure.
    let text = "第一行\n".to_string() + &"本段为内部资料，注意保存。\n".repeat(3000);
    write(dir.path(), "big.txt", text.as_bytes());
    for format in ["text", "sarif", "summary"] {
        let r = closed_after_one_line(dir.path(), &["scan", "--format", format, "big.txt"]);
        if format == "summary" {
            // Two lines fit any pipe: nothing was cut short.
            assert!(r.1.is_empty(), "{}", r.1);
            continue;
        }
        assert_eq!(
            r.0,
            Some(141),
            "exit like a process ended by SIGPIPE: {}",
            r.1
        );
        assert_quiet(format, r);
    }
    // Closed before anything is written: `println!` output (rules list).
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["rules", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert_quiet("rules list", (out.status.code(), err));
}

#[test]
fn a_closed_pipe_ends_review_list_and_ledger_export_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let drafts = dir.path().join("drafts");
    std::fs::create_dir(&drafts).unwrap();
    for i in 0..1500 {
        write(
            &drafts,
            &format!("notice-{i:04}.txt"),
            format!("关于第{i}次会议的通知\n内部资料\n").as_bytes(),
        );
    }
    let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["scan", "--format", "summary", "--db", "baomi.db", "drafts"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let r = closed_after_one_line(dir.path(), &["review", "list", "--limit", "100000"]);
    assert_quiet("review list", r);
    let r = closed_after_one_line(dir.path(), &["ledger", "export"]);
    assert_quiet("ledger export", r);
}

#[test]
fn unreadable_inputs_are_errors_with_exit_two_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a-binary.txt",
        &[0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3],
    );
    write(
        dir.path(),
        "b-garbage.txt",
        &[0x81, 0x20, 0x81, 0x20, 0xff, 0xfe, 0xfd],
    );
    write(dir.path(), "c-flagged.txt", "内部资料".as_bytes());
    write(
        dir.path(),
        "d-legacy.doc",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
    );
    let (c, v) = json_scan(&[dir.path().to_str().unwrap()]);
    assert_eq!(c, 2);
    let docs = v["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 4, "every file is reported");
    for (d, needle) in docs.iter().zip([
        "binary content",
        "re-save the file as UTF-8",
        "",
        "save it as .docx",
    ]) {
        if needle.is_empty() {
            assert_eq!(d["verdict"], "review");
            continue;
        }
        assert_eq!(d["verdict"], "error", "{d}");
        assert_eq!(d["coverage"]["complete"], false);
        let e = d["error"].as_str().unwrap();
        assert!(
            e.contains(needle) && e.contains(d["path"].as_str().unwrap()),
            "{e}"
        );
    }
    let o = baomi(&["scan", "/no/such/draft.txt"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stdout).contains("/no/such/draft.txt: cannot read file"));
}

#[test]
fn a_huge_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.txt");
    std::fs::File::create(&p).unwrap().set_len(3 << 30).unwrap(); // sparse, 3 GiB
    let (c, v) = json_scan(&[p.to_str().unwrap()]);
    assert_eq!(c, 2);
    assert!(v["documents"][0]["error"]
        .as_str()
        .unwrap()
        .contains("too large"));
}

#[cfg(unix)]
#[test]
fn symlinks_inside_folders_are_reported_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let target = write(outside.path(), "secret.txt", "机密★1年".as_bytes());
    std::os::unix::fs::symlink(&target, dir.path().join("link.txt")).unwrap();
    let (c, v) = json_scan(&[dir.path().to_str().unwrap()]);
    assert_eq!(c, 2);
    assert!(v["documents"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not followed"));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.txt");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (c, v) = json_scan(&[fifo.to_str().unwrap()]);
    assert_eq!(c, 2);
    assert!(v["documents"][0]["error"]
        .as_str()
        .unwrap()
        .contains("not a regular file"));
}

#[test]
fn gbk_text_is_decoded_and_noted() {
    let (c, v) = json_scan(&[&repo("examples/gbk-draft.txt")]);
    assert_eq!(c, 1);
    let d = &v["documents"][0];
    assert!(d["coverage"]["notes"][0]
        .as_str()
        .unwrap()
        .contains("GB18030"));
    assert!(d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["matched"] == "不得外传"));
}

#[test]
fn sarif_output_matches_the_sarif_types() {
    let o = baomi(&["scan", "--format", "sarif", &repo("examples")]);
    assert_eq!(code(&o), 1);
    let sarif: serde_sarif::sarif::Sarif =
        serde_json::from_slice(&o.stdout).expect("valid SARIF 2.1.0");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(sarif.runs.len(), 1);
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "marking.classification" && r["level"] == "error"));
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
}

#[test]
fn text_output_shows_location_and_match() {
    let o = baomi(&["scan", &repo("examples/flagged-notice.txt")]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("flagged-notice.txt:2:1 [body] block marking.classification"),
        "{out}"
    );
    assert!(out.contains("“机密★5年”"), "{out}");
}

#[test]
fn text_output_never_passes_control_characters_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "t.txt",
        "标题\u{1b}]0;owned\u{7}\u{202e}反转\n内部资料\u{1b}[2J 注意\n".as_bytes(),
    );
    let o = baomi(&["scan", &f]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("内部资料"), "{out}");
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
}

#[test]
fn shipped_rules_pass_their_examples() {
    let o = baomi(&["rules", "test"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{out}");
    assert!(out.contains(" 0 failed"), "{out}");
    let o = baomi(&["rules", "list"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("personal.id-card"));
}

const RULE: &str = r#"
[[rule]]
id = "local.word"
title = "本地敏感词"
category = "internal"
severity = "review"
basis = "《政府信息公开条例》第十六条"
keywords = ["项目代号"]
tests.hit = ["项目代号"]
tests.miss = ["项目"]
"#;

#[test]
fn custom_rules_failing_examples_and_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("a.toml"), RULE).unwrap();
    let r = rules.to_str().unwrap();
    let draft = write(dir.path(), "d.txt", "涉及项目代号甲".as_bytes());
    let (c, v) = json_scan(&["--rules", r, &draft]);
    assert_eq!(c, 1);
    assert_eq!(v["documents"][0]["findings"][0]["rule"], "local.word");

    std::fs::write(
        rules.join("a.toml"),
        RULE.replace("tests.miss = [\"项目\"]", "tests.miss = [\"项目代号乙\"]"),
    )
    .unwrap();
    let o = baomi(&["rules", "test", "--rules", r]);
    assert_eq!(code(&o), 1);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("FAIL"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    std::fs::write(
        rules.join("a.toml"),
        RULE.replace("tests.miss = [\"项目\"]\n", ""),
    )
    .unwrap();
    let o = baomi(&["rules", "test", "--rules", r]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "a.toml:3: rule `local.word`: needs at least one `tests.hit` and one `tests.miss`"
        ),
        "{err}"
    );

    std::fs::write(rules.join("a.toml"), "[[rule]]\nid = \n").unwrap();
    let o = baomi(&["scan", "--rules", r, &draft]);
    assert_eq!(code(&o), 2);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("a.toml:2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `baomi rules compile`: the saved scanner is what later scans use, and
/// only while it matches the rule files; stale or damaged files are named
/// in a warning and the scan is built from the rules instead.
#[test]
fn a_compiled_scanner_is_used_only_while_it_matches_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let r = rules.to_str().unwrap();
    let compiled = rules.join("compiled.scanner");
    let compile = |keyword: &str| {
        std::fs::write(
            rules.join("a.toml"),
            RULE.replace(
                "\"项目代号\"]\ntests.hit",
                &format!("\"{keyword}\"]\ntests.hit"),
            ),
        )
        .unwrap();
        let o = baomi(&["rules", "compile", "--rules", r]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("compiled.scanner"));
        std::fs::read(&compiled).unwrap()
    };
    let draft = write(dir.path(), "d.txt", "涉及项目代号甲与项目代号丙".as_bytes());
    let scan = || {
        let o = baomi(&["scan", "--format", "json", "--rules", r, &draft]);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let found: Vec<String> = v["documents"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["matched"].as_str().unwrap().to_string())
            .collect();
        (found, String::from_utf8_lossy(&o.stderr).into_owned())
    };

    // The rules say 项目代号丙; the saved automaton, built for 项目代号甲,
    // is given their fingerprint (the header is not under the checksum):
    // what the scan finds shows which automaton it used.
    let jia = compile("项目代号甲");
    let bing = compile("项目代号丙");
    let version_len = u32::from_le_bytes(bing[18..22].try_into().unwrap()) as usize;
    let header = 14 + 4 + 4 + version_len + 4 + 64;
    let mut forged = bing[..header].to_vec();
    forged.extend_from_slice(&jia[header..]);
    std::fs::write(&compiled, &forged).unwrap();
    assert_eq!(scan(), (vec!["项目代号甲".to_string()], String::new()));
    std::fs::write(&compiled, &bing).unwrap();
    assert_eq!(scan(), (vec!["项目代号丙".to_string()], String::new()));

    // Changed rules: the saved scanner is stale and not used.
    std::fs::write(
        rules.join("b.toml"),
        RULE.replace("local.word", "local.other"),
    )
    .unwrap();
    let (found, err) = scan();
    // The new file's rule (keyword 项目代号) finds both, as built from the rules.
    assert_eq!(found, ["项目代号", "项目代号丙", "项目代号"]);
    assert!(
        err.contains("compiled.scanner: not used: compiled for other rule files"),
        "{err}"
    );
    assert!(err.contains("run `baomi rules compile --rules"), "{err}");
    std::fs::remove_file(rules.join("b.toml")).unwrap();

    // Damaged or not a compiled scanner at all.
    let mut damaged = bing.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    for (bytes, why) in [
        (damaged, "damaged: checksum does not match"),
        (bing[..bing.len() / 2].to_vec(), "damaged"),
        (b"not this".to_vec(), "not a compiled baomi scanner"),
    ] {
        std::fs::write(&compiled, bytes).unwrap();
        let (found, err) = scan();
        assert_eq!(found, ["项目代号丙"]);
        assert!(err.contains(why), "{why}: {err}");
    }

    let o = baomi(&["rules", "compile", "--rules", "pack:default"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("need no compiling"));
}

#[test]
fn a_missing_rules_folder_is_named_once() {
    let o = baomi(&["scan", "--rules", "/no/such/rules", "x.txt"]);
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/no/such/rules: cannot read rule file"),
        "{err}"
    );
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

#[test]
fn bad_arguments_exit_two() {
    assert_eq!(code(&baomi(&["scan"])), 2);
    assert_eq!(code(&baomi(&["scan", "--format", "xml", "x"])), 2);
}
