//! `baomi rules list` shows the shipped packs; `--rules pack:NAME` selects
//! one for every command; the stricter `roster` pack reports a roster row
//! that the default pack leaves to context.

use std::process::{Command, Output};

fn baomi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run baomi")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn rules_list_shows_the_packs_and_marks_the_loaded_one() {
    let o = baomi(&["rules", "list"]);
    assert!(o.status.success());
    let out = stdout(&o);
    assert!(out.contains("pack * default"), "{out}");
    assert!(out.contains("pack   roster"), "{out}");
    assert!(out.contains("personal.health-condition"), "{out}");
    let o = baomi(&["rules", "list", "--rules", "pack:roster"]);
    let out = stdout(&o);
    assert!(out.contains("pack * roster"), "{out}");
    assert!(out.contains("pack   default"), "{out}");
}

#[test]
fn every_pack_passes_its_examples() {
    for pack in ["pack:default", "pack:roster"] {
        let o = baomi(&["rules", "test", "--rules", pack]);
        assert!(o.status.success(), "{pack}: {}", stdout(&o));
        assert!(stdout(&o).contains(" 0 failed"), "{pack}: {}", stdout(&o));
    }
}

#[test]
fn an_unknown_pack_is_an_error_naming_the_packs() {
    let o = baomi(&["rules", "list", "--rules", "pack:nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown rule pack \"nope\""), "{err}");
    assert!(err.contains("default, roster"), "{err}");
}

#[test]
fn the_roster_pack_is_stricter_on_roster_rows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("名单.txt");
    // A row without a name or gender column: the default pack waits for a
    // person in the line; in a roster every row is one.
    std::fs::write(&file, "7\t67\t肝硬化失代偿\t和平村18号\n").unwrap();
    let path = file.to_str().unwrap();
    let scan = |rules: Option<&str>| {
        let mut args = vec!["scan", "--format", "json"];
        if let Some(r) = rules {
            args.extend(["--rules", r]);
        }
        args.push(path);
        let o = baomi(&args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let rules: Vec<String> = v["documents"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        (o.status.code(), rules)
    };
    let (code, rules) = scan(None);
    assert_eq!(code, Some(0), "{rules:?}");
    let (code, rules) = scan(Some("pack:roster"));
    assert_eq!(code, Some(1));
    assert!(
        rules.contains(&"personal.health-condition".to_string()),
        "{rules:?}"
    );
    assert!(
        rules.contains(&"personal.home-address-detail".to_string()),
        "{rules:?}"
    );
}
