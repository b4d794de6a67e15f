//! Subcommands of the `baomi` binary, one module each.

pub mod key;
pub mod ledger;
pub mod output;
pub mod review;
pub mod rules;
pub mod scan;
pub mod serve;
pub mod watch;

use anyhow::Context;
use baomi_core::Scanner;
use std::path::Path;

/// Logs go to stderr; `BAOMI_LOG` (or `RUST_LOG`) sets the filter, e.g.
/// `BAOMI_LOG=debug`.
pub fn init_logging() {
    let filter = std::env::var("BAOMI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

/// The shipped rules, or the rule files of `--rules DIR`.
pub fn load_scanner(rules: Option<&Path>) -> anyhow::Result<Scanner> {
    match rules {
        None => Ok(Scanner::shipped()),
        Some(dir) => Scanner::from_dir(dir).with_context(|| {
            format!(
                "cannot load rules from {}; fix the rule file, or omit --rules to use the shipped rules",
                dir.display()
            )
        }),
    }
}
