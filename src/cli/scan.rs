//! `baomi scan PATH...`: review files and folders and print the result.

use super::output::{self, Format};
use baomi_core::{DocumentReport, Verdict};
use baomi_extract::{prepare_file, Limits, Prepared};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Args)]
pub struct ScanArgs {
    /// Files and folders to scan (folders recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Folder of rule files (*.toml), one file, or a shipped pack as
    /// `pack:NAME` (see `baomi rules list`); default: the shipped rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Worker threads (default: the number of cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Record one signed `scan` entry per document in this ledger database
    /// (e.g. baomi.db). Without --db nothing is recorded.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Scanner signing key for --db (default: ./baomi-scanner.key, created
    /// on first use).
    #[arg(long, value_name = "FILE", requires = "db")]
    pub key: Option<PathBuf>,
    /// Do not read text in images (OCR): image-only PDF pages and pictures
    /// in documents become coverage gaps, image files errors. Faster, never
    /// `clear` for a scan.
    #[arg(long)]
    pub no_ocr: bool,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let files = collect(&args.paths);
    let mut limits = Limits::default();
    limits.ocr.enabled = !args.no_ocr;
    // Building the scanner and reading the first file need nothing from
    // each other: do both at once (for one large draft that is most of the
    // time before scanning starts).
    let (scanner, first) = std::thread::scope(|s| {
        let build = s.spawn(|| super::load_scanner(args.rules.as_deref()));
        let first = match files.first() {
            Some(Item::File(path)) => Some(prepare_file(path, &limits)),
            _ => None,
        };
        let scanner = build
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (scanner, first)
    });
    let scanner = scanner?;
    let reports = review_all(&files, first, &scanner, &limits, args.jobs);
    super::ledger::record_reports(
        args.db.as_deref(),
        args.key.as_deref(),
        &reports,
        scanner.fingerprint(),
    )?;
    output::print(&reports, args.format, &scanner)?;
    let code = exit_code(&reports);
    // The process ends here: freeing 870k findings and a 100k-keyword
    // scanner one allocation at a time took a tenth of such a scan, and the
    // kernel takes the memory back at once anyway.
    std::mem::forget((reports, scanner));
    Ok(code)
}

/// What to scan: an explicit path is taken as given (a symlink named on the
/// command line is followed); folders are walked without following symlinks,
/// and anything met there that is not a regular file is reported as an
/// error entry rather than skipped silently.
pub enum Item {
    File(PathBuf),
    Problem(PathBuf, String),
}

pub fn collect(paths: &[PathBuf]) -> Vec<Item> {
    let mut items = Vec::new();
    for path in paths {
        if !path.is_dir() {
            items.push(Item::File(path.clone()));
            continue;
        }
        let mut walker = walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = walker.next() {
            match entry {
                Ok(e) if e.file_type().is_file() => items.push(Item::File(e.into_path())),
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) if e.path_is_symlink() => items.push(Item::Problem(
                    e.into_path(),
                    "symbolic link inside a scanned folder, not followed; scan its target explicitly".into(),
                )),
                Ok(e) => items.push(Item::Problem(
                    e.into_path(),
                    "not a regular file (FIFO, socket or device), skipped".into(),
                )),
                Err(e) => {
                    let p = e.path().map(Path::to_path_buf).unwrap_or_else(|| path.clone());
                    items.push(Item::Problem(p, format!("cannot read folder entry: {e}")));
                    walker.skip_current_dir();
                }
            }
        }
    }
    items
}

/// Reviews every item on a pool of threads; the reports keep input order.
/// `first`, if given, is the first item already read.
pub fn review_all(
    items: &[Item],
    first: Option<Prepared>,
    scanner: &baomi_core::Scanner,
    limits: &Limits,
    jobs: Option<usize>,
) -> Vec<DocumentReport> {
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, items.len().max(1));
    let next = AtomicUsize::new(0);
    let first = std::sync::Mutex::new(first);
    let mut slots: Vec<Option<DocumentReport>> = vec![None; items.len()];
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let report = match item {
                    Item::File(p) => {
                        let read = if i == 0 {
                            first.lock().unwrap_or_else(|e| e.into_inner()).take()
                        } else {
                            None
                        };
                        read.unwrap_or_else(|| prepare_file(p, limits))
                            .review(scanner, limits)
                    }
                    Item::Problem(p, why) => {
                        let shown = p.display().to_string();
                        DocumentReport::failed(shown.clone(), "", format!("{shown}: {why}"))
                    }
                };
                tracing::debug!(path = %report.path, verdict = %report.verdict, "reviewed");
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(report);
            });
        }
    });
    slots.into_iter().flatten().collect()
}

/// 0: every document clear; 1: any review or withhold; 2: any error.
pub fn exit_code(reports: &[DocumentReport]) -> ExitCode {
    let worst = reports
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Clear);
    ExitCode::from(match worst {
        Verdict::Clear => 0,
        Verdict::Review | Verdict::Withhold => 1,
        Verdict::Error => 2,
    })
}
