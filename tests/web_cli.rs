//! `baomi review` end to end: a real ledger filled by `baomi scan --db`,
//! decisions through every stage with three different keys, refusals that
//! write nothing, and waivers that follow unchanged text into a revision.

mod web_support;

use web_support::Office;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_draft_goes_through_every_stage_with_three_keys() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let id = &sha[..12];

    let list = stdout(&office.ok(&["review", "list"]));
    assert!(list.contains(id) && list.contains("待部门申请"), "{list}");
    let pending = stdout(&office.ok(&[
        "review",
        "list",
        "--stage",
        "department",
        "--verdict",
        "withhold",
    ]));
    assert!(pending.contains(id));
    assert!(!pending.contains(&office.sha_of("drafts/clean-notice.txt")[..12]));

    let show = stdout(&office.ok(&["review", "show", id]));
    assert!(show.contains("in context from the file"), "{show}");
    assert!(show.contains("【11010519491231002X】"), "{show}");
    // Control characters from the draft never reach the terminal.
    assert!(
        !show.contains('\u{1b}') && show.contains("⟨U+001B⟩"),
        "{show}"
    );

    // Out of order, wrong role, and `publish` over a block finding: refused,
    // nothing written.
    let before = office.entries();
    for (args, why) in [
        (
            vec![
                "--stage",
                "work-department",
                "--conclusion",
                "publish-after-changes",
                "--changes",
                "x",
                "--key",
                "keys/work.key",
            ],
            "waiting for stage `department`",
        ),
        (
            vec![
                "--stage",
                "department",
                "--conclusion",
                "withhold",
                "--basis",
                "x",
                "--key",
                "keys/work.key",
            ],
            "lacks the role `department`",
        ),
        (
            vec![
                "--stage",
                "department",
                "--conclusion",
                "publish",
                "--key",
                "keys/dept.key",
            ],
            "unwaived `block`",
        ),
        (
            vec![
                "--stage",
                "department",
                "--conclusion",
                "withhold",
                "--key",
                "keys/dept.key",
            ],
            "needs the basis",
        ),
    ] {
        let mut a = vec!["review", "decide", id, "--opinion", "意见"];
        a.extend(args);
        let out = office.run(&a);
        assert_eq!(out.status.code(), Some(2), "{a:?}");
        assert!(stderr(&out).contains(why), "{a:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("nothing was recorded"));
    }
    assert_eq!(office.entries(), before);

    // No key at all: a clear message, nothing written.
    let out = std::process::Command::new(web_support::BIN)
        .args([
            "review",
            "decide",
            id,
            "--stage",
            "department",
            "--conclusion",
            "withhold",
        ])
        .args(["--basis", "x", "--opinion", "x"])
        .current_dir(office.dir.path())
        .env_remove("BAOMI_KEY")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("--key FILE (or set BAOMI_KEY)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(office.entries(), before);

    let d = |stage: &str, key: &str| {
        stdout(&office.ok(&[
            "review",
            "decide",
            id,
            "--stage",
            stage,
            "--conclusion",
            "publish-after-changes",
            "--changes",
            "删除身份证号和内部资料标注",
            "--opinion",
            "删除后可公开",
            "--key",
            key,
        ]))
    };
    assert!(d("department", "keys/dept.key").contains("待工作部审核"));
    // The same person cannot sign two stages even with both roles; here the
    // committee key lacks the role anyway, so the work department signs.
    // The key may also come from BAOMI_KEY.
    let out = std::process::Command::new(web_support::BIN)
        .args(["review", "decide", id, "--stage", "work-department"])
        .args([
            "--conclusion",
            "publish-after-changes",
            "--changes",
            "同上",
            "--opinion",
            "同意",
        ])
        .current_dir(office.dir.path())
        .env("BAOMI_KEY", "keys/work.key")
        .output()
        .unwrap();
    assert!(stdout(&out).contains("待保密委审查"), "{}", stderr(&out));
    assert!(d("secrecy-committee", "keys/committee.key").contains("修改后公开，办理存档"));

    let again = office.run(&[
        "review",
        "decide",
        id,
        "--stage",
        "secrecy-committee",
        "--conclusion",
        "withhold",
        "--basis",
        "x",
        "--opinion",
        "x",
        "--key",
        "keys/committee.key",
    ]);
    assert!(stderr(&again).contains("complete"), "{}", stderr(&again));

    let show = stdout(&office.ok(&["review", "show", &sha]));
    for who in ["张部门", "李工作部", "王保密委"] {
        assert!(show.contains(who), "{show}");
    }
    let approved = stdout(&office.ok(&["review", "list", "--status", "approved"]));
    assert!(approved.contains(id));

    // The trust file's roles and every signature check out.
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
        stdout(&verify),
        stderr(&verify)
    );
}

