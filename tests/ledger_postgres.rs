//! The ledger on a real PostgreSQL server, through the real binary: several
//! daemons and writers on one database (one chain, every draft once), the
//! server restarted and connections killed mid-burst (nothing lost, nothing
//! twice), a tampered row caught by `baomi ledger verify`, and `baomi
//! ledger copy` from SQLite into PostgreSQL and back.
//!
//! The server is a throwaway cluster (initdb + pg_ctl on a temporary
//! folder; see crates/baomi-ledger/tests/support/pg.rs). Never skipped.

#[path = "../crates/baomi-ledger/tests/support/pg.rs"]
mod pg;

use pg::PgServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

fn baomi(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("BAOMI_LOG")
        .env_remove("RUST_LOG")
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

/// A draft whose content is unique to `tag`; half of them with a marking.
fn draft(dir: &Path, name: &str, tag: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let body = if tag.len().is_multiple_of(2) {
        format!("关于{tag}的通知\n\n本文件为机密★5年，请妥善保管。\n")
    } else {
        format!("关于{tag}的通知\n\n各单位：现将有关事项通知如下。\n")
    };
    std::fs::write(dir.join(name), body).unwrap();
}

/// (scan entries, distinct documents scanned, max seq, entries).
fn counts(server: &PgServer, url: &str) -> (i64, i64, i64, i64) {
    let out = server.psql(
        pg::db_name(url),
        "SELECT (SELECT count(*) FROM entries WHERE kind = 'scan'), \
                (SELECT count(DISTINCT doc_sha256) FROM entries WHERE kind = 'scan'), \
                (SELECT coalesce(max(seq), 0) FROM entries), (SELECT count(*) FROM entries)",
    );
    let v: Vec<i64> = out.split('|').map(|s| s.trim().parse().unwrap()).collect();
    (v[0], v[1], v[2], v[3])
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .count()
    })
}

/// A daemon that is stopped (SIGTERM, then waited for) however the test
/// ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn watch(root: &Path, url: &str, local: &Path, once: bool) -> Command {
    std::fs::create_dir_all(local).unwrap();
    let mut c = Command::new(BIN);
    c.arg("watch")
        .arg(root)
        .arg("--db")
        .arg(url)
        .args([
            "--quiet-period",
            "0.2",
            "--rescan-interval",
            "1",
            "--no-ocr",
        ])
        .current_dir(local)
        .env("BAOMI_LOG", "info")
        .env_remove("BAOMI_CHECKPOINTS")
        .stdin(Stdio::null());
    if once {
        c.arg("--once");
    }
    c
}

