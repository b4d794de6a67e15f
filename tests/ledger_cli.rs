//! End-to-end tests of `baomi key`, `baomi scan --db` and `baomi ledger`:
//! the real binary, real key files, a real SQLite file tampered with by SQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

struct Office {
    dir: tempfile::TempDir,
}

impl Office {
    fn new() -> Office {
        let o = Office {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(o.path("drafts")).unwrap();
        o.draft(
            "a.txt",
            "关于开展安全检查的通知\n\n本文件为机密★5年，请妥善保管。\n",
        );
        o.draft(
            "b.txt",
            "关于公布2026年节假日安排的通知\n\n各单位：现将节假日安排通知如下。\n",
        );
        o.draft("c.txt", "内部资料 注意保存\n会议纪要\n");
        o
    }
    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }
    fn draft(&self, name: &str, text: &str) {
        std::fs::write(self.path("drafts").join(name), text).unwrap();
    }
    /// Runs baomi in the office folder (so the default ./baomi.db,
    /// ./baomi-scanner.key and ./trust.toml are the office's).
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("BAOMI_LOG")
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}
fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `baomi key new` prints "key id: …"; returns it.
fn key_id(o: &Output) -> String {
    out(o)
        .lines()
        .find_map(|l| l.strip_prefix("key id: "))
        .expect("key id line")
        .trim()
        .to_owned()
}

/// A scanned office with a trust file for the scanner and a committee key.
fn scanned_office() -> (Office, String) {
    let o = Office::new();
    let r = o.run(&["scan", "--db", "baomi.db", "drafts"]);
    assert_eq!(code(&r), 1, "{}", err(&r));
    assert!(err(&r).contains("recorded 3 scan entries"), "{}", err(&r));
    let scanner = key_id(&o.run(&["key", "show", "baomi-scanner.key"]));
    std::fs::write(
        o.path("trust.toml"),
        format!("[[signer]]\nkey_id = \"{scanner}\"\nname = \"扫描服务\"\nroles = [\"scanner\"]\n"),
    )
    .unwrap();
    (o, scanner)
}

/// Records a scan of `draft` in `db` signed by `key`, through the library:
/// what a program that ignores the trust file could do.
fn sign_behind_the_cli_back(db: &Path, key: &Path, draft: &str) {
    let key = baomi_ledger::load_private_key(key).unwrap();
    let dir = db.parent().unwrap();
    let report = baomi_extract::review_file(
        &dir.join(draft),
        &baomi_core::Scanner::shipped(),
        &baomi_extract::Limits::default(),
    );
    baomi_ledger::Ledger::open(db)
        .unwrap()
        .record_scan(&report, "rules", &key)
        .unwrap();
}

fn tamper(db: &Path, sql: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS entries_append_only_update; DROP TRIGGER IF EXISTS entries_append_only_delete;",
    )
    .unwrap();
    c.execute_batch(sql).unwrap();
}

#[test]
fn key_new_writes_standard_files_and_never_overwrites() {
    let o = Office::new();
    let r = o.run(&[
        "key",
        "new",
        "keys/lisi",
        "--person",
        "李四",
        "--role",
        "secrecy-committee",
    ]);
    assert_eq!(code(&r), 0, "{}", err(&r));
    let id = key_id(&r);
    assert_eq!(id.len(), 16);
    assert!(out(&r).contains("roles = [\"secrecy-committee\"]"));
    assert!(out(&r).contains("name = \"李四\""));
    let key = o.path("keys/lisi.key");
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(std::fs::read_to_string(o.path("keys/lisi.pub"))
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The secret never reaches the terminal.
    let secret_line = text.lines().nth(1).unwrap();
    assert!(!out(&r).contains(secret_line) && !err(&r).contains(secret_line));

    // Never overwritten.
    let again = o.run(&["key", "new", "keys/lisi"]);
    assert_eq!(code(&again), 2);
    assert!(err(&again).contains("already exists"), "{}", err(&again));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), text);

    // `key show` on either file names the same id.
    assert_eq!(key_id(&o.run(&["key", "show", "keys/lisi.pub"])), id);
    assert_eq!(key_id(&o.run(&["key", "show", "keys/lisi.key"])), id);

    // An unknown role is refused before anything is written.
    let bad = o.run(&["key", "new", "keys/x", "--role", "boss"]);
    assert_eq!(code(&bad), 2);
    assert!(!o.path("keys/x.key").exists());
}

