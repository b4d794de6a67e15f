//! `baomi ledger …`: verify, checkpoint, prove and export the review-form
//! ledger; and the recording step of `baomi scan --db`.

use anyhow::{bail, Context};
use baomi_core::DocumentReport;
use baomi_ledger::{
    default_scanner_key, export, load_private_key, Checkpoint, InclusionProof, KeyPair, Ledger,
    PublicKey, Trust, DEFAULT_DB, DEFAULT_SCANNER_KEY,
};
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The trust file used when `--trust` is not given, if it exists.
const DEFAULT_TRUST: &str = "trust.toml";

#[derive(Args)]
pub struct DbArg {
    /// The ledger database.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

#[derive(Args)]
pub struct TrustArg {
    /// Trust file mapping key ids to names and roles (default: ./trust.toml
    /// if it exists; without one, signers and roles are not checked).
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// Recompute every hash and signature, check the chain and the signers'
    /// roles; name the first bad entry. Exit 0 good, 1 bad.
    Verify {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        trust: TrustArg,
        /// A checkpoint saved earlier (`baomi ledger head`): also check that
        /// the ledger still extends it.
        #[arg(long, value_name = "FILE")]
        expect_head: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a signed checkpoint (C2SP format) of the whole ledger; keep it
    /// where the database's writers cannot reach, for `verify --expect-head`.
    Head {
        #[command(flatten)]
        db: DbArg,
        /// Signing key (default: ./baomi-scanner.key, created on first use).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Print an RFC 6962 inclusion proof (JSON) that entry SEQ is in the ledger.
    Prove {
        seq: u64,
        #[command(flatten)]
        db: DbArg,
        /// Prove against the tree of the first N entries (default: all), e.g.
        /// the size of a saved checkpoint.
        #[arg(long, value_name = "N")]
        size: Option<u64>,
    },
    /// Check an inclusion proof without the database.
    CheckProof {
        /// The proof printed by `baomi ledger prove`.
        #[arg(value_name = "PROOF")]
        proof: PathBuf,
        /// A checkpoint the proof must be against (same origin, size, root).
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
        /// Public key (.pub) whose signature on the checkpoint must verify.
        #[arg(long = "pub", value_name = "FILE", requires = "head")]
        public_key: Option<PathBuf>,
    },
    /// Export all entries as JSON Lines or CSV, or a printable HTML review
    /// form per document.
    Export {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        trust: TrustArg,
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Folder to write into (ledger.jsonl, ledger.csv, or form-*.html and
        /// index.html). Default: standard output for jsonl and csv,
        /// ./baomi-forms for html.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Html,
}

pub fn run(cmd: LedgerCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        LedgerCommand::Verify {
            db,
            trust,
            expect_head,
            json,
        } => verify(&db.db, trust.trust.as_deref(), expect_head.as_deref(), json),
        LedgerCommand::Head { db, key } => {
            let ledger = open_existing(&db.db)?;
            let key = scanner_key(key.as_deref())?;
            emit(&ledger.head(&key)?.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Prove { seq, db, size } => {
            let ledger = open_existing(&db.db)?;
            let proof = ledger.prove(seq, size)?;
            emit(&format!("{}\n", serde_json::to_string_pretty(&proof)?))?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::CheckProof {
            proof,
            head,
            public_key,
        } => check_proof(&proof, head.as_deref(), public_key.as_deref()),
        LedgerCommand::Export {
            db,
            trust,
            format,
            out,
        } => export(&db.db, trust.trust.as_deref(), format, out),
    }
}

/// Writes to standard output; a closed pipe (`… | head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn emit_line(mut line: String) -> anyhow::Result<()> {
    line.push('\n');
    emit(&line)
}

fn open_existing(db: &Path) -> anyhow::Result<Ledger> {
    Ledger::open_existing(db).with_context(|| format!("cannot open the ledger {}", db.display()))
}

/// `--trust FILE`, else ./trust.toml when present.
fn load_trust(given: Option<&Path>) -> anyhow::Result<Option<(Trust, PathBuf)>> {
    let path = match given {
        Some(p) => p.to_owned(),
        None if Path::new(DEFAULT_TRUST).exists() => PathBuf::from(DEFAULT_TRUST),
        None => return Ok(None),
    };
    let t = Trust::load(&path)
        .context("cannot use the trust file (see `baomi key show` for its entries)")?;
    Ok(Some((t, path)))
}

/// `--key FILE` (which must exist), else the default scanner key, created
/// on first use.
fn scanner_key(given: Option<&Path>) -> anyhow::Result<KeyPair> {
    if let Some(p) = given {
        return load_private_key(p).with_context(|| {
            format!(
                "cannot use the signing key {}; create one with `baomi key new NAME`",
                p.display()
            )
        });
    }
    let path = Path::new(DEFAULT_SCANNER_KEY);
    let (key, created) = default_scanner_key(path)?;
    if created {
        eprintln!(
            "created the scanner key {} (id {}); add it to trust.toml with role \"scanner\" (see `baomi key show {}`)",
            path.display(),
            key.key_id(),
            path.display()
        );
    }
    Ok(key)
}

/// Records one `scan` entry per report when `--db` was given (plain `scan`
/// records nothing). Called by `baomi scan`.
pub fn record_reports(
    db: Option<&Path>,
    key: Option<&Path>,
    reports: &[DocumentReport],
    rules_fingerprint: &str,
) -> anyhow::Result<()> {
    let Some(db) = db else { return Ok(()) };
    // The ledger first: a bad --db must not leave a new key behind.
    let ledger =
        Ledger::open(db).with_context(|| format!("cannot open the ledger {}", db.display()))?;
    let key = scanner_key(key)?;
    let recorded = ledger
        .record_scans(reports, rules_fingerprint, &key)
        .with_context(|| format!("cannot record the scan in {}", db.display()))?;
    let dup = recorded.iter().filter(|r| r.duplicate).count();
    let new: Vec<u64> = recorded
        .iter()
        .filter(|r| !r.duplicate)
        .map(|r| r.seq)
        .collect();
    let span = match (new.first(), new.last()) {
        (Some(a), Some(b)) if a == b => format!(" (entry {a})"),
        (Some(a), Some(b)) => format!(" (entries {a}–{b})"),
        _ => String::new(),
    };
    eprintln!(
        "ledger {}: recorded {} scan {}{span}; {dup} already recorded with these rules",
        db.display(),
        new.len(),
        if new.len() == 1 { "entry" } else { "entries" }
    );
    Ok(())
}

fn verify(
    db: &Path,
    trust: Option<&Path>,
    expect_head: Option<&Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let ledger = open_existing(db)?;
    let trust = load_trust(trust)?;
    let head = match expect_head {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            Some(
                Checkpoint::parse(&text)
                    .with_context(|| format!("{} is not a checkpoint", p.display()))?,
            )
        }
        None => None,
    };
    let report = ledger.verify_with(trust.as_ref().map(|t| &t.0), head.as_ref())?;
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        let mut out = String::new();
        writeln!(out, "ledger {}: {} entries", db.display(), report.total)?;
        match &report.problem {
            None => {
                let what = match &trust {
                    Some((_, p)) => format!(
                        "hashes, chain, signatures, signers and roles (trust file {})",
                        p.display()
                    ),
                    None => "hashes, chain and signatures".to_string(),
                };
                writeln!(out, "OK: all {} entries verified: {what}", report.verified)?;
                if let Some(cp) = &head {
                    writeln!(out, "OK: extends the checkpoint of {} entries", cp.size)?;
                }
                if let Some(root) = &report.root {
                    writeln!(out, "root: {root}")?;
                }
                for (id, n) in &report.signers {
                    let name = trust.as_ref().and_then(|t| t.0.name_of(id)).unwrap_or("-");
                    writeln!(out, "  signer {id} {name}: {n} entries")?;
                }
            }
            Some(p) => {
                writeln!(out, "BAD: {p}")?;
                writeln!(out, "{} entries before it verified.", report.verified)?;
            }
        }
        for w in &report.warnings {
            writeln!(out, "note: {w}")?;
        }
        emit(&out)?;
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check_proof(
    proof: &Path,
    head: Option<&Path>,
    public_key: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(proof)
        .with_context(|| format!("cannot read {}", proof.display()))?;
    let p: InclusionProof = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an inclusion proof", proof.display()))?;
    if !p.verify() {
        emit_line(format!(
            "BAD: the proof does not lead from entry {} to its root",
            p.seq
        ))?;
        return Ok(ExitCode::from(1));
    }
    if let Some(h) = head {
        let text =
            std::fs::read_to_string(h).with_context(|| format!("cannot read {}", h.display()))?;
        let cp = Checkpoint::parse(&text)?;
        if !p.verify_against(&cp) {
            emit_line(format!(
                "BAD: the proof is for {} at size {}, the checkpoint is {} at size {} with another root",
                p.origin, p.tree_size, cp.origin, cp.size
            ))?;
            return Ok(ExitCode::from(1));
        }
        if let Some(pk) = public_key {
            let key = PublicKey::load(pk)?;
            match cp.verify_signature(&key) {
                Some(true) => {}
                Some(false) => {
                    emit_line(format!(
                        "BAD: the checkpoint's signature by {} does not verify",
                        key.key_id()
                    ))?;
                    return Ok(ExitCode::from(1));
                }
                None => bail!(
                    "the checkpoint carries no signature by key {}",
                    key.key_id()
                ),
            }
        }
    }
    emit_line(format!(
        "OK: entry {} (hash {}) is in {} at tree size {}",
        p.seq,
        baomi_ledger::hex(&p.entry_hash),
        p.origin,
        p.tree_size
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn export(
    db: &Path,
    trust: Option<&Path>,
    format: ExportFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let ledger = open_existing(db)?;
    let trust = load_trust(trust)?;
    let trust = trust.as_ref().map(|t| &t.0);
    let entries = ledger
        .entries()
        .context("cannot read the entries; run `baomi ledger verify` to find the damaged one")?;
    let write_file = |dir: &Path,
                      name: &str,
                      f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>|
     -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(name);
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        f(&mut w)
            .and_then(|_| w.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    };
    match format {
        ExportFormat::Jsonl | ExportFormat::Csv => {
            let f = |w: &mut dyn Write| match format {
                ExportFormat::Csv => export::write_csv(&entries, trust, w),
                _ => export::write_jsonl(&entries, trust, w),
            };
            match out {
                None => match f(&mut std::io::stdout().lock()) {
                    // `baomi ledger export | head` is not an error.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    r => r?,
                },
                Some(dir) => {
                    let name = if matches!(format, ExportFormat::Csv) {
                        "ledger.csv"
                    } else {
                        "ledger.jsonl"
                    };
                    let p = write_file(&dir, name, &f)?;
                    eprintln!("wrote {} ({} entries)", p.display(), entries.len());
                }
            }
        }
        ExportFormat::Html => {
            let dir = out.unwrap_or_else(|| PathBuf::from("baomi-forms"));
            let report = ledger.verify(trust)?;
            let forms = export::html_forms(&entries, &report, trust, &ledger.origin());
            for form in &forms {
                write_file(&dir, &form.file_name, &|w: &mut dyn Write| {
                    w.write_all(form.html.as_bytes())
                })?;
            }
            eprintln!(
                "wrote {} review forms and index.html to {}{}",
                forms.len().saturating_sub(1),
                dir.display(),
                if report.ok() {
                    ""
                } else {
                    " (the ledger does NOT verify; the forms say where)"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
