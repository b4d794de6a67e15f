//! Gives this build of the crate an identity, `BAOMI_CORE_SOURCE_ID`: a
//! hash of its source files. A compiled scanner (src/compiled.rs) is
//! refused by any build but the one that wrote it, so that a build from a
//! newer checkout with the same version number never reads a saved
//! automaton whose meaning has changed.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("read src/");
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in &files {
        file.strip_prefix(&root).unwrap_or(file).hash(&mut hasher);
        std::fs::read(file)
            .expect("read a source file")
            .hash(&mut hasher);
    }
    println!(
        "cargo:rustc-env=BAOMI_CORE_SOURCE_ID={:016x}",
        hasher.finish()
    );
}
