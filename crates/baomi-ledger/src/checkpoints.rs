//! Automatic checkpoints: a folder of signed C2SP checkpoints written by
//! whoever appends, outside the SQLite file.
//!
//! A ledger alone cannot show that entries were cut off its end, that the
//! file was rolled back to an older copy, or that it was replaced by a fresh
//! ledger: each of those is a valid chain as far as it goes. A checkpoint
//! kept elsewhere (size + Merkle root, signed) can. Every append therefore
//! writes one into the checkpoint folder — by default `<db>.checkpoints/`
//! beside the database, which catches accidents and careless edits; point it
//! at another disk or machine (`--checkpoints DIR`) to also catch someone who
//! can write the database's folder. `baomi ledger verify` checks the ledger
//! against every checkpoint it finds there.
//!
//! Files are named `<size, 12 digits>-<UTC time>.checkpoint` so that a
//! listing sorts oldest first; their contents, not their names, are what
//! verification trusts. The folder is kept bounded: the newest
//! [`KEEP_RECENT`] files, and before them the newest of each UTC day.

use crate::checkpoint::Checkpoint;
use crate::error::{LedgerError, Result};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many of the newest checkpoints are always kept.
pub const KEEP_RECENT: usize = 48;

/// File name suffix of checkpoint files.
const SUFFIX: &str = ".checkpoint";
/// Name tag of checkpoints that carry cosignatures (kept: see `prune`).
const COSIGNED: &str = ".cosigned";

/// The default checkpoint folder of a database: `<db>.checkpoints`.
pub fn default_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".checkpoints");
    db.with_file_name(name)
}

/// One checkpoint file as found in the folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    /// The parsed checkpoint, or why the file could not be read as one.
    pub checkpoint: Result<Checkpoint, String>,
}

/// A checkpoint folder.
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    dir: PathBuf,
}

impl CheckpointDir {
    pub fn new(dir: impl Into<PathBuf>) -> CheckpointDir {
        CheckpointDir { dir: dir.into() }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `cp` (atomically: a temporary file renamed into place) and
    /// prunes old files. Creates the folder if needed.
    pub fn write(&self, cp: &Checkpoint, unix_time: u64) -> Result<PathBuf> {
        self.write_as(cp, unix_time, "")
    }

    /// Writes a checkpoint carrying witness cosignatures
    /// (`<size>-<time>.cosigned.checkpoint`): never pruned, and never
    /// overwritten by an automatic checkpoint of the same size and second.
    pub fn write_cosigned(&self, cp: &Checkpoint, unix_time: u64) -> Result<PathBuf> {
        self.write_as(cp, unix_time, COSIGNED)
    }

    fn write_as(&self, cp: &Checkpoint, unix_time: u64, tag: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(|e| LedgerError::io(&self.dir, e))?;
        let stamp = crate::entry::rfc3339_from_unix(unix_time).replace([':', '-'], "");
        let name = format!("{:012}-{stamp}{tag}{SUFFIX}", cp.size);
        let path = self.dir.join(&name);
        let tmp = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        // Not fsynced: a checkpoint lost in a power cut only makes the
        // newest one older (the ledger is then ahead of it, which is fine);
        // one left empty is reported as unreadable, not as a bad ledger.
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(cp.to_text().as_bytes())?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(LedgerError::io(&path, e));
        }
        self.prune()?;
        Ok(path)
    }

