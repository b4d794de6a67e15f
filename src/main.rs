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
    /// Serve the reviewer web UI and the HTTP scan API (127.0.0.1:8080).
    Serve(cli::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Watch(args) => cli::watch::init_logging(args),
        _ => cli::init_logging(),
    }
    let result = match cli.command {
        Command::Scan(args) => cli::scan::run(args),
        Command::Rules(cmd) => cli::rules::run(cmd),
        Command::Key(cmd) => cli::key::run(cmd),
        Command::Ledger(cmd) => cli::ledger::run(cmd),
        Command::Watch(args) => cli::watch::run(args),
        Command::Review(args) => cli::review::run(args),
        Command::Serve(args) => cli::serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
