//! File names: what in `inbox/` is not a draft, and how a name is made
//! unique in an outcome folder without overwriting anything.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Office lock files, editors' temporaries and partial downloads are not
/// drafts: Word keeps `~$name.docx` open beside a document being edited,
/// LibreOffice `.~lock.name#`, browsers and copy tools write `*.part` /
/// `*.crdownload` / `*.tmp` and rename when done. Dotfiles are never taken
/// either (they include baomi's own status and lock files).
pub fn is_ignored_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    if b.is_empty() || b.starts_with(b".") || b.starts_with(b"~$") || b.ends_with(b"~") {
        return true;
    }
    let lower = b.to_ascii_lowercase();
    [
        &b".tmp"[..],
        b".temp",
        b".part",
        b".partial",
        b".crdownload",
        b".download",
        b".swp",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

/// `a.docx` → `a (n).docx` for n ≥ 2 (n = 1 is the name itself). The suffix
/// goes before the last extension so the file still opens with the right
/// program; a name without an extension just gets the suffix.
pub fn suffixed(name: &OsStr, n: u32) -> OsString {
    if n <= 1 {
        return name.to_os_string();
    }
    let b = name.as_bytes();
    let dot = b.iter().rposition(|&c| c == b'.').filter(|&i| i > 0);
    let (stem, ext) = match dot {
        Some(i) => b.split_at(i),
        None => (b, &b""[..]),
    };
    let mut out = Vec::with_capacity(b.len() + 6);
    out.extend_from_slice(stem);
    out.extend_from_slice(format!(" ({n})").as_bytes());
    out.extend_from_slice(ext);
    OsString::from_vec(out)
}

/// The report written beside an outcome file.
pub fn report_name(name: &OsStr) -> OsString {
    let mut r = name.to_os_string();
    r.push(".report.txt");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_and_lock_files_are_ignored() {
        for n in [
            "~$draft.docx",
            ".~lock.draft.docx#",
            ".hidden",
            "a.tmp",
            "b.PART",
            "c.docx.crdownload",
            "d~",
        ] {
            assert!(is_ignored_name(OsStr::new(n)), "{n}");
        }
        for n in [
            "draft.docx",
            "通知.txt",
            "report.pdf",
            "tmp.txt",
            "a$b.docx",
        ] {
            assert!(!is_ignored_name(OsStr::new(n)), "{n}");
        }
    }

    #[test]
    fn suffix_goes_before_the_extension() {
        assert_eq!(suffixed(OsStr::new("a.docx"), 1), "a.docx");
        assert_eq!(suffixed(OsStr::new("a.docx"), 2), "a (2).docx");
        assert_eq!(suffixed(OsStr::new("a.tar.gz"), 3), "a.tar (3).gz");
        assert_eq!(suffixed(OsStr::new("README"), 2), "README (2)");
        assert_eq!(
            report_name(OsStr::new("a (2).docx")),
            "a (2).docx.report.txt"
        );
    }
}