#[test]
fn openssl_reads_the_key_files() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl not installed; skipped");
        return;
    }
    let o = Office::new();
    let r = o.run(&["key", "new", "k"]);
    assert_eq!(code(&r), 0);
    let priv_ = Command::new("openssl")
        .args(["pkey", "-in", "k.key", "-pubout"])
        .current_dir(o.dir.path())
        .output()
        .unwrap();
    assert!(priv_.status.success(), "{}", err(&priv_));
    // openssl derives the same public key as k.pub.
    assert_eq!(
        out(&priv_),
        std::fs::read_to_string(o.path("k.pub")).unwrap()
    );
    let pub_ = Command::new("openssl")
        .args(["pkey", "-pubin", "-in", "k.pub", "-noout"])
        .current_dir(o.dir.path())
        .output()
        .unwrap();
    assert!(pub_.status.success(), "{}", err(&pub_));
    // And baomi reads a key openssl made.
    let g = Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out", "o.key"])
        .current_dir(o.dir.path())
        .output()
        .unwrap();
    assert!(g.status.success());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(o.path("o.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(code(&o.run(&["key", "show", "o.key"])), 0);
}

#[cfg(unix)]
#[test]
fn readable_private_key_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let o = Office::new();
    assert_eq!(code(&o.run(&["key", "new", "scanner"])), 0);
    std::fs::set_permissions(
        o.path("scanner.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let r = o.run(&["scan", "--db", "baomi.db", "--key", "scanner.key", "drafts"]);
    assert_eq!(code(&r), 2);
    assert!(err(&r).contains("chmod 600 scanner.key"), "{}", err(&r));
}

#[test]
fn scan_without_db_records_nothing_and_key_needs_db() {
    let o = Office::new();
    let r = o.run(&["scan", "drafts"]);
    assert_eq!(code(&r), 1);
    assert!(!o.path("baomi.db").exists());
    assert!(!o.path("baomi-scanner.key").exists());
    let r = o.run(&["scan", "--key", "x.key", "drafts"]);
    assert_eq!(code(&r), 2);
    assert!(err(&r).contains("--db"), "{}", err(&r));
}

#[test]
fn rescans_are_not_duplicated_but_new_rules_supersede() {
    let (o, _) = scanned_office();
    let r = o.run(&["scan", "--db", "baomi.db", "--format", "json", "drafts"]);
    assert!(
        err(&r).contains("recorded 0 scan entries; 3 already recorded"),
        "{}",
        err(&r)
    );
    // stdout is still just the JSON document.
    let v: serde_json::Value = serde_json::from_str(&out(&r)).unwrap();
    assert_eq!(v["documents"].as_array().unwrap().len(), 3);

    // A changed rule set: copy the shipped rules and drop one file.
    let rules = o.path("rules");
    std::fs::create_dir(&rules).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for f in std::fs::read_dir(&shipped).unwrap() {
        let f = f.unwrap().path();
        // Rule files only (packs/ holds the optional packs).
        if f.is_file() && f.file_name().unwrap() != "organisations.toml" {
            std::fs::copy(&f, rules.join(f.file_name().unwrap())).unwrap();
        }
    }
    let r = o.run(&["scan", "--db", "baomi.db", "--rules", "rules", "drafts"]);
    assert!(
        err(&r).contains("recorded 3 scan entries (entries 4–6)"),
        "{}",
        err(&r)
    );
    let export = o.run(&["ledger", "export", "--format", "jsonl"]);
    let lines: Vec<serde_json::Value> = out(&export)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    for (i, e) in lines[3..].iter().enumerate() {
        assert_eq!(e["payload"]["supersedes"], serde_json::json!(i + 1), "{e}");
        assert_eq!(e["doc_sha256"], lines[i]["doc_sha256"]);
        assert_ne!(
            e["payload"]["rules_fingerprint"],
            lines[i]["payload"]["rules_fingerprint"]
        );
    }
    assert_eq!(code(&o.run(&["ledger", "verify"])), 0);
}

#[test]
fn scan_entries_hold_the_form_but_not_the_secret() {
    let (o, scanner) = scanned_office();
    let r = o.run(&["ledger", "export", "--format", "jsonl"]);
    assert_eq!(code(&r), 0, "{}", err(&r));
    let text = out(&r);
    assert!(
        !text.contains("机密★5年"),
        "the matched text must not be stored"
    );
    let a: serde_json::Value = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|e| e["payload"]["path"].as_str().unwrap().ends_with("a.txt"))
        .unwrap();
    let p = &a["payload"];
    assert_eq!(p["verdict"], "withhold");
    assert_eq!(p["signer"], scanner.as_str());
    assert_eq!(a["signer"], "扫描服务");
    assert_eq!(p["role"], "scanner");
    assert!(p["time"].as_str().unwrap().ends_with('Z'));
    let reason = p["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "marking.classification")
        .expect("classification marking reason");
    assert_eq!(reason["matched_preview"], "机*★*年");
    assert_eq!(reason["matched_sha256"].as_str().unwrap().len(), 64);
    assert!(!reason["basis"].as_str().unwrap().is_empty());
    assert_eq!(reason["location"]["line"], 3);
    assert!(p["rules_fingerprint"]
        .as_str()
        .is_some_and(|f| !f.is_empty()));
}

#[test]
fn verify_names_the_changed_entry() {
    let (o, _) = scanned_office();
    let ok = o.run(&["ledger", "verify"]);
    assert_eq!(code(&ok), 0, "{}{}", out(&ok), err(&ok));
    assert!(
        out(&ok).contains("OK: all 3 entries verified"),
        "{}",
        out(&ok)
    );
    assert!(out(&ok).contains("trust file trust.toml"), "{}", out(&ok));

    tamper(
        &o.path("baomi.db"),
        "UPDATE entries SET payload = replace(payload, '\"verdict\":\"withhold\"', '\"verdict\":\"clear\"') WHERE seq = 1",
    );
    let bad = o.run(&["ledger", "verify"]);
    assert_eq!(code(&bad), 1);
    assert!(
        out(&bad).contains("BAD: entry 1: content changed"),
        "{}",
        out(&bad)
    );

    let json = o.run(&["ledger", "verify", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out(&json)).unwrap();
    assert_eq!(v["problem"]["seq"], 1);
    assert_eq!(v["problem"]["kind"], "content-changed");
}

#[test]
fn verify_reports_unknown_keys_and_missing_roles() {
    let (o, _) = scanned_office();
    // A scan signed by a key the trust file does not list: the CLI refuses
    // to sign with it, so another program appends it behind its back.
    assert_eq!(code(&o.run(&["key", "new", "rogue"])), 0);
    o.draft("d.txt", "新的一份草稿\n");
    let r = o.run(&[
        "scan",
        "--db",
        "baomi.db",
        "--key",
        "rogue.key",
        "drafts/d.txt",
    ]);
    assert_eq!(code(&r), 2, "{}", err(&r));
    assert!(
        err(&r).contains("is not registered in trust.toml"),
        "{}",
        err(&r)
    );
    sign_behind_the_cli_back(&o.path("baomi.db"), &o.path("rogue.key"), "drafts/d.txt");
    let bad = o.run(&["ledger", "verify"]);
    assert_eq!(code(&bad), 1);
    assert!(
        out(&bad).contains("BAD: entry 4: unknown key"),
        "{}",
        out(&bad)
    );

    // Listed, but not as a scanner.
    let rogue = key_id(&o.run(&["key", "show", "rogue.pub"]));
    let mut t = std::fs::read_to_string(o.path("trust.toml")).unwrap();
    t.push_str(&format!(
        "\n[[signer]]\nkey_id = \"{rogue}\"\nname = \"王五\"\nroles = [\"department\"]\n"
    ));
    std::fs::write(o.path("trust.toml"), t).unwrap();
    let bad = o.run(&["ledger", "verify"]);
    assert_eq!(code(&bad), 1);
    assert!(
        out(&bad).contains("BAD: entry 4: role not allowed"),
        "{}",
        out(&bad)
    );
    assert!(out(&bad).contains("王五"), "{}", out(&bad));
}

#[test]
fn checkpoint_catches_a_truncated_tail_and_proofs_check() {
    let (o, _) = scanned_office();
    let head = o.run(&["ledger", "head"]);
    assert_eq!(code(&head), 0, "{}", err(&head));
    let text = out(&head);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("baomi.ledger/"));
    assert_eq!(lines[1], "3");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} "));
    std::fs::write(o.path("head.txt"), &text).unwrap();
    assert_eq!(
        code(&o.run(&["ledger", "verify", "--expect-head", "head.txt"])),
        0
    );

    // An inclusion proof of entry 2, checked without the database.
    let proof = o.run(&["ledger", "prove", "2"]);
    assert_eq!(code(&proof), 0, "{}", err(&proof));
    std::fs::write(o.path("proof.json"), out(&proof)).unwrap();
    let c = o.run(&[
        "ledger",
        "check-proof",
        "proof.json",
        "--head",
        "head.txt",
        "--pub",
        "baomi-scanner.pub",
    ]);
    assert_eq!(code(&c), 0, "{}{}", out(&c), err(&c));
    assert!(out(&c).contains("OK: entry 2"));
    let forged = out(&proof).replacen("\"seq\": 2", "\"seq\": 3", 1);
    std::fs::write(o.path("forged.json"), forged).unwrap();
    assert_eq!(code(&o.run(&["ledger", "check-proof", "forged.json"])), 1);

    // Cut the last entry: the checkpoints the appends left in
    // baomi.db.checkpoints/ catch it without any flag, as does the saved one.
    tamper(&o.path("baomi.db"), "DELETE FROM entries WHERE seq = 3");
    let plain = o.run(&["ledger", "verify"]);
    assert_eq!(code(&plain), 1, "{}", out(&plain));
    assert!(
        out(&plain).contains("entry 3: truncated"),
        "{}",
        out(&plain)
    );
    let bad = o.run(&["ledger", "verify", "--expect-head", "head.txt"]);
    assert_eq!(code(&bad), 1);
    assert!(out(&bad).contains("truncated"), "{}", out(&bad));
}

/// `check-proof` says `OK` (exit 0) only for a proof against a checkpoint
/// signed by a trusted key; otherwise it lists what was not checked and
/// exits 1, also for a self-consistent proof from a ledger of someone's own.
#[test]
fn check_proof_is_ok_only_when_anchored_to_a_trusted_checkpoint() {
    let (o, _) = scanned_office(); // trust.toml: the scanner, without public_key
    let head = o.run(&["ledger", "head"]);
    assert_eq!(code(&head), 0, "{}", err(&head));
    std::fs::write(o.path("head.txt"), out(&head)).unwrap();
    let proof = o.run(&["ledger", "prove", "2"]);
    assert_eq!(code(&proof), 0, "{}", err(&proof));
    std::fs::write(o.path("proof.json"), out(&proof)).unwrap();
    let scanner = key_id(&o.run(&["key", "show", "baomi-scanner.key"]));
    let check = |args: &[&str]| {
        let mut a = vec!["ledger", "check-proof"];
        a.extend_from_slice(args);
        let r = o.run(&a);
        let text = format!("{}{}", out(&r), err(&r));
        (code(&r), out(&r), text)
    };

    // The proof alone: its path is checked, nothing else.
    let (c, stdout, all) = check(&["proof.json"]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.starts_with("checked: proof path leads to root "),
        "{all}"
    );
    assert!(
        stdout.contains(
            "NOT checked: proof matches a checkpoint (origin, size, root): no --head FILE given"
        ),
        "{all}"
    );
    assert!(stdout.contains("NOT VERIFIED: "), "{all}");
    assert!(stdout.contains("--head FILE"), "{all}");
    // No verdict line says OK (base64 roots may contain the letters).
    assert!(!stdout.lines().any(|l| l.starts_with("OK")), "{all}");
    // --pub without --head cannot check a signature either.
    let (c, stdout, all) = check(&["proof.json", "--pub", "baomi-scanner.pub"]);
    assert_eq!(c, 1, "{all}");
    assert!(stdout.contains("(--pub and --trust need --head)"), "{all}");
    assert!(stdout.contains("NOT VERIFIED: "), "{all}");

    // Against the checkpoint, but the trust file has no public_key for its
    // signer: the signature cannot be checked.
    let (c, stdout, all) = check(&["proof.json", "--head", "head.txt"]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.contains("checked: proof matches checkpoint head.txt (origin, size, root)"),
        "{all}"
    );
    assert!(
        stdout.contains(&format!(
            "NOT checked: checkpoint signed by {scanner}: 扫描服务 is in the trust file trust.toml without public_key"
        )),
        "{all}"
    );
    assert!(stdout.contains("NOT VERIFIED: "), "{all}");
    // No trust file at all: says what to pass.
    let (c, _, all) = check(&["proof.json", "--head", "head.txt", "--trust", "none.toml"]);
    assert_eq!(c, 2, "a missing trust file is an error: {all}");
    std::fs::rename(o.path("trust.toml"), o.path("trust.off")).unwrap();
    let (c, stdout2, all) = check(&["proof.json", "--head", "head.txt"]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout2.contains("no trusted key given; pass --pub FILE"),
        "{all}"
    );
    std::fs::rename(o.path("trust.off"), o.path("trust.toml")).unwrap();

    // Anchored by --pub.
    let (c, stdout, all) = check(&[
        "proof.json",
        "--head",
        "head.txt",
        "--pub",
        "baomi-scanner.pub",
    ]);
    assert_eq!(c, 0, "{all}");
    assert!(
        stdout.contains(&format!(
            "checked: checkpoint signed by {scanner} (扫描服务, key file baomi-scanner.pub)"
        )),
        "{all}"
    );
    assert!(stdout.contains("OK: entry 2 (hash "), "{all}");
    assert!(!stdout.contains("NOT"), "{all}");

    // Anchored by the trust file once it lists the scanner's public key.
    let shown = out(&o.run(&[
        "key",
        "show",
        "baomi-scanner.key",
        "--person",
        "扫描服务",
        "--role",
        "scanner",
    ]));
    let entry = &shown[shown.find("[[signer]]").expect("trust entry")..];
    std::fs::create_dir(o.path("auditor")).unwrap();
    std::fs::write(o.path("auditor/trust.toml"), entry).unwrap();
    let (c, stdout, all) = check(&[
        "proof.json",
        "--head",
        "head.txt",
        "--trust",
        "auditor/trust.toml",
    ]);
    assert_eq!(c, 0, "{all}");
    assert!(
        stdout.contains(&format!(
            "checked: checkpoint signed by {scanner} (扫描服务, trust file auditor/trust.toml)"
        )),
        "{all}"
    );
    assert!(stdout.contains("OK: entry 2"), "{all}");

    // A checkpoint edited to match a shorter tree keeps the scanner's key
    // hash but not a valid signature: BAD.
    let short = o.run(&["ledger", "prove", "1", "--size", "2"]);
    assert_eq!(code(&short), 0, "{}", err(&short));
    std::fs::write(o.path("short.json"), out(&short)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&out(&short)).unwrap();
    let root = v["root"].as_str().unwrap();
    let head_text = out(&head);
    let mut lines: Vec<&str> = head_text.lines().collect();
    lines[1] = "2";
    lines[2] = root;
    std::fs::write(o.path("edited.txt"), lines.join("\n") + "\n").unwrap();
    let (c, stdout, all) = check(&[
        "short.json",
        "--head",
        "edited.txt",
        "--pub",
        "baomi-scanner.pub",
    ]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.contains(&format!("BAD: the checkpoint's signature by {scanner} (扫描服务, key file baomi-scanner.pub) does not verify")),
        "{all}"
    );

    // A made-up entry in a ledger of one's own, proved and checkpointed
    // with one's own key: self-consistent, and not anchored.
    let r = o.run(&["key", "new", "rogue"]);
    assert_eq!(code(&r), 0, "{}", err(&r));
    let rogue = key_id(&r);
    let mut t = std::fs::read_to_string(o.path("trust.toml")).unwrap();
    t.push_str(&format!(
        "\n[[signer]]\nkey_id = \"{rogue}\"\nname = \"王五\"\nroles = [\"department\"]\n"
    ));
    std::fs::write(o.path("trust.toml"), t).unwrap();
    o.draft("fake.txt", "关于公布的通知\n");
    // The attacker's own ledger, made with the library (the CLI signs only
    // with registered keys).
    sign_behind_the_cli_back(&o.path("fake.db"), &o.path("rogue.key"), "drafts/fake.txt");
    let fake = o.run(&["ledger", "prove", "1", "--db", "fake.db"]);
    std::fs::write(o.path("fake.json"), out(&fake)).unwrap();
    let rogue_key = baomi_ledger::load_private_key(&o.path("rogue.key")).unwrap();
    let fake_head = baomi_ledger::Ledger::open_existing(&o.path("fake.db"))
        .unwrap()
        .head(&rogue_key)
        .unwrap()
        .to_text();
    std::fs::write(o.path("fake-head.txt"), fake_head).unwrap();
    let (c, stdout, all) = check(&["fake.json"]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.contains("checked: proof path leads to root"),
        "{all}"
    );
    let (c, stdout, all) = check(&[
        "fake.json",
        "--head",
        "fake-head.txt",
        "--pub",
        "baomi-scanner.pub",
    ]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.contains(&format!("NOT checked: checkpoint signed by {scanner} (key file baomi-scanner.pub): it carries no signature by that key")),
        "{all}"
    );
    assert!(
        stdout.contains(&format!("NOT checked: checkpoint signed by {rogue}: 王五 is in the trust file trust.toml without public_key")),
        "{all}"
    );
    // No verdict line says OK (base64 roots may contain the letters).
    assert!(!stdout.lines().any(|l| l.starts_with("OK")), "{all}");
    // And the real checkpoint does not match the fake proof.
    let (c, stdout, all) = check(&[
        "fake.json",
        "--head",
        "head.txt",
        "--pub",
        "baomi-scanner.pub",
    ]);
    assert_eq!(c, 1, "{all}");
    assert!(
        stdout.contains("BAD: the proof is for the ledger baomi.ledger/"),
        "{all}"
    );
}

#[test]
fn exports_csv_and_escaped_html_forms() {
    let o = Office::new();
    o.draft(
        "x<b>y&.txt",
        "<script>alert(1)</script>\n本文件为机密★5年\n",
    );
    let r = o.run(&["scan", "--db", "baomi.db", "drafts"]);
    assert_eq!(code(&r), 1, "{}", err(&r));

    let csv = o.run(&["ledger", "export", "--format", "csv"]);
    assert_eq!(code(&csv), 0, "{}", err(&csv));
    let csv = out(&csv);
    assert!(csv.starts_with("seq,kind,recorded_at,doc_sha256,path,"));
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        4
    );

    let html = o.run(&["ledger", "export", "--format", "html", "--out", "forms"]);
    assert_eq!(code(&html), 0, "{}", err(&html));
    let index = std::fs::read_to_string(o.path("forms/index.html")).unwrap();
    assert!(index.contains("账本验证通过"));
    let forms: Vec<String> = std::fs::read_dir(o.path("forms"))
        .unwrap()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    assert_eq!(forms.len(), 5);
    let form = forms
        .iter()
        .find(|f| f.contains("x&lt;b&gt;y&amp;.txt"))
        .expect("escaped path");
    assert!(!form.contains("<script>") && !form.contains("x<b>y"));
    assert!(form.contains("信息公开保密审查表"));
    assert!(form.contains("不公开的依据或理由"));
    assert!(form.contains("机*★*年"));
    assert!(!form.contains("机密★5年"));
    assert!(form.contains("审查责任人签章和日期"));
    assert!(form.contains("签名有效"));
}

