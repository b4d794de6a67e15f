//! baomi's scanner for the browser and Node, as a WebAssembly module with a
//! raw C-style interface (see bindings/wasm/baomi.mjs for the JS side).
//!
//! Why not wasm-bindgen: its generated JS must come from a
//! `wasm-bindgen-cli` of exactly the crate's version, which CI would have
//! to `cargo install` (measured in benches/README.md) and keep in lock-step;
//! the whole interface here is five functions passing bytes, which a
//! 100-line hand-written wrapper covers with nothing to install.
//!
//! Every result is a UTF-8 JSON buffer: the same [`ScanReport`] as
//! `baomi scan --format json`. Buffers cross the boundary as a pointer and a
//! length packed in one `u64` (`ptr << 32 | len`), allocated here and given
//! back with [`baomi_free`]. Only the core is compiled in: no file I/O, no
//! threads (texts are scanned in one pass).

use baomi_core::{ScanReport, Scanner};
use std::cell::RefCell;

/// Packs a buffer handed to JS: it owns it until it calls [`baomi_free`].
/// Meaningful on wasm32 only, where pointers have 32 bits (the crate also
/// builds natively so that `cargo clippy --workspace` checks it).
fn give(bytes: Vec<u8>) -> u64 {
    let bytes = bytes.into_boxed_slice();
    let len = bytes.len() as u64;
    let ptr = Box::into_raw(bytes) as *mut u8 as usize as u64;
    (ptr << 32) | len
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Allocates `len` bytes for JS to write an argument into (text, rules);
/// the call that takes it frees it. Returns 0 for `len == 0`.
#[no_mangle]
pub extern "C" fn baomi_alloc(len: usize) -> *mut u8 {
    if len == 0 {
        return std::ptr::null_mut();
    }
    Box::into_raw(vec![0u8; len].into_boxed_slice()) as *mut u8
}

/// Frees a buffer from [`baomi_alloc`] or a packed result.
///
/// # Safety
/// `ptr`/`len` describe a buffer baomi handed out and that was not freed.
#[no_mangle]
pub unsafe extern "C" fn baomi_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() && len > 0 {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
    }
}

/// Takes back an argument buffer from [`baomi_alloc`] as a string.
///
/// # Safety
/// As [`baomi_free`].
unsafe fn take(ptr: *mut u8, len: usize) -> Result<String, String> {
    if ptr.is_null() || len == 0 {
        return Ok(String::new());
    }
    let b = Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len));
    String::from_utf8(b.into_vec()).map_err(|e| format!("not valid UTF-8: {e}"))
}

/// A scanner with the shipped rules. Never fails.
#[no_mangle]
pub extern "C" fn baomi_scanner_new() -> *mut Scanner {
    Box::into_raw(Box::new(Scanner::shipped()))
}

/// A scanner from the text of one rule file (TOML), in a buffer from
/// [`baomi_alloc`] (taken). NULL when the rules are invalid; then
/// [`baomi_last_error`] says why.
///
/// # Safety
/// `ptr`/`len` come from [`baomi_alloc`].
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_from_toml(ptr: *mut u8, len: usize) -> *mut Scanner {
    let built = take(ptr, len)
        .and_then(|toml| Scanner::from_str("rules.toml", &toml).map_err(|e| e.to_string()));
    match built {
        Ok(s) => Box::into_raw(Box::new(s)),
        Err(e) => {
            LAST_ERROR.with(|l| *l.borrow_mut() = e);
            std::ptr::null_mut()
        }
    }
}

/// Frees a scanner (NULL ignored).
///
/// # Safety
/// `scanner` came from a constructor here and was not freed.
#[no_mangle]
pub unsafe extern "C" fn baomi_scanner_free(scanner: *mut Scanner) {
    if !scanner.is_null() {
        drop(Box::from_raw(scanner));
    }
}

/// Reviews a UTF-8 text (buffer from [`baomi_alloc`], taken) as a document
/// named by the second buffer (taken; empty: `"text"`), and returns the JSON
/// report, packed. Invalid UTF-8 (not produced by `TextEncoder`) gives an
/// `error` report, never a clear one.
///
/// # Safety
/// `scanner` is live; both buffers come from [`baomi_alloc`].
#[no_mangle]
pub unsafe extern "C" fn baomi_scan(
    scanner: *const Scanner,
    text: *mut u8,
    text_len: usize,
    name: *mut u8,
    name_len: usize,
) -> u64 {
    let name = take(name, name_len)
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "text".into());
    let report = match (scanner.as_ref(), take(text, text_len)) {
        (Some(s), Ok(text)) => s.review_text(&name, &text),
        (None, _) => baomi_core::DocumentReport::failed(&name, "", "no scanner (it was freed)"),
        (_, Err(e)) => baomi_core::DocumentReport::failed(&name, "", format!("{name}: {e}")),
    };
    give(ScanReport::one(report).to_json().into_bytes())
}

/// Why the last constructor failed, packed (free it with [`baomi_free`]).
#[no_mangle]
pub extern "C" fn baomi_last_error() -> u64 {
    give(LAST_ERROR.with(|l| l.borrow().clone()).into_bytes())
}
