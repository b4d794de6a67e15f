//! The draft archive: a content-addressed copy of every draft that gets a
//! ledger entry, in the private state folder.
//!
//! The ledger keeps no document text, and the draft itself moves on (the
//! daemon files it under `cleared/`, `withheld/`, …; an upload over HTTP
//! never had a path). Reviewers must still see each finding in its
//! sentence, for exactly the bytes that were scanned: so those bytes are
//! kept here, as `ab/cdef….ext` by their SHA-256, written (and fsynced)
//! before the entry that names them, and stored once however often they
//! are dropped. Files are mode 0600 in 0700 folders.
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! let archive = baomi_archive::Archive::open(dir.path()).unwrap();
//! let kept = archive.put(b"draft text", Some("txt")).unwrap();
//! assert_eq!(archive.find(&kept.sha256).unwrap(), Some(kept.path.clone()));
//! assert!(!archive.put(b"draft text", Some("txt")).unwrap().new);
//! ```

use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Why the archive could not keep or find a draft.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("draft archive {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The bytes given do not have the SHA-256 the caller expected: the
    /// file changed between scanning and archiving.
    #[error(
        "{path} changed after it was scanned (SHA-256 {found}, scanned {expected}); scan it again"
    )]
    Changed {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("`{0}` is not a lower-case hex SHA-256")]
    BadHash(String),
}

type Result<T> = std::result::Result<T, ArchiveError>;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |cause| ArchiveError::Io {
        path: path.to_owned(),
        cause,
    }
}

/// A draft as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub sha256: String,
    pub path: PathBuf,
    /// False when these bytes were archived already.
    pub new: bool,
}

/// What [`Archive::prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    pub removed: u64,
    pub bytes: u64,
    /// Old enough, but kept because `keep` said so (review still open).
    pub kept_open: u64,
}

/// Whether a new copy is fsynced before `put_*` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durable {
    Now,
    Later,
}

