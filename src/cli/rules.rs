//! `baomi rules test|list`.

use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Run every rule's `tests.hit` and `tests.miss` examples.
    Test(RulesArgs),
    /// List the rules with severity, category and kind.
    List(RulesArgs),
}

#[derive(Args)]
pub struct RulesArgs {
    /// Folder of rule files (*.toml), one file, or a shipped pack as
    /// `pack:NAME`; default: the shipped rules (pack `default`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

pub fn run(cmd: RulesCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RulesCommand::Test(args) => {
            let scanner = super::load_scanner(args.rules.as_deref())?;
            let failures = scanner.test_examples();
            let examples: usize = scanner
                .rules()
                .iter()
                .map(|r| r.hit_examples.len() + r.miss_examples.len())
                .sum();
            for f in &failures {
                let what = if f.expected_hit {
                    "tests.hit example was not found"
                } else {
                    "tests.miss example was reported"
                };
                println!(
                    "FAIL {}: rule `{}`: {what}: {:?}",
                    f.origin, f.rule, f.example
                );
            }
            println!(
                "{} rules, {examples} examples: {} passed, {} failed",
                scanner.rules().len(),
                examples - failures.len(),
                failures.len()
            );
            Ok(if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        RulesCommand::List(args) => {
            let scanner = super::load_scanner(args.rules.as_deref())?;
            let loaded = match args.rules.as_deref().and_then(|p| p.to_str()) {
                None => Some("default"),
                Some(r) => r.strip_prefix("pack:"),
            };
            for p in baomi_core::PACKS {
                let mark = if loaded == Some(p.name) { "*" } else { " " };
                println!("pack {mark} {:<10} {}", p.name, p.title);
            }
            for r in scanner.rules() {
                let kind = match &r.matcher {
                    baomi_core::Matcher::Keywords(k) => format!("{} keywords", k.len()),
                    baomi_core::Matcher::Pattern { validator, .. } => match validator {
                        Some(v) => format!("pattern + {}", v.name()),
                        None => "pattern".into(),
                    },
                };
                println!(
                    "{:<32} {:<7} {:<14} {:<20} {}",
                    r.id,
                    r.severity.as_str(),
                    r.category.as_str(),
                    kind,
                    r.title
                );
            }
            println!("rule set {}", &scanner.fingerprint()[..16]);
            Ok(ExitCode::SUCCESS)
        }
    }
}
