//! One file from `inbox/` to its outcome folder: safety checks, review,
//! ledger commit, then the move.

use crate::fsutil::{deliver, open_nofollow};
use crate::report::report_text;
use crate::{Recorded, Recorder};
use baomi_core::{DocumentReport, Scanner, Verdict};
use baomi_extract::{review_bytes, review_file, Limits};
use std::ffi::OsStr;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// The outcome folders, one per verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Cleared,
    Review,
    Withheld,
    /// Could not be read or was refused unread; the report says why.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Cleared,
        Outcome::Review,
        Outcome::Withheld,
        Outcome::Failed,
    ];

    pub fn dir_name(self) -> &'static str {
        match self {
            Outcome::Cleared => "cleared",
            Outcome::Review => "review",
            Outcome::Withheld => "withheld",
            Outcome::Failed => "failed",
        }
    }

    pub fn of(v: Verdict) -> Outcome {
        match v {
            Verdict::Clear => Outcome::Cleared,
            Verdict::Review => Outcome::Review,
            Verdict::Withhold => Outcome::Withheld,
            Verdict::Error => Outcome::Failed,
        }
    }
}

/// What the workers share.
pub struct Ctx {
    pub root: PathBuf,
    pub scanner: Scanner,
    pub recorder: Box<dyn Recorder>,
    pub limits: Limits,
    pub max_size: u64,
}

/// The identity of a file version: same inode, size and mtime means the
/// same bytes as far as the daemon can tell without reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ident {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
}

impl Ident {
    pub fn of(m: &Metadata) -> Ident {
        Ident {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
}

/// How processing one file ended.
#[derive(Debug)]
pub enum Done {
    /// Moved to its outcome folder.
    Moved {
        outcome: Outcome,
        recorded: Option<Recorded>,
        dest: PathBuf,
    },
    /// Gone from `inbox/` before we got to it (someone took it back).
    Vanished,
    /// Still changing or locked by its writer: watch it again.
    NotReady(String),
    /// Our side failed (outcome folder not writable, …): the file stays in
    /// `inbox/` and is retried later.
    Held(String),
    /// The ledger did not take the entry (locked, read-only, refused while
    /// it does not verify): the file stays in `inbox/`, and the daemon
    /// retries with a back-off until recording works again.
    RecordFailed(String),
}

/// Processes one inbox entry. Never reads through a symlink, never opens a
/// FIFO, socket or device, and never moves a file before its ledger entry
/// is committed.
pub fn process(ctx: &Ctx, path: &Path) -> Done {
    let name = match path.file_name() {
        Some(n) => n.to_os_string(),
        None => return Done::Vanished,
    };
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Done::Vanished,
        Err(e) => return Done::Held(format!("cannot inspect: {e}")),
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Done::Vanished;
    }
    if ft.is_symlink() {
        return refuse(
            ctx,
            path,
            &name,
            "a symbolic link: links are never followed, so its target was not read; the link itself was moved here. Drop the document itself.",
        );
    }
    if !ft.is_file() {
        let what = if ft.is_fifo() {
            "a FIFO (named pipe)"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_block_device() || ft.is_char_device() {
            "a device file"
        } else {
            "not a regular file"
        };
        tracing::warn!(path = %path.display(), "skipping {what}: never opened");
        return refuse(
            ctx,
            path,
            &name,
            &format!("{what}; it was not opened. Drop the document itself."),
        );
    }
    if meta.nlink() > 1 {
        return refuse(
            ctx,
            path,
            &name,
            &format!(
                "has {} hard links: another name for the same file may lie outside the shared folder, so it was not read. Copy the document instead of linking it.",
                meta.nlink()
            ),
        );
    }
    if meta.size() > ctx.max_size {
        return refuse(ctx, path, &name, &too_large(meta.size(), ctx.max_size));
    }
    let mut file = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Done::Vanished,
        Err(e) => match e.raw_os_error() {
            Some(libc::ELOOP) => return Done::NotReady("replaced by a symbolic link".into()),
            Some(libc::EBUSY) | Some(libc::EAGAIN) | Some(libc::ETXTBSY) => {
                return Done::NotReady(format!("locked: {e}"))
            }
            _ => return refuse(ctx, path, &name, &format!("cannot be opened: {e}")),
        },
    };
    let before = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Done::Held(format!("cannot inspect: {e}")),
    };
    // The path may have been swapped between the check and the open; the
    // descriptor is what counts from here on.
    if Ident::of(&before) != Ident::of(&meta) || !before.is_file() || before.nlink() > 1 {
        return Done::NotReady("changed while being opened".into());
    }
    let shown = path.display().to_string();
    // The bytes scanned stay at hand for the recorder's copy.
    let (mut report, content) = if before.size() <= ctx.limits.max_in_memory_bytes {
        let mut bytes = Vec::with_capacity(before.size() as usize);
        match (&mut file).take(ctx.max_size + 1).read_to_end(&mut bytes) {
            Ok(_) if bytes.len() as u64 > ctx.max_size => {
                return Done::NotReady("grew while being read".into());
            }
            Ok(_) => (
                review_bytes(&shown, &bytes, &ctx.scanner, &ctx.limits),
                Some(bytes),
            ),
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                return Done::NotReady(format!("locked: {e}"))
            }
            Err(e) => return refuse(ctx, path, &name, &format!("cannot be read: {e}")),
        }
    } else {
        // Larger than the in-memory limit (a raised --max-size): let the
        // extractor stream it, through our descriptor rather than the path.
        let via = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        let mut r = review_file(&via, &ctx.scanner, &ctx.limits);
        r.path = shown.clone();
        if let Some(e) = &mut r.error {
            *e = e.replace(&via.display().to_string(), &shown);
        }
        (r, None)
    };
    match file.metadata() {
        Ok(after) if Ident::of(&after) == Ident::of(&before) => {}
        _ => return Done::NotReady("changed while being read".into()),
    }
    report.path = shown;
    // Nothing was read (e.g. an I/O error before hashing): no content to
    // record, so the entry would say nothing; it goes to failed/ unrecorded.
    let recorded = if report.sha256.is_empty() {
        None
    } else {
        match ctx.recorder.record(&report, content.as_deref()) {
            Ok(r) => Some(r),
            Err(e) => return Done::RecordFailed(format!("cannot record in the ledger: {e}")),
        }
    };
    crash_point(CrashPoint::Recorded);
    // If the writer came back after all, the entry recorded what was read
    // (which is true); the newer content gets its own entry next round.
    match std::fs::symlink_metadata(path) {
        Ok(now) if Ident::of(&now) == Ident::of(&before) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Done::Vanished,
        _ => {
            return Done::NotReady(
                "changed after it was recorded; reviewing the new content".into(),
            )
        }
    }
    let outcome = Outcome::of(report.verdict);
    let text = report_text(
        &name.to_string_lossy(),
        &report,
        recorded,
        ctx.scanner.fingerprint(),
    );
    finish(ctx, path, &name, outcome, recorded, &text)
}

