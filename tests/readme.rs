//! The README is a test: every ```console block is run, in order, and its
//! output compared with what the README shows, so the walk-throughs cannot
//! drift from the code.
//!
//! How blocks are read:
//! - A line starting with `$ ` is a command (a trailing `\` continues it
//!   on the next line); the lines after it, up to the next command, are
//!   its expected output (stdout and stderr together).
//! - In expected output `…` matches any text within a line, and a line
//!   that is only `…` matches any number of lines (also none). Every other
//!   line must be there, in order.
//! - `# …` after a command is a comment for the reader.
//! - Blocks run in a folder per walk-through, named by the nearest
//!   `<!-- walkthrough: NAME -->` above them; `cd DIR` changes it for the
//!   rest of that walk-through. The folder starts with a copy of
//!   `examples/` and `tests/fixtures/`.
//! - `<!-- walkthrough-step: browser-sign -->` runs the browser step there
//!   (see [`browser_sign`]): the secrecy committee signs the withheld draft
//!   in the web UI, in headless Chromium.
//! - `<!-- walkthrough-step: browser-lan -->` runs [`browser_lan`]: three
//!   reviewers enrol browser keys, are registered by enrolment code and
//!   sign their stages, in three headless Chromium contexts.
//! - `baomi` is the binary under test; commands run under `bash` with
//!   `NO_COLOR=1` and the office time zone left at its default.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

#[derive(Debug)]
enum Step {
    Run {
        line: usize,
        command: String,
        expected: Vec<String>,
    },
    Browser {
        line: usize,
    },
    BrowserLan {
        line: usize,
    },
}

/// The walk-throughs of the README: name → steps, in order of appearance.
fn parse(readme: &str) -> Vec<(String, Vec<Step>)> {
    let mut out: Vec<(String, Vec<Step>)> = Vec::new();
    let mut current = "main".to_string();
    let mut lines = readme.lines().enumerate().peekable();
    let push = |name: &str, step: Step, out: &mut Vec<(String, Vec<Step>)>| match out
        .iter_mut()
        .find(|(n, _)| n == name)
    {
        Some((_, steps)) => steps.push(step),
        None => out.push((name.to_string(), vec![step])),
    };
    while let Some((i, line)) = lines.next() {
        let t = line.trim();
        if let Some(name) = t
            .strip_prefix("<!-- walkthrough:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            current = name.trim().to_string();
            continue;
        }
        if t == "<!-- walkthrough-step: browser-sign -->" {
            push(&current, Step::Browser { line: i + 1 }, &mut out);
            continue;
        }
        if t == "<!-- walkthrough-step: browser-lan -->" {
            push(&current, Step::BrowserLan { line: i + 1 }, &mut out);
            continue;
        }
        if t != "```console" {
            continue;
        }
        // A console block: commands and their output.
        let mut cmds: Vec<(usize, String, Vec<String>)> = Vec::new();
        for (j, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            if let Some(c) = l.strip_prefix("$ ") {
                cmds.push((j + 1, c.to_string(), Vec::new()));
            } else if let Some((_, command, expected)) = cmds.last_mut() {
                if command.ends_with('\\') && expected.is_empty() {
                    command.pop();
                    command.push(' ');
                    command.push_str(l.trim());
                } else if expected.is_empty() && open_quote(strip_comment(command)) {
                    command.push('\n');
                    command.push_str(l);
                } else {
                    expected.push(l.to_string());
                }
            }
        }
        for (line, command, expected) in cmds {
            push(
                &current,
                Step::Run {
                    line,
                    command,
                    expected,
                },
                &mut out,
            );
        }
    }
    out
}

/// Whether a command so far leaves a quote open (it goes on on the next line).
fn open_quote(cmd: &str) -> bool {
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in cmd.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
    }
    single || double
}