#[test]
fn non_sqlite_db_is_a_clear_error_and_untouched() {
    let o = Office::new();
    std::fs::write(
        o.path("notes.txt"),
        "meeting notes, not a database\n".repeat(40),
    )
    .unwrap();
    let before = std::fs::read(o.path("notes.txt")).unwrap();
    let r = o.run(&["scan", "--db", "notes.txt", "drafts"]);
    assert_eq!(code(&r), 2);
    assert!(err(&r).contains("is not an SQLite database"), "{}", err(&r));
    assert_eq!(std::fs::read(o.path("notes.txt")).unwrap(), before);
    let r = o.run(&["ledger", "verify", "--db", "notes.txt"]);
    assert_eq!(code(&r), 2);
    assert!(err(&r).contains("is not an SQLite database"), "{}", err(&r));
    let r = o.run(&["ledger", "verify", "--db", "nothing.db"]);
    assert_eq!(code(&r), 2);
    assert!(err(&r).contains("no ledger at nothing.db"), "{}", err(&r));
    assert!(!o.path("nothing.db").exists());
}

#[test]
fn concurrent_scan_processes_keep_one_chain() {
    let o = Office::new();
    // One shared scanner key, made before the race.
    assert_eq!(code(&o.run(&["key", "new", "scanner"])), 0);
    const PROCS: usize = 3;
    const FILES: usize = 15;
    for p in 0..PROCS {
        let d = o.path(&format!("batch{p}"));
        std::fs::create_dir(&d).unwrap();
        for i in 0..FILES {
            std::fs::write(d.join(format!("{i}.txt")), format!("第{p}批第{i}份草稿\n")).unwrap();
        }
    }
    let children: Vec<_> = (0..PROCS)
        .map(|p| {
            // Small transactions from each process: one document per run,
            // so the processes interleave.
            let dir = o.dir.path().to_owned();
            std::thread::spawn(move || {
                let mut codes = Vec::new();
                for i in 0..FILES {
                    let s = Command::new(BIN)
                        .args(["scan", "--db", "baomi.db", "--key", "scanner.key"])
                        .arg(format!("batch{p}/{i}.txt"))
                        .current_dir(&dir)
                        .output()
                        .unwrap();
                    codes.push((
                        s.status.code(),
                        String::from_utf8_lossy(&s.stderr).into_owned(),
                    ));
                }
                codes
            })
        })
        .collect();
    for c in children {
        for (code, stderr) in c.join().unwrap() {
            assert_eq!(code, Some(0), "{stderr}");
        }
    }
    let r = o.run(&["ledger", "verify"]);
    assert_eq!(code(&r), 0, "{}", out(&r));
    assert!(
        out(&r).contains(&format!("OK: all {} entries verified", PROCS * FILES)),
        "{}",
        out(&r)
    );
}
