//! The daemon: one dispatcher thread that notices files and decides when
//! they are complete, and a pool of workers that review, record and move.
//!
//! Memory stays bounded whatever is dropped: the dispatcher tracks at most
//! `max_tracked` inbox files, the work queue holds a few paths per worker,
//! and a backlog beyond that stays on disk until the next listing of
//! `inbox/` picks it up. Lost events cannot lose files either: an event
//! queue overflow (notify's `Rescan` flag, which comes with no paths), our
//! own full event channel, and a periodic timer all trigger a full listing.

use crate::config::{PollMode, WatchConfig};
use crate::fsutil::{network_fs_name, remove_leftovers, RootLock};
use crate::names::is_ignored_name;
use crate::process::{process, quarantine, Ctx, Done, Ident, Outcome};
use crate::status::{now_utc, Counts, LastError, Status};
use crate::{Recorder, WatchError};
use baomi_core::Scanner;
use crossbeam_channel::{bounded, select, unbounded, Receiver, Sender, TrySendError};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a run did, for `--once` callers and tests.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub processed: Counts,
    /// Files left in `inbox/` because recording or moving them failed.
    pub held: usize,
}

/// Installs SIGTERM/SIGINT handlers that set the returned flag: the daemon
/// then finishes the files in flight and returns. A second signal ends the
/// process at once, for a stuck shutdown.
pub fn shutdown_on_signals() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&flag))?;
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