/// Whether `actual` matches the pattern `expected`, where `…` is any text.
fn line_matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    if parts.len() == 1 {
        return expected.trim_end() == actual.trim_end();
    }
    let actual = actual.trim_end();
    let mut rest = actual;
    for (k, p) in parts.iter().enumerate() {
        let p = if k == parts.len() - 1 {
            p.trim_end()
        } else {
            p
        };
        if k == 0 {
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if k == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(at) => rest = &rest[at + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether the lines of `actual` match `expected` (see the module docs).
fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    fn go(e: &[String], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.iter().all(|l| l.trim().is_empty()),
            Some((first, rest)) if first.trim() == "…" => {
                (0..=a.len()).any(|skip| go(rest, &a[skip..]))
            }
            Some((first, rest)) => !a.is_empty() && line_matches(first, a[0]) && go(rest, &a[1..]),
        }
    }
    // Blank lines at the end of either side do not count.
    let mut e = expected.to_vec();
    while e.last().is_some_and(|l| l.trim().is_empty()) {
        e.pop();
    }
    go(&e, actual)
}

/// Strips a trailing `# comment` that is not inside quotes.
fn strip_comment(cmd: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let b = cmd.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && i > 0 && b[i - 1] == b' ' => {
                return cmd[..i].trim_end();
            }
            _ => {}
        }
    }
    cmd.trim_end()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

struct Walk {
    name: String,
    root: PathBuf,
    cwd: PathBuf,
    bin_dir: PathBuf,
}

impl Walk {
    fn bash(&self, command: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(command)
            .current_dir(&self.cwd)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("NO_COLOR", "1")
            .env("HOME", &self.root)
            .env_remove("BAOMI_TIMEZONE")
            .env_remove("BAOMI_CHECKPOINTS")
            .env_remove("BAOMI_KEY")
            .env_remove("BAOMI_LOG")
            .env_remove("RUST_LOG");
        c
    }

