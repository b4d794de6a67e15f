//! The `baomi` command: parses arguments and wires the crates together.
//! Each subcommand lives in its own module under `src/cli/`.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Pre-publication secrecy review (保密审查): scan drafts for state-secret
/// markings, internal markings and personal data before they are published.
#[derive(Parser)]
#[command(name = "baomi", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set up an office: share folders, private state (ledger, scanner key,
    /// checkpoints, draft archive), baomi.toml, trust.toml, stages.toml.
    Init(cli::init::InitArgs),
    /// Scan files and folders; exit 0 if all clear, 1 if any need review or
    /// must be withheld, 2 if any could not be read.
    Scan(cli::scan::ScanArgs),
    /// Check or list rule sets.
    #[command(subcommand)]
    Rules(cli::rules::RulesCommand),
    /// Create and inspect Ed25519 signing keys for the ledger.
    #[command(subcommand)]
    Key(cli::key::KeyCommand),
    /// Verify, checkpoint, prove and export the signed review-form ledger.
    #[command(subcommand)]
    Ledger(cli::ledger::LedgerCommand),
    /// Watch a shared drop folder: review every draft put into ROOT/inbox/,
    /// record it in the ledger and move it to cleared/, review/, withheld/
    /// or failed/.
    Watch(cli::watch::WatchArgs),
    /// The staged review path: list the queue, show a document's findings
    /// in context, sign decisions and waivers.
    Review(cli::review::ReviewArgs),
    /// Write a publishable copy: hidden parts removed, personal data masked,
    /// proven clean by scanning it again; exit 0 if the copy is clear, 1 if
    /// findings are left for the reviewer, 2 if no copy was written.
    Redact(cli::redact::RedactArgs),
    /// Serve the reviewer web UI and the HTTP scan API (127.0.0.1:8080).
    Serve(cli::serve::ServeArgs),
    /// The archive of scanned drafts kept for reviewers.
    #[command(subcommand)]
    Archive(cli::archive::ArchiveCommand),
    /// Run a witness: cosign ledger checkpoints (C2SP tlog-cosignature)
    /// after checking each extends the last one it cosigned.
    #[command(subcommand)]
    Witness(cli::witness::WitnessCommand),
}

/// The exit code after standard output was closed under us (`baomi scan …
/// | head`): 141, what a shell reports for a process ended by SIGPIPE, as
/// `cat` or `grep` would be. Not 0: `baomi scan` means "everything is clear"
/// by 0, and output cut short must not say that to `set -o pipefail`.
const BROKEN_PIPE_EXIT: u8 = 128 + 13;

/// Whether an error is, anywhere in its chain, a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(broken_pipe)
}

/// `source()` does not see everything: an `io::Error::other(e)` skips `e`
/// itself (it returns `e.source()`), and serde_json keeps its I/O error to
/// itself. So both are opened by hand.
fn broken_pipe(e: &(dyn std::error::Error + 'static)) -> bool {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        if io.kind() == std::io::ErrorKind::BrokenPipe {
            return true;
        }
        if let Some(inner) = io.get_ref() {
            return broken_pipe(inner);
        }
    }
    e.downcast_ref::<serde_json::Error>()
        .and_then(serde_json::Error::io_error_kind)
        == Some(std::io::ErrorKind::BrokenPipe)
}

/// `println!` panics when standard output is a closed pipe ("failed
/// printing to stdout: Broken pipe"): end those quietly too, and leave
/// every other panic to the default hook.
fn quiet_on_broken_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload_as_str().unwrap_or_default();
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(BROKEN_PIPE_EXIT.into());
        }
        default(info)
    }));
}

/// glibc keeps memory that large blocks freed by other threads leave
/// behind: after a big scan has freed its pieces' text views, the next
/// allocations reuse that memory rather than giving it back, so a
/// 100k-keyword scan peaked 140 MB above what it held. A fixed threshold
/// keeps every block above 128 KiB a mapping of its own, returned on free.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_blocks() {
    // SAFETY: called first in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_blocks() {}

fn main() -> ExitCode {
    return_large_blocks();
    quiet_on_broken_stdout();
    let cli = Cli::parse();
    if let Err(e) = cli::office::Office::init() {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    match &cli.command {
        Command::Watch(args) => cli::watch::init_logging(args),
        _ => cli::init_logging(),
    }
    let result = match cli.command {
        Command::Init(args) => cli::init::run(args),
        Command::Archive(cmd) => cli::archive::run(cmd),
        Command::Scan(args) => cli::scan::run(args),
        Command::Rules(cmd) => cli::rules::run(cmd),
        Command::Key(cmd) => cli::key::run(cmd),
        Command::Ledger(cmd) => cli::ledger::run(cmd),
        Command::Watch(args) => cli::watch::run(args),
        Command::Review(args) => cli::review::run(args),
        Command::Redact(args) => cli::redact::run(args),
        Command::Serve(args) => cli::serve::run(args),
        Command::Witness(cmd) => cli::witness::run(cmd),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): nothing to say, and nobody to say it to.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(BROKEN_PIPE_EXIT),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
