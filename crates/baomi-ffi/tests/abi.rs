//! The C functions called from Rust: error codes and messages, and one
//! scanner handle shared by several threads at once.

use baomi_ffi::*;
use std::ffi::{c_char, CStr, CString};
use std::ptr;

fn last_error() -> String {
    unsafe { CStr::from_ptr(baomi_last_error()) }
        .to_str()
        .unwrap()
        .to_string()
}

fn scan(scanner: *const BaomiScanner, text: &str) -> (BaomiVerdict, String) {
    let mut verdict = BaomiVerdict::Clear;
    let mut json: *mut c_char = ptr::null_mut();
    let status = unsafe {
        baomi_scan_text(
            scanner,
            text.as_ptr(),
            text.len(),
            ptr::null(),
            &mut verdict,
            &mut json,
        )
    };
    assert_eq!(status, BaomiStatus::Ok, "{}", last_error());
    let s = unsafe { CStr::from_ptr(json) }
        .to_str()
        .unwrap()
        .to_string();
    unsafe { baomi_string_free(json) };
    (verdict, s)
}

#[test]
fn errors_are_codes_with_messages() {
    unsafe {
        assert_eq!(
            baomi_scanner_new(ptr::null_mut()),
            BaomiStatus::NullArgument
        );
        assert_eq!(last_error(), "out is NULL; pass a valid pointer");

        let mut s: *mut BaomiScanner = ptr::null_mut();
        let name = CString::new("mine.toml").unwrap();
        let bad = b"[[rule]]\nid = 3\n";
        assert_eq!(
            baomi_scanner_from_toml(name.as_ptr(), bad.as_ptr(), bad.len(), &mut s),
            BaomiStatus::Rules
        );
        assert!(s.is_null(), "no scanner on failure");
        assert!(last_error().starts_with("mine.toml"), "{}", last_error());

        let dir = CString::new("/no/such/rules").unwrap();
        assert_eq!(
            baomi_scanner_from_path(dir.as_ptr(), &mut s),
            BaomiStatus::Rules
        );
        assert!(last_error().contains("/no/such/rules"), "{}", last_error());

        assert_eq!(baomi_scanner_new(&mut s), BaomiStatus::Ok);
        assert_eq!(last_error(), "");
        let mut json: *mut c_char = ptr::null_mut();
        assert_eq!(
            baomi_scan_text(s, ptr::null(), 5, ptr::null(), ptr::null_mut(), &mut json),
            BaomiStatus::NullArgument
        );
        assert_eq!(
            baomi_scan_text(
                ptr::null(),
                ptr::null(),
                0,
                ptr::null(),
                ptr::null_mut(),
                &mut json
            ),
            BaomiStatus::NullArgument
        );
        assert!(json.is_null());
        // An empty text is a report with verdict error, not clear.
        let (v, j) = scan(s, "");
        assert_eq!(v, BaomiVerdict::Error);
        assert!(j.contains("the file is empty"), "{j}");
        baomi_scanner_free(s);
        baomi_scanner_free(ptr::null_mut());
        baomi_string_free(ptr::null_mut());
    }
}

#[test]
fn rules_from_toml_text() {
    let rules = r#"
[[rule]]
id = "local.codename"
title = "项目代号"
category = "internal"
severity = "block"
basis = "本单位保密规定"
keywords = ["青松工程"]
tests.hit = ["青松工程进展"]
tests.miss = ["青松"]
"#;
    let mut s: *mut BaomiScanner = ptr::null_mut();
    let name = CString::new("local.toml").unwrap();
    let status =
        unsafe { baomi_scanner_from_toml(name.as_ptr(), rules.as_ptr(), rules.len(), &mut s) };
    assert_eq!(status, BaomiStatus::Ok, "{}", last_error());
    let (v, j) = scan(s, "关于青松工程的进展");
    assert_eq!(v, BaomiVerdict::Withhold, "{j}");
    assert!(j.contains(r#""rule":"local.codename""#), "{j}");
    unsafe { baomi_scanner_free(s) };
}

#[test]
fn one_handle_scans_from_many_threads() {
    struct Shared(*const BaomiScanner);
    unsafe impl Sync for Shared {}
    let mut s: *mut BaomiScanner = ptr::null_mut();
    assert_eq!(unsafe { baomi_scanner_new(&mut s) }, BaomiStatus::Ok);
    let shared = Shared(s);
    let expected = scan(s, "联系人身份证号11010519491231002X").1;
    std::thread::scope(|t| {
        for _ in 0..4 {
            t.spawn(|| {
                let shared = &shared;
                for _ in 0..20 {
                    let (v, j) = scan(shared.0, "联系人身份证号11010519491231002X");
                    assert_eq!(v, BaomiVerdict::Withhold);
                    assert_eq!(j, expected);
                }
            });
        }
    });
    unsafe { baomi_scanner_free(s) };
}