#[test]
fn many_writers_on_one_database_make_one_chain_with_every_draft_once() {
    let server = pg::shared();
    let url = server.new_database();
    let tmp = tempfile::tempdir().unwrap();
    // Four shares, each with drafts of its own and the same five drafts as
    // every other share (the same content arriving at several offices).
    let mut children: Vec<(String, Child)> = Vec::new();
    for d in 0..4 {
        let root = tmp.path().join(format!("share{d}"));
        for i in 0..6 {
            draft(
                &root.join("inbox"),
                &format!("own{i}.txt"),
                &format!("share{d}-{i}"),
            );
        }
        for i in 0..5 {
            draft(
                &root.join("inbox"),
                &format!("common{i}.txt"),
                &format!("common-{i}"),
            );
        }
    }
    // Two more writers: `baomi scan --db` over the common drafts and some
    // of their own.
    for w in 0..2 {
        let dir = tmp.path().join(format!("scan{w}"));
        for i in 0..5 {
            draft(
                &dir.join("drafts"),
                &format!("common{i}.txt"),
                &format!("common-{i}"),
            );
            draft(
                &dir.join("drafts"),
                &format!("x{i}.txt"),
                &format!("scan{w}-{i}"),
            );
        }
    }
    for d in 0..4 {
        let root = tmp.path().join(format!("share{d}"));
        let log = std::fs::File::create(tmp.path().join(format!("watch{d}.log"))).unwrap();
        let child = watch(&root, &url, &tmp.path().join(format!("local{d}")), true)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        children.push((format!("watch{d}"), child));
    }
    for w in 0..2 {
        let dir = tmp.path().join(format!("scan{w}"));
        let child = Command::new(BIN)
            .args(["scan", "--db", &url, "drafts"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        children.push((format!("scan{w}"), child));
    }
    for (name, mut c) in children {
        let st = c.wait().unwrap();
        // scan exits 1 when a draft is withheld; anything else is a failure.
        assert!(
            matches!(st.code(), Some(0) | Some(1) | Some(2)),
            "{name} failed: {st:?}\n{}",
            std::fs::read_to_string(tmp.path().join(format!("{name}.log"))).unwrap_or_default()
        );
    }
    for d in 0..4 {
        let inbox = tmp.path().join(format!("share{d}/inbox"));
        assert_eq!(
            files_in(&inbox),
            0,
            "share{d}: drafts left in inbox/:\n{}",
            std::fs::read_to_string(tmp.path().join(format!("watch{d}.log"))).unwrap()
        );
    }
    // 4×6 own + 5 common + 2×5 own of the scanners: each exactly once.
    let (scans, distinct, max_seq, all) = counts(server, &url);
    assert_eq!((scans, distinct), (39, 39), "every draft exactly once");
    assert_eq!((max_seq, all), (39, 39), "one gap-free chain");
    let v = baomi(tmp.path(), &["ledger", "verify", "--db", &url]);
    assert!(v.status.success(), "{}", text(&v));
    assert!(text(&v).contains("39"), "{}", text(&v));
}

#[test]
fn server_restart_and_killed_connections_mid_burst_lose_nothing_and_repeat_nothing() {
    let server = PgServer::start();
    server.psql("postgres", "CREATE DATABASE burst");
    let url = server.url("burst");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("share");
    let inbox = root.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let log_path = tmp.path().join("watch.log");
    let daemon = Daemon(
        watch(&root, &url, &tmp.path().join("local"), false)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .unwrap(),
    );
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let wait_for = |what: &str, cond: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "timed out waiting for {what}; daemon log:\n{}",
                log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // 0 until the daemon has created the ledger.
    let recorded = || {
        if server.psql("burst", "SELECT to_regclass('entries') IS NOT NULL") != "t" {
            return 0;
        }
        counts(&server, &url).0
    };
    for i in 0..10 {
        draft(&inbox, &format!("a{i}.txt"), &format!("burst-a-{i}"));
    }
    wait_for("the first drafts", &|| recorded() >= 3);
    // The server goes down mid-burst (as in a crash), more drafts arrive.
    server.stop();
    for i in 0..10 {
        draft(&inbox, &format!("b{i}.txt"), &format!("burst-b-{i}"));
    }
    wait_for("the daemon to notice the database is down", &|| {
        log().contains("cannot reach the PostgreSQL ledger database")
    });
    assert!(files_in(&inbox) > 0, "drafts must wait in inbox/");
    server.start_again();
    // And every connection baomi has is killed once more while it records.
    for i in 0..10 {
        draft(&inbox, &format!("c{i}.txt"), &format!("burst-c-{i}"));
    }
    wait_for("recording to resume", &|| recorded() >= 12);
    server.psql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'baomi'",
    );
    for i in 0..5 {
        draft(&inbox, &format!("d{i}.txt"), &format!("burst-d-{i}"));
    }
    wait_for("every draft recorded", &|| {
        files_in(&inbox) == 0 && recorded() >= 35
    });
    drop(daemon);
    let (scans, distinct, max_seq, all) = counts(&server, &url);
    assert_eq!((scans, distinct), (35, 35), "nothing lost, nothing twice");
    assert_eq!(max_seq, all, "no gap in the chain");
    let v = baomi(tmp.path(), &["ledger", "verify", "--db", &url]);
    assert!(v.status.success(), "{}", text(&v));
    // The daemon said which entry holds each draft: 35 different ones.
    let daemon_log = log();
    let entries: std::collections::BTreeSet<&str> = daemon_log
        .lines()
        .filter(|l| l.contains("processed file="))
        .filter_map(|l| l.split(" entry=").nth(1))
        .filter_map(|r| r.split(' ').next())
        .collect();
    assert_eq!(entries.len(), 35, "{daemon_log}");
    assert!(
        !daemon_log.contains("no transaction in progress"),
        "a statement ran outside its transaction:\n{daemon_log}"
    );
    // Every draft is in an outcome folder (beside its NAME.report.txt),
    // none left behind, none twice.
    let outcomes: usize = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir() && e.file_name() != "inbox")
        .flat_map(|e| std::fs::read_dir(e.path()).unwrap())
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") && !n.ends_with(".report.txt"))
        .count();
    assert_eq!(outcomes, 35, "log:\n{}", log());
}

