//! `baomi watch ROOT`: the drop-folder daemon (crates/baomi-watch) wired to
//! the rules, the ledger and the scanner key.

use super::office::{load_trust, scanner_key_at, Office};
use anyhow::{bail, Context};
use baomi_core::DocumentReport;
use baomi_ledger::{KeyPair, Ledger, DEFAULT_SCANNER_KEY};
use baomi_watch::{FileConfig, PollMode, RecordError, Recorded, Recorder, RootLock, WatchConfig};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

#[derive(Args)]
pub struct WatchArgs {
    /// The shared folder to watch; inbox/, cleared/, review/, withheld/ and
    /// failed/ are created inside it if missing.
    #[arg(value_name = "ROOT")]
    pub root: Option<PathBuf>,
    /// Settings file (default: ./baomi.toml when it exists); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Folder of rule files (*.toml); default: the shipped rules.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Ledger database, on a local disk outside ROOT [default: ./baomi.db].
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Scanner signing key, created on first use [default: baomi-scanner.key beside the database].
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Seconds a file's size and mtime must stay unchanged before it is taken [default: 2].
    #[arg(long, value_name = "SECONDS")]
    pub quiet_period: Option<f64>,
    /// Poll inbox/ every SECONDS instead of relying on change events (network
    /// shares are detected and polled every 5 s by default).
    #[arg(long, value_name = "SECONDS", conflicts_with = "no_poll")]
    pub poll: Option<f64>,
    /// Use change events even on a network share.
    #[arg(long)]
    pub no_poll: bool,
    /// Larger files go to failed/ unread, e.g. `100MiB` [default: 256MiB].
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Worker threads [default: one per core].
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// Do not read text in images (OCR); see `baomi scan --no-ocr`
    /// [default: baomi.toml's `ocr`, else OCR on].
    #[arg(long)]
    pub no_ocr: bool,
    /// Seconds between full listings of inbox/, a safety net against lost events [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub rescan_interval: Option<f64>,
    /// Seconds to wait for another writer to release the ledger before an
    /// entry counts as not recorded (the file stays in inbox/ and is
    /// retried) [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub ledger_busy_timeout: Option<f64>,
    /// Process what is in inbox/ (waiting for files still being written), then exit.
    #[arg(long)]
    pub once: bool,
    /// Log lines for people or one JSON object per line [default: human].
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Print the status of the daemon watching ROOT and exit (0 running, 1 not).
    #[arg(long)]
    pub status: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

/// The settings file named by `--config`, or `./baomi.toml` when present.
/// Never looked for inside ROOT: staff who can write to the share must not
/// be able to change the rules or the ledger the daemon uses.
fn file_config(args: &WatchArgs) -> anyhow::Result<FileConfig> {
    match &args.config {
        Some(p) => Ok(FileConfig::load(p)?),
        None if Path::new("baomi.toml").is_file() => Ok(FileConfig::load(Path::new("baomi.toml"))?),
        None => Ok(FileConfig::default()),
    }
}

/// Logging for the daemon: `info` by default (one line per processed file),
/// `BAOMI_LOG`/`RUST_LOG` to change it; JSON lines with `--log-format json`;
/// colour only on a terminal without `NO_COLOR`.
pub fn init_logging(args: &WatchArgs) {
    let from_file = file_config(args).ok().and_then(|c| c.log_format);
    let json = match args.log_format {
        Some(f) => f == LogFormat::Json,
        None => from_file.as_deref() == Some("json"),
    };
    let filter = std::env::var("BAOMI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    // Plain text unless stderr is a terminal: under systemd it is the
    // journal, which would store the escape codes verbatim.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(super::use_color(std::io::IsTerminal::is_terminal(
            &std::io::stderr(),
        )));
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn seconds(name: &str, v: f64) -> anyhow::Result<Duration> {
    if !(v.is_finite() && (0.0..1e7).contains(&v)) {
        bail!("--{name} must be a number of seconds ≥ 0, not {v}");
    }
    Ok(Duration::from_secs_f64(v))
}

/// Commits each review as a signed `scan` entry.
///
/// Group commit: a worker queues its draft, then waits for the ledger; the
/// worker that gets it commits every draft queued by then in one
/// transaction (one fsync, one checkpoint) and answers each. Drafts are
/// taken from the queue only by the holder of the ledger lock, who answers
/// them before releasing it, so a worker that gets the lock either finds
/// its answer or finds its draft still queued. On small files the commit
/// is what limits the daemon (see benches/README.md).
///
/// While the background verification has found a problem, nothing is
/// recorded: the draft stays in `inbox/` (nothing is lost) and is taken
/// again once the ledger is restored and verifies.
///
/// Before the entry, the draft's bytes go into the archive (the bytes the
/// daemon scanned, or for a streamed large file read again from inbox/,
/// where the file still is; checked against the scan's SHA-256 either way;
/// made durable for the whole batch at once, before its commit),
/// and the entry names the outcome folder the daemon moves the
/// draft to next, so reviewers see the findings in context and the queue
/// says where the file went.
struct LedgerRecorder {
    ledger: Mutex<Ledger>,
    /// Drafts waiting for the ledger (see above).
    waiting: Mutex<Vec<Waiting>>,
    key: KeyPair,
    fingerprint: String,
    integrity: std::sync::Arc<baomi_ledger::Integrity>,
    archive: baomi_archive::Archive,
    root: PathBuf,
    /// To open the ledger again: SQLite keeps a connection that found the
    /// file read-only read-only, even after its mode is fixed.
    db: PathBuf,
    open: baomi_ledger::OpenOptions,
}

