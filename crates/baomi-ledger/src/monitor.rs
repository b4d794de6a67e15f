//! Integrity on every use, for long-running processes (`baomi serve`,
//! `baomi watch`): the whole ledger is verified in the background at start
//! (the process works meanwhile), then every new entry as it appears, and
//! the whole chain again from time to time (an old entry edited in place
//! changes no count). The result is shared: the web UI shows it as a banner
//! and refuses decisions while it is bad; the daemon stops recording and
//! keeps drops in `inbox/`.

use crate::{Ledger, OpenOptions, Trust, VerifyCursor};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What is known of the ledger's integrity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The first full verification is still running.
    Checking,
    /// Entries `1..=verified` verified.
    Good { verified: u64 },
    /// The first problem found, in words.
    Bad(String),
}

/// The shared result, updated by the monitor thread.
#[derive(Debug)]
pub struct Integrity {
    health: Mutex<Health>,
}

impl Integrity {
    /// A result that never changes (tests, and servers given no monitor).
    pub fn fixed(h: Health) -> Arc<Integrity> {
        Arc::new(Integrity {
            health: Mutex::new(h),
        })
    }

    pub fn health(&self) -> Health {
        self.health
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The problem, when verification failed.
    pub fn problem(&self) -> Option<String> {
        match self.health() {
            Health::Bad(p) => Some(p),
            _ => None,
        }
    }

    fn set(&self, h: Health) {
        let mut cur = self.health.lock().unwrap_or_else(|e| e.into_inner());
        if *cur != h {
            match &h {
                Health::Bad(p) => tracing::error!(problem = %p, "ledger verification failed"),
                Health::Good { verified } if !matches!(*cur, Health::Good { .. }) => {
                    tracing::info!(entries = verified, "ledger verified")
                }
                _ => {}
            }
        }
        *cur = h;
    }
}

/// How often the monitor looks for new entries, and re-verifies all.
#[derive(Debug, Clone, Copy)]
pub struct MonitorTimes {
    pub poll: Duration,
    pub full: Duration,
}

impl Default for MonitorTimes {
    fn default() -> Self {
        MonitorTimes {
            poll: Duration::from_secs(2),
            full: Duration::from_secs(600),
        }
    }
}

/// Lowers the calling thread's CPU priority (Linux `nice` 19 for this
/// thread alone), for background work that must not slow down requests:
/// the start-up verification of a large ledger takes seconds of CPU.
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with who = 0 changes only the calling thread on
    // Linux; it touches no memory of ours.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// Starts the monitor thread on its own connection to `db`.
pub fn spawn_monitor(
    db: PathBuf,
    checkpoints: Option<PathBuf>,
    trust: Option<Trust>,
    times: MonitorTimes,
) -> Arc<Integrity> {
    spawn_monitor_watching(
        db,
        checkpoints,
        Arc::new(crate::trust::TrustWatch::fixed(trust)),
        times,
    )
}

/// [`spawn_monitor`] with a trust file that may change while the process
/// runs: when it does, the whole ledger is verified again under it.
pub fn spawn_monitor_watching(
    db: PathBuf,
    checkpoints: Option<PathBuf>,
    trust: Arc<crate::trust::TrustWatch>,
    times: MonitorTimes,
) -> Arc<Integrity> {
    let integrity = Integrity::fixed(Health::Checking);
    let shared = integrity.clone();
    let spawned = std::thread::Builder::new()
        .name("ledger-verify".into())
        .spawn(move || {
            lower_thread_priority();
            monitor(&db, checkpoints, &trust, times, &shared)
        });
    if let Err(e) = spawned {
        integrity.set(Health::Bad(format!(
            "cannot start the verification thread: {e}"
        )));
    }
    integrity
}

fn monitor(
    db: &std::path::Path,
    checkpoints: Option<PathBuf>,
    watch: &crate::trust::TrustWatch,
    times: MonitorTimes,
    out: &Integrity,
) {
    let opts = OpenOptions {
        create: false,
        checkpoints,
        // The process checked the file when it opened it first.
        quick_check: false,
        ..OpenOptions::default()
    };
    // A ledger that cannot be opened now (locked by a long migration, say)
    // is tried again: the process must not stay "bad" until restarted.
    let ledger = loop {
        match Ledger::open_with(db, &opts) {
            Ok(l) => break l,
            Err(e) => {
                out.set(Health::Bad(e.to_string()));
                std::thread::sleep(times.poll * 5);
            }
        }
    };
    // One core: the others serve requests and review drafts meanwhile.
    ledger.set_verify_threads(1);
    loop {
        // Full pass: every entry, and the checkpoint folder.
        let started = Instant::now();
        let (generation, trust) = watch.current();
        let trust = trust.as_deref();
        let mut cursor = match verify_all(&ledger, trust) {
            Ok(c) => c,
            Err(p) => {
                out.set(Health::Bad(p));
                // Keep checking: a restored ledger clears the banner.
                std::thread::sleep(times.poll * 5);
                continue;
            }
        };
        out.set(Health::Good {
            verified: cursor.verified,
        });
        // Then each new entry as it appears.
        while started.elapsed() < times.full {
            std::thread::sleep(times.poll);
            if watch.current().0 != generation {
                break; // a new trust file: verify everything under it
            }
            match ledger.verify_after(trust, cursor.clone()) {
                Ok(Ok(c)) => {
                    cursor = c;
                    out.set(Health::Good {
                        verified: cursor.verified,
                    });
                }
                Ok(Err(p)) => {
                    out.set(Health::Bad(p.to_string()));
                    break;
                }
                Err(e) => {
                    out.set(Health::Bad(e.to_string()));
                    break;
                }
            }
        }
    }
}

/// The whole ledger verified: the cursor after its last entry, or the
/// first problem in words.
fn verify_all(ledger: &Ledger, trust: Option<&Trust>) -> Result<VerifyCursor, String> {
    let r = ledger.verify(trust).map_err(|e| e.to_string())?;
    if let Some(p) = r.problem {
        return Err(p.to_string());
    }
    Ok(match ledger.entry(r.verified).map_err(|e| e.to_string())? {
        Some(e) => VerifyCursor {
            verified: e.seq,
            prev_hash: e.hash,
            revoked: if trust.is_some() {
                ledger.revocations().map_err(|e| e.to_string())?
            } else {
                Default::default()
            },
        },
        None => VerifyCursor::default(),
    })
}