/// Where [`crash_point`] can abort the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CrashPoint {
    /// The ledger entry is committed; the report is not written, the file
    /// not moved.
    Recorded,
    /// The report's (temporary) file exists but nothing is written to it.
    ReportCreated,
    /// The report is complete and in place; the file is not moved yet.
    ReportWritten,
}

impl CrashPoint {
    fn name(self) -> &'static str {
        match self {
            CrashPoint::Recorded => "recorded",
            CrashPoint::ReportCreated => "report-created",
            CrashPoint::ReportWritten => "report-written",
        }
    }
}

/// Fault injection for the end-to-end tests, **test-only**: with
/// `BAOMI_TEST_CRASH_AFTER=recorded|report-created|report-written` the
/// process aborts at that point of the first file it finishes — the windows
/// a power cut or `kill -9` can hit — so the tests can show that a restart
/// neither loses the file nor delivers it (or records it) twice.
/// `BAOMI_WATCH_CRASH_AFTER_RECORD=1` is the older spelling of `recorded`.
/// Never set these in production: the daemon would abort.
pub(crate) fn crash_point(at: CrashPoint) {
    let wanted = std::env::var_os("BAOMI_TEST_CRASH_AFTER").is_some_and(|v| v == at.name())
        || (at == CrashPoint::Recorded
            && std::env::var_os("BAOMI_WATCH_CRASH_AFTER_RECORD").is_some_and(|v| v == "1"));
    if wanted {
        tracing::error!(
            point = at.name(),
            "BAOMI_TEST_CRASH_AFTER is set (fault injection for tests): aborting"
        );
        std::process::abort();
    }
}

fn too_large(size: u64, cap: u64) -> String {
    format!("too large: {size} bytes, the limit is {cap} bytes (max_size); split the document or ask the administrator to raise the limit")
}

/// Sends an entry to `failed/` without (further) reading, with `why` in its
/// report; used when reviewing it crashed.
pub fn quarantine(ctx: &Ctx, path: &Path, why: &str) -> Done {
    match path.file_name() {
        Some(name) => refuse(ctx, path, name, why),
        None => Done::Vanished,
    }
}

/// Sends an entry to `failed/` without reading it.
fn refuse(ctx: &Ctx, path: &Path, name: &OsStr, why: &str) -> Done {
    tracing::warn!(path = %path.display(), reason = why, "refused");
    let report = DocumentReport::failed(name.to_string_lossy(), "", why);
    let text = report_text(
        &name.to_string_lossy(),
        &report,
        None,
        ctx.scanner.fingerprint(),
    );
    finish(ctx, path, name, Outcome::Failed, None, &text)
}

fn finish(
    ctx: &Ctx,
    path: &Path,
    name: &OsStr,
    outcome: Outcome,
    recorded: Option<Recorded>,
    text: &str,
) -> Done {
    let dir = ctx.root.join(outcome.dir_name());
    if std::fs::symlink_metadata(&dir).is_err() {
        // Removed by someone: outcomes must still have somewhere to go.
        let _ = std::fs::create_dir_all(&dir);
    }
    match deliver(path, &dir, name, text) {
        Ok(dest) => Done::Moved {
            outcome,
            recorded,
            dest,
        },
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && std::fs::symlink_metadata(path).is_err() =>
        {
            Done::Vanished
        }
        Err(e) => Done::Held(format!("cannot move to {}/: {e}", outcome.dir_name())),
    }
}
