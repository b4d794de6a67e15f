//! Detects network file systems, where SQLite's WAL mode is unsafe: WAL
//! needs shared memory and POSIX locks that NFS, SMB and CIFS do not provide
//! between machines, so two writers on two hosts can corrupt the database.

use std::path::Path;

/// The name of the network file system that `path` (or, for a file that does
/// not exist yet, its folder) is on; `None` for a local one or when unknown.
pub fn network_filesystem(path: &Path) -> Option<&'static str> {
    let probe = if path.exists() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        }
    };
    fs_type(&probe).and_then(name_of_magic)
}

/// Linux `statfs.f_type` magic numbers of network file systems.
fn name_of_magic(magic: u64) -> Option<&'static str> {
    match magic {
        0x6969 => Some("NFS"),
        0x517B => Some("SMB"),
        0xFF53_4D42 => Some("CIFS"),
        0xFE53_4D42 => Some("SMB2"),
        0x5346_414F => Some("AFS"),
        0x0102_1997 => Some("9P"),
        _ => None,
    }
}

#[cfg(target_os = "linux")]
fn fs_type(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `buf` a properly sized,
    // zero-initialised statfs that the call fills in.
    let mut buf: libc::statfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut buf) };
    if rc != 0 {
        return None;
    }
    // f_type's integer type differs between architectures; the magic
    // numbers are 32-bit, so compare the low 32 bits.
    #[allow(clippy::unnecessary_cast)]
    Some((buf.f_type as u64) & 0xFFFF_FFFF)
}

#[cfg(not(target_os = "linux"))]
fn fs_type(_path: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_temp_dir_is_not_network() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(network_filesystem(&dir.path().join("x.db")), None);
        assert_eq!(name_of_magic(0x6969), Some("NFS"));
        assert_eq!(name_of_magic(0xFF53_4D42), Some("CIFS"));
    }
}
