//! `baomi ledger …`: verify, checkpoint, prove and export the review-form
//! ledger; and the recording step of `baomi scan --db`.

use super::office::{load_trust, scanner_key_at, Office};
use anyhow::Context;
use baomi_core::DocumentReport;
use baomi_ledger::{export, Checkpoint, InclusionProof, KeyPair, Ledger, PublicKey};
use clap::{Args, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct DbArg {
    /// The ledger database [default: baomi.toml's `db`, else ./baomi.db].
    #[arg(long = "db", value_name = "FILE")]
    given: Option<PathBuf>,
    /// Resolved in `run`.
    #[arg(skip)]
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
        /// Witness list: one verifier key per line (`baomi witness vkey`).
        /// With --min-cosignatures, a checkpoint in the checkpoint folder
        /// must carry that many valid cosignatures from these witnesses.
        #[arg(
            long,
            value_name = "FILE",
            requires = "min_cosignatures",
            conflicts_with = "json"
        )]
        witnesses: Option<PathBuf>,
        /// How many witnesses of --witnesses must have cosigned.
        #[arg(long, value_name = "N", requires = "witnesses")]
        min_cosignatures: Option<usize>,
    },
    /// Sign a checkpoint of the whole ledger and print a tlog-witness
    /// add-checkpoint request for it: `old OLD_SIZE`, the RFC 6962
    /// consistency proof from OLD_SIZE entries, an empty line, the
    /// checkpoint. OLD_SIZE is the size the witness last cosigned (0 the
    /// first time; `baomi witness status` shows it).
    Consistency {
        old_size: u64,
        #[command(flatten)]
        db: DbArg,
        /// Signing key (default: ./baomi-scanner.key).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Attach the cosignature lines a witness printed to the request's
    /// checkpoint and save it in the checkpoint folder, where `verify
    /// --witnesses` finds it.
    AddCosignatures {
        #[command(flatten)]
        db: DbArg,
        /// The request given to the witness (`baomi ledger consistency`).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// Files of cosignature lines (`baomi witness cosign`'s output).
        #[arg(required = true, value_name = "COSIGNATURES")]
        cosignatures: Vec<PathBuf>,
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
    /// Rebuild the derived index (what the review queue and pages read)
    /// from the signed entries. Never needed in normal use: appends keep it
    /// up to date; this is the proof that it is only derived.
    Reindex {
        #[command(flatten)]
        db: DbArg,
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
    /// Check an inclusion proof without the database: its path, that it is
    /// against a checkpoint (--head), and that a trusted key signed that
    /// checkpoint (--pub or --trust). Exit 0 only when all of these hold.
    CheckProof {
        /// The proof printed by `baomi ledger prove`.
        #[arg(value_name = "PROOF")]
        proof: PathBuf,
        /// A checkpoint the proof must be against (same origin, size, root).
        #[arg(long, value_name = "FILE")]
        head: Option<PathBuf>,
        /// Public key (.pub) of a trusted signer of the checkpoint.
        #[arg(long = "pub", value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Trust file whose signers' `public_key`s may vouch for the
        /// checkpoint (default: ./trust.toml if it exists).
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// Copy a ledger verbatim (same entries, hashes, signatures and ledger
    /// id) into an empty database — e.g. an office's SQLite file into a
    /// shared PostgreSQL database — with its checkpoint files, then verify
    /// the copy. Exit 0 when the copy verifies and has the source's root.
    Copy {
        /// The ledger to copy (a file, or postgres://…).
        #[arg(long, value_name = "DB")]
        from: PathBuf,
        /// Where to (an empty database, or a new file): postgres://USER@HOST:PORT/DB
        /// or a file.
        #[arg(long, value_name = "DB")]
        to: PathBuf,
        #[command(flatten)]
        trust: TrustArg,
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

pub fn run(mut cmd: LedgerCommand) -> anyhow::Result<ExitCode> {
    let office = Office::current();
    if let LedgerCommand::Verify { db, .. }
    | LedgerCommand::Head { db, .. }
    | LedgerCommand::Reindex { db }
    | LedgerCommand::Prove { db, .. }
    | LedgerCommand::Export { db, .. }
    | LedgerCommand::Consistency { db, .. }
    | LedgerCommand::AddCosignatures { db, .. } = &mut cmd
    {
        db.db = office.db(db.given.as_deref());
    }
    match cmd {
        LedgerCommand::Verify {
            db,
            trust,
            expect_head,
            json,
            witnesses,
            min_cosignatures,
        } => {
            let code = verify(&db.db, trust.trust.as_deref(), expect_head.as_deref(), json)?;
            match (witnesses, min_cosignatures) {
                (Some(w), Some(n)) if code == ExitCode::SUCCESS => {
                    super::witness_verify::require_cosignatures(&db.db, &w, n)
                }
                _ => Ok(code),
            }
        }
        LedgerCommand::Consistency { old_size, db, key } => {
            let ledger = open_existing(&db.db)?;
            let key = scanner_key(key.as_deref())?;
            let (req, saved) = baomi_ledger::witness::consistency_request(&ledger, old_size, &key)
                .with_context(|| {
                    format!("cannot make a consistency request for {}", db.db.display())
                })?;
            eprintln!(
                "checkpoint of {} entries saved in {}; give the request below to the witness (`baomi witness cosign DIR --request FILE`)",
                req.checkpoint.size,
                saved.display()
            );
            emit(&req.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::AddCosignatures {
            db,
            request,
            cosignatures,
        } => super::witness_verify::add_cosignatures(&db.db, &request, &cosignatures),
        LedgerCommand::Head { db, key } => {
            let ledger = open_existing(&db.db)?;
            let key = scanner_key(key.as_deref())?;
            let (cp, saved) = ledger.write_checkpoint(&key)?;
            eprintln!("saved in {}", saved.display());
            emit(&cp.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Reindex { db } => {
            let ledger = open_existing(&db.db)?;
            let n = ledger.reindex()?;
            emit(&format!(
                "ledger {}: index rebuilt from {n} entries\n",
                db.db.display()
            ))?;
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
            trust,
        } => check_proof(
            &proof,
            head.as_deref(),
            public_key.as_deref(),
            trust.as_deref(),
        ),
        LedgerCommand::Export {
            db,
            trust,
            format,
            out,
        } => export(&db.db, trust.trust.as_deref(), format, out),
        LedgerCommand::Copy { from, to, trust } => copy(&from, &to, trust.trust.as_deref()),
    }
}

/// `baomi ledger copy`.
fn copy(from: &Path, to: &Path, trust: Option<&Path>) -> anyhow::Result<ExitCode> {
    let name = |p: &Path| {
        p.to_str()
            .map_or_else(|| p.display().to_string(), baomi_ledger::redact_url)
    };
    let src = open_existing(from)?;
    let dest = Ledger::open(to)
        .with_context(|| format!("cannot open or create the ledger {}", name(to)))?;
    let copied = src
        .copy_into(&dest)
        .with_context(|| format!("cannot copy {} into {}", name(from), name(to)))?;
    drop(dest);
    let dest = open_existing(to)?;
    let trust = load_trust(trust)?;
    let report = dest.verify(trust.as_ref().map(|t| &t.0))?;
    let (a, b) = (src.entry_hashes(None)?, dest.entry_hashes(None)?);
    let (ra, rb) = (
        baomi_ledger::merkle::root(&a),
        baomi_ledger::merkle::root(&b),
    );
    println!(
        "copied {} entries and {} checkpoint file(s) from {} to {}",
        copied.entries,
        copied.checkpoints,
        name(from),
        name(to)
    );
    if let Some(p) = &report.problem {
        println!("the copy does NOT verify: {p}");
        return Ok(ExitCode::from(1));
    }
    if a.len() != b.len() || ra != rb {
        println!(
            "the copy does NOT match the source: {} entries with root {} there, {} with root {} here",
            a.len(),
            baomi_ledger::hex(&ra),
            b.len(),
            baomi_ledger::hex(&rb)
        );
        return Ok(ExitCode::from(1));
    }
    println!(
        "the copy verifies: {} entries, ledger {}, root {} (the same as the source's)",
        report.verified,
        dest.origin(),
        baomi_ledger::hex(&rb)
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a closed pipe (`… | head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn open_existing(db: &Path) -> anyhow::Result<Ledger> {
    Ledger::open_existing(db)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(db)))
}

/// `--trust FILE`, else ./trust.toml when present.
/// The scanner's key: given, configured in baomi.toml, or
/// `./baomi-scanner.key`. Without a trust file a missing default key is
/// created (and the command to register it printed); with one, it must
/// exist and be registered with the `scanner` role — nothing signs with a
/// key that `baomi ledger verify` would call unknown.
pub fn scanner_key(given: Option<&Path>) -> anyhow::Result<KeyPair> {
    let office = Office::current();
    let may_create = given.is_none() && office.key.is_none();
    scanner_key_at(
        &office.scanner_key(given),
        may_create,
        load_trust(None)?.as_ref(),
    )
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
    let ledger = Ledger::open(db)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(db)))?;
    let key = scanner_key(key)?;
    // The drafts first, so that every entry's bytes can be shown to reviewers.
    let archive = baomi_archive::Archive::open(&Office::current().archive(db))?;
    for r in reports.iter().filter(|r| !r.sha256.is_empty()) {
        archive
            .put_file(&r.sha256, Path::new(&r.path))
            .context("cannot keep the draft for reviewers; nothing was recorded")?;
    }
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
                if let Some(c) = report.checkpoints.as_ref().filter(|c| c.found > 0) {
                    writeln!(
                        out,
                        "OK: extends every checkpoint in {} ({} file(s), newest of {} entries)",
                        c.dir,
                        c.found,
                        c.newest_size.unwrap_or(0)
                    )?;
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

/// `baomi ledger check-proof`: the proof's own path, then (with `--head`)
/// that it is against that checkpoint, then that the checkpoint is signed by
/// a trusted key (`--pub`, or a `public_key` in the trust file). Says what
/// was and was not checked; exit 0 only when all three hold.
fn check_proof(
    proof: &Path,
    head: Option<&Path>,
    public_key: Option<&Path>,
    trust: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(proof)
        .with_context(|| format!("cannot read {}", proof.display()))?;
    let p: InclusionProof = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an inclusion proof", proof.display()))?;
    let pub_key = public_key
        .map(|f| {
            PublicKey::load(f)
                .map(|k| (k, f))
                .with_context(|| format!("cannot use the public key {}", f.display()))
        })
        .transpose()?;
    let explicit_trust = trust.is_some();
    let trust = load_trust(trust)?;
    let mut out = String::new();
    let fail = |mut out: String, line: String| -> anyhow::Result<ExitCode> {
        out.push_str(&line);
        out.push('\n');
        emit(&out)?;
        Ok(ExitCode::from(1))
    };
    if !p.verify() {
        return fail(
            out,
            format!(
                "BAD: the proof's path does not lead from entry {} to its root",
                p.seq
            ),
        );
    }
    writeln!(
        out,
        "checked: proof path leads to root {} from entry {} (hash {}) at tree size {} of {}",
        p.root_base64(),
        p.seq,
        baomi_ledger::hex(&p.entry_hash),
        p.tree_size,
        p.origin
    )?;
    let keys_hint = "--pub FILE (the signer's .pub) or --trust FILE (a trust.toml listing the signer's public_key)";
    let Some(h) = head else {
        writeln!(
            out,
            "NOT checked: proof matches a checkpoint (origin, size, root): no --head FILE given"
        )?;
        writeln!(
            out,
            "NOT checked: checkpoint signed by a trusted key: no checkpoint{}",
            if public_key.is_some() || explicit_trust {
                " (--pub and --trust need --head)"
            } else {
                ""
            }
        )?;
        return fail(
            out,
            format!("NOT VERIFIED: a proof that only agrees with itself can be made up for any entry; pass --head FILE (a checkpoint saved with `baomi ledger head`, kept where the database's writers cannot reach) and {keys_hint}"),
        );
    };
    let text =
        std::fs::read_to_string(h).with_context(|| format!("cannot read {}", h.display()))?;
    let cp =
        Checkpoint::parse(&text).with_context(|| format!("{} is not a checkpoint", h.display()))?;
    if !p.verify_against(&cp) {
        let why = if p.origin != cp.origin {
            format!(
                "the proof is for the ledger {}, the checkpoint {} for {}",
                p.origin,
                h.display(),
                cp.origin
            )
        } else if p.tree_size != cp.size {
            format!(
                "the proof is against tree size {}, the checkpoint {} has size {}; make the proof against it with `baomi ledger prove {} --size {}`",
                p.tree_size,
                h.display(),
                cp.size,
                p.seq,
                cp.size
            )
        } else {
            format!(
                "the proof's root is not the checkpoint {}'s (both at tree size {}): the entry is not in the ledger the checkpoint is of, or the ledger was rewritten",
                h.display(),
                cp.size
            )
        };
        return fail(out, format!("BAD: {why}"));
    }
    writeln!(
        out,
        "checked: proof matches checkpoint {} (origin, size, root)",
        h.display()
    )?;

    // The keys whose signature anchors the checkpoint.
    let trust_name = |id: &str| trust.as_ref().and_then(|(t, _)| t.name_of(id));
    let mut keys: Vec<(PublicKey, String)> = Vec::new();
    if let Some((k, f)) = &pub_key {
        let label = match trust_name(k.key_id()) {
            Some(n) => format!("{n}, key file {}", f.display()),
            None => format!("key file {}", f.display()),
        };
        keys.push((k.clone(), label));
    }
    if let Some((t, tp)) = &trust {
        for s in t.signers() {
            if let Some(k) = s.key() {
                if !keys.iter().any(|(x, _)| x.key_id() == k.key_id()) {
                    keys.push((k, format!("{}, trust file {}", s.name, tp.display())));
                }
            }
        }
    }
    let mut anchored = Vec::new();
    for (k, label) in &keys {
        match cp.verify_signature(k) {
            Some(true) => anchored.push(k.key_id().to_owned()),
            Some(false) => {
                return fail(
                    out,
                    format!(
                        "BAD: the checkpoint's signature by {} ({label}) does not verify: the checkpoint was altered or forged",
                        k.key_id()
                    ),
                )
            }
            None => {}
        }
    }
    for id in &anchored {
        let label = keys
            .iter()
            .find(|(k, _)| k.key_id() == id)
            .map_or("", |(_, l)| l.as_str());
        writeln!(out, "checked: checkpoint signed by {id} ({label})")?;
    }
    // What could not be checked, and why.
    if let Some((k, f)) = &pub_key {
        if !anchored.iter().any(|a| a == k.key_id()) {
            writeln!(
                out,
                "NOT checked: checkpoint signed by {} (key file {}): it carries no signature by that key",
                k.key_id(),
                f.display()
            )?;
        }
    }
    for name in cp.signer_names() {
        if anchored.iter().any(|a| a == name) {
            continue;
        }
        let why = match &trust {
            Some((t, tp)) => match t.signer(&name.to_ascii_lowercase()) {
                Some(s) if s.public_key.is_none() => format!(
                    "{} is in the trust file {} without public_key, so it cannot vouch for a checkpoint; add its public_key (`baomi key show FILE` prints the entry) or pass --pub FILE",
                    s.name,
                    tp.display()
                ),
                Some(s) => format!(
                    "the signature is not by the public key the trust file {} lists for {} (another key uses its id)",
                    tp.display(),
                    s.name
                ),
                None => format!(
                    "the key is not in the trust file {}; pass --pub FILE if you trust it",
                    tp.display()
                ),
            },
            None => format!("no trusted key given; pass {keys_hint}"),
        };
        writeln!(out, "NOT checked: checkpoint signed by {name}: {why}")?;
    }
    if anchored.is_empty() {
        return fail(
            out,
            format!(
                "NOT VERIFIED: no trusted key vouches for the checkpoint {}, so nothing ties its root to the ledger; pass {keys_hint}",
                h.display()
            ),
        );
    }
    writeln!(
        out,
        "OK: entry {} (hash {}) is in {} at tree size {}",
        p.seq,
        baomi_ledger::hex(&p.entry_hash),
        p.origin,
        p.tree_size
    )?;
    emit(&out)?;
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
