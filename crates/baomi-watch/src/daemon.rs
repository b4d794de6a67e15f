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
use crate::fsutil::{network_fs_name, RootLock};
use crate::names::is_ignored_name;
use crate::process::{process, quarantine, Ctx, Done, Ident, Outcome};
use crate::status::{now_utc, Counts, LastError, Status};
use crate::{Recorder, WatchError};
use baomi_core::Scanner;
use crossbeam_channel::{bounded, select, unbounded, Receiver, Sender, TrySendError};
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
    }
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
    let watcher: Option<Box<dyn Watcher + Send>> = if cfg.once {
        None
    } else {
        let of = Arc::clone(&overflow);
        let handler = move |res: notify::Result<notify::Event>| {
            if ev_tx.try_send(res).is_err() {
                of.store(true, Ordering::Relaxed);
            }
        };
        let base = notify::Config::default().with_follow_symlinks(false);
        let werr = |e: notify::Error| WatchError::Watch {
            path: inbox.clone(),
            message: e.to_string(),
        };
        let mut w: Box<dyn Watcher + Send> = match mode {
            Some(interval) => Box::new(
                notify::PollWatcher::new(handler, base.with_poll_interval(interval))
                    .map_err(werr)?,
            ),
            None => Box::new(notify::RecommendedWatcher::new(handler, base).map_err(werr)?),
        };
        w.watch(&inbox, RecursiveMode::NonRecursive).map_err(werr)?;
        Some(w)
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

struct Dispatcher {
    cfg: WatchConfig,
    inbox: PathBuf,
    /// Kept here so that a re-created inbox/ can be watched again.
    watcher: Option<Box<dyn Watcher + Send>>,
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
        let rd = match std::fs::read_dir(&self.inbox) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Someone removed or renamed inbox/: people must still have
                // somewhere to drop drafts.
                tracing::warn!(inbox = %self.inbox.display(), "inbox/ disappeared: creating it again");
                if let Err(e) = std::fs::create_dir_all(&self.inbox) {
                    self.error(&self.inbox.clone(), format!("cannot create inbox/: {e}"));
                    return;
                }
                if let Some(w) = self.watcher.as_mut() {
                    let _ = w.unwatch(&self.inbox);
                    if let Err(e) = w.watch(&self.inbox, RecursiveMode::NonRecursive) {
                        self.error(
                            &self.inbox.clone(),
                            format!("cannot watch inbox/ again: {e}"),
                        );
                    }
                }
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
                let ident = lstat_ident(&path).ok();
                self.held.insert(
                    path,
                    Held {
                        ident,
                        retry_at: Instant::now() + HELD_RETRY,
                    },
                );
            }
        }
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