/// A draft queued for the next commit, with where its answer goes.
struct Waiting {
    report: DocumentReport,
    /// Written but not yet flushed to disk; the leader flushes the batch.
    archived: baomi_archive::Kept,
    moved_to: Option<String>,
    answer: mpsc::Sender<Result<Recorded, RecordError>>,
}

impl Recorder for LedgerRecorder {
    fn record(
        &self,
        report: &DocumentReport,
        content: Option<&[u8]>,
    ) -> Result<Recorded, RecordError> {
        if let Some(p) = self.integrity.problem() {
            return Err(RecordError(format!(
                "the ledger does not verify ({p}); not recording until it is restored (run `baomi ledger verify`)"
            )));
        }
        let drafted = Path::new(&report.path);
        let archived = match content {
            Some(bytes) => {
                let ext = drafted.extension().and_then(|e| e.to_str());
                self.archive
                    .put_checked_unsynced(&report.sha256, bytes, ext, drafted)
            }
            None => self.archive.put_file_unsynced(&report.sha256, drafted),
        }
        .map_err(|e| RecordError(format!("cannot keep the draft for reviewers: {e}")))?;
        let moved_to = drafted.file_name().map(|name| {
            self.root
                .join(baomi_watch::Outcome::of(report.verdict).dir_name())
                .join(name)
                .display()
                .to_string()
        });
        let (answer, answered) = mpsc::channel();
        lock(&self.waiting).push(Waiting {
            report: report.clone(),
            archived,
            moved_to,
            answer,
        });
        let mut ledger = lock(&self.ledger);
        if let Ok(done) = answered.try_recv() {
            return done;
        }
        let batch = std::mem::take(&mut *lock(&self.waiting));
        // Every copy the batch's entries name reaches the disk first, in
        // one flush for the whole batch.
        match self.archive.sync_to_disk(batch.iter().map(|w| &w.archived)) {
            Ok(()) => self.commit(&mut ledger, batch),
            Err(e) => {
                for w in batch {
                    let _ = w.answer.send(Err(RecordError(format!(
                        "cannot keep the draft for reviewers: {e}"
                    ))));
                }
            }
        }
        drop(ledger);
        answered.recv().unwrap_or_else(|_| {
            Err(RecordError(
                "the recorder lost this draft's answer; it stays in inbox/ and is retried".into(),
            ))
        })
    }
}

impl LedgerRecorder {
    /// Commits `batch` in one transaction and answers each draft. When a
    /// batch of several fails, each is tried alone, so that a draft the
    /// ledger refuses does not hold back the others.
    fn commit(&self, ledger: &mut Ledger, batch: Vec<Waiting>) {
        let result = {
            let items: Vec<_> = batch
                .iter()
                .map(|w| (&w.report, w.moved_to.as_deref()))
                .collect();
            let mut r = ledger.record_scans_moved(&items, &self.fingerprint, &self.key);
            if r.as_ref().is_err_and(|e| e.is_read_only()) {
                // Perhaps writable again: a fresh connection finds out.
                if let Ok(fresh) = Ledger::open_with(&self.db, &self.open) {
                    *ledger = fresh;
                    r = ledger.record_scans_moved(&items, &self.fingerprint, &self.key);
                }
            }
            r
        };
        match result {
            Ok(recorded) => {
                for (w, r) in batch.iter().zip(recorded) {
                    let _ = w.answer.send(Ok(Recorded {
                        seq: r.seq,
                        duplicate: r.duplicate,
                    }));
                }
            }
            Err(e) if batch.len() == 1 => {
                let _ = batch[0].answer.send(Err(RecordError(e.to_string())));
            }
            Err(_) => {
                for w in batch {
                    self.commit(ledger, vec![w]);
                }
            }
        }
    }
}

