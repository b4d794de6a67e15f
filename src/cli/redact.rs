//! `baomi redact FILE -o OUT`: a publishable copy (hidden parts removed,
//! personal data masked), proven clean by a rescan, optionally recorded as
//! a signed `redaction` entry.

use super::office::Office;
use anyhow::Context;
use baomi_core::{DocumentReport, Verdict};
use baomi_extract::Limits;
use baomi_redact::{Options, Redacted};
use clap::{Args, ValueEnum};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Clone, Copy, ValueEnum)]
pub enum RedactFormat {
    Text,
    Json,
}

#[derive(Args)]
pub struct RedactArgs {
    /// The draft to redact (.docx, .odt, .xlsx, .html, .txt, .md, .pdf); never modified.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to write the publishable copy (must not exist, unless --force).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: PathBuf,
    /// Replace OUT if it exists.
    #[arg(long)]
    pub force: bool,
    /// Empty every paragraph holding a finding of this rule (repeatable),
    /// e.g. `marking.classification` once the document is declassified.
    #[arg(long = "remove-paragraphs-with", value_name = "RULE_ID")]
    pub remove_paragraphs_with: Vec<String>,
    /// Also drop the document title from the properties.
    #[arg(long)]
    pub drop_title: bool,
    /// Folder of rule files, one file, or `pack:NAME` (as for `baomi scan`).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Output format of the report.
    #[arg(long, value_enum, default_value_t = RedactFormat::Text)]
    pub format: RedactFormat,
    /// Record a signed `redaction` entry (and a `scan` entry of the copy,
    /// which puts it in the review queue) in this ledger database.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Scanner signing key for --db (default: ./baomi-scanner.key).
    #[arg(long, value_name = "FILE", requires = "db")]
    pub key: Option<PathBuf>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn run(args: RedactArgs) -> anyhow::Result<ExitCode> {
    let office = Office::current();
    let scanner = super::load_scanner(office.rules(args.rules.as_deref()).as_deref())?;
    for id in &args.remove_paragraphs_with {
        if !scanner.rules().iter().any(|r| &*r.id == id) {
            anyhow::bail!(
                "--remove-paragraphs-with {id}: no such rule in the rule set (see `baomi rules list`)"
            );
        }
    }
    let limits = Limits::default();
    let input = &args.file;
    if same_file(input, &args.output) {
        anyhow::bail!(
            "{}: the copy must be a new file, not the original; choose another -o",
            args.output.display()
        );
    }
    if args.output.exists() && !args.force {
        anyhow::bail!(
            "{} already exists; choose another -o or pass --force to replace it",
            args.output.display()
        );
    }
    let meta =
        std::fs::metadata(input).with_context(|| format!("cannot read {}", input.display()))?;
    if meta.len() > limits.max_in_memory_bytes {
        anyhow::bail!(
            "{}: {} bytes is more than baomi redacts in memory ({}); split the document",
            input.display(),
            meta.len(),
            limits.max_in_memory_bytes
        );
    }
    let bytes = std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?;
    let options = Options {
        remove_paragraphs_with: args.remove_paragraphs_with.clone(),
        drop_title: args.drop_title,
    };
    // The format is detected from the original's name and content; the
    // proof reads the copy under the output's name.
    let red = baomi_redact::redact(input, &bytes, &scanner, &options, &limits)
        .with_context(|| format!("{}: no copy written", input.display()))?;
    write_new(&args.output, &red.bytes)?;
    let original_sha = sha256_hex(&bytes);
    let copy_sha = sha256_hex(&red.bytes);
    let mut proof = red.proof.clone();
    proof.path = args.output.display().to_string();
    if let Some(db) = &args.db {
        record(
            db,
            args.key.as_deref(),
            input,
            &original_sha,
            &proof,
            &red,
            scanner.fingerprint(),
        )?;
    }
    match args.format {
        RedactFormat::Json => {
            let v = serde_json::json!({
                "original": {"path": input.display().to_string(), "sha256": original_sha},
                "copy": {"path": args.output.display().to_string(), "sha256": copy_sha},
                "format": red.format,
                "rules_fingerprint": scanner.fingerprint(),
                "changes": red.changes,
                "proof": proof,
            });
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        RedactFormat::Text => print_text(input, &args.output, &red, &proof)?,
    }
    Ok(ExitCode::from(match proof.verdict {
        Verdict::Clear => 0,
        _ => 1,
    }))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Writes the copy through a temporary file in the same folder, so that a
/// failure never leaves half a document under the output name.
fn write_new(out: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.baomi-redact.{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write the copy to {}", out.display()))
}

fn print_text(
    input: &Path,
    output: &Path,
    red: &Redacted,
    proof: &DocumentReport,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} → {} ({}): {} change{}",
        input.display(),
        output.display(),
        red.format,
        red.changes.len(),
        if red.changes.len() == 1 { "" } else { "s" }
    )?;
    for c in &red.changes {
        let action = serde_json::to_value(&c.action)?;
        let action = action.as_str().unwrap_or_default();
        let rule = c
            .rule
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let after = if c.after.is_empty() || c.after == c.before {
            String::new()
        } else {
            format!(" → {}", c.after)
        };
        writeln!(
            out,
            "  {action}{rule}: {} {}: {}{after}",
            c.part, c.location, c.before
        )?;
    }
    let left = proof.findings.len();
    writeln!(
        out,
        "proof: the copy was scanned again: {}{}",
        proof.verdict,
        if left == 0 {
            String::new()
        } else {
            format!(
                " ({left} finding{} left for the reviewer)",
                if left == 1 { "" } else { "s" }
            )
        }
    )?;
    for f in &proof.findings {
        writeln!(
            out,
            "  {} {}: {} at {}",
            f.severity.as_str(),
            f.rule,
            f.matched,
            f.location
        )?;
    }
    Ok(())
}

/// The copy's `scan` entry (so it enters the review queue; the copy is
/// archived for reviewers like any scanned draft), then the `redaction`
/// entry linking original and copy.
fn record(
    db: &Path,
    key: Option<&Path>,
    input: &Path,
    original_sha: &str,
    proof: &DocumentReport,
    red: &Redacted,
    fingerprint: &str,
) -> anyhow::Result<()> {
    super::ledger::record_reports(Some(db), key, std::slice::from_ref(proof), fingerprint)?;
    let ledger = baomi_ledger::Ledger::open(db)
        .with_context(|| format!("cannot open the ledger {}", db.display()))?;
    let key = super::ledger::scanner_key(key)?;
    let archive = baomi_archive::Archive::open(&Office::current().archive(db))?;
    archive
        .put_file(original_sha, input)
        .context("cannot keep the original for reviewers; the redaction was not recorded")?;
    let payload = red.ledger_payload(
        original_sha,
        &input.display().to_string(),
        &proof.path,
        fingerprint,
    );
    let e = ledger
        .append(baomi_ledger::KIND_REDACTION, &proof.sha256, payload, &key)
        .with_context(|| format!("cannot record the redaction in {}", db.display()))?;
    eprintln!(
        "ledger {}: recorded redaction entry {}",
        db.display(),
        e.seq
    );
    Ok(())
}