/// An archive folder.
#[derive(Debug, Clone)]
pub struct Archive {
    dir: PathBuf,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Refuses bytes that are not the ones scanned as `sha`.
fn same_hash(sha: &str, bytes: &[u8], from: &Path) -> Result<()> {
    let found = sha256_hex(bytes);
    if found != sha {
        return Err(ArchiveError::Changed {
            path: from.to_owned(),
            expected: sha.to_string(),
            found,
        });
    }
    Ok(())
}

fn valid_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file name extension worth keeping (so that a reader can tell the
/// format by name as well as by content): short, alphanumeric.
fn clean_ext(ext: Option<&str>) -> Option<String> {
    let e = ext?.to_ascii_lowercase();
    (!e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(e)
}

/// Creates `path` (and its parents) and makes it mode 0700, also when it
/// existed: the folders of the private state (archive, keys) hold what
/// staff must not read.
#[cfg(unix)]
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

/// Creates `path` (and its parents).
#[cfg(not(unix))]
pub fn private_dir(path: &Path) -> std::io::Result<()> {
    fs::create_dir_all(path)
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl Archive {
    /// Opens (creating, mode 0700) the archive folder.
    pub fn open(dir: &Path) -> Result<Archive> {
        private_dir(dir).map_err(io(dir))?;
        Ok(Archive {
            dir: dir.to_owned(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn folder_of(&self, sha: &str) -> PathBuf {
        self.dir.join(&sha[..2])
    }

    /// Keeps `bytes`; `ext` is the draft's extension (`docx`, …).
    pub fn put(&self, bytes: &[u8], ext: Option<&str>) -> Result<Kept> {
        self.put_as(&sha256_hex(bytes), bytes, ext, Durable::Now)
    }

    /// Keeps `bytes`, which must have SHA-256 `sha` (the scan's): a file
    /// that changed since it was scanned is refused, not archived under
    /// the wrong name.
    pub fn put_checked(
        &self,
        sha: &str,
        bytes: &[u8],
        ext: Option<&str>,
        from: &Path,
    ) -> Result<Kept> {
        self.put_checked_as(sha, bytes, ext, from, Durable::Now)
    }

    /// Reads `file` and keeps it under `sha` (see [`Archive::put_checked`]).
    pub fn put_file(&self, sha: &str, file: &Path) -> Result<Kept> {
        self.put_file_as(sha, file, Durable::Now)
    }

    /// [`Archive::put_file`] without waiting for the disk: the copy is in
    /// place, but only durable once [`Archive::sync_to_disk`] has returned
    /// for it. For callers that keep many drafts at once (the daemon's
    /// group commit), so that one flush covers the lot instead of two
    /// fsyncs per draft; the ledger entry that names a copy must only be
    /// committed after that flush.
    pub fn put_file_unsynced(&self, sha: &str, file: &Path) -> Result<Kept> {
        self.put_file_as(sha, file, Durable::Later)
    }

    /// [`Archive::put_checked`] without waiting for the disk (see
    /// [`Archive::put_file_unsynced`]): for a caller that still holds the
    /// bytes it scanned, so the file is not read a second time.
    pub fn put_checked_unsynced(
        &self,
        sha: &str,
        bytes: &[u8],
        ext: Option<&str>,
        from: &Path,
    ) -> Result<Kept> {
        self.put_checked_as(sha, bytes, ext, from, Durable::Later)
    }

    fn put_file_as(&self, sha: &str, file: &Path, durable: Durable) -> Result<Kept> {
        let mut bytes = Vec::new();
        File::open(file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(io(file))?;
        let ext = file.extension().and_then(|e| e.to_str());
        self.put_checked_as(sha, &bytes, ext, file, durable)
    }

    fn put_checked_as(
        &self,
        sha: &str,
        bytes: &[u8],
        ext: Option<&str>,
        from: &Path,
        durable: Durable,
    ) -> Result<Kept> {
        same_hash(sha, bytes, from)?;
        self.put_as(sha, bytes, ext, durable)
    }

    /// Makes `copies` (from [`Archive::put_file_unsynced`]) durable. Copies
    /// that were already archived are included too: another caller may have
    /// just written them unsynced. On Linux this is one `syncfs` of the
    /// archive's file system, whatever the number of copies; elsewhere each
    /// copy and its folder are fsynced.
    pub fn sync_to_disk<'a>(&self, copies: impl IntoIterator<Item = &'a Kept>) -> Result<()> {
        let mut copies = copies.into_iter().peekable();
        if copies.peek().is_none() {
            return Ok(());
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::io::AsRawFd;
            let _ = copies;
            let dir = File::open(&self.dir).map_err(io(&self.dir))?;
            // SAFETY: syncfs only reads the descriptor, which `dir` keeps open.
            if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
                return Err(io(&self.dir)(std::io::Error::last_os_error()));
            }
        }
        #[cfg(not(target_os = "linux"))]
        for kept in copies {
            File::open(&kept.path)
                .and_then(|f| f.sync_all())
                .map_err(io(&kept.path))?;
            let folder = kept.path.parent().unwrap_or(&self.dir);
            File::open(folder)
                .and_then(|f| f.sync_all())
                .map_err(io(folder))?;
        }
        Ok(())
    }

    fn put_as(&self, sha: &str, bytes: &[u8], ext: Option<&str>, durable: Durable) -> Result<Kept> {
        if !valid_sha(sha) {
            return Err(ArchiveError::BadHash(sha.to_string()));
        }
        if let Some(path) = self.find(sha)? {
            return Ok(Kept {
                sha256: sha.to_string(),
                path,
                new: false,
            });
        }
        let folder = self.folder_of(sha);
        private_dir(&folder).map_err(io(&folder))?;
        let name = match clean_ext(ext) {
            Some(e) => format!("{}.{e}", &sha[2..]),
            None => sha[2..].to_string(),
        };
        let path = folder.join(&name);
        let tmp = folder.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = private_file(&tmp)?;
            f.write_all(bytes)?;
            if durable == Durable::Later {
                return fs::rename(&tmp, &path);
            }
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // The rename itself must survive a power cut too.
            File::open(&folder)?.sync_all()
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(io(&path)(e));
        }
        tracing::debug!(sha, path = %path.display(), "draft archived");
        Ok(Kept {
            sha256: sha.to_string(),
            path,
            new: true,
        })
    }

    /// The archived copy of `sha`, if kept.
    pub fn find(&self, sha: &str) -> Result<Option<PathBuf>> {
        if !valid_sha(sha) {
            return Ok(None);
        }
        let folder = self.folder_of(sha);
        let rd = match fs::read_dir(&folder) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&folder)(e)),
        };
        let rest = &sha[2..];
        for de in rd {
            let de = de.map_err(io(&folder))?;
            let n = de.file_name();
            let Some(n) = n.to_str() else { continue };
            if n == rest || n.strip_prefix(rest).is_some_and(|t| t.starts_with('.')) {
                return Ok(Some(de.path()));
            }
        }
        Ok(None)
    }

    /// Every kept draft: (sha256, path, modification time).
    pub fn list(&self) -> Result<Vec<(String, PathBuf, SystemTime)>> {
        let mut out = Vec::new();
        let rd = match fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io(&self.dir)(e)),
        };
        for folder in rd {
            let folder = folder.map_err(io(&self.dir))?;
            let Some(prefix) = folder.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if prefix.len() != 2 || !folder.path().is_dir() {
                continue;
            }
            for f in fs::read_dir(folder.path()).map_err(io(&folder.path()))? {
                let f = f.map_err(io(&folder.path()))?;
                let Some(name) = f.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if name.starts_with('.') {
                    continue;
                }
                let sha = format!("{prefix}{}", name.split('.').next().unwrap_or(""));
                if !valid_sha(&sha) {
                    continue;
                }
                let mtime = f
                    .metadata()
                    .and_then(|m| m.modified())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                out.push((sha, f.path(), mtime));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes drafts kept longer than `older_than`, except those for which
    /// `keep(sha256)` is true (their review is still open). With `dry_run`
    /// nothing is removed, only counted.
    pub fn prune(
        &self,
        older_than: Duration,
        dry_run: bool,
        mut keep: impl FnMut(&str) -> bool,
    ) -> Result<Pruned> {
        let now = SystemTime::now();
        let mut p = Pruned::default();
        for (sha, path, mtime) in self.list()? {
            let age = now.duration_since(mtime).unwrap_or_default();
            if age < older_than {
                continue;
            }
            if keep(&sha) {
                p.kept_open += 1;
                continue;
            }
            let size = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            if !dry_run {
                fs::remove_file(&path).map_err(io(&path))?;
            }
            p.removed += 1;
            p.bytes += size;
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_content_once_private_and_findable() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("archive")).unwrap();
        let k = a.put(b"hello", Some("DOCX")).unwrap();
        assert!(k.new);
        assert!(k.path.to_string_lossy().ends_with(".docx"));
        assert_eq!(
            k.path.parent().unwrap().file_name().unwrap(),
            &k.sha256[..2]
        );
        assert_eq!(fs::read(&k.path).unwrap(), b"hello");
        let again = a.put(b"hello", Some("txt")).unwrap();
        assert!(!again.new);
        assert_eq!(again.path, k.path);
        assert_eq!(a.find(&k.sha256).unwrap(), Some(k.path.clone()));
        assert_eq!(a.find(&"0".repeat(64)).unwrap(), None);
        assert_eq!(a.find("not a hash").unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&k.path), 0o600);
            assert_eq!(mode(a.dir()), 0o700);
            assert_eq!(mode(k.path.parent().unwrap()), 0o700);
        }
        // Odd extensions are dropped, not used in a file name.
        let k2 = a.put(b"x", Some("../../x")).unwrap();
        assert!(!k2.path.to_string_lossy().contains(".."));
    }

    #[test]
    fn a_file_that_changed_since_its_scan_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(dir.path()).unwrap();
        let f = dir.path().join("draft.txt");
        fs::write(&f, b"v1").unwrap();
        let sha: String = Sha256::digest(b"v1")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        fs::write(&f, b"v2").unwrap();
        let e = a.put_file(&sha, &f).unwrap_err();
        assert!(matches!(e, ArchiveError::Changed { .. }), "{e}");
        let e = a.put_file_unsynced(&sha, &f).unwrap_err();
        assert!(matches!(e, ArchiveError::Changed { .. }), "{e}");
        assert!(a.list().unwrap().is_empty());
    }

    #[test]
    fn an_unsynced_copy_is_in_place_and_flushed_with_its_batch() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("archive")).unwrap();
        let f = dir.path().join("draft.docx");
        fs::write(&f, b"draft bytes").unwrap();
        let sha = sha256_hex(b"draft bytes");
        let k = a.put_file_unsynced(&sha, &f).unwrap();
        assert!(k.new);
        assert_eq!(fs::read(&k.path).unwrap(), b"draft bytes");
        assert_eq!(a.find(&sha).unwrap(), Some(k.path.clone()));
        assert!(k.path.to_string_lossy().ends_with(".docx"));
        // No temporary file is left beside the copy.
        let beside: Vec<_> = fs::read_dir(k.path.parent().unwrap()).unwrap().collect();
        assert_eq!(beside.len(), 1);
        // The same bytes again: the existing copy, which the batch flushes too.
        let again = a.put_file_unsynced(&sha, &f).unwrap();
        assert!(!again.new);
        a.sync_to_disk([&k, &again]).unwrap();
        a.sync_to_disk([]).unwrap();
        // A batch whose archive folder is gone is an error, not a silent pass.
        fs::remove_dir_all(a.dir()).unwrap();
        let e = a.sync_to_disk([&k]).unwrap_err();
        assert!(e.to_string().contains("draft archive"), "{e}");
    }

    #[test]
    fn prune_removes_only_old_closed_drafts() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(dir.path()).unwrap();
        let open = a.put(b"open review", None).unwrap();
        let closed = a.put(b"closed review", None).unwrap();
        // Nothing is old yet.
        let p = a
            .prune(Duration::from_secs(3600), false, |_| false)
            .unwrap();
        assert_eq!(p.removed, 0);
        let p = a.prune(Duration::ZERO, true, |s| s == open.sha256).unwrap();
        assert_eq!((p.removed, p.kept_open), (1, 1));
        assert!(closed.path.exists(), "dry run removes nothing");
        let p = a
            .prune(Duration::ZERO, false, |s| s == open.sha256)
            .unwrap();
        assert_eq!((p.removed, p.kept_open), (1, 1));
        assert!(open.path.exists() && !closed.path.exists());
    }
}
