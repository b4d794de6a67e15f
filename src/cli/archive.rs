//! `baomi archive prune|list`: the draft archive kept for reviewers
//! (`crates/baomi-archive`).

use super::office::{load_trust, Office};
use anyhow::Context;
use baomi_archive::Archive;
use baomi_web::review::ReviewPath;
use baomi_web::{ListFilter, Store};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand)]
pub enum ArchiveCommand {
    /// Remove drafts kept longer than the retention period whose review is
    /// closed (approved or withheld, or superseded by a newer revision). A
    /// draft still under review is never removed.
    Prune {
        /// Keep drafts for this many days [default: baomi.toml's
        /// `archive_retention_days`, else 365].
        #[arg(long, value_name = "DAYS")]
        older_than: Option<u64>,
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
        /// The ledger [default: baomi.toml's `db`, else ./baomi.db].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
}

pub fn run(cmd: ArchiveCommand) -> anyhow::Result<ExitCode> {
    let ArchiveCommand::Prune {
        older_than,
        dry_run,
        db,
    } = cmd;
    let office = Office::current();
    let db = office.db(db.as_deref());
    let days = older_than.or(office.archive_retention_days).unwrap_or(365);
    let archive_dir = office.archive(&db);
    let archive = Archive::open(&archive_dir)?;
    let trust = load_trust(None)?.map(|t| t.0);
    let path = match office.stages(None) {
        None => ReviewPath::default(),
        Some(p) => {
            let text = std::fs::read_to_string(&p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            ReviewPath::from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
    };
    let mut store = Store::open(
        &db,
        baomi_web::OpenMode::Display,
        trust,
        path,
        Arc::new(baomi_core::Scanner::shipped()),
    )
    .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(&db)))?;
    // Open reviews: pending, current documents (newest revision of a path).
    let mut open = std::collections::HashSet::new();
    let mut before = None;
    loop {
        let page = store.summaries(&ListFilter {
            status: Some("pending".into()),
            before,
            limit: Some(1000),
            ..Default::default()
        })?;
        let Some(last) = page.last() else { break };
        before = Some(last.scan_seq);
        open.extend(page.into_iter().map(|d| d.sha256));
    }
    let p = archive.prune(Duration::from_secs(days * 86_400), dry_run, |sha| {
        open.contains(sha)
    })?;
    println!(
        "archive {}: {} {} draft(s) ({} bytes) kept longer than {days} days; kept {} still under review",
        archive_dir.display(),
        if dry_run { "would remove" } else { "removed" },
        p.removed,
        p.bytes,
        p.kept_open
    );
    Ok(ExitCode::SUCCESS)
}