/// Creates the layout, reconciles what is already in `inbox/`, and
/// processes files until `stop` is set (or, with `once`, until `inbox/`
/// holds nothing more to take).
///
/// `lock` is the root lock of `cfg.root`, taken by the caller with
/// [`RootLock::acquire`] *before* it opens (and so perhaps creates) the
/// ledger behind `recorder`: a second daemon on the same folder must be
/// refused before it creates anything. It is held until this returns.
pub fn run(
    mut cfg: WatchConfig,
    lock: RootLock,
    scanner: Scanner,
    recorder: Box<dyn Recorder>,
    stop: Arc<AtomicBool>,
) -> Result<Summary, WatchError> {
    // Absolute, so that event paths match inbox/ whatever the working
    // directory, and the status file names the folder unambiguously.
    cfg.root = std::path::absolute(&cfg.root).map_err(|e| WatchError::io(&cfg.root, e))?;
    if !lock.is_of(&cfg.root) {
        return Err(WatchError::io(
            &lock.path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not the lock of the watched folder {}", cfg.root.display()),
            ),
        ));
    }
    let _lock = lock;
    let inbox = cfg.inbox();
    std::fs::create_dir_all(&inbox).map_err(|e| WatchError::io(&inbox, e))?;
    for o in Outcome::ALL {
        let d = cfg.root.join(o.dir_name());
        std::fs::create_dir_all(&d).map_err(|e| WatchError::io(&d, e))?;
        // Half-written reports and copies of a daemon that was killed: we
        // hold the root lock, so nobody else is writing them.
        let n = remove_leftovers(&d);
        if n > 0 {
            tracing::info!(folder = %d.display(), files = n, "removed temporary files left by an interrupted run");
        }
    }
    let inbox_id = dir_id(&inbox);
    let mode = match cfg.poll {
        PollMode::Always(d) => Some(d),
        PollMode::Never => None,
        PollMode::Auto(d) => match network_fs_name(&inbox) {
            Ok(Some(fs)) => {
                tracing::info!(fs, "inbox is on a network file system, which does not report other machines' changes: polling");
                Some(d)
            }
            _ => None,
        },
    };

    let workers = if cfg.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        cfg.workers
    };
    let (ev_tx, ev_rx) = bounded::<notify::Result<notify::Event>>(16_384);
    let overflow = Arc::new(AtomicBool::new(false));
    // A new watcher each time inbox/ is a new folder: a watch taken over
    // from the old folder would race with the old one's removal (notify
    // drops the watch of a path when the old folder's deletion comes in,
    // even if the path is watched anew by then).
    let make_watcher: Option<MakeWatcher> = if cfg.once {
        None
    } else {
        let (of, inbox) = (Arc::clone(&overflow), inbox.clone());
        Some(Box::new(move || {
            let (tx, of) = (ev_tx.clone(), Arc::clone(&of));
            let handler = move |res: notify::Result<notify::Event>| {
                if tx.try_send(res).is_err() {
                    of.store(true, Ordering::Relaxed);
                }
            };
            let base = notify::Config::default().with_follow_symlinks(false);
            let mut w: Box<dyn Watcher + Send> = match mode {
                Some(interval) => Box::new(notify::PollWatcher::new(
                    handler,
                    base.with_poll_interval(interval),
                )?),
                None => Box::new(notify::RecommendedWatcher::new(handler, base)?),
            };
            w.watch(&inbox, RecursiveMode::NonRecursive)?;
            Ok(w)
        }))
    };
    let watcher = match &make_watcher {
        Some(make) => Some(make().map_err(|e| WatchError::Watch {
            path: inbox.clone(),
            message: e.to_string(),
        })?),
        None => None,
    };

    let ctx = Arc::new(Ctx {
        root: cfg.root.clone(),
        scanner,
        recorder,
        limits: cfg.limits.clone(),
        max_size: cfg.max_size,
    });
    let (job_tx, job_rx) = bounded::<PathBuf>(workers * 2);
    let (done_tx, done_rx) = unbounded::<(PathBuf, Done)>();
    let mut handles = Vec::new();
    for i in 0..workers {
        let (ctx, rx, tx, stop) = (
            Arc::clone(&ctx),
            job_rx.clone(),
            done_tx.clone(),
            Arc::clone(&stop),
        );
        let h = std::thread::Builder::new()
            .name(format!("baomi-worker-{i}"))
            .spawn(move || worker(&ctx, &rx, &tx, &stop))
            .map_err(|e| WatchError::io(&cfg.root, e))?;
        handles.push(h);
    }
    drop(done_tx);

    let started = now_utc();
    let mut d = Dispatcher {
        status: Status {
            pid: std::process::id(),
            host: crate::fsutil::hostname(),
            root: cfg.root.display().to_string(),
            mode: if mode.is_some() { "poll" } else { "events" }.into(),
            poll_interval_s: mode.map(|d| d.as_secs_f64()),
            started_at: started,
            running: true,
            ..Default::default()
        },
        cfg,
        inbox,
        watcher,
        make_watcher,
        inbox_id,
        watch_lost: false,
        inbox_refused: false,
        next_folder_check: Instant::now(),
        check_folders_now: false,
        record_backoff: None,
        next_held_retry: None,
        cands: HashMap::new(),
        ready: VecDeque::new(),
        inflight: HashSet::new(),
        held: HashMap::new(),
        more_pending: false,
        need_relist: true,
        last_relist: None,
        last_activity: Instant::now(),
        warned_dirs: HashSet::new(),
        queued: 0,
    };
    tracing::info!(root = %d.cfg.root.display(), mode = %d.status.mode, workers, quiet_period_s = d.cfg.quiet_period.as_secs_f64(), "watching");
    d.main_loop(&ev_rx, &done_rx, &job_tx, &overflow, &stop);

    // Shutdown: no new jobs; workers finish the file in hand and skip the
    // rest of the queue (those files simply stay in inbox/).
    stop.store(true, Ordering::SeqCst);
    drop(job_tx);
    drop(d.watcher.take());
    for h in handles {
        let _ = h.join();
    }
    while let Ok((p, done)) = done_rx.try_recv() {
        d.on_done(p, done);
    }
    d.status.running = false;
    d.status.queue.in_flight = 0;
    d.status.queue.queued = 0;
    d.write_status();
    tracing::info!(processed = d.status.processed.total, "stopped");
    Ok(Summary {
        processed: d.status.processed.clone(),
        held: d.held.len(),
    })
}

fn worker(ctx: &Ctx, rx: &Receiver<PathBuf>, tx: &Sender<(PathBuf, Done)>, stop: &AtomicBool) {
    for path in rx.iter() {
        if stop.load(Ordering::SeqCst) {
            continue;
        }
        let done = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process(ctx, &path)
        })) {
            Ok(d) => d,
            Err(_) => {
                tracing::error!(path = %path.display(), "internal error while reviewing; moving the file to failed/");
                quarantine(ctx, &path, "baomi hit an internal error while reading this file (please report it); it was not reviewed")
            }
        };
        if tx.send((path, done)).is_err() {
            break;
        }
    }
}

