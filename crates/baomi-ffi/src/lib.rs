//! baomi's C interface: for publishing tools (content management systems in
//! Java, PHP, C) that cannot link a Rust crate but can load a shared library.
//!
//! Every result is the JSON report of `baomi scan --format json`
//! (`{"documents": [...]}`, [`baomi_core::ScanReport`], schema in
//! `docs/report.schema.json`), serialised by the same code, so a program
//! calling the library reads exactly what it would read from the CLI.
//!
//! Conventions (the header `include/baomi.h` is generated from this file):
//! - every function that can fail returns a [`BaomiStatus`]; on anything but
//!   `BAOMI_STATUS_OK`, [`baomi_last_error`] says what went wrong and what to
//!   do (per thread, valid until the next call on that thread);
//! - strings handed out (`char *json`) are owned by the caller and freed
//!   with [`baomi_string_free`]; a scanner with [`baomi_scanner_free`];
//! - a [`BaomiScanner`] is immutable once built: one handle may be used by
//!   any number of threads at once;
//! - a document that cannot be read is not a failed call: it is a report
//!   whose verdict is `error` (fail closed, as in the CLI); only unusable
//!   arguments and rule files fail the call;
//! - no panic crosses the boundary: one is caught and returned as
//!   `BAOMI_STATUS_PANIC`.

use baomi_core::{DocumentReport, ScanReport, Scanner, Verdict};
use baomi_extract::Limits;
use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// How a call went. Anything but `Ok` leaves the out-parameters untouched
/// and sets [`baomi_last_error`].
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaomiStatus {
    Ok = 0,
    /// A required pointer was NULL.
    NullArgument = 1,
    /// Text, a name or rules were not valid UTF-8.
    InvalidUtf8 = 2,
    /// The rule files could not be read or do not compile.
    Rules = 3,
    /// A bug in baomi: please report it with the message.
    Panic = 4,
}

/// The verdict of a document, as in the JSON report; `Error` must be
/// treated as *not cleared*.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaomiVerdict {
    Clear = 0,
    Review = 1,
    Withhold = 2,
    Error = 3,
}

impl From<Verdict> for BaomiVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Clear => BaomiVerdict::Clear,
            Verdict::Review => BaomiVerdict::Review,
            Verdict::Withhold => BaomiVerdict::Withhold,
            Verdict::Error => BaomiVerdict::Error,
        }
    }
}

/// A compiled rule set. Opaque; build it once (compiling the shipped rules
/// takes a moment) and share it between threads.
pub struct BaomiScanner {
    scanner: Scanner,
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(message: impl Into<String>) {
    let mut bytes = message.into().into_bytes();
    bytes.retain(|&b| b != 0);
    let message = CString::new(bytes).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
}

/// Runs `f`, turning an `Err` or a panic into a status with its message.
fn guard(f: impl FnOnce() -> Result<(), (BaomiStatus, String)>) -> BaomiStatus {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_error("");
            BaomiStatus::Ok
        }
        Ok(Err((status, message))) => {
            set_error(message);
            status
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_error(format!(
                "internal error in baomi ({what}); please report it with the input that caused it"
            ));
            BaomiStatus::Panic
        }
    }
}

fn null(what: &str) -> (BaomiStatus, String) {
    (
        BaomiStatus::NullArgument,
        format!("{what} is NULL; pass a valid pointer"),
    )
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string.
unsafe fn c_str<'a>(p: *const c_char, what: &str) -> Result<&'a str, (BaomiStatus, String)> {
    if p.is_null() {
        return Err(null(what));
    }
    CStr::from_ptr(p).to_str().map_err(|e| {
        (
            BaomiStatus::InvalidUtf8,
            format!("{what} is not valid UTF-8 ({e}); convert it to UTF-8 first"),
        )
    })
}

/// `len` bytes at `p` (NULL allowed when `len` is 0).
///
/// # Safety
/// `p` points to `len` readable bytes, or `len` is 0.
unsafe fn bytes<'a>(
    p: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], (BaomiStatus, String)> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(null(what));
    }
    Ok(std::slice::from_raw_parts(p, len))
}

