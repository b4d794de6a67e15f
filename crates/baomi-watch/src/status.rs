//! `ROOT/.baomi-status.json`: what the daemon is doing, readable by anyone
//! on the share and by `baomi watch --status ROOT`.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Now as `2026-11-27T11:20:05Z`.
pub fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    utc(secs)
}

/// Formats Unix seconds as an RFC 3339 UTC timestamp (civil-from-days,
/// proleptic Gregorian calendar).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_778_405), "2026-11-27T11:20:05Z");
    }

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
