//! End-to-end tests of `baomi witness` and `baomi ledger consistency /
//! add-cosignatures / verify --witnesses`: the real binary, a real ledger
//! recorded by `baomi scan --db`, a witness in its own folder, and a
//! rolled-back-and-rewritten copy of the office that the witness refuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("BAOMI_LOG")
        .env_remove("RUST_LOG")
        .env_remove("BAOMI_CHECKPOINTS")
        .output()
        .unwrap()
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
fn ok(o: Output) -> Output {
    assert_eq!(code(&o), 0, "stdout:\n{}\nstderr:\n{}", out(&o), err(&o));
    o
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    office: PathBuf,
    witness: PathBuf,
    list: PathBuf,
}

/// An office ledger with 2 entries, and a witness following it.
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    std::fs::create_dir_all(office.join("drafts")).unwrap();
    std::fs::write(
        office.join("drafts/a.txt"),
        "关于开展安全检查的通知\n本文件为机密★5年。\n",
    )
    .unwrap();
    std::fs::write(office.join("drafts/b.txt"), "关于公布节假日安排的通知\n").unwrap();
    let r = run(&office, &["scan", "--db", "baomi.db", "drafts"]);
    assert!(err(&r).contains("recorded 2 scan entries"), "{}", err(&r));

    let witness = tmp.path().join("inspection-witness");
    let r = ok(run(
        tmp.path(),
        &[
            "witness",
            "init",
            witness.to_str().unwrap(),
            "--name",
            "inspection.example/w1",
        ],
    ));
    let vkey = out(&r).trim().to_owned();
    assert!(vkey.starts_with("inspection.example/w1+"), "{vkey}");
    let list = tmp.path().join("witnesses.txt");
    std::fs::write(&list, format!("# the inspection office\n{vkey}\n")).unwrap();

    let origin = origin_of(&office);
    let r = ok(run(
        &office,
        &[
            "witness",
            "add-log",
            witness.to_str().unwrap(),
            "--origin",
            &origin,
            "--pub",
            "baomi-scanner.pub",
        ],
    ));
    assert!(out(&r).contains(&origin));
    Setup {
        _tmp: tmp,
        office,
        witness,
        list,
    }
}

fn origin_of(office: &Path) -> String {
    let r = ok(run(office, &["ledger", "head", "--db", "baomi.db"]));
    out(&r).lines().next().unwrap().to_owned()
}

/// `ledger consistency OLD` → `witness cosign` → `ledger add-cosignatures`;
/// returns the witness's output (exit code checked by the caller).
fn witness_round(s: &Setup, office: &Path, old: u64, tag: &str) -> Output {
    let r = ok(run(
        office,
        &[
            "ledger",
            "consistency",
            &old.to_string(),
            "--db",
            "baomi.db",
        ],
    ));
    let req = office.join(format!("request-{tag}"));
    std::fs::write(&req, out(&r)).unwrap();
    assert!(out(&r).starts_with(&format!("old {old}\n")), "{}", out(&r));
    let w = run(
        office,
        &[
            "witness",
            "cosign",
            s.witness.to_str().unwrap(),
            "--request",
            req.to_str().unwrap(),
        ],
    );
    if code(&w) == 0 {
        let cos = office.join(format!("cosignature-{tag}"));
        std::fs::write(&cos, out(&w)).unwrap();
        ok(run(
            office,
            &[
                "ledger",
                "add-cosignatures",
                "--db",
                "baomi.db",
                "--request",
                req.to_str().unwrap(),
                cos.to_str().unwrap(),
            ],
        ));
    }
    w
}

fn verify(office: &Path, list: &Path, n: &str) -> Output {
    run(
        office,
        &[
            "ledger",
            "verify",
            "--db",
            "baomi.db",
            "--witnesses",
            list.to_str().unwrap(),
            "--min-cosignatures",
            n,
        ],
    )
}

