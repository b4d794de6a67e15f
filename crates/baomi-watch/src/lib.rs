//! baomi-watch: the drop-folder daemon behind `baomi watch`.
//!
//! An office shares one folder. Staff drop drafts into `inbox/`; the daemon
//! waits until each file has stopped changing, reviews it with
//! [`baomi_extract::review_file`]'s in-memory twin, commits a `scan` entry
//! through a [`Recorder`] (the signed ledger), and only then moves the file
//! to `cleared/`, `review/`, `withheld/` or `failed/` with a short
//! `NAME.report.txt` beside it.
//!
//! The order *record, then move* is what makes processing exactly-once: a
//! crash after the commit leaves the file in `inbox/`; on restart it is
//! reviewed again, the ledger recognises the (content hash, rule set) pair
//! as already recorded and answers `duplicate`, and the file is just moved.
//!
//! The crate is Linux/Unix only: it relies on `O_NOFOLLOW`, `flock`,
//! `statfs` and `renameat2`.

mod config;
mod daemon;
mod fsutil;
mod names;
mod process;
mod report;
mod status;

pub use config::{parse_size, FileConfig, PollMode, Size, WatchConfig, DEFAULT_MAX_SIZE};
pub use daemon::{run, shutdown_on_signals, Summary};
pub use fsutil::{ensure_local_db, network_fs_name, RootLock};
pub use names::is_ignored_name;
pub use process::Outcome;
pub use report::{mask, report_text};
pub use status::{read_status, Status, STATUS_FILE};

use baomi_core::DocumentReport;
use std::path::PathBuf;

/// Where the daemon commits each review. Implemented by the CLI on top of
/// the ledger; kept as a trait so this crate does not decide where keys and
/// databases live.
pub trait Recorder: Send + Sync {
    /// Durably commits a `scan` entry for `report` and returns its number.
    ///
    /// Must be idempotent on (content sha256, rule-set fingerprint): for
    /// content already recorded under the same rules it returns the existing
    /// entry with `duplicate: true` instead of writing a second one. This is
    /// what lets a restarted daemon finish a move that a crash interrupted.
    ///
    /// `content` is the bytes that were scanned, when the daemon read them
    /// into memory (`None` for a file too large for that, which was
    /// streamed): a recorder that keeps a copy need not read the file again.
    fn record(
        &self,
        report: &DocumentReport,
        content: Option<&[u8]>,
    ) -> Result<Recorded, RecordError>;
}

/// The ledger entry a review ended up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub seq: u64,
    /// The same content was already recorded under the same rules.
    pub duplicate: bool,
}

/// The recorder could not commit; the file stays in `inbox/` and is retried.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RecordError(pub String);

/// Why the daemon could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another baomi watch already runs on {root} (lock file {lock}{holder}); stop it first"
    )]
    AlreadyRunning {
        root: PathBuf,
        lock: PathBuf,
        holder: String,
    },
    #[error("the ledger database {db} is {why}; keep it on a local disk outside the watched folder (use --db)")]
    DbNotLocal { db: PathBuf, why: String },
    #[error("cannot watch {path}: {message}")]
    Watch { path: PathBuf, message: String },
    #[error("bad configuration in {path}: {message}")]
    Config { path: PathBuf, message: String },
}

impl WatchError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        WatchError::Io {
            path: path.into(),
            source,
        }
    }
}
