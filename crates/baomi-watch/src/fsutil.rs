//! The file-system operations the daemon's guarantees rest on: knowing a
//! network share when we see one, one daemon per root, opening without
//! following links, and moving without ever overwriting or losing a file.

use crate::names::{report_name, suffixed};
use crate::process::{crash_point, CrashPoint};
use crate::WatchError;
use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// The file-system type name when `path` is on a network (or FUSE) file
/// system. Those do not deliver change events for writes made by other
/// machines, so the daemon polls there.
pub fn network_fs_name(path: &Path) -> io::Result<Option<&'static str>> {
    #[cfg(target_os = "linux")]
    {
        let c = cpath(path)?;
        // SAFETY: `c` is a valid NUL-terminated path and `st` a properly
        // sized, zero-initialised out-parameter.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // Magic numbers from linux/magic.h and the file systems' sources.
        #[allow(clippy::unnecessary_cast)]
        let name = match st.f_type as u64 {
            0x6969 => "nfs",
            0x517B => "smbfs",
            0xFF53_4D42 => "cifs",
            0xFE53_4D42 => "smb2",
            0x6573_5546 => "fuse",
            0x0102_1997 => "9p",
            0x7375_7245 => "coda",
            0x5346_414F => "afs",
            0x00C3_6400 => "ceph",
            0x0BD0_0BD0 => "lustre",
            0x0116_1970 => "gfs2",
            0x7461_636F => "ocfs2",
            0x6B41_4653 => "kafs",
            _ => return Ok(None),
        };
        Ok(Some(name))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        Ok(None)
    }
}

/// Refuses a ledger database on a network share or inside the watched root:
/// SQLite's locking is unreliable over the network, and staff with write
/// access to the share must not be able to touch the ledger file.
pub fn ensure_local_db(db: &Path, root: &Path) -> Result<(), WatchError> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir_c = std::fs::canonicalize(dir).unwrap_or_else(|_| abs(dir));
    let root_c = std::fs::canonicalize(root).unwrap_or_else(|_| abs(root));
    if dir_c.starts_with(&root_c) {
        return Err(WatchError::DbNotLocal {
            db: db.to_path_buf(),
            why: format!("inside the watched folder {}", root.display()),
        });
    }
    if let Ok(Some(fs)) = network_fs_name(&dir_c) {
        return Err(WatchError::DbNotLocal {
            db: db.to_path_buf(),
            why: format!("on a network file system ({fs})"),
        });
    }
    Ok(())
}

/// The exclusive lock that allows one daemon per root. Held for as long as
/// this value lives; the kernel releases it if the process dies, so a
/// `kill -9` never leaves a stale lock behind.
#[derive(Debug)]
pub struct RootLock {
    _file: File,
    pub path: PathBuf,
}

pub const LOCK_FILE: &str = ".baomi-watch.lock";

impl RootLock {
    /// Takes the lock of `root` (which must exist), or says who holds it.
    /// Creates nothing but the lock file inside `root`.
    pub fn acquire(root: &Path) -> Result<RootLock, WatchError> {
        let path = root.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644)
            .open(&path)
            .map_err(|e| WatchError::io(&path, e))?;
        if !try_flock(&file).map_err(|e| WatchError::io(&path, e))? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(WatchError::AlreadyRunning {
                root: root.to_path_buf(),
                lock: path.clone(),
                holder: if holder.is_empty() {
                    String::new()
                } else {
                    format!(", held by {holder}")
                },
            });
        }
        // Who holds it, for the error message of a second daemon.
        let _ = file.set_len(0);
        let _ = writeln!(file, "pid {} on {}", std::process::id(), hostname());
        Ok(RootLock { _file: file, path })
    }

    /// Whether this is the lock of `root` (the same folder, however named).
    pub fn is_of(&self, root: &Path) -> bool {
        let ours = self
            .path
            .parent()
            .and_then(|p| std::fs::canonicalize(p).ok());
        ours.is_some() && ours == std::fs::canonicalize(root).ok()
    }

    /// Whether a daemon currently holds the lock of `root`.
    pub fn is_held(root: &Path) -> bool {
        let Ok(file) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(root.join(LOCK_FILE))
        else {
            return false;
        };
        matches!(try_flock(&file), Ok(false))
    }
}