/// Whether an event means changes may have been missed. An inotify queue
/// overflow comes as a `Rescan`-flagged event with no paths at all: code
/// that only loops over `event.paths` silently drops it, and with it every
/// file whose event did not fit in the queue.
fn calls_for_relist(ev: &notify::Event) -> bool {
    ev.need_rescan() || (ev.paths.is_empty() && !matches!(ev.kind, EventKind::Access(_)))
}

/// A file being watched until it stops changing.
struct Cand {
    ident: Ident,
    /// When `ident` was last seen to change (or the file was first seen).
    since: Instant,
    next_check: Instant,
    /// Found stable and waiting in `ready` for a worker.
    ready: bool,
}

/// A file left in `inbox/` after an error on our side; retried when it
/// changes or after a back-off.
struct Held {
    ident: Option<Ident>,
    retry_at: Instant,
}

const HELD_RETRY: Duration = Duration::from_secs(30);
const TICK: Duration = Duration::from_millis(250);
/// Stable files kept ready for the workers; more would only go stale.
const READY_TARGET: usize = 256;
/// After the ledger refused an entry: wait this long before the next try,
/// doubling up to `RECORD_RETRY_MAX` while it keeps failing.
const RECORD_RETRY_MIN: Duration = Duration::from_secs(1);
const RECORD_RETRY_MAX: Duration = Duration::from_secs(30);
/// How often the folders are checked for having been removed or replaced
/// (and at once when an event says something happened to `inbox/` itself).
const FOLDER_CHECK: Duration = Duration::from_secs(1);

/// Recording in the ledger failed: new work waits until `until`, then one
/// file at a time is tried until one is recorded.
struct RecordBackoff {
    delay: Duration,
    until: Instant,
    failures: u64,
}

/// Starts a change watcher on `inbox/`.
type MakeWatcher = Box<dyn Fn() -> notify::Result<Box<dyn Watcher + Send>>>;

/// The identity of a folder (through a symbolic link): device, inode and, where the file system keeps it, the birth time — a folder removed
/// and made again often gets the same inode number back.
type DirId = (u64, u64, Option<std::time::SystemTime>);

fn dir_id(p: &Path) -> Option<DirId> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino(), m.created().ok()))
}

struct Dispatcher {
    cfg: WatchConfig,
    inbox: PathBuf,
    /// Kept here so that a re-created inbox/ can be watched again.
    watcher: Option<Box<dyn Watcher + Send>>,
    /// Makes a watcher on `inbox/` (none with `--once`).
    make_watcher: Option<MakeWatcher>,
    /// The `inbox/` folder the watch is on: when the folder at that path is
    /// another one (removed and made again), the watch is put on the new
    /// one. `None` while there is no folder to watch.
    inbox_id: Option<DirId>,
    /// An event said the watched `inbox/` itself was removed or moved: the
    /// watch is gone with it, whatever folder is at the path now.
    watch_lost: bool,
    /// A file (or a dangling link) is where `inbox/` should be.
    inbox_refused: bool,
    next_folder_check: Instant,
    check_folders_now: bool,
    record_backoff: Option<RecordBackoff>,
    /// The earliest `retry_at` among `held`.
    next_held_retry: Option<Instant>,
    cands: HashMap<PathBuf, Cand>,
    /// Stable candidates in the order they became stable.
    ready: VecDeque<PathBuf>,
    inflight: HashSet<PathBuf>,
    held: HashMap<PathBuf, Held>,
    /// The last listing stopped tracking at `max_tracked`: list again when
    /// there is room.
    more_pending: bool,
    need_relist: bool,
    last_relist: Option<Instant>,
    last_activity: Instant,
    warned_dirs: HashSet<PathBuf>,
    queued: usize,
    status: Status,
}

fn lstat_ident(p: &Path) -> std::io::Result<Ident> {
    std::fs::symlink_metadata(p).map(|m| Ident::of(&m))
}

