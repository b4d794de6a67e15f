//! `baomi init [DIR]`: an office in one step — the share layout, a private
//! state folder (ledger, scanner key, checkpoints, draft archive),
//! `baomi.toml`, `trust.toml` with the scanner registered, and the review
//! path. Re-running it completes what is missing and never overwrites a
//! key, a ledger, a trust file or a settings file.

use super::key;
use anyhow::Context;
use baomi_ledger::{write_key_pair, Ledger, PublicKey};
use baomi_watch::Outcome;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct InitArgs {
    /// The office folder to set up (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// The shared folder staff drop drafts into (e.g. a mounted network
    /// share); default DIR/share.
    #[arg(long, value_name = "PATH")]
    pub share: Option<PathBuf>,
}

/// The default review path, as a file the office can edit.
const STAGES: &str = "\
# The office's review path: each stage signed by a key holding its role
# (trust.toml). Edit labels to the office's own words; roles are
# department | work-department | secrecy-committee.
[[stage]]
id = \"department\"
label = \"部门申请\"
role = \"department\"

[[stage]]
id = \"work-department\"
label = \"工作部审核\"
role = \"work-department\"

[[stage]]
id = \"secrecy-committee\"
label = \"保密委审查\"
role = \"secrecy-committee\"
";

fn settings(share: &str) -> String {
    format!(
        "\
# baomi settings for this office, written by `baomi init`. Every baomi
# command run in this folder reads them; flags override them. Paths are
# relative to this file.

# The shared folder staff drop drafts into (inbox/ and the outcome folders).
root = {share}
# The private state: keep it on a local disk that staff cannot write.
db = \"state/baomi.db\"
key = \"state/keys/scanner.key\"
archive = \"state/archive\"
archive_retention_days = 365
# Automatic checkpoints. Better on another disk or machine that whoever
# can write state/ cannot (see README, \"Automatic checkpoints\").
checkpoints = \"state/baomi.db.checkpoints\"
trust = \"trust.toml\"
stages = \"stages.toml\"
# Dates people read (web UI, printed forms, exports) are in this zone.
timezone = \"Asia/Shanghai\"
",
        share = toml_str(share)
    )
}

fn toml_str(s: &str) -> String {
    format!("{:?}", s)
}

/// Writes `text` to `path` unless it exists; says which.
fn write_new(
    path: &Path,
    text: &str,
    made: &mut Vec<String>,
    kept: &mut Vec<String>,
) -> anyhow::Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => {
            use std::io::Write;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            made.push(path.display().to_string());
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            kept.push(path.display().to_string())
        }
        Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
    Ok(())
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut made = Vec::new();
    let mut kept = Vec::new();

    // The share: where staff drop drafts and find them reviewed.
    let share_setting = match &args.share {
        Some(s) => std::path::absolute(s)
            .with_context(|| format!("cannot resolve {}", s.display()))?
            .display()
            .to_string(),
        None => "share".to_string(),
    };
    let share = dir.join(&share_setting);
    for sub in std::iter::once("inbox").chain(Outcome::ALL.iter().map(|o| o.dir_name())) {
        let p = share.join(sub);
        std::fs::create_dir_all(&p).with_context(|| format!("cannot create {}", p.display()))?;
    }

    // The private state.
    let state = dir.join("state");
    let keys = state.join("keys");
    for p in [&state, &keys, &state.join("archive")] {
        baomi_archive::private_dir(p).with_context(|| format!("cannot create {}", p.display()))?;
    }

    write_new(
        &dir.join("baomi.toml"),
        &settings(&share_setting),
        &mut made,
        &mut kept,
    )?;
    write_new(&dir.join("stages.toml"), STAGES, &mut made, &mut kept)?;

    // The scanner key, registered with the scanner role.
    let key_base = keys.join("scanner");
    let key_file = key_base.with_extension("key");
    let public = if key_file.exists() {
        kept.push(key_file.display().to_string());
        baomi_ledger::load_private_key(&key_file)?
            .public_key()
            .clone()
    } else {
        let (k, kf, pf) = write_key_pair(&key_base).context("cannot create the scanner key")?;
        made.push(format!("{} ({})", kf.display(), pf.display()));
        k.public_key().clone()
    };
    register_scanner(&dir.join("trust.toml"), &public, &mut made, &mut kept)?;

    // The ledger, empty, with its checkpoint folder beside it.
    let db = state.join("baomi.db");
    if db.exists() {
        kept.push(db.display().to_string());
    }
    let ledger = Ledger::open_with(
        &db,
        &baomi_ledger::OpenOptions {
            checkpoints: Some(state.join("baomi.db.checkpoints")),
            ..Default::default()
        },
    )
    .with_context(|| format!("cannot create the ledger {}", db.display()))?;
    if !kept.contains(&db.display().to_string()) {
        made.push(db.display().to_string());
    }
    drop(ledger);

    for m in &made {
        println!("created  {m}");
    }
    for k in &kept {
        println!("kept     {k} (exists)");
    }
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {}\n  ", dir.display())
    };
    println!(
        "\nNext:\n  {cd}# one key per reviewer, registered with their stage's role:\n  \
         baomi key new keys/zhang --person 张三 --role department --register\n  \
         baomi key new keys/li --person 李四 --role work-department --register\n  \
         baomi key new keys/wang --person 王五 --role secrecy-committee --register\n  \
         baomi watch                     # review every draft dropped into {}/inbox/\n  \
         baomi serve --key keys/wang.key # the reviewers' web UI on http://127.0.0.1:8080/\n  \
         baomi ledger verify             # signatures, signers, roles and checkpoints",
        share_setting
    );
    Ok(ExitCode::SUCCESS)
}

/// Adds the scanner's entry to the trust file unless it is listed.
fn register_scanner(
    trust: &Path,
    public: &PublicKey,
    made: &mut Vec<String>,
    kept: &mut Vec<String>,
) -> anyhow::Result<()> {
    if trust.exists() {
        let t = baomi_ledger::Trust::load(trust)?;
        if t.signer(public.key_id()).is_some() {
            kept.push(trust.display().to_string());
            return Ok(());
        }
    }
    key::register(public, "扫描服务", &["scanner".to_string()], Some(trust))?;
    made.push(format!(
        "{} (scanner {} registered)",
        trust.display(),
        public.key_id()
    ));
    Ok(())
}
