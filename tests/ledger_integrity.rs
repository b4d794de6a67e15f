//! Integrity on every use, end to end: a ledger edited in the SQLite file
//! is refused for appends (`scan --db`, `review decide`), flagged first by
//! `review list/show` (exit 1), and flagged on every page of a running
//! server, which refuses decisions; a rolled-back or truncated ledger is
//! caught by plain `baomi ledger verify` through the automatic checkpoints.

mod web_support;

use std::time::{Duration, Instant};
use web_support::{csrf_of, Office};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Turns the withheld hostile draft's scan into a `clear` one, as someone
/// with write access to the file would (triggers dropped first).
fn forge_clear(office: &Office, sha: &str) {
    let c = rusqlite::Connection::open(office.path("baomi.db")).unwrap();
    c.execute_batch("DROP TRIGGER entries_append_only_update")
        .unwrap();
    let n = c
        .execute(
            "UPDATE entries SET payload = replace(payload, '\"verdict\":\"withhold\"', '\"verdict\":\"clear\"')
             WHERE kind = 'scan' AND doc_sha256 = ?1",
            [sha],
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_tampered_ledger_is_refused_for_appends_and_flagged_by_review() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let id = &sha[..12];
    let ok = office.run(&["review", "list"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(!stdout(&ok).contains("BAD"));

    // Forge the hostile draft's verdict wherever its entry is: reads check
    // what they show, appends check the tail.
    forge_clear(&office, &sha);

    let list = office.run(&["review", "list"]);
    assert_eq!(list.status.code(), Some(1), "{}", stdout(&list));
    let text = stdout(&list);
    assert!(text.starts_with("BAD"), "{text}");
    assert!(
        text.contains(id) && text.contains("does not verify"),
        "{text}"
    );
    // The altered verdict is never shown as if it were sound.
    for line in text.lines().filter(|l| l.contains(id)) {
        assert!(line.starts_with("BAD"), "{line}");
    }

    let show = office.run(&["review", "show", id]);
    assert_ne!(show.status.code(), Some(0));
    assert!(
        stderr(&show).contains("does not verify") || stdout(&show).contains("does not verify"),
        "{}{}",
        stdout(&show),
        stderr(&show)
    );

    // Nobody can sign on it: the decision reads the forged entry and refuses.
    let before = office.entries();
    let decide = office.run(&[
        "review",
        "decide",
        id,
        "--stage",
        "department",
        "--conclusion",
        "withhold",
        "--opinion",
        "不予公开",
        "--key",
        "keys/dept.key",
    ]);
    assert_ne!(decide.status.code(), Some(0));
    assert_eq!(office.entries(), before, "nothing was appended");
}

#[test]
fn appends_refuse_a_ledger_whose_last_entry_was_edited() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    let sha = office.sha_of("drafts/hostile.txt");
    forge_clear(&office, &sha); // the only entry: the tail
    let before = office.entries();
    let out = office.run(&[
        "scan",
        "--db",
        "baomi.db",
        "--key",
        "keys/scanner.key",
        "drafts/clean-notice.txt",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("the last entry, 1, does not verify") && err.contains("Nothing was written"),
        "{err}"
    );
    assert!(err.contains("baomi ledger verify"), "{err}");
    assert_eq!(office.entries(), before);
}

#[test]
fn plain_verify_catches_truncation_and_a_rollback_to_an_older_copy() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    // An older copy of the whole database, as a backup would hold it.
    let db = office.path("baomi.db");
    let old = office.path("old.db");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute("VACUUM INTO ?1", [old.to_str().unwrap()])
            .unwrap();
    }
    office.scan(&["drafts/"]);
    assert_eq!(office.entries(), 3);
    let good = office.run(&["ledger", "verify", "--trust", "trust.toml"]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
    assert!(
        stdout(&good).contains("extends every checkpoint in"),
        "{}",
        stdout(&good)
    );

    // Roll the file back: a valid chain of 1 entry, caught by the checkpoints.
    std::fs::remove_file(office.path("baomi.db-wal")).ok();
    std::fs::remove_file(office.path("baomi.db-shm")).ok();
    std::fs::copy(&old, &db).unwrap();
    let bad = office.run(&["ledger", "verify", "--trust", "trust.toml"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(
        stdout(&bad).contains("entry 2: truncated")
            && stdout(&bad).contains("entries 2–3 were removed"),
        "{}",
        stdout(&bad)
    );
    // And nothing is appended to the rolled-back copy (it would fork).
    let out = office.run(&[
        "scan",
        "--db",
        "baomi.db",
        "--key",
        "keys/scanner.key",
        "drafts/draft.docx",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("rolled back"), "{}", stderr(&out));

    // A fresh ledger in its place (another origin) is caught as well.
    std::fs::remove_file(&db).unwrap();
    let fresh = baomi_ledger::Ledger::open_with(
        &db,
        &baomi_ledger::OpenOptions {
            checkpoints: Some(office.path("elsewhere")),
            ..Default::default()
        },
    )
    .unwrap();
    fresh
        .append(
            "note",
            "",
            serde_json::json!({"text": "x"}),
            &baomi_ledger::load_private_key(&office.path("keys/scanner.key")).unwrap(),
        )
        .unwrap();
    let bad = office.run(&["ledger", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("replaced"), "{}", stdout(&bad));
}

#[test]
fn a_read_only_command_never_creates_a_ledger() {
    let office = Office::new();
    std::fs::write(office.path("empty.db"), b"").unwrap();
    let out = office.run(&["ledger", "verify", "--db", "empty.db"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("holds no ledger"), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(office.path("empty.db")).unwrap().len(), 0);
    let out = office.run(&["review", "list", "--db", "empty.db"]);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(std::fs::metadata(office.path("empty.db")).unwrap().len(), 0);
}

#[test]
fn the_server_flags_a_tampered_ledger_on_every_page_and_refuses_to_sign() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let clean = office.sha_of("drafts/clean-notice.txt");
    forge_clear(&office, &sha);
    let server = office.serve("dept", &[]);
    // The first verification runs in the background; wait for its verdict.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if server.get("/").text().contains("账本核验未通过") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no banner: {}",
            server.get("/").text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    for page in ["/", "/ledger", &format!("/documents/{clean}")] {
        let r = server.get(page);
        assert!(r.text().contains("账本核验未通过"), "{page}: {}", r.text());
    }
    // The forged document is not shown as clear.
    let r = server.get(&format!("/documents/{sha}"));
    assert!(r.text().contains("does not verify"), "{}", r.text());
    // The status API says it may not go out.
    let j = server.get(&format!("/api/v1/documents/{clean}")).json();
    assert_eq!(j["may_publish"], false);
    assert!(j["ledger_problem"]
        .as_str()
        .unwrap()
        .contains("content changed"));
    // A decision on an untouched document is refused, nothing recorded.
    let before = office.entries();
    let page = server.get(&format!("/documents/{clean}")).text();
    let r = server.post_form(
        &format!("/documents/{clean}/decide"),
        &[
            ("csrf", &csrf_of(&page)),
            ("stage", "department"),
            ("conclusion", "publish"),
            ("opinion", "同意公开"),
        ],
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("账本核验未通过"));
    assert_eq!(office.entries(), before);
}

#[test]
fn a_sound_ledger_shows_no_banner_and_the_server_verifies_new_entries() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    let server = office.serve("dept", &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    // Appended while the server runs: still good.
    office.scan(&["drafts/"]);
    let clean = office.sha_of("drafts/clean-notice.txt");
    loop {
        let j = server.get(&format!("/api/v1/documents/{clean}")).json();
        if j["ledger_verified"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "never verified: {j}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!server.get("/").text().contains("账本核验未通过"));
    // Now an entry that does not verify is appended behind its back.
    let c = rusqlite::Connection::open(office.path("baomi.db")).unwrap();
    c.execute(
        "INSERT INTO entries (seq, kind, doc_sha256, payload, key_id, public_key, signature, prev_hash, hash, recorded_at)
         SELECT seq + 1, kind, doc_sha256, payload, key_id, public_key, signature, hash, hash, recorded_at
         FROM entries ORDER BY seq DESC LIMIT 1",
        [],
    )
    .unwrap();
    loop {
        if server.get("/").text().contains("账本核验未通过") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the forged entry was not noticed"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