impl Dispatcher {
    fn main_loop(
        &mut self,
        ev_rx: &Receiver<notify::Result<notify::Event>>,
        done_rx: &Receiver<(PathBuf, Done)>,
        job_tx: &Sender<PathBuf>,
        overflow: &AtomicBool,
        stop: &AtomicBool,
    ) {
        let mut last_status = Instant::now() - Duration::from_secs(10);
        loop {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let now = Instant::now();
            if self.check_folders_now || now >= self.next_folder_check {
                self.check_folders();
            }
            if self.next_held_retry.is_some_and(|t| now >= t) {
                self.retry_held(now);
            }
            if overflow.swap(false, Ordering::Relaxed) {
                tracing::warn!("change events were dropped (queue overflow): listing inbox/ again");
                self.need_relist = true;
            }
            let periodic = self
                .last_relist
                .is_none_or(|t| now >= t + self.cfg.rescan_interval);
            let room = self.more_pending && self.cands.len() < self.cfg.max_tracked / 2;
            if self.need_relist || periodic || room {
                self.relist();
            }
            let wake = self.check_and_dispatch(job_tx);
            if now >= last_status + Duration::from_secs(1) {
                self.write_status();
                last_status = now;
            }
            if self.cfg.once
                && self.cands.is_empty()
                && self.inflight.is_empty()
                && !self.more_pending
            {
                // Done once a listing made after the last file finished
                // found nothing new.
                if self.last_relist.is_some_and(|t| t > self.last_activity) {
                    break;
                }
                self.need_relist = true;
                continue;
            }
            let timeout = wake.saturating_duration_since(Instant::now()).min(TICK);
            let timeout = match self.next_held_retry {
                Some(t) => timeout.min(t.saturating_duration_since(Instant::now())),
                None => timeout,
            };
            select! {
                recv(ev_rx) -> ev => if let Ok(ev) = ev { self.on_event(ev) },
                recv(done_rx) -> d => if let Ok((p, d)) = d { self.on_done(p, d) },
                default(timeout) => {}
            }
            // Take everything else that is waiting before the next pass.
            for _ in 0..100_000 {
                match ev_rx.try_recv() {
                    Ok(ev) => self.on_event(ev),
                    Err(_) => break,
                }
            }
            while let Ok((p, d)) = done_rx.try_recv() {
                self.on_done(p, d);
            }
        }
    }

