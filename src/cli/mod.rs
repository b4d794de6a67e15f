//! Subcommands of the `baomi` binary, one module each.

pub mod archive;
pub mod init;
pub mod key;
pub mod ledger;
pub mod office;
pub mod output;
pub mod redact;
pub mod review;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod watch;
pub mod witness;
mod witness_verify;

use anyhow::Context;
use baomi_core::Scanner;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Logs go to stderr; `BAOMI_LOG` (or `RUST_LOG`) sets the filter, e.g.
/// `BAOMI_LOG=debug`. Coloured only on a terminal (see [`use_color`]).
pub fn init_logging() {
    let filter = std::env::var("BAOMI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(use_color(std::io::stderr().is_terminal()))
        .try_init();
}

/// Whether to write ANSI colour codes to a stream: only to a terminal, and
/// never when `NO_COLOR` is set to anything but the empty string
/// (<https://no-color.org>). A log file, a pipe or the systemd journal gets
/// plain text.
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The shipped rules, a shipped pack (`--rules pack:NAME`), or the rule
/// files of `--rules DIR`, with the keyword automaton that `baomi rules
/// compile` saved for exactly these files when there is one. A compiled
/// scanner that is stale (the rules changed), from another baomi version or
/// damaged is never used: the scanner is built from the rules, with a
/// warning that says so.
pub fn load_scanner(rules: Option<&Path>) -> anyhow::Result<Scanner> {
    match rules {
        None => Ok(Scanner::shipped()),
        Some(dir) => {
            if let Some(name) = dir.to_str().and_then(|d| d.strip_prefix("pack:")) {
                return Scanner::pack(name).ok_or_else(|| {
                    anyhow::anyhow!(
                        "unknown rule pack {name:?}; shipped packs: {} (see `baomi rules list`)",
                        baomi_core::PACKS
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
            }
            let unusable = || {
                format!(
                    "cannot load rules from {}; fix the rule file, or omit --rules to use the shipped rules",
                    dir.display()
                )
            };
            let set = baomi_core::RuleSet::from_path(dir).with_context(unusable)?;
            let compiled = compiled_path(dir);
            match std::fs::read(&compiled) {
                Ok(bytes) => {
                    let (scanner, refused) =
                        Scanner::from_compiled_or_rules(set, &bytes).with_context(unusable)?;
                    if let Some(e) = refused {
                        eprintln!(
                            "warning: {}: not used: {e}; building the scanner from the rules instead \
                             (run `baomi rules compile --rules {}` to save the build next time)",
                            compiled.display(),
                            dir.display()
                        );
                    }
                    return Ok(scanner);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => eprintln!(
                    "warning: cannot read {}: {e}; building the scanner from the rules instead",
                    compiled.display()
                ),
            }
            Scanner::new(set).with_context(unusable)
        }
    }
}

/// Where `baomi rules compile` saves the compiled scanner of `--rules
/// PATH`: `compiled.scanner` inside a rule folder (not `*.toml`, so not a
/// rule file and not part of the fingerprint), `FILE.scanner` beside a
/// single rule file.
pub fn compiled_path(rules: &Path) -> PathBuf {
    if rules.is_dir() {
        rules.join("compiled.scanner")
    } else {
        let mut name = rules.as_os_str().to_owned();
        name.push(".scanner");
        PathBuf::from(name)
    }
}
