//! `baomi rules test|list|compile`.

use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Run every rule's `tests.hit` and `tests.miss` examples.
    Test(RulesArgs),
    /// List the rules with severity, category and kind.
    List(RulesArgs),
    /// Build the scanner for a rule folder once and save it beside the
    /// rules (`DIR/compiled.scanner`), so that `scan`, `watch`, `serve` and
    /// the rest load it instead of building it at every start. It is used
    /// only while the rule files stay exactly as they were; run this again
    /// after changing them.
    Compile(CompileArgs),
}

#[derive(Args)]
pub struct CompileArgs {
    /// Folder of rule files (*.toml) or one rule file.
    #[arg(long, value_name = "DIR")]
    pub rules: PathBuf,
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
        RulesCommand::Compile(args) => compile(&args.rules),
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

fn compile(rules: &std::path::Path) -> anyhow::Result<ExitCode> {
    if rules.to_str().is_some_and(|r| r.starts_with("pack:")) {
        anyhow::bail!(
            "the shipped packs are built in milliseconds and need no compiling; \
             `baomi rules compile` is for a rule folder of your own (--rules DIR)"
        );
    }
    let started = std::time::Instant::now();
    let set = baomi_core::RuleSet::from_path(rules).with_context(|| {
        format!(
            "cannot load rules from {}; fix the rule file",
            rules.display()
        )
    })?;
    let scanner = baomi_core::Scanner::new(set)
        .with_context(|| format!("cannot build the scanner for {}", rules.display()))?;
    let built = started.elapsed();
    let bytes = scanner.compiled();
    let path = super::compiled_path(rules);
    // Written beside and renamed over: a daemon starting meanwhile reads the
    // old file or the new one, never half of one.
    let partial = path.with_extension("scanner.partial");
    std::fs::write(&partial, &bytes)
        .and_then(|()| std::fs::rename(&partial, &path))
        .with_context(|| {
            let _ = std::fs::remove_file(&partial);
            format!(
                "cannot write {}; the folder must be writable by whoever compiles the rules",
                path.display()
            )
        })?;
    let keywords: usize = scanner
        .rules()
        .iter()
        .map(|r| match &r.matcher {
            baomi_core::Matcher::Keywords(k) => k.len(),
            baomi_core::Matcher::Pattern { .. } => 0,
        })
        .sum();
    let n = scanner.rules().len();
    println!(
        "compiled {n} rule{} ({keywords} keywords) in {:.2} s into {} ({:.1} MB); \
         baomi loads it while the rule files stay as they are",
        if n == 1 { "" } else { "s" },
        built.as_secs_f64(),
        path.display(),
        bytes.len() as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}