    /// Lists `inbox/` and starts tracking files not yet known, up to
    /// `max_tracked`. Counts the drafts waiting there for the status file.
    fn relist(&mut self) {
        self.need_relist = false;
        self.more_pending = false;
        let now = Instant::now();
        self.last_relist = Some(now);
        if self.inbox_refused {
            return;
        }
        let rd = match std::fs::read_dir(&self.inbox) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Someone removed or renamed inbox/: people must still have
                // somewhere to drop drafts.
                self.check_folders();
                return;
            }
            Err(e) => {
                self.error(&self.inbox.clone(), format!("cannot list inbox/: {e}"));
                return;
            }
        };
        let mut count = 0u64;
        for entry in rd {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            if is_ignored_name(&name) {
                continue;
            }
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                if self.warned_dirs.len() < 1000 && self.warned_dirs.insert(path.clone()) {
                    tracing::warn!(path = %path.display(), "folders in inbox/ are not processed; drop the files themselves");
                }
                continue;
            }
            count += 1;
            if self.inflight.contains(&path) || self.cands.contains_key(&path) {
                continue;
            }
            if self.cands.len() >= self.cfg.max_tracked {
                self.more_pending = true;
                continue;
            }
            self.track(path, now);
        }
        self.status.queue.inbox = count;
    }

    /// Starts watching `path` for stability, unless it is held back after
    /// an error and has not changed since.
    fn track(&mut self, path: PathBuf, now: Instant) {
        let Ok(ident) = lstat_ident(&path) else {
            return;
        };
        if let Some(h) = self.held.get(&path) {
            let retry = !self.cfg.once && now >= h.retry_at;
            if h.ident == Some(ident) && !retry {
                return;
            }
            self.held.remove(&path);
        }
        self.cands.insert(
            path,
            Cand {
                ident,
                since: now,
                next_check: now + self.cfg.quiet_period,
                ready: false,
            },
        );
    }

    fn on_event(&mut self, ev: notify::Result<notify::Event>) {
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                tracing::warn!(error = %e, "watch error: listing inbox/ again");
                self.need_relist = true;
                self.check_folders_now = true;
                return;
            }
        };
        if calls_for_relist(&ev) {
            if ev.need_rescan() {
                tracing::warn!("the kernel's change-event queue overflowed: listing inbox/ again");
            }
            self.need_relist = true;
        }
        if matches!(ev.kind, EventKind::Access(_)) {
            return;
        }
        let now = Instant::now();
        for p in ev.paths {
            if p == self.inbox {
                // inbox/ itself was removed, renamed or replaced.
                if matches!(
                    ev.kind,
                    EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                ) {
                    self.watch_lost = true;
                }
                self.check_folders_now = true;
                continue;
            }
            if self.inbox_refused {
                continue;
            }
            if p.parent() != Some(self.inbox.as_path())
                || p.file_name().is_none_or(is_ignored_name)
                || self.inflight.contains(&p)
            {
                continue;
            }
            if let Some(c) = self.cands.get_mut(&p) {
                c.since = now;
                c.next_check = now + self.cfg.quiet_period;
                c.ready = false;
            } else if self.cands.len() < self.cfg.max_tracked {
                self.track(p, now);
            } else {
                self.more_pending = true;
            }
        }
    }

    /// Re-checks candidates that are due; hands stable ones to the workers.
    /// Returns when the next candidate is due.
    fn check_and_dispatch(&mut self, job_tx: &Sender<PathBuf>) -> Instant {
        let now = Instant::now();
        let quiet = self.cfg.quiet_period;
        let mut wake = now + TICK;
        // Stat the due candidates only while few stable files are waiting
        // for a worker: with a backlog, re-checking thousands of files on
        // every completion would cost more than the reviews.
        if self.ready.len() < READY_TARGET {
            let mut ready = Vec::new();
            let mut gone = Vec::new();
            for (p, c) in self.cands.iter_mut() {
                if c.ready {
                    continue;
                }
                if c.next_check > now {
                    wake = wake.min(c.next_check);
                    continue;
                }
                match lstat_ident(p) {
                    Err(_) => gone.push(p.clone()),
                    Ok(id) if id != c.ident => {
                        c.ident = id;
                        c.since = now;
                        c.next_check = now + quiet;
                        wake = wake.min(c.next_check);
                    }
                    Ok(_) if now.duration_since(c.since) >= quiet => {
                        c.ready = true;
                        ready.push((c.since, p.clone()));
                    }
                    Ok(_) => {
                        c.next_check = c.since + quiet;
                        wake = wake.min(c.next_check);
                    }
                }
            }
            for p in gone {
                self.cands.remove(&p);
            }
            // Oldest first.
            ready.sort();
            self.ready.extend(ready.into_iter().map(|(_, p)| p));
        }
        while !job_tx.is_full() {
            // While the ledger refuses entries, files wait in inbox/ for the
            // back-off to pass, then go one at a time until one is recorded.
            if let Some(b) = &self.record_backoff {
                if now < b.until {
                    wake = wake.min(b.until);
                    break;
                }
                if !self.inflight.is_empty() {
                    break;
                }
            }
            let Some(p) = self.ready.pop_front() else {
                break;
            };
            let Some(c) = self.cands.get_mut(&p) else {
                continue;
            };
            if !c.ready {
                // It changed again after it was found stable.
                continue;
            }
            // It may have waited a while: one more look before a worker
            // spends time on it.
            match lstat_ident(&p) {
                Err(_) => {
                    self.cands.remove(&p);
                }
                Ok(id) if id != c.ident => {
                    c.ident = id;
                    c.ready = false;
                    c.since = now;
                    c.next_check = now + quiet;
                    wake = wake.min(c.next_check);
                }
                Ok(_) => match job_tx.try_send(p.clone()) {
                    Ok(()) => {
                        self.cands.remove(&p);
                        self.inflight.insert(p);
                    }
                    Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                        self.ready.push_front(p);
                        break;
                    }
                },
            }
            if self.record_backoff.is_some() {
                break;
            }
        }
        self.queued = job_tx.len();
        wake
    }

    fn on_done(&mut self, path: PathBuf, done: Done) {
        self.inflight.remove(&path);
        self.last_activity = Instant::now();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match done {
            Done::Moved {
                outcome,
                recorded,
                dest,
            } => {
                let c = &mut self.status.processed;
                match outcome {
                    Outcome::Cleared => c.cleared += 1,
                    Outcome::Review => c.review += 1,
                    Outcome::Withheld => c.withheld += 1,
                    Outcome::Failed => c.failed += 1,
                }
                c.total += 1;
                if recorded.is_some_and(|r| r.duplicate) {
                    c.duplicates += 1;
                }
                if recorded.is_some() {
                    self.recording_works();
                }
                tracing::info!(
                    file = %name,
                    outcome = outcome.dir_name(),
                    entry = recorded.map(|r| r.seq),
                    duplicate = recorded.is_some_and(|r| r.duplicate),
                    to = %dest.display(),
                    "processed"
                );
            }
            Done::Vanished => {}
            Done::NotReady(why) => {
                tracing::debug!(file = %name, why, "not ready; watching it again");
                self.track(path, Instant::now());
            }
            Done::Held(why) => {
                self.error(&path, why);
                self.hold(path, Instant::now() + HELD_RETRY);
            }
            Done::RecordFailed(why) => {
                let retry_at = self.recording_failed();
                self.error(
                    &path,
                    format!("{why}; the file stays in inbox/ and is retried"),
                );
                self.hold(path, retry_at);
            }
        }
    }

    fn hold(&mut self, path: PathBuf, retry_at: Instant) {
        let ident = lstat_ident(&path).ok();
        self.held.insert(path, Held { ident, retry_at });
        if !self.cfg.once {
            self.next_held_retry = Some(self.next_held_retry.map_or(retry_at, |t| t.min(retry_at)));
        }
    }

    /// The ledger refused an entry: back off (doubling while it keeps
    /// refusing) and say when the next try is. Returns that time.
    fn recording_failed(&mut self) -> Instant {
        let now = Instant::now();
        if self.cfg.once {
            // One pass: every file is tried once, and what could not be
            // recorded is left in inbox/ (exit 2).
            return now;
        }
        let b = match self.record_backoff.take() {
            // A file sent before the back-off began: same failure, same wait.
            Some(b) if now < b.until => {
                let until = b.until;
                self.record_backoff = Some(RecordBackoff {
                    failures: b.failures + 1,
                    ..b
                });
                return until;
            }
            Some(b) => {
                let delay = (b.delay * 2).min(RECORD_RETRY_MAX);
                RecordBackoff {
                    delay,
                    until: now + delay,
                    failures: b.failures + 1,
                }
            }
            None => RecordBackoff {
                delay: RECORD_RETRY_MIN,
                until: now + RECORD_RETRY_MIN,
                failures: 1,
            },
        };
        tracing::warn!(
            retry_in_s = b.until.saturating_duration_since(now).as_secs_f64(),
            failures = b.failures,
            "the ledger does not take entries: drops wait in inbox/ and recording is retried"
        );
        let until = b.until;
        self.record_backoff = Some(b);
        until
    }

    /// A file was recorded: if recording had been failing, it works again,
    /// and every file held back for it is retried now.
    fn recording_works(&mut self) {
        let Some(b) = self.record_backoff.take() else {
            return;
        };
        let now = Instant::now();
        let waiting = self.held.len();
        for h in self.held.values_mut() {
            h.retry_at = h.retry_at.min(now);
        }
        if waiting > 0 && !self.cfg.once {
            self.next_held_retry = Some(now);
        }
        tracing::info!(
            failures = b.failures,
            retried = waiting,
            "recording in the ledger works again; the files held back are retried"
        );
    }

    /// Watches again the held files whose back-off has passed. An unchanged
    /// file is taken at once (it was stable when it was held).
    fn retry_held(&mut self, now: Instant) {
        let quiet = self.cfg.quiet_period;
        let mut next: Option<Instant> = None;
        let mut due = Vec::new();
        for (p, h) in &self.held {
            if now >= h.retry_at {
                due.push(p.clone());
            } else {
                next = Some(next.map_or(h.retry_at, |t| t.min(h.retry_at)));
            }
        }
        self.next_held_retry = next;
        for p in due {
            let h = self.held.remove(&p);
            if self.cands.len() >= self.cfg.max_tracked || self.inflight.contains(&p) {
                self.more_pending = true;
                continue;
            }
            let Ok(ident) = lstat_ident(&p) else {
                continue; // gone meanwhile
            };
            let unchanged = h.is_some_and(|h| h.ident == Some(ident));
            self.cands.insert(
                p,
                Cand {
                    ident,
                    since: if unchanged {
                        now.checked_sub(quiet).unwrap_or(now)
                    } else {
                        now
                    },
                    next_check: if unchanged { now } else { now + quiet },
                    ready: false,
                },
            );
        }
    }

    /// Something that is not a folder is where `inbox/` should be: nothing
    /// is taken (and it is said once) until it is a folder again.
    fn refuse_inbox(&mut self, what: &str) {
        if !self.inbox_refused {
            self.inbox_refused = true;
            self.inbox_id = None;
            let inbox = self.inbox.clone();
            self.error(&inbox, format!("inbox/ is not a folder ({what}): no drops are taken until it is one again; remove it and the daemon creates inbox/ again"));
        }
    }

    /// Puts back folders that someone removed, and keeps the change watch
    /// on the `inbox/` that is there now: a folder removed and made again
    /// (by us or by hand) is another folder, and a watch on the old one
    /// sees nothing. Says so in the log.
    fn check_folders(&mut self) {
        self.check_folders_now = false;
        self.next_folder_check = Instant::now() + FOLDER_CHECK;
        for o in Outcome::ALL {
            let d = self.cfg.root.join(o.dir_name());
            if let Err(e) = std::fs::symlink_metadata(&d) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    continue;
                }
                match std::fs::create_dir(&d) {
                    Ok(()) => {
                        tracing::warn!(folder = %d.display(), "{}/ was removed: created it again", o.dir_name())
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => self.error(
                        &d,
                        format!(
                            "{}/ was removed and cannot be created again: {e}",
                            o.dir_name()
                        ),
                    ),
                }
            }
        }
        let inbox = self.inbox.clone();
        let mut created = false;
        // Followed like at start: an inbox/ that is a link to a folder
        // elsewhere (another disk) is that folder.
        let id = match std::fs::metadata(&inbox) {
            Ok(m) if m.is_dir() => dir_id(&inbox),
            Ok(_) => {
                self.refuse_inbox("a file is in its place");
                return;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if std::fs::symlink_metadata(&inbox).is_ok() {
                    self.refuse_inbox("it is a symbolic link to nothing");
                    return;
                }
                match std::fs::create_dir(&inbox) {
                    Ok(()) => {
                        created = true;
                        tracing::warn!(inbox = %inbox.display(), "inbox/ was removed: created it again and watching the new folder");
                        dir_id(&inbox)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => dir_id(&inbox),
                    Err(e) => {
                        self.error(
                            &inbox,
                            format!("inbox/ was removed and cannot be created again: {e}"),
                        );
                        self.inbox_id = None;
                        return;
                    }
                }
            }
            Err(e) => {
                self.error(&inbox, format!("cannot look at inbox/: {e}"));
                return;
            }
        };
        if self.inbox_refused && id.is_some() {
            self.inbox_refused = false;
            tracing::warn!(inbox = %inbox.display(), "inbox/ is a folder again: taking drops");
        }
        if id.is_none() || (id == self.inbox_id && !created && !self.watch_lost) {
            return;
        }
        if !created {
            tracing::warn!(inbox = %inbox.display(), "inbox/ was replaced by a new folder (removed and made again): watching the new one");
        }
        if let Some(make) = &self.make_watcher {
            drop(self.watcher.take());
            match make() {
                Ok(w) => self.watcher = Some(w),
                Err(e) => {
                    // Left as not watched: the next check tries again.
                    self.error(&inbox, format!("cannot watch inbox/ again: {e}"));
                    return;
                }
            }
        }
        self.inbox_id = id;
        self.watch_lost = false;
        // Whatever is in the new folder already.
        self.need_relist = true;
    }

    fn error(&mut self, path: &Path, message: String) {
        tracing::error!(path = %path.display(), "{message}");
        self.status.last_error = Some(LastError {
            at: now_utc(),
            path: path.display().to_string(),
            message,
        });
    }

    fn write_status(&mut self) {
        let q = &mut self.status.queue;
        // Stable files waiting for a worker are still candidates.
        q.waiting = self.cands.len() as u64;
        q.queued = self.queued as u64;
        q.in_flight = self.inflight.len().saturating_sub(self.queued) as u64;
        q.held = self.held.len() as u64;
        self.status.updated_at = now_utc();
        if let Err(e) = self.status.write(&self.cfg.root) {
            tracing::warn!(error = %e, "cannot write the status file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, Flag};

    #[test]
    fn an_overflow_without_paths_triggers_a_full_listing() {
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(overflow.paths.is_empty());
        assert!(calls_for_relist(&overflow));
        let created = notify::Event::new(EventKind::Create(CreateKind::File))
            .add_path("/x/inbox/a.txt".into());
        assert!(!calls_for_relist(&created));
        let unknown = notify::Event::new(EventKind::Any);
        assert!(calls_for_relist(&unknown));
    }
}
