//! The office's day-one path outside the README walk-through: `baomi init`
//! never overwrites, only registered keys sign (scan --db, watch, serve,
//! review), drafts are archived before their entry and shown from there,
//! and `baomi archive prune` never removes a draft under review.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn path(&self, p: &str) -> PathBuf {
        self.0.path().join(p)
    }
    fn run_in(&self, sub: &str, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.path(sub))
            .env("NO_COLOR", "1")
            .env_remove("BAOMI_KEY")
            .env_remove("BAOMI_CHECKPOINTS")
            .output()
            .unwrap()
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn draft(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn init_sets_up_an_office_and_never_overwrites() {
    let d = Dir::new();
    std::fs::create_dir_all(d.path("")).unwrap();
    let out = d.run_in("", &["init", "office"]);
    assert!(out.status.success(), "{}", text(&out));
    for f in ["baomi.toml", "trust.toml", "stages.toml", "state/baomi.db"] {
        assert!(d.path("office").join(f).exists(), "{f}: {}", text(&out));
    }
    for sub in ["inbox", "cleared", "review", "withheld", "failed"] {
        assert!(d.path("office/share").join(sub).is_dir());
    }
    assert_eq!(mode(&d.path("office/state")), 0o700);
    assert_eq!(mode(&d.path("office/state/keys")), 0o700);
    assert_eq!(mode(&d.path("office/state/archive")), 0o700);
    assert_eq!(mode(&d.path("office/state/keys/scanner.key")), 0o600);
    let trust = std::fs::read_to_string(d.path("office/trust.toml")).unwrap();
    assert!(trust.contains("roles = [\"scanner\"]"), "{trust}");
    let key = std::fs::read(d.path("office/state/keys/scanner.key")).unwrap();

    // Again: everything kept, nothing rewritten, the scanner listed once.
    std::fs::write(d.path("office/baomi.toml"), "# edited by the officer\n").unwrap();
    let again = d.run_in("", &["init", "office"]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("kept"), "{}", text(&again));
    assert_eq!(
        std::fs::read(d.path("office/state/keys/scanner.key")).unwrap(),
        key
    );
    assert_eq!(
        std::fs::read_to_string(d.path("office/baomi.toml")).unwrap(),
        "# edited by the officer\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.path("office/trust.toml")).unwrap(),
        trust
    );
}

/// An office made by `baomi init` in `d/office`.
fn office() -> Dir {
    let d = Dir::new();
    let out = d.run_in("", &["init", "office"]);
    assert!(out.status.success(), "{}", text(&out));
    d
}

#[test]
fn only_registered_keys_sign() {
    let d = office();
    let drafts = d.path("office/drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    draft(&drafts, "a.txt", "关于开会的通知\n本文件为机密★1年\n");
    let before = std::fs::metadata(d.path("office/state/baomi.db"))
        .unwrap()
        .len();

    // A scanner key nobody registered: refused, with the command to register it.
    let out = d.run_in("office", &["key", "new", "rogue"]);
    assert!(out.status.success(), "{}", text(&out));
    let scan = d.run_in(
        "office",
        &[
            "scan",
            "--db",
            "state/baomi.db",
            "--key",
            "rogue.key",
            "drafts/",
        ],
    );
    assert_eq!(scan.status.code(), Some(2), "{}", text(&scan));
    let t = text(&scan);
    assert!(
        t.contains("is not registered in") && t.contains("baomi key register rogue.key"),
        "{t}"
    );

    // The registered scanner key (from baomi.toml) signs.
    let scan = d.run_in("office", &["scan", "--db", "state/baomi.db", "drafts/"]);
    assert_eq!(scan.status.code(), Some(1), "{}", text(&scan));
    assert!(
        text(&scan).contains("recorded 1 scan entry"),
        "{}",
        text(&scan)
    );
    let _ = before;

    // A reviewer key registered with the wrong role for signing at all…
    let out = d.run_in(
        "office",
        &[
            "key",
            "new",
            "keys/zhang",
            "--person",
            "张三",
            "--role",
            "scanner",
            "--register",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let list = d.run_in("office", &["review", "list"]);
    let id = String::from_utf8_lossy(&list.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let decide = d.run_in(
        "office",
        &[
            "review",
            "decide",
            &id,
            "--stage",
            "department",
            "--conclusion",
            "withhold",
            "--basis",
            "x",
            "--opinion",
            "不予公开",
            "--key",
            "keys/zhang.key",
        ],
    );
    assert_ne!(decide.status.code(), Some(0));
    assert!(
        text(&decide).contains("holds the role(s) [scanner]"),
        "{}",
        text(&decide)
    );
    // …and an unregistered one for the web UI: serve refuses to start.
    d.run_in("office", &["key", "new", "keys/nobody"]);
    let serve = d.run_in(
        "office",
        &[
            "serve",
            "--key",
            "keys/nobody.key",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(serve.status.code(), Some(2), "{}", text(&serve));
    assert!(
        text(&serve).contains("is not registered"),
        "{}",
        text(&serve)
    );

    // The daemon refuses an unregistered key before it watches anything.
    let watch = d.run_in("office", &["watch", "--key", "rogue.key", "--once"]);
    assert_eq!(watch.status.code(), Some(2), "{}", text(&watch));
    assert!(
        text(&watch).contains("is not registered"),
        "{}",
        text(&watch)
    );

    // With a trust file no key is created on the fly.
    std::fs::remove_file(d.path("office/state/keys/scanner.key")).unwrap();
    let scan = d.run_in("office", &["scan", "--db", "state/baomi.db", "drafts/"]);
    assert_eq!(scan.status.code(), Some(2), "{}", text(&scan));
    assert!(!d.path("office/state/keys/scanner.key").exists());
    assert!(text(&scan).contains("--register"), "{}", text(&scan));
}

#[test]
fn drafts_are_archived_and_shown_from_the_archive_after_they_move() {
    let d = office();
    let drafts = d.path("office/drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    let p = draft(
        &drafts,
        "b.txt",
        "关于开会的通知\n本件为内部资料，不得外传。\n",
    );
    let scan = d.run_in("office", &["scan", "--db", "state/baomi.db", "drafts/"]);
    assert_eq!(scan.status.code(), Some(1), "{}", text(&scan));
    // The draft is gone from where it was scanned…
    std::fs::remove_file(&p).unwrap();
    let list = d.run_in("office", &["review", "list"]);
    let id = String::from_utf8_lossy(&list.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    // …and still shown in context, from the archive.
    let show = d.run_in("office", &["review", "show", &id]);
    let t = text(&show);
    assert!(show.status.success(), "{t}");
    assert!(t.contains("不得外传") && !t.contains("遮蔽"), "{t}");
    let archived: Vec<_> = walk(&d.path("office/state/archive"));
    assert_eq!(archived.len(), 1, "{archived:?}");
    assert_eq!(mode(&archived[0]), 0o600);
    // Scanning the same bytes again stores nothing new.
    let p = draft(
        &drafts,
        "b.txt",
        "关于开会的通知\n本件为内部资料，不得外传。\n",
    );
    d.run_in("office", &["scan", "--db", "state/baomi.db", "drafts/"]);
    assert_eq!(walk(&d.path("office/state/archive")).len(), 1);

    // prune keeps a draft whose review is open, however old.
    let prune = d.run_in("office", &["archive", "prune", "--older-than", "0"]);
    assert!(prune.status.success(), "{}", text(&prune));
    assert!(text(&prune).contains("removed 0"), "{}", text(&prune));
    assert!(
        text(&prune).contains("kept 1 still under review"),
        "{}",
        text(&prune)
    );
    assert_eq!(walk(&d.path("office/state/archive")).len(), 1);
    let _ = p;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else if !e.file_name().to_string_lossy().starts_with('.') {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn an_unknown_time_zone_stops_every_command() {
    let d = office();
    std::fs::write(
        d.path("office/baomi.toml"),
        std::fs::read_to_string(d.path("office/baomi.toml"))
            .unwrap()
            .replace(
                "timezone = \"Asia/Shanghai\"",
                "timezone = \"Mars/Olympus\"",
            ),
    )
    .unwrap();
    let out = d.run_in("office", &["review", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("unknown time zone `Mars/Olympus`")
            && text(&out).contains("baomi.toml"),
        "{}",
        text(&out)
    );
}