use std::os::unix::io::AsRawFd;

/// `flock(LOCK_EX | LOCK_NB)`: true when taken, false when another holds it.
fn try_flock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Opens for reading without following a symlink in the last component
/// (`ELOOP` instead) and without blocking on a FIFO that slipped in between
/// the type check and the open.
pub fn open_nofollow(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)
}

/// Renames without replacing an existing `to` (`EEXIST` instead). Uses
/// `renameat2(RENAME_NOREPLACE)`; file systems without it (some network
/// shares) fall back to `link` + `unlink`, and where even hard links are
/// not supported, to an existence check followed by `rename` — safe there
/// because the root lock keeps other daemons out and people do not create
/// names like `a (2).docx` in outcome folders within microseconds.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (f, t) = (cpath(from)?, cpath(to)?);
    #[cfg(target_os = "linux")]
    {
        // SAFETY: valid NUL-terminated paths; renameat2 has no other
        // memory-safety preconditions.
        let r = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                f.as_ptr(),
                libc::AT_FDCWD,
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::ENOTSUP) => {}
            _ => return Err(e),
        }
    }
    // SAFETY: valid NUL-terminated paths. linkat without AT_SYMLINK_FOLLOW
    // links a symlink itself, never its target.
    if unsafe { libc::linkat(libc::AT_FDCWD, f.as_ptr(), libc::AT_FDCWD, t.as_ptr(), 0) } == 0 {
        return std::fs::remove_file(from);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EEXIST) || e.raw_os_error() == Some(libc::EXDEV) {
        return Err(e);
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from_raw_os_error(libc::EEXIST));
    }
    std::fs::rename(from, to)
}

/// Makes a rename durable: the directory entry is only on disk once the
/// directory itself is synced.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn is_exists(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::AlreadyExists || e.raw_os_error() == Some(libc::EEXIST)
}

/// Moves `src` into `dir` under `name` — or `name (2)`, `name (3)`, … when
/// taken — with `report` written beside it as `NAME.report.txt`, and
/// returns where the file went.
///
/// The report is written first, so a crash can never leave a moved file
/// without its report, and it is written atomically (a temporary file,
/// synced, then linked into place): a crash leaves either no report or the
/// whole one, never an empty or half-written `NAME.report.txt`. If a crash
/// left a report but not its file, the retry finds the identical report
/// (its text depends only on the review and the ledger entry) and reuses
/// that name, so the draft is delivered once, under its own name. A
/// truncated report without its file (left by a crash of an older version
/// that wrote reports in place) is taken over the same way.
///
/// The move is not fsynced: a move that a power cut undoes leaves the file
/// in `inbox/`, where it is reviewed again, recorded as a duplicate and
/// moved (to its report, which is reused). A journaling file system
/// replays renames in the order they were made, so the move never survives
/// without the report's link made before it. Only the report's content is
/// fsynced, because without that a surviving move could find an empty
/// report. This is one fsync per draft instead of two; the daemon's speed
/// on small files is its fsyncs (benches/README.md).
pub fn deliver(src: &Path, dir: &Path, name: &OsStr, report: &str) -> io::Result<PathBuf> {
    for n in 1..10_000 {
        let cand = suffixed(name, n);
        let dest = dir.join(&cand);
        if std::fs::symlink_metadata(&dest).is_ok() {
            continue;
        }
        let rep = dir.join(report_name(&cand));
        let created = match place_report(&rep, report)? {
            Placed::New => true,
            Placed::Reused => false,
            Placed::Taken => continue,
        };
        crash_point(CrashPoint::ReportWritten);
        match move_file(src, &dest) {
            Ok(()) => return Ok(dest),
            Err(e) => {
                if created {
                    let _ = std::fs::remove_file(&rep);
                }
                if is_exists(&e) {
                    continue;
                }
                return Err(e);
            }
        }
    }
    Err(io::Error::other(format!(
        "no free name for {} in {}",
        Path::new(name).display(),
        dir.display()
    )))
}

