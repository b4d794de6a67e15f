//! `ROOT/.baomi-status.json`: what the daemon is doing, readable by anyone
//! on the share and by `baomi watch --status ROOT`.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

pub const STATUS_FILE: &str = ".baomi-status.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub pid: u32,
    pub host: String,
    pub root: String,
    /// `events` (inotify) or `poll`.
    pub mode: String,
    pub poll_interval_s: Option<f64>,
    pub started_at: String,
    pub updated_at: String,
    /// False once the daemon has stopped cleanly. A daemon that was killed
    /// leaves `true` behind; `--status` checks the lock to tell.
    pub running: bool,
    pub queue: Queue,
    pub processed: Counts,
    pub last_error: Option<LastError>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// Files in `inbox/` at the last full listing (drafts only).
    pub inbox: u64,
    /// Files being watched until they stop changing.
    pub waiting: u64,
    /// Stable files waiting for a worker.
    pub queued: u64,
    /// Files being reviewed right now.
    pub in_flight: u64,
    /// Files left in `inbox/` after an error, retried later.
    pub held: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub cleared: u64,
    pub review: u64,
    pub withheld: u64,
    pub failed: u64,
    /// Files whose content was already in the ledger under the same rules
    /// (a re-dropped file, or a move a crash interrupted).
    pub duplicates: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastError {
    pub at: String,
    pub path: String,
    pub message: String,
}

impl Status {
    /// Writes the file atomically (temporary file + rename), so readers never
    /// see half a JSON document.
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let tmp = root.join(".baomi-status.json.tmp");
        {
            let mut f = std::fs::File::create(&tmp)?;
            serde_json::to_writer_pretty(&mut f, self)?;
            f.write_all(b"\n")?;
        }
        std::fs::rename(&tmp, root.join(STATUS_FILE))
    }
}

/// Reads `ROOT/.baomi-status.json`.
pub fn read_status(root: &Path) -> std::io::Result<Status> {
    let text = std::fs::read(root.join(STATUS_FILE))?;
    serde_json::from_slice(&text).map_err(std::io::Error::other)
}

/// The current time as an RFC 3339 UTC timestamp.
pub fn now_utc() -> String {
    baomi_core::time::rfc3339_utc(baomi_core::time::now_unix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips() {
        let d = tempfile::tempdir().unwrap();
        let s = Status {
            pid: 1,
            mode: "poll".into(),
            running: true,
            ..Default::default()
        };
        s.write(d.path()).unwrap();
        assert_eq!(read_status(d.path()).unwrap(), s);
    }
}