#[test]
fn withhold_ends_the_path_and_a_new_revision_starts_again() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    let old = office.sha_of("drafts/hostile.txt");
    office.ok(&[
        "review",
        "decide",
        &old,
        "--stage",
        "department",
        "--conclusion",
        "withhold",
        "--basis",
        "《个人信息保护法》第二十八条",
        "--opinion",
        "含身份证号",
        "--key",
        "keys/dept.key",
    ]);
    let out = office.run(&[
        "review",
        "decide",
        &old,
        "--stage",
        "work-department",
        "--conclusion",
        "publish-after-changes",
        "--changes",
        "x",
        "--opinion",
        "x",
        "--key",
        "keys/work.key",
    ]);
    assert!(
        stderr(&out).contains("has ended: withheld"),
        "{}",
        stderr(&out)
    );

    // Edit the draft and scan again: a new document that starts over; the old
    // one is superseded.
    std::fs::write(
        office.path("drafts/hostile.txt"),
        web_support::HOSTILE.replace("11010519491231002X", "（已删除）"),
    )
    .unwrap();
    office.scan(&["drafts/hostile.txt"]);
    let new = office.sha_of("drafts/hostile.txt");
    let list = stdout(&office.ok(&["review", "list"]));
    assert!(
        list.contains(&new[..12]) && !list.contains(&old[..12]),
        "{list}"
    );
    let all = stdout(&office.ok(&["review", "list", "--all"]));
    assert!(
        all.contains(&old[..12]) && all.contains("[superseded]"),
        "{all}"
    );
    let show = stdout(&office.ok(&["review", "show", &new]));
    assert!(show.contains("待部门申请"), "{show}");
    let stale = office.run(&[
        "review",
        "decide",
        &old,
        "--stage",
        "work-department",
        "--conclusion",
        "withhold",
        "--basis",
        "x",
        "--opinion",
        "x",
        "--key",
        "keys/work.key",
    ]);
    assert!(
        stderr(&stale).contains("newer revision"),
        "{}",
        stderr(&stale)
    );
}

#[test]
fn waivers_follow_unchanged_text_and_never_hide_new_text() {
    let office = Office::new();
    let draft = "通知\n本件为内部资料，注意保存。\n";
    std::fs::write(office.path("drafts/w.txt"), draft).unwrap();
    office.scan(&["drafts/w.txt"]);
    let sha = office.sha_of("drafts/w.txt");
    let show = stdout(&office.ok(&["review", "show", &sha]));
    assert!(show.contains("1. review internal.marking"), "{show}");

    // Only the secrecy committee may waive (what `ledger verify` checks).
    let refused = office.run(&[
        "review",
        "waive",
        &sha,
        "--finding",
        "1",
        "--reason",
        "书名",
        "--key",
        "keys/dept.key",
    ]);
    assert!(
        stderr(&refused).contains("secrecy-committee"),
        "{}",
        stderr(&refused)
    );
    let out = stdout(&office.ok(&[
        "review",
        "waive",
        &sha,
        "--finding",
        "1",
        "--reason",
        "“内部资料”为出版物名称，非密级标志",
        "--key",
        "keys/committee.key",
    ]));
    assert!(out.contains("recorded waiver"), "{out}");
    let show = stdout(&office.ok(&["review", "show", &sha]));
    assert!(
        show.contains("WAIVED") && show.contains("王保密委") && show.contains("出版物名称"),
        "{show}"
    );

    // A revision: same waived text moved to another line, plus a new secret
    // on that same line. The waiver still covers the old text, not the new.
    std::fs::write(
        office.path("drafts/w.txt"),
        "通知\n\n本件为内部资料，另附机密★1年材料，注意保存。\n",
    )
    .unwrap();
    office.scan(&["drafts/w.txt"]);
    let sha2 = office.sha_of("drafts/w.txt");
    let show = stdout(&office.ok(&["review", "show", &sha2]));
    let waived_lines: Vec<&str> = show.lines().filter(|l| l.contains("WAIVED")).collect();
    assert_eq!(waived_lines.len(), 1, "{show}");
    assert!(show.contains("【机密★1年】"), "{show}");
    let list = stdout(&office.ok(&["review", "list"]));
    assert!(list.contains("1 block"), "{list}");
    assert!(stdout(&office.ok(&["review", "waivers", "--unused"])).contains("no unused waivers"));

    // Edit the waived text away: the waiver no longer matches anything.
    std::fs::write(
        office.path("drafts/w.txt"),
        "通知\n\n本件材料，注意保存。\n",
    )
    .unwrap();
    office.scan(&["drafts/w.txt"]);
    let unused = stdout(&office.ok(&["review", "waivers", "--unused"]));
    assert!(
        unused.contains("internal.marking") && unused.contains("出版物名称"),
        "{unused}"
    );
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
        stdout(&verify),
        stderr(&verify)
    );
}