    fn run(&mut self, line: usize, command: &str, expected: &[String]) {
        let command = strip_comment(command);
        if let Some(dir) = command.strip_prefix("cd ") {
            self.cwd = self.cwd.join(dir.trim());
            assert!(self.cwd.is_dir(), "README:{line}: no folder {dir}");
            return;
        }
        let out = self
            .bash(&format!("exec 2>&1; {command}"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let actual: Vec<&str> = text.lines().collect();
        assert!(
            output_matches(expected, &actual),
            "README:{line} ({}): `{command}`\n--- the README shows:\n{}\n--- the command printed (exit {:?}):\n{text}",
            self.name,
            expected.join("\n"),
            out.status.code()
        );
    }
}

/// The secrecy committee's stage in the web UI, in headless Chromium: the
/// withheld draft's page shows each finding highlighted in its sentence
/// (from the archived bytes, not masked stubs) and where the file is now;
/// the officer signs; the printable form shows the same Beijing date as
/// `baomi review show`.
fn browser_sign(walk: &Walk, line: usize) {
    let chromium = "/usr/bin/chromium";
    let have = Path::new(chromium).exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium and node (see .ci/install-deps.sh)"
        );
        eprintln!("SKIPPED README:{line}: the browser step needs {chromium} and node");
        // Without a browser, sign the stage from the command line instead,
        // so that the rest of the walk-through still runs.
        let sha = withheld_sha(walk);
        let out = walk
            .bash(&format!(
                "baomi review decide {sha} --stage secrecy-committee --conclusion withhold \
                 --basis '《保守国家秘密法》' --opinion '含密级标志，不予公开' --key keys/wang.key"
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser.join("node_modules/playwright-core").exists() {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser)
            .status()
            .expect("npm runs");
        assert!(st.success(), "npm ci in tests/browser failed");
    }
    let sha = withheld_sha(walk);
    let mut server = walk
        .bash("exec baomi serve --key keys/wang.key --listen 127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let url = first
        .trim()
        .strip_prefix("baomi serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from baomi serve: {first:?}"))
        .trim_end_matches('/')
        .to_string();
    let started = Instant::now();
    let out = Command::new("node")
        .arg(browser.join("sign_stage.mjs"))
        .env("BAOMI_URL", &url)
        .env("BAOMI_SHA", &sha)
        .env("BAOMI_STAGE", "secrecy-committee")
        .env("CHROMIUM", chromium)
        .output()
        .expect("node runs");
    let _ = server.kill();
    let _ = server.wait();
    assert!(started.elapsed() < Duration::from_secs(300));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| {
            panic!(
                "README:{line}: no result from the browser ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(
        out.status.success() && seen.get("error").is_none(),
        "README:{line}: browser step failed: {seen:#}"
    );
    // Findings in context, not masked previews, and where the file is now.
    let marks = seen["marks"].as_array().unwrap();
    assert!(
        marks.iter().any(|m| m.as_str().unwrap().contains("机密★")),
        "{seen:#}"
    );
    assert_eq!(seen["maskedOnly"], false, "{seen:#}");
    assert!(
        seen["location"].as_str().unwrap().contains("withheld"),
        "{seen:#}"
    );
    assert!(
        seen["notice"].as_str().unwrap().contains("已签名"),
        "{seen:#}"
    );
    // One clock: the form's date is the date `review show` prints.
    let show = walk
        .bash(&format!("baomi review show {sha}"))
        .output()
        .unwrap();
    let show = String::from_utf8_lossy(&show.stdout);
    let form_date = seen["formDate"].as_str().unwrap();
    assert!(
        !form_date.is_empty() && show.contains(form_date),
        "the form's date {form_date:?} is not the one `review show` prints:\n{show}"
    );
}

/// The three reviewers of the LAN walk-through and what each signs.
const LAN_REVIEWERS: [(&str, &str, &str, &str); 3] = [
    (
        "张三（办公室）",
        "department",
        "publish-after-changes",
        "删除密级标志",
    ),
    (
        "李四（工作部）",
        "work-department",
        "publish-after-changes",
        "同部门意见",
    ),
    ("王五（保密委）", "secrecy-committee", "withhold", ""),
];

/// Three browsers enrol, the administrator registers each code with
/// `baomi key register --enrolment`, and each signs its stage
/// (tests/browser/lan_review.mjs). Without a browser, the same people sign
/// with file keys, so that the rest of the walk-through still runs.
fn browser_lan(walk: &Walk, line: usize) {
    let chromium = "/usr/bin/chromium";
    let have = Path::new(chromium).exists()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    let sha = withheld_sha(walk);
    if !have {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium and node (see .ci/install-deps.sh)"
        );
        eprintln!("SKIPPED README:{line}: the browser step needs {chromium} and node");
        for (i, (person, role, conclusion, changes)) in LAN_REVIEWERS.iter().enumerate() {
            let out = walk
                .bash(&format!(
                    "baomi key new keys/r{i} --person '{person}' --role {role} --register && \
                     baomi review decide {sha} --stage {role} --conclusion {conclusion} \
                     --changes '{changes}' --basis '《保守国家秘密法》' --opinion 意见 --key keys/r{i}.key"
                ))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        return;
    }
    let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if !browser.join("node_modules/playwright-core").exists() {
        let st = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&browser)
            .status()
            .expect("npm runs");
        assert!(st.success(), "npm ci in tests/browser failed");
    }
    let mut server = walk
        .bash("exec baomi serve --bind 127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    let url = first
        .trim()
        .strip_prefix("baomi serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from baomi serve: {first:?}"))
        .trim_end_matches('/')
        .to_string();
    let reviewers: Vec<serde_json::Value> = LAN_REVIEWERS
        .iter()
        .map(|(person, role, conclusion, changes)| {
            serde_json::json!({"person": person, "role": role, "stage": role,
                "conclusion": conclusion, "changes": changes, "opinion": "意见",
                "basis": if *conclusion == "withhold" { "《保守国家秘密法》" } else { "" }})
        })
        .collect();
    let out = Command::new("node")
        .arg(browser.join("lan_review.mjs"))
        .env("BAOMI_URL", &url)
        .env("BAOMI_SHA", &sha)
        .env("BAOMI_BIN", BIN)
        .env("BAOMI_DIR", &walk.cwd)
        .env(
            "BAOMI_REVIEWERS",
            serde_json::Value::from(reviewers).to_string(),
        )
        .env("CHROMIUM", chromium)
        .output()
        .expect("node runs");
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let seen: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| {
            panic!(
                "README:{line}: no result from the browser ({e}):\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(
        out.status.success() && seen.get("error").is_none(),
        "README:{line}: browser step failed: {seen:#}"
    );
    let ids: std::collections::HashSet<&str> = seen["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["keyId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "three browsers, three keys: {seen:#}");
}

/// The one withheld draft of the walk-through, by the ledger.
fn withheld_sha(walk: &Walk) -> String {
    let out = walk
        .bash("baomi review list --verdict withhold")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text
        .split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("no withheld draft listed:\n{text}"));
    let ledger = baomi_ledger::Ledger::open_existing(&walk.cwd.join("state/baomi.db")).unwrap();
    ledger
        .documents_with_prefix(id, 2)
        .unwrap()
        .pop()
        .unwrap_or_else(|| panic!("no document {id}"))
}

#[test]
fn the_readme_walkthroughs_run_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let walks = parse(&readme);
    assert!(
        walks.iter().any(|(n, s)| n == "office" && s.len() > 10),
        "the office walk-through is missing from the README: {walks:#?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    // `baomi` on PATH is the binary under test.
    let bin_dir = tmp.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(BIN, bin_dir.join("baomi")).unwrap();
    let mut folders: HashMap<String, PathBuf> = HashMap::new();
    for (name, steps) in walks {
        let dir = folders
            .entry(name.clone())
            .or_insert_with(|| tmp.path().join(&name))
            .clone();
        copy_dir(&root.join("examples"), &dir.join("examples"));
        copy_dir(&root.join("tests/fixtures"), &dir.join("tests/fixtures"));
        let mut walk = Walk {
            name: name.clone(),
            root: dir.clone(),
            cwd: dir,
            bin_dir: bin_dir.clone(),
        };
        for step in steps {
            match step {
                Step::Run {
                    line,
                    command,
                    expected,
                } => walk.run(line, &command, &expected),
                Step::Browser { line } => browser_sign(&walk, line),
                Step::BrowserLan { line } => browser_lan(&walk, line),
            }
        }
    }
}

#[test]
fn the_matcher_means_what_the_docs_say() {
    assert!(line_matches("key id: …", "key id: 112be0617299e1e7"));
    assert!(line_matches("a … c … e", "a b c d e"));
    assert!(!line_matches("a … c", "a b d"));
    assert!(line_matches("plain", "plain  "));
    let e = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(output_matches(
        &e(&["one", "…", "four"]),
        &["one", "two", "three", "four"]
    ));
    assert!(output_matches(&e(&["one", "…"]), &["one"]));
    assert!(!output_matches(
        &e(&["one", "four"]),
        &["one", "two", "four"]
    ));
    assert!(!output_matches(&e(&["one"]), &["one", "extra"]));
    assert_eq!(strip_comment("baomi x   # why"), "baomi x");
    assert!(open_quote("python3 -c \"") && !open_quote("echo 'a' \"b\""));
    assert_eq!(
        strip_comment("echo '# not a comment'"),
        "echo '# not a comment'"
    );
    let w = parse(
        "<!-- walkthrough: a -->\n```console\n$ echo 1 \\\n  2\n1 2\n$ true\n```\n<!-- walkthrough-step: browser-sign -->\n",
    );
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].1.len(), 3);
    match &w[0].1[0] {
        Step::Run {
            command, expected, ..
        } => {
            assert_eq!(command, "echo 1  2");
            assert_eq!(expected, &vec!["1 2".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}
