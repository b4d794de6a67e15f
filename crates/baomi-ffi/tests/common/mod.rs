//! Where the tests find libbaomi_ffi.{a,so}.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `cargo test` links its tests against the rlib only and does not refresh
/// the staticlib and cdylib, so the programs in other languages would run
/// against a stale (or missing) library. Build them once per test process,
/// in a target folder of their own (the outer cargo may still hold the
/// lock of its own).
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let target = root.join("target/ffi");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "--quiet", "-p", "baomi-ffi", "--target-dir"])
            .arg(&target)
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(st.success(), "cargo build -p baomi-ffi failed");
        target.join("debug")
    })
    .clone()
}