    /// File names of checkpoints, oldest first (by name: size, then time).
    fn names(&self) -> Result<Vec<String>> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(LedgerError::io(&self.dir, e)),
        };
        let mut names = Vec::new();
        for de in rd {
            let de = de.map_err(|e| LedgerError::io(&self.dir, e))?;
            if let Some(n) = de.file_name().to_str() {
                if n.ends_with(SUFFIX) && !n.starts_with('.') {
                    names.push(n.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Keeps the newest [`KEEP_RECENT`] and, before them, the newest file of
    /// each day.
    fn prune(&self) -> Result<()> {
        let names = self.names()?;
        if names.len() <= KEEP_RECENT {
            return Ok(());
        }
        let (old, _recent) = names.split_at(names.len() - KEEP_RECENT);
        // Name: 12 digits, '-', then YYYYMMDDThhmmssZ: the day is chars 13..21.
        let day = |n: &str| n.get(13..21).unwrap_or("").to_string();
        let mut seen_days = BTreeSet::new();
        for n in old.iter().rev() {
            // Witnessed checkpoints are evidence that took another office's
            // work to get: they are never pruned.
            if n.ends_with(&format!("{COSIGNED}{SUFFIX}")) {
                continue;
            }
            if !seen_days.insert(day(n)) {
                let p = self.dir.join(n);
                if let Err(e) = std::fs::remove_file(&p) {
                    tracing::warn!(path = %p.display(), error = %e, "could not prune an old checkpoint");
                }
            }
        }
        Ok(())
    }

    /// Every checkpoint file in the folder, oldest first. A missing folder
    /// is an empty list.
    pub fn list(&self) -> Result<Vec<Found>> {
        let mut out = Vec::new();
        for n in self.names()? {
            let path = self.dir.join(&n);
            let checkpoint = match std::fs::read(&path) {
                Err(e) => Err(format!("cannot read it: {e}")),
                Ok(b) if b.len() > 64 * 1024 => Err("larger than 64 KiB".into()),
                Ok(b) => String::from_utf8(b)
                    .map_err(|_| "not UTF-8".to_string())
                    .and_then(|t| Checkpoint::parse(&t).map_err(|e| e.to_string())),
            };
            out.push(Found { path, checkpoint });
        }
        Ok(out)
    }

    /// The checkpoint with the largest tree size (the newest), if any file
    /// parses.
    pub fn newest(&self) -> Result<Option<Checkpoint>> {
        Ok(self
            .list()?
            .into_iter()
            .filter_map(|f| f.checkpoint.ok())
            .max_by_key(|c| c.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeyPair;

    #[test]
    fn default_dir_is_beside_the_database() {
        assert_eq!(
            default_dir(Path::new("/srv/state/baomi.db")),
            Path::new("/srv/state/baomi.db.checkpoints")
        );
        assert_eq!(
            default_dir(Path::new("baomi.db")),
            Path::new("baomi.db.checkpoints")
        );
    }

    #[test]
    fn writes_lists_and_keeps_the_folder_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CheckpointDir::new(tmp.path().join("cps"));
        assert!(dir.list().unwrap().is_empty());
        assert!(dir.newest().unwrap().is_none());
        let key = KeyPair::generate().unwrap();
        let day = 86_400;
        let start = 1_767_225_600; // 2026-01-01T00:00:00Z
                                   // Ten days of ten checkpoints each, then 60 more on the last day.
        let mut size = 0;
        for d in 0..10 {
            for i in 0..10 {
                size += 1;
                let cp = Checkpoint::sign("o".into(), size, [0; 32], &key);
                dir.write(&cp, start + d * day + i * 60).unwrap();
                if d == 0 && i == 3 {
                    // Same size and second as an automatic one: both kept.
                    dir.write_cosigned(&cp, start + d * day + i * 60).unwrap();
                }
            }
        }
        for i in 0..60 {
            size += 1;
            let cp = Checkpoint::sign("o".into(), size, [0; 32], &key);
            dir.write(&cp, start + 10 * day + i).unwrap();
        }
        let found = dir.list().unwrap();
        assert!(
            found
                .iter()
                .any(|f| f.path.to_string_lossy().contains(".cosigned.")),
            "a cosigned checkpoint was pruned"
        );
        let found: Vec<_> = found
            .into_iter()
            .filter(|f| !f.path.to_string_lossy().contains(".cosigned."))
            .collect();
        // The newest 48, plus one per earlier day (10 days; the last day's
        // older files are all older than the 48 newest).
        assert_eq!(found.len(), KEEP_RECENT + 11, "{found:#?}");
        assert_eq!(dir.newest().unwrap().unwrap().size, size);
        // The last of each earlier day survives.
        for d in 0..10u64 {
            let want = (d + 1) * 10;
            assert!(
                found
                    .iter()
                    .any(|f| f.checkpoint.as_ref().unwrap().size == want),
                "day {d} lost its last checkpoint ({want})"
            );
        }
    }

    #[test]
    fn a_file_that_is_not_a_checkpoint_is_listed_with_the_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = CheckpointDir::new(tmp.path());
        std::fs::write(tmp.path().join("000000000001-x.checkpoint"), "garbage").unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "ignored").unwrap();
        let found = dir.list().unwrap();
        assert_eq!(found.len(), 1);
        assert!(found[0].checkpoint.is_err());
    }
}