/// # Safety
/// `out` is NULL or points to writable storage for a pointer.
unsafe fn give_scanner(
    out: *mut *mut BaomiScanner,
    build: impl FnOnce() -> Result<Scanner, (BaomiStatus, String)>,
) -> BaomiStatus {
    guard(|| {
        if out.is_null() {
            return Err(null("out"));
        }
        let scanner = build()?;
        *out = Box::into_raw(Box::new(BaomiScanner { scanner }));
        Ok(())
    })
}

/// Writes the report of one document to the out-parameters.
///
/// # Safety
/// `json_out` points to writable storage for a pointer; `verdict_out` is
/// NULL or writable.
unsafe fn give_report(
    report: DocumentReport,
    verdict_out: *mut BaomiVerdict,
    json_out: *mut *mut c_char,
) -> Result<(), (BaomiStatus, String)> {
    let verdict = report.verdict.into();
    let json = ScanReport::one(report).to_json();
    // JSON escapes U+0000, so the text has no NUL byte.
    let json = CString::new(json).map_err(|e| (BaomiStatus::Panic, e.to_string()))?;
    if !verdict_out.is_null() {
        *verdict_out = verdict;
    }
    *json_out = json.into_raw();
    Ok(())
}

/// Builds a scanner with the rules shipped inside the library.
///
/// # Safety
/// `out` points to writable storage for a pointer.
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_new(out: *mut *mut BaomiScanner) -> BaomiStatus {
    give_scanner(out, || Ok(Scanner::shipped()))
}

/// Builds a scanner from a folder of rule files (`*.toml`) or one file,
/// like `baomi scan --rules DIR`.
///
/// # Safety
/// `path` is a NUL-terminated string; `out` points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_from_path(
    path: *const c_char,
    out: *mut *mut BaomiScanner,
) -> BaomiStatus {
    give_scanner(out, || {
        if path.is_null() {
            return Err(null("path"));
        }
        let path = path_of(CStr::from_ptr(path))?;
        Scanner::from_dir(&path).map_err(|e| {
            (
                BaomiStatus::Rules,
                format!(
                    "cannot load rules from {}: {e}; fix the rule file, or use baomi_scanner_new for the shipped rules",
                    path.display()
                ),
            )
        })
    })
}

/// Builds a scanner from the text of one rule file (TOML, `len` bytes of
/// UTF-8); `name` (NUL-terminated) appears in error messages.
///
/// # Safety
/// `name` is a NUL-terminated string, `toml` points to `len` bytes, `out`
/// points to writable storage.
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_from_toml(
    name: *const c_char,
    toml: *const u8,
    len: usize,
    out: *mut *mut BaomiScanner,
) -> BaomiStatus {
    give_scanner(out, || {
        let name = c_str(name, "name")?;
        let toml = std::str::from_utf8(bytes(toml, len, "toml")?).map_err(|e| {
            (
                BaomiStatus::InvalidUtf8,
                format!("{name}: rules are not valid UTF-8 ({e})"),
            )
        })?;
        Scanner::from_str(name, toml).map_err(|e| {
            (
                BaomiStatus::Rules,
                format!("{e}; fix the rules and build the scanner again"),
            )
        })
    })
}

/// Frees a scanner. NULL is ignored. No other thread may be using it.
///
/// # Safety
/// `scanner` is NULL or came from a `baomi_scanner_*` constructor and was
/// not freed before.
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_free(scanner: *mut BaomiScanner) {
    if !scanner.is_null() {
        drop(Box::from_raw(scanner));
    }
}