/// What [`place_report`] found at the report's name.
enum Placed {
    /// Nothing: the report was written there.
    New,
    /// The identical report, left by a crash before its file was moved.
    Reused,
    /// Another file's report: try the next name.
    Taken,
}

/// The prefix of the daemon's temporary files in outcome folders (a report
/// being written, a file being copied across file systems). They are
/// dotfiles, so nobody mistakes them for outcomes, and any left by a crash
/// are removed at the next start ([`remove_leftovers`]).
pub const PARTIAL_PREFIX: &str = ".baomi-partial-";

/// A temporary name in `dir` for `final_name`, unique within this process.
fn partial_name(dir: &Path, final_name: &OsStr) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tmp = std::ffi::OsString::from(format!("{PARTIAL_PREFIX}{}-{n}-", std::process::id()));
    tmp.push(final_name);
    dir.join(tmp)
}

/// Writes `text` at `rep` atomically, never replacing another report.
fn place_report(rep: &Path, text: &str) -> io::Result<Placed> {
    match existing_report(rep, text) {
        Some(Placed::Taken) => return Ok(Placed::Taken),
        Some(Placed::Reused) => return Ok(Placed::Reused),
        Some(Placed::New) => {
            // A truncated copy of this very report: replace it whole.
            let tmp = write_partial(rep, text)?;
            return match std::fs::rename(&tmp, rep) {
                Ok(()) => Ok(Placed::New),
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    Err(e)
                }
            };
        }
        None => {}
    }
    let tmp = write_partial(rep, text)?;
    let linked = rename_noreplace(&tmp, rep);
    if linked.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    match linked {
        Ok(()) => Ok(Placed::New),
        // Someone took the name meanwhile.
        Err(e) if is_exists(&e) => Ok(match existing_report(rep, text) {
            Some(Placed::Reused) => Placed::Reused,
            _ => Placed::Taken,
        }),
        Err(e) => Err(e),
    }
}

/// What is at `rep` already: `None` when nothing is; `New` when it is a
/// strict prefix of `text` (an interrupted in-place write of this report:
/// to be replaced); `Reused` when identical; `Taken` otherwise.
fn existing_report(rep: &Path, text: &str) -> Option<Placed> {
    let meta = std::fs::symlink_metadata(rep).ok()?;
    if !meta.is_file() || meta.len() > text.len() as u64 {
        return Some(Placed::Taken);
    }
    let Ok(found) = std::fs::read(rep) else {
        return Some(Placed::Taken);
    };
    Some(if found == text.as_bytes() {
        Placed::Reused
    } else if text.as_bytes().starts_with(&found) {
        Placed::New
    } else {
        Placed::Taken
    })
}

/// The report in a new temporary file beside `rep`, synced.
fn write_partial(rep: &Path, text: &str) -> io::Result<PathBuf> {
    let dir = rep.parent().unwrap_or(Path::new("."));
    let tmp = partial_name(dir, rep.file_name().unwrap_or_default());
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o644)
        .open(&tmp)?;
    crash_point(CrashPoint::ReportCreated);
    let written = f.write_all(text.as_bytes()).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(tmp)
}

/// Removes the temporary files a crash left in `dir` (see
/// [`PARTIAL_PREFIX`]); only called with the root lock held, when no other
/// daemon can be writing them. Returns how many were removed.
pub fn remove_leftovers(dir: &Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in rd.flatten() {
        if e.file_name()
            .as_bytes()
            .starts_with(PARTIAL_PREFIX.as_bytes())
            && e.file_type().is_ok_and(|t| !t.is_dir())
            && std::fs::remove_file(e.path()).is_ok()
        {
            n += 1;
        }
    }
    n
}