/// Takes a lock even if a holder panicked, as this recorder always did: a
/// panic mid-commit leaves an uncommitted transaction that SQLite rolls
/// back, and the queue is only pushed to or emptied whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn run(args: WatchArgs) -> anyhow::Result<ExitCode> {
    let fc = file_config(&args)?;
    let Some(root) = args.root.clone().or(fc.root.clone()) else {
        bail!("name the folder to watch: baomi watch ROOT (or set root in baomi.toml)");
    };
    if args.status {
        return status(&root);
    }

    let mut cfg = WatchConfig::new(&root);
    if let Some(q) = args.quiet_period.or(fc.quiet_period) {
        cfg.quiet_period = seconds("quiet-period", q)?;
    }
    cfg.poll = match (args.no_poll, args.poll.or(fc.poll)) {
        (true, _) => PollMode::Never,
        (false, Some(0.0)) => PollMode::Never,
        (false, Some(p)) => PollMode::Always(seconds("poll", p)?.max(Duration::from_millis(50))),
        (false, None) => cfg.poll,
    };
    if let Some(s) = &args.max_size {
        cfg.max_size = baomi_watch::parse_size(s)
            .map_err(anyhow::Error::msg)
            .context("--max-size")?;
    } else if let Some(s) = fc.max_size {
        cfg.max_size = s.0;
    }
    if let Some(w) = args.workers.or(fc.workers) {
        cfg.workers = w;
    }
    cfg.limits.ocr.enabled = !args.no_ocr && fc.ocr.unwrap_or(true);
    if let Some(r) = args.rescan_interval.or(fc.rescan_interval) {
        cfg.rescan_interval = seconds("rescan-interval", r)?.max(Duration::from_secs(1));
    }
    cfg.once = args.once;
    // Streamed review of text larger than memory uses the extractor's own
    // cap; keep ours from promising more than it reads.
    cfg.limits.max_file_bytes = cfg.limits.max_file_bytes.max(cfg.max_size);

    let rules = args.rules.clone().or(fc.rules.clone());
    let scanner = super::load_scanner(rules.as_deref())?;
    let office = Office::current();
    let db = args
        .db
        .clone()
        .or(fc.db.clone())
        .unwrap_or_else(|| office.db(None));
    let trust = load_trust(None)?;
    std::fs::create_dir_all(&root)
        .with_context(|| format!("cannot create the watched folder {}", root.display()))?;
    if !baomi_ledger::is_postgres_url(&db) {
        baomi_watch::ensure_local_db(&db, &root)?;
    }
    // The lock before the key and the ledger: a second daemon on this
    // folder is refused before it creates either.
    let lock = RootLock::acquire(&root)?;
    let key_path = args
        .key
        .clone()
        .or(fc.key.clone())
        .or(office.key.clone())
        .unwrap_or_else(|| {
            baomi_ledger::local_base(&db)
                .parent()
                .map(Path::to_path_buf)
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or_else(|| PathBuf::from("."))
                .join(DEFAULT_SCANNER_KEY)
        });
    let key = scanner_key_at(&key_path, true, trust.as_ref())?;
    let mut open = baomi_ledger::OpenOptions::default();
    if let Some(t) = args.ledger_busy_timeout {
        open.busy_timeout = seconds("ledger-busy-timeout", t)?;
    }
    let ledger = Ledger::open_with(&db, &open)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(&db)))?;
    let reopen = baomi_ledger::OpenOptions {
        create: false,
        ..open.clone()
    };
    let integrity = baomi_ledger::spawn_monitor(
        db.clone(),
        Some(ledger.checkpoint_dir().path().to_owned()),
        trust.map(|t| t.0),
        baomi_ledger::MonitorTimes::default(),
    );
    let archive = baomi_archive::Archive::open(&office.archive(&db))?;
    let recorder = LedgerRecorder {
        ledger: Mutex::new(ledger),
        waiting: Mutex::new(Vec::new()),
        key,
        fingerprint: scanner.fingerprint().to_string(),
        integrity,
        archive,
        root: root.clone(),
        db: db.clone(),
        open: reopen,
    };
    let stop = baomi_watch::shutdown_on_signals().context("cannot install signal handlers")?;
    let summary = baomi_watch::run(cfg, lock, scanner, Box::new(recorder), stop)?;
    if summary.held > 0 {
        eprintln!(
            "{} file(s) stay in inbox/ because they could not be recorded or moved; see the log and {}/.baomi-status.json",
            summary.held,
            root.display()
        );
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--status`: the status file plus whether a daemon holds the root lock
/// (a killed daemon leaves `running: true` behind in the file).
fn status(root: &Path) -> anyhow::Result<ExitCode> {
    let running = RootLock::is_held(root);
    match baomi_watch::read_status(root) {
        Ok(mut s) => {
            s.running = running;
            println!("{}", serde_json::to_string_pretty(&s)?);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "{}",
                serde_json::json!({ "running": running, "root": root.display().to_string() })
            );
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot read {}/{}",
                    root.display(),
                    baomi_watch::STATUS_FILE
                )
            })
        }
    }
    Ok(if running {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