#[test]
fn a_tampered_row_is_refused_by_the_database_and_caught_by_verify() {
    let server = pg::shared();
    let url = server.new_database();
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..4 {
        draft(
            &tmp.path().join("drafts"),
            &format!("{i}.txt"),
            &format!("tamper-{i}"),
        );
    }
    let s = baomi(tmp.path(), &["scan", "--db", &url, "drafts"]);
    assert!(matches!(s.status.code(), Some(0 | 1)), "{}", text(&s));
    let db = pg::db_name(&url);
    // The application's own connection cannot change an entry.
    let refused = Command::new("psql")
        .args(["-X", "-q", "-h"])
        .arg(&server.dir)
        .args([
            "-p",
            &server.port.to_string(),
            "-U",
            "baomi",
            "-d",
            db,
            "-c",
        ])
        .arg("UPDATE entries SET payload = replace(payload, 'clear', 'withhold') WHERE seq = 2")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(text(&refused).contains("append-only"), "{}", text(&refused));
    // A superuser who switches the triggers off can; verify names the entry.
    server.psql(
        db,
        "BEGIN; ALTER TABLE entries DISABLE TRIGGER USER; \
         UPDATE entries SET recorded_at = '2020-01-01T00:00:00Z' WHERE seq = 2; \
         ALTER TABLE entries ENABLE TRIGGER USER; COMMIT;",
    );
    let v = baomi(tmp.path(), &["ledger", "verify", "--db", &url]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("entry 2"), "{}", text(&v));
}