#[test]
fn witness_cosigns_a_growing_ledger_and_verify_requires_its_cosignature() {
    let s = setup();
    // Before any cosignature: verify with --min-cosignatures 1 fails.
    let r = verify(&s.office, &s.list, "1");
    assert_eq!(code(&r), 1, "{}", out(&r));
    assert!(out(&r).contains("BAD: no checkpoint"), "{}", out(&r));
    assert!(out(&r).contains("inspection.example/w1"), "{}", out(&r));

    let w = witness_round(&s, &s.office, 0, "1");
    assert_eq!(code(&w), 0, "{}", err(&w));
    let line = out(&w);
    assert!(
        line.starts_with("\u{2014} inspection.example/w1 "),
        "{line}"
    );
    let r = ok(verify(&s.office, &s.list, "1"));
    assert!(
        out(&r).contains("OK: checkpoint of 2 entries"),
        "{}",
        out(&r)
    );

    // More entries, then a second round from the size cosigned before.
    std::fs::write(
        s.office.join("drafts/c.txt"),
        "内部资料 注意保存\n会议纪要\n",
    )
    .unwrap();
    run(&s.office, &["scan", "--db", "baomi.db", "drafts"]);
    let r = ok(verify(&s.office, &s.list, "1"));
    assert!(
        out(&r).contains("entry 3 is not witnessed yet"),
        "{}",
        out(&r)
    );
    // A stale old size is refused, naming the size to use.
    let w = witness_round(&s, &s.office, 0, "stale");
    assert_eq!(code(&w), 1);
    assert!(
        err(&w).contains("baomi ledger consistency 2"),
        "{}",
        err(&w)
    );
    let w = witness_round(&s, &s.office, 2, "2");
    assert_eq!(code(&w), 0, "{}", err(&w));
    let r = ok(verify(&s.office, &s.list, "1"));
    assert!(
        out(&r).contains("OK: checkpoint of 3 entries"),
        "{}",
        out(&r)
    );
    assert!(!out(&r).contains("not witnessed yet"), "{}", out(&r));
    let st = ok(run(
        &s.office,
        &["witness", "status", s.witness.to_str().unwrap()],
    ));
    assert!(out(&st).contains("cosigned size 3"), "{}", out(&st));

    // Two witnesses required, the second never cosigned: fails, naming it.
    let w2 = s.witness.with_file_name("w2");
    let r = ok(run(
        &s.office,
        &[
            "witness",
            "init",
            w2.to_str().unwrap(),
            "--name",
            "city.example/w2",
        ],
    ));
    let two = s.list.with_file_name("two.txt");
    std::fs::write(
        &two,
        format!("{}{}", std::fs::read_to_string(&s.list).unwrap(), out(&r)),
    )
    .unwrap();
    let r = verify(&s.office, &two, "2");
    assert_eq!(code(&r), 1, "{}", out(&r));
    assert!(
        out(&r).contains("witness city.example/w2: no cosignature"),
        "{}",
        out(&r)
    );
    assert!(
        out(&r).contains("witness inspection.example/w1: valid cosignature"),
        "{}",
        out(&r)
    );
    // A list of one cannot satisfy 2.
    let r = verify(&s.office, &s.list, "2");
    assert_eq!(code(&r), 2);
    assert!(
        err(&r).contains("fewer than --min-cosignatures 2"),
        "{}",
        err(&r)
    );
}

#[test]
fn a_forged_cosignature_does_not_count() {
    let s = setup();
    assert_eq!(code(&witness_round(&s, &s.office, 0, "1")), 0);
    ok(verify(&s.office, &s.list, "1"));
    // Alter the witness's signature bytes in the saved checkpoint.
    let dir = s.office.join("baomi.db.checkpoints");
    let cosigned: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".cosigned.checkpoint"))
        .collect();
    assert_eq!(cosigned.len(), 1, "{cosigned:?}");
    let text = std::fs::read_to_string(&cosigned[0]).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("inspection.example/w1"))
        .unwrap();
    // Replace a character of the signature part (past key id and time).
    let (head, sig) = line.split_at(line.len() - 20);
    let flipped: String = sig
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 0 {
                if c == 'A' {
                    'B'
                } else {
                    'A'
                }
            } else {
                c
            }
        })
        .collect();
    std::fs::write(
        &cosigned[0],
        text.replace(line, &format!("{head}{flipped}")),
    )
    .unwrap();
    let r = verify(&s.office, &s.list, "1");
    assert_eq!(code(&r), 1, "{}", out(&r));
    assert!(
        out(&r).contains("witness inspection.example/w1: its cosignature does NOT verify"),
        "{}",
        out(&r)
    );
}

#[test]
fn witness_refuses_a_rolled_back_and_rewritten_ledger() {
    let s = setup();
    assert_eq!(code(&witness_round(&s, &s.office, 0, "1")), 0);
    // Keep a copy of the office (database, checkpoints, key) at 2 entries.
    let copy = s.office.with_file_name("office-copy");
    copy_dir(&s.office, &copy);
    std::fs::write(s.office.join("drafts/c.txt"), "内部资料 注意保存\n").unwrap();
    run(&s.office, &["scan", "--db", "baomi.db", "drafts"]);
    assert_eq!(code(&witness_round(&s, &s.office, 2, "2")), 0);

    // The operator restores the copy and records a different third entry:
    // the same ledger, key and size, another history.
    std::fs::write(copy.join("drafts/c.txt"), "另一份草稿\n").unwrap();
    run(&copy, &["scan", "--db", "baomi.db", "drafts"]);
    ok(run(&copy, &["ledger", "verify", "--db", "baomi.db"]));
    let w = witness_round(&s, &copy, 3, "rewrite");
    assert_eq!(code(&w), 1, "{}", out(&w));
    assert!(err(&w).contains("history was rewritten"), "{}", err(&w));
    assert!(
        out(&w).is_empty(),
        "a refusal prints no cosignature: {}",
        out(&w)
    );
    // Grown further, with a valid proof of its own: still refused.
    std::fs::write(copy.join("drafts/d.txt"), "又一份草稿\n").unwrap();
    run(&copy, &["scan", "--db", "baomi.db", "drafts"]);
    let w = witness_round(&s, &copy, 3, "rewrite2");
    assert_eq!(code(&w), 1);
    assert!(
        err(&w).contains("consistency proof from size 3"),
        "{}",
        err(&w)
    );
    // The witness still holds the real ledger's size, and cosigns it.
    let st = ok(run(
        &s.office,
        &["witness", "status", s.witness.to_str().unwrap()],
    ));
    assert!(out(&st).contains("cosigned size 3"), "{}", out(&st));
    // The rewritten copy cannot show a cosignature for its entries.
    let r = ok(verify(&copy, &s.list, "1"));
    assert!(
        out(&r).contains("OK: checkpoint of 2 entries"),
        "{}",
        out(&r)
    );
    assert!(
        out(&r).contains("entries 3–4 are not witnessed yet"),
        "{}",
        out(&r)
    );
}