/// Renames `src` to `dest` without overwriting. Across file systems
/// (`EXDEV`, e.g. an outcome folder mounted elsewhere) a regular file is
/// copied to a temporary name, synced, renamed into place and only then
/// removed from the source; a symlink is re-created (pointing where it
/// pointed, never read). FIFOs, sockets and devices are not copied.
pub fn move_file(src: &Path, dest: &Path) -> io::Result<()> {
    match rename_noreplace(src, dest) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => copy_across(src, dest),
        r => r,
    }
}

fn copy_across(src: &Path, dest: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    let ft = meta.file_type();
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = partial_name(dir, dest.file_name().unwrap_or_default());
    if ft.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, &tmp)?;
    } else if ft.is_file() {
        let mut from = open_nofollow(src)?;
        let mut to = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .mode(0o644)
            .open(&tmp)?;
        io::copy(&mut from, &mut to)?;
        to.sync_all()?;
    } else {
        let what = if ft.is_fifo() {
            "FIFO"
        } else if ft.is_socket() {
            "socket"
        } else {
            "device or other special file"
        };
        return Err(io::Error::other(format!(
            "a {what} cannot be moved across file systems"
        )));
    }
    if let Err(e) = rename_noreplace(&tmp, dest) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    fsync_dir(dir)?;
    std::fs::remove_file(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliver_never_overwrites_and_writes_the_report_beside() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        for (i, body) in ["one", "two", "three"].iter().enumerate() {
            let src = d.path().join("a.docx");
            std::fs::write(&src, body).unwrap();
            let dest = deliver(&src, &out, OsStr::new("a.docx"), &format!("report {i}\n")).unwrap();
            assert!(!src.exists());
            assert_eq!(std::fs::read_to_string(&dest).unwrap(), *body);
        }
        assert_eq!(std::fs::read_to_string(out.join("a.docx")).unwrap(), "one");
        assert_eq!(
            std::fs::read_to_string(out.join("a (2).docx")).unwrap(),
            "two"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("a (3).docx.report.txt")).unwrap(),
            "report 2\n"
        );
    }

    #[test]
    fn an_identical_orphan_report_is_reused_not_duplicated() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt.report.txt"), "same\n").unwrap();
        let src = d.path().join("in.txt");
        std::fs::write(&src, "x").unwrap();
        let dest = deliver(&src, d.path(), OsStr::new("a.txt"), "same\n").unwrap();
        assert_eq!(dest, d.path().join("a.txt"));
        std::fs::write(d.path().join("b.txt.report.txt"), "other\n").unwrap();
        std::fs::write(&src, "y").unwrap();
        let dest = deliver(&src, d.path(), OsStr::new("b.txt"), "mine\n").unwrap();
        assert_eq!(dest, d.path().join("b (2).txt"));
    }

    #[test]
    fn a_truncated_orphan_report_is_completed_not_sidestepped() {
        // What a crash in the middle of an in-place write left behind: the
        // report's name taken by an empty or half report, no file beside it.
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in.txt");
        for (name, partial) in [("a.txt", ""), ("b.txt", "verdict: rev")] {
            std::fs::write(d.path().join(format!("{name}.report.txt")), partial).unwrap();
            std::fs::write(&src, "x").unwrap();
            let full = format!("{partial}iew — the whole report\n");
            let dest = deliver(&src, d.path(), OsStr::new(name), &full).unwrap();
            assert_eq!(
                dest,
                d.path().join(name),
                "delivered once, under its own name"
            );
            assert_eq!(
                std::fs::read_to_string(d.path().join(format!("{name}.report.txt"))).unwrap(),
                full
            );
        }
        // A longer or different report is someone else's.
        std::fs::write(d.path().join("c.txt.report.txt"), "other and longer\n").unwrap();
        std::fs::write(&src, "y").unwrap();
        let dest = deliver(&src, d.path(), OsStr::new("c.txt"), "other\n").unwrap();
        assert_eq!(dest, d.path().join("c (2).txt"));
        assert_eq!(
            std::fs::read_to_string(d.path().join("c.txt.report.txt")).unwrap(),
            "other and longer\n"
        );
    }

    #[test]
    fn reports_are_written_through_a_temporary_file_that_never_stays() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("in.txt");
        std::fs::write(&src, "x").unwrap();
        let out = d.path().join("out");
        std::fs::create_dir(&out).unwrap();
        deliver(&src, &out, OsStr::new("a.txt"), "report\n").unwrap();
        let names: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        // A crash leaves one behind; the next start removes it (and nothing else).
        std::fs::write(
            out.join(format!("{PARTIAL_PREFIX}1-0-b.txt.report.txt")),
            "",
        )
        .unwrap();
        assert_eq!(remove_leftovers(&out), 1);
        assert_eq!(remove_leftovers(&out), 0);
        assert!(out.join("a.txt").exists() && out.join("a.txt.report.txt").exists());
    }

    #[test]
    fn a_symlink_is_moved_as_itself() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("secret.txt");
        std::fs::write(&target, "top secret").unwrap();
        let link = d.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_nofollow(&link).is_err());
        let out = d.path().join("failed");
        std::fs::create_dir(&out).unwrap();
        let dest = deliver(&link, &out, OsStr::new("link.txt"), "r").unwrap();
        assert!(std::fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "top secret");
    }

    #[test]
    fn the_root_lock_is_exclusive() {
        let d = tempfile::tempdir().unwrap();
        let lock = RootLock::acquire(d.path()).unwrap();
        assert!(RootLock::is_held(d.path()));
        let e = RootLock::acquire(d.path()).unwrap_err().to_string();
        assert!(e.contains("already runs"), "{e}");
        drop(lock);
        assert!(!RootLock::is_held(d.path()));
        let lock = RootLock::acquire(d.path()).unwrap();
        assert!(lock.is_of(d.path()));
        assert!(!lock.is_of(&d.path().join("elsewhere")));
    }

    #[test]
    fn local_disks_are_not_network_shares() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(network_fs_name(d.path()).unwrap(), None);
        assert!(network_fs_name(&d.path().join("missing")).is_err());
    }

    #[test]
    fn rename_noreplace_refuses_an_existing_target() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "old").unwrap();
        let e = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EEXIST));
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old");
        assert!(a.exists());
    }

    #[test]
    fn across_file_systems_a_file_is_copied_synced_then_removed() {
        // /dev/shm (tmpfs) and the temp dir are different file systems on
        // most Linux machines; where they are not, there is nothing to test.
        let shm = Path::new("/dev/shm");
        let Ok(src_dir) = tempfile::tempdir_in(shm) else {
            return;
        };
        let dst_dir = tempfile::tempdir().unwrap();
        use std::os::unix::fs::MetadataExt;
        if std::fs::metadata(src_dir.path()).unwrap().dev()
            == std::fs::metadata(dst_dir.path()).unwrap().dev()
        {
            return;
        }
        let src = src_dir.path().join("a.txt");
        std::fs::write(&src, "内容").unwrap();
        let dest = deliver(&src, dst_dir.path(), OsStr::new("a.txt"), "r").unwrap();
        assert_eq!(std::fs::read_to_string(&dest).unwrap(), "内容");
        assert!(!src.exists());
        let link = src_dir.path().join("l.txt");
        std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
        let dest = deliver(&link, dst_dir.path(), OsStr::new("l.txt"), "r").unwrap();
        assert_eq!(
            std::fs::read_link(&dest).unwrap(),
            Path::new("/etc/hostname")
        );
        let leftovers: Vec<_> = std::fs::read_dir(dst_dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".baomi-partial")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_db_inside_the_root_is_refused() {
        let d = tempfile::tempdir().unwrap();
        assert!(ensure_local_db(&d.path().join("baomi.db"), d.path()).is_err());
        let other = tempfile::tempdir().unwrap();
        ensure_local_db(&other.path().join("baomi.db"), d.path()).unwrap();
    }
}