#[test]
fn copy_from_sqlite_into_postgres_and_back_is_verbatim() {
    let server = pg::shared();
    let url = server.new_database();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for i in 0..5 {
        draft(
            &dir.join("drafts"),
            &format!("{i}.txt"),
            &format!("copy-{i}"),
        );
    }
    let s = baomi(dir, &["scan", "--db", "baomi.db", "drafts"]);
    assert!(matches!(s.status.code(), Some(0 | 1)), "{}", text(&s));
    let head = |db: &str| {
        let o = baomi(dir, &["ledger", "head", "--db", db]);
        assert!(o.status.success(), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let before = head("baomi.db");

    let c = baomi(dir, &["ledger", "copy", "--from", "baomi.db", "--to", &url]);
    assert!(c.status.success(), "{}", text(&c));
    assert!(
        text(&c).contains("copied 5 entries") && text(&c).contains("the copy verifies: 5 entries"),
        "{}",
        text(&c)
    );
    // Same origin, size and root: the old checkpoints hold for the copy.
    let first_lines = |h: &str| h.lines().take(3).collect::<Vec<_>>().join("\n");
    assert_eq!(first_lines(&head(&url)), first_lines(&before));
    // Same rows, byte for byte.
    let rows = |out: String| out.lines().map(str::to_owned).collect::<Vec<_>>();
    let pg_rows = rows(server.psql(
        pg::db_name(&url),
        "SELECT seq, hash, signature, payload FROM entries ORDER BY seq",
    ));
    let lite = rusqlite::Connection::open(dir.join("baomi.db")).unwrap();
    let mut st = lite
        .prepare("SELECT seq, hash, signature, payload FROM entries ORDER BY seq")
        .unwrap();
    let lite_rows: Vec<String> = st
        .query_map([], |r| {
            Ok(format!(
                "{}|{}|{}|{}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(pg_rows, lite_rows);
    // Recording again into the copy: nothing twice.
    let s = baomi(dir, &["scan", "--db", &url, "drafts"]);
    assert!(matches!(s.status.code(), Some(0 | 1)), "{}", text(&s));
    assert_eq!(counts(server, &url).3, 5);
    // Not into a ledger that has entries.
    let again = baomi(dir, &["ledger", "copy", "--from", "baomi.db", "--to", &url]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("already holds 5 entries"),
        "{}",
        text(&again)
    );
    // And back into a new SQLite file.
    let back = baomi(dir, &["ledger", "copy", "--from", &url, "--to", "back.db"]);
    assert!(back.status.success(), "{}", text(&back));
    assert_eq!(first_lines(&head("back.db")), first_lines(&before));
    let v = baomi(dir, &["ledger", "verify", "--db", "back.db"]);
    assert!(v.status.success(), "{}", text(&v));
}

#[test]
fn a_database_that_is_down_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("postgres://baomi:secret@127.0.0.1:{port}/baomi");
    let o = baomi(tmp.path(), &["ledger", "verify", "--db", &url]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("cannot reach the PostgreSQL ledger database")
            && t.contains(&format!("pg_isready -h 127.0.0.1 -p {port}")),
        "{t}"
    );
    assert!(!t.contains("secret"), "the password must not be shown: {t}");
    let _ = PathBuf::new();
}

#[path = "web_support/mod.rs"]
mod web_support;

#[test]
fn two_review_servers_on_one_database_record_each_draft_once() {
    let server = pg::shared();
    let url = server.new_database();
    let office = web_support::Office::new();
    let a = office.serve_db(&url, "dept", &[]);
    let b = office.serve_db(&url, "work", &[]);
    // Drafts uploaded to both servers at once, each to both.
    let drafts: Vec<Vec<u8>> = (0..8)
        .map(|i| format!("关于第{i}项工作的通知\n\n各单位：请按时报送材料。\n").into_bytes())
        .collect();
    let seqs: Vec<(u64, bool)> = std::thread::scope(|s| {
        let hs: Vec<_> = [&a, &b]
            .into_iter()
            .map(|srv| {
                let drafts = &drafts;
                s.spawn(move || {
                    drafts
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let r = srv.request(
                                "POST",
                                "/api/v1/scan?record=true",
                                &[("X-Filename", &format!("n{i}.txt"))],
                                d,
                            );
                            assert_eq!(r.status, 200, "{}", r.text());
                            let v = r.json();
                            (
                                v["recorded"]["seq"].as_u64().unwrap(),
                                v["recorded"]["duplicate"].as_bool().unwrap(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(seqs.iter().filter(|(_, dup)| !dup).count(), 8, "{seqs:?}");
    let distinct: std::collections::BTreeSet<u64> = seqs.iter().map(|(s, _)| *s).collect();
    assert_eq!(distinct.len(), 8, "{seqs:?}");
    let (scans, docs, max_seq, all) = counts(server, &url);
    assert_eq!((scans, docs, max_seq, all), (8, 8, 8, 8));
    // What one server recorded, the other shows.
    let sha: String = server.psql(
        pg::db_name(&url),
        "SELECT doc_sha256 FROM entries WHERE seq = 1",
    );
    let st = b.get(&format!("/api/v1/documents/{sha}")).json();
    assert_eq!(st["status"], "pending", "{st}");
    let v = office.run(&["ledger", "verify", "--db", &url, "--trust", "trust.toml"]);
    assert!(v.status.success(), "{}", text(&v));
}

/// The README's operator path: an office's SQLite ledger, witnessed, moved
/// into PostgreSQL; two daemons record into it; the witness cosigns the
/// grown ledger; the auditor verifies with the witness list — with the
/// database named in baomi.toml.
#[test]
fn operator_path_sqlite_office_moved_to_postgres_two_daemons_witnessed() {
    let server = pg::shared();
    let url = server.new_database();
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    for i in 0..3 {
        draft(
            &office.join("drafts"),
            &format!("{i}.txt"),
            &format!("op-{i}"),
        );
    }
    let ok = |dir: &Path, args: &[&str]| {
        let o = baomi(dir, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let s = baomi(&office, &["scan", "--db", "baomi.db", "drafts"]);
    assert!(matches!(s.status.code(), Some(0 | 1)), "{}", text(&s));
    // The inspection office's witness follows the ledger.
    let witness = tmp.path().join("witness");
    let w = witness.to_str().unwrap();
    let vkey = ok(
        tmp.path(),
        &["witness", "init", w, "--name", "inspection.example/w1"],
    );
    let list = tmp.path().join("witnesses.txt");
    std::fs::write(&list, vkey).unwrap();
    let head = ok(&office, &["ledger", "head", "--db", "baomi.db"]);
    let origin = head.lines().next().unwrap().to_owned();
    ok(
        &office,
        &[
            "witness",
            "add-log",
            w,
            "--origin",
            &origin,
            "--pub",
            "baomi-scanner.pub",
        ],
    );
    let round = |db: &str, old: u64, tag: &str| {
        let req = ok(
            &office,
            &["ledger", "consistency", &old.to_string(), "--db", db],
        );
        let req_path = office.join(format!("request-{tag}"));
        std::fs::write(&req_path, req).unwrap();
        let cos = ok(
            &office,
            &[
                "witness",
                "cosign",
                w,
                "--request",
                req_path.to_str().unwrap(),
            ],
        );
        let cos_path = office.join(format!("cosignature-{tag}"));
        std::fs::write(&cos_path, cos).unwrap();
        ok(
            &office,
            &[
                "ledger",
                "add-cosignatures",
                "--db",
                db,
                "--request",
                req_path.to_str().unwrap(),
                cos_path.to_str().unwrap(),
            ],
        );
    };
    round("baomi.db", 0, "sqlite");

    // Into PostgreSQL; baomi.toml names it from now on.
    let c = ok(
        &office,
        &["ledger", "copy", "--from", "baomi.db", "--to", &url],
    );
    assert!(c.contains("the copy verifies: 3 entries"), "{c}");
    std::fs::write(office.join("baomi.toml"), format!("db = \"{url}\"\n")).unwrap();
    let l = list.to_str().unwrap();
    // The checkpoint the witness cosigned for the SQLite file holds for
    // the copy (same origin, size and root).
    ok(
        &office,
        &[
            "ledger",
            "verify",
            "--witnesses",
            l,
            "--min-cosignatures",
            "1",
        ],
    );

    // Two daemons on two shares record into it (here: two processes).
    let mut daemons = Vec::new();
    for d in 0..2 {
        let root = tmp.path().join(format!("share{d}"));
        for i in 0..4 {
            draft(
                &root.join("inbox"),
                &format!("{i}.txt"),
                &format!("op-share{d}-{i}"),
            );
        }
        let mut c = Command::new(BIN);
        c.arg("watch")
            .arg(&root)
            .args(["--once", "--quiet-period", "0.2", "--no-ocr"])
            .current_dir(&office)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        daemons.push(c.spawn().unwrap());
    }
    for mut d in daemons {
        let st = d.wait().unwrap();
        assert!(matches!(st.code(), Some(0 | 1)), "{st:?}");
    }
    assert_eq!(counts(server, &url), (11, 11, 11, 11));
    // The witness cosigns the grown ledger (consistent with what it saw in
    // SQLite), and the auditor's verify finds that cosignature.
    round(&url, 3, "pg");
    let v = baomi(
        &office,
        &[
            "ledger",
            "verify",
            "--witnesses",
            l,
            "--min-cosignatures",
            "1",
        ],
    );
    assert!(v.status.success(), "{}", text(&v));
    assert!(text(&v).contains("11"), "{}", text(&v));
}