/// Reviews `len` bytes of UTF-8 text as one plain-text document named
/// `name` (NULL: `"text"`; it becomes the report's `path`, and `.md` reads
/// it as Markdown). Writes the JSON report to `*json_out` (free it with
/// [`baomi_string_free`]) and, when `verdict_out` is not NULL, the verdict.
/// An empty text is an `error` verdict, never `clear`.
///
/// # Safety
/// `scanner` is a live scanner; `text` points to `len` bytes; `name` is
/// NULL or NUL-terminated; `json_out` is writable; `verdict_out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn baomi_scan_text(
    scanner: *const BaomiScanner,
    text: *const u8,
    len: usize,
    name: *const c_char,
    verdict_out: *mut BaomiVerdict,
    json_out: *mut *mut c_char,
) -> BaomiStatus {
    guard(|| {
        let scanner = scanner.as_ref().ok_or_else(|| null("scanner"))?;
        if json_out.is_null() {
            return Err(null("json_out"));
        }
        let name = if name.is_null() {
            "text"
        } else {
            c_str(name, "name")?
        };
        let text = std::str::from_utf8(bytes(text, len, "text")?).map_err(|e| {
            (
                BaomiStatus::InvalidUtf8,
                format!("{name}: text is not valid UTF-8 ({e}); convert it to UTF-8, or pass the bytes to baomi_review_bytes, which detects GB18030 and UTF-16"),
            )
        })?;
        give_report(
            scanner.scanner.review_text(name, text),
            verdict_out,
            json_out,
        )
    })
}

/// Reviews a file on disk in any format baomi reads (text, Markdown, docx,
/// odt, xlsx, pdf, html), exactly as `baomi scan FILE`. An unreadable file
/// is an `error` report, not a failed call.
///
/// # Safety
/// `scanner` is a live scanner; `path` is NUL-terminated; `json_out` is
/// writable; `verdict_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn baomi_review_file(
    scanner: *const BaomiScanner,
    path: *const c_char,
    verdict_out: *mut BaomiVerdict,
    json_out: *mut *mut c_char,
) -> BaomiStatus {
    guard(|| {
        let scanner = scanner.as_ref().ok_or_else(|| null("scanner"))?;
        if json_out.is_null() {
            return Err(null("json_out"));
        }
        if path.is_null() {
            return Err(null("path"));
        }
        let path = path_of(CStr::from_ptr(path))?;
        let report = baomi_extract::review_file(&path, &scanner.scanner, &Limits::default());
        give_report(report, verdict_out, json_out)
    })
}

/// Reviews a document held in memory (an upload): `len` bytes named `name`
/// (its extension helps pick the reader), like `POST /api/v1/scan`.
///
/// # Safety
/// `scanner` is a live scanner; `name` is NUL-terminated; `data` points to
/// `len` bytes; `json_out` is writable; `verdict_out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn baomi_review_bytes(
    scanner: *const BaomiScanner,
    name: *const c_char,
    data: *const u8,
    len: usize,
    verdict_out: *mut BaomiVerdict,
    json_out: *mut *mut c_char,
) -> BaomiStatus {
    guard(|| {
        let scanner = scanner.as_ref().ok_or_else(|| null("scanner"))?;
        if json_out.is_null() {
            return Err(null("json_out"));
        }
        let name = c_str(name, "name")?;
        let data = bytes(data, len, "data")?;
        let report = baomi_extract::review_bytes(name, data, &scanner.scanner, &Limits::default());
        give_report(report, verdict_out, json_out)
    })
}

/// Frees a string handed out by baomi. NULL is ignored.
///
/// # Safety
/// `s` is NULL or came from baomi and was not freed before.
#[no_mangle]
pub unsafe extern "C" fn baomi_string_free(s: *mut c_char) {
    if !s.is_null() {
        drop(CString::from_raw(s));
    }
}

/// The message of the last failed call on this thread ("" after a call
/// that succeeded). Owned by baomi: valid until the next baomi call on the
/// same thread; copy it to keep it.
#[no_mangle]
pub extern "C" fn baomi_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// The library's version, e.g. `"0.1.0"` (static, never freed).
#[no_mangle]
pub extern "C" fn baomi_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(unix)]
fn path_of(s: &CStr) -> Result<PathBuf, (BaomiStatus, String)> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(s.to_bytes())))
}

#[cfg(not(unix))]
fn path_of(s: &CStr) -> Result<PathBuf, (BaomiStatus, String)> {
    s.to_str().map(PathBuf::from).map_err(|e| {
        (
            BaomiStatus::InvalidUtf8,
            format!("path is not valid UTF-8 ({e})"),
        )
    })
}
