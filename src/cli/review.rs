//! `baomi review list|show|decide|waive|waivers`: the staged review path
//! from the command line. The logic lives in `baomi-web` (shared with the
//! web UI); this module parses flags and prints.

use super::office::{load_trust, require_registered, Office};
use anyhow::Context;
use baomi_core::time::format_datetime;
use baomi_ledger::{load_private_key, Role, Trust};
use baomi_web::review::{Conclusion, ReviewPath};
use baomi_web::view::{part_label, verdict_label, DocDetail, FindingSource, WaiverView};
use baomi_web::{DecisionInput, ListFilter, OpenMode, Store};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Flags every review command shares.
#[derive(Args, Clone)]
pub struct ReviewOpts {
    /// The ledger database [default: baomi.toml's `db`, else ./baomi.db].
    #[arg(long, value_name = "FILE", global = true)]
    pub db: Option<PathBuf>,
    /// Trust file naming each key's person and roles (default ./trust.toml).
    #[arg(long, value_name = "FILE", global = true)]
    pub trust: Option<PathBuf>,
    /// Review path (TOML with [[stage]] id/label/role); default:
    /// department → work-department → secrecy-committee.
    #[arg(long, value_name = "FILE", global = true)]
    pub stages: Option<PathBuf>,
    /// Rules used to re-read documents for context (default: shipped).
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
}

#[derive(Args)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub opts: ReviewOpts,
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// The review queue, newest scan first.
    List {
        /// Only documents waiting for this stage (e.g. work-department).
        #[arg(long)]
        stage: Option<String>,
        /// pending, withheld or approved.
        #[arg(long)]
        status: Option<String>,
        /// Machine verdict: clear, review, withhold or error.
        #[arg(long)]
        verdict: Option<String>,
        /// Include revisions superseded by a newer scan of the same path.
        #[arg(long)]
        all: bool,
        /// At most this many documents, newest scan first.
        #[arg(long, value_name = "N", default_value_t = baomi_web::store::DEFAULT_PAGE)]
        limit: usize,
        /// Only documents scanned before entry SEQ (the next page).
        #[arg(long, value_name = "SEQ")]
        before: Option<u64>,
    },
    /// One document: findings in context, decisions so far, what is next.
    Show {
        /// Entry number, SHA-256 or a unique prefix of it (≥ 6 digits).
        #[arg(value_name = "ID|SHA")]
        id: String,
    },
    /// Sign a decision for the stage the document waits for.
    Decide {
        #[arg(value_name = "ID|SHA")]
        id: String,
        /// Stage decided (department, work-department, secrecy-committee).
        #[arg(long)]
        stage: String,
        /// publish (同意公开), publish-after-changes (修改后公开) or
        /// withhold (不予公开).
        #[arg(long, value_parser = parse_conclusion)]
        conclusion: Conclusion,
        /// 审查结论或处理意见.
        #[arg(long)]
        opinion: String,
        /// Required changes (needed for publish-after-changes).
        #[arg(long)]
        changes: Option<String>,
        /// 不公开的依据或理由 (needed for withhold).
        #[arg(long)]
        basis: Option<String>,
        /// The reviewer's private key (from `baomi key new`); default: the
        /// file named by the BAOMI_KEY environment variable.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Waive one finding as a false positive (needs the secrecy-committee
    /// role). The waiver follows the matched text into later revisions while
    /// the text is unchanged.
    Waive {
        #[arg(value_name = "ID|SHA")]
        id: String,
        /// The finding's number as `baomi review show` prints it.
        #[arg(long)]
        finding: usize,
        /// Why this is not a secret.
        #[arg(long)]
        reason: String,
        /// A secrecy-committee key; default: $BAOMI_KEY.
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// List waivers.
    Waivers {
        /// Only waivers that no longer match any finding of a current document.
        #[arg(long)]
        unused: bool,
    },
}

fn parse_conclusion(s: &str) -> Result<Conclusion, String> {
    Conclusion::parse(s).ok_or_else(|| {
        format!("`{s}` is not a conclusion; use publish, publish-after-changes or withhold")
    })
}

fn open_store(o: &ReviewOpts, mode: OpenMode) -> anyhow::Result<(Store, Option<(Trust, PathBuf)>)> {
    let office = Office::current();
    let trust = load_trust(o.trust.as_deref())?;
    let path = match &office.stages(o.stages.as_deref()) {
        None => ReviewPath::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            ReviewPath::from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
    };
    let scanner = Arc::new(super::load_scanner(
        office.rules(o.rules.as_deref()).as_deref(),
    )?);
    let db = office.db(o.db.as_deref());
    let mut store = Store::open(
        &db,
        mode,
        trust.as_ref().map(|t| t.0.clone()),
        path,
        scanner,
    )
    .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(&db)))?;
    let archive = office.archive(&db);
    if archive.is_dir() {
        store = store.with_archive(baomi_archive::Archive::open(&archive)?);
    }
    Ok((store, trust))
}

/// `--key FILE`, else `$BAOMI_KEY`. There is deliberately no default file:
/// a reviewer signs with their own key, never one created on the fly.
fn load_key(
    given: Option<PathBuf>,
    trust: Option<&(Trust, PathBuf)>,
) -> anyhow::Result<baomi_ledger::KeyPair> {
    let p = given
        .or_else(|| std::env::var_os("BAOMI_KEY").map(PathBuf::from))
        .context("give the reviewer's key with --key FILE (or set BAOMI_KEY); create one with `baomi key new NAME --person 姓名 --role ROLE --register`")?;
    let key = load_private_key(&p).with_context(|| {
        format!(
            "cannot use the signing key {}; create one with `baomi key new NAME --person 姓名 --role ROLE --register`",
            p.display()
        )
    })?;
    require_registered(&key, &p, trust, &REVIEWER_ROLES, "reviewer")?;
    Ok(key)
}

/// The roles that sign decisions or waivers.
pub const REVIEWER_ROLES: [Role; 3] = [
    Role::Department,
    Role::WorkDepartment,
    Role::SecrecyCommittee,
];

pub fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    // Listing and showing only read; deciding and waiving append.
    let mode = match args.command {
        ReviewCommand::Decide { .. } | ReviewCommand::Waive { .. } => OpenMode::Existing,
        _ => OpenMode::Display,
    };
    let (mut store, trust) = open_store(&args.opts, mode)?;
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = std::io::stdout().lock();
    // What is shown is only as good as the ledger: check its end against
    // the checkpoints first (each entry shown is verified as it is read),
    // and say so before anything else.
    let mut bad = false;
    if let Err(e) = store.ledger().check_tail() {
        writeln!(out, "BAD: the ledger does not verify: {e}\n")?;
        bad = true;
    }
    match args.command {
        ReviewCommand::List {
            stage,
            status,
            verdict,
            all,
            limit,
            before,
        } => {
            let docs = store.summaries(&ListFilter {
                stage,
                status,
                verdict,
                all,
                before,
                limit: Some(limit),
            })?;
            for d in docs.iter().filter(|d| d.problem.is_some()) {
                bad = true;
                writeln!(
                    out,
                    "BAD: document {} ({}): {}",
                    &d.sha256[..12],
                    clean(&d.path),
                    clean(d.problem.as_deref().unwrap_or_default())
                )?;
            }
            if docs.is_empty() {
                writeln!(
                    out,
                    "no documents match (scan drafts with `baomi scan --db {} …`)",
                    Office::current().db(args.opts.db.as_deref()).display()
                )?;
            }
            for d in docs.iter().filter(|d| d.problem.is_none()) {
                let name = clean(d.title.as_deref().unwrap_or(&d.path));
                writeln!(
                    out,
                    "{}  {}  {:<8} {:>3} findings ({} open{})  {}{}\n    《{}》{}  {}",
                    &d.sha256[..12],
                    format_datetime(&d.scanned_at),
                    d.verdict.as_str(),
                    d.findings,
                    d.open_findings,
                    if d.open_block > 0 {
                        format!(", {} block", d.open_block)
                    } else {
                        String::new()
                    },
                    clean(&d.status_label),
                    if d.superseded_by.is_some() {
                        "  [superseded]"
                    } else {
                        ""
                    },
                    name,
                    d.doc_number
                        .as_deref()
                        .map(|n| format!(" {}", clean(n)))
                        .unwrap_or_default(),
                    clean(&d.location),
                )?;
            }
            if docs.len() >= limit {
                if let Some(last) = docs.last() {
                    writeln!(
                        out,
                        "… more: `baomi review list --before {}` shows the next {limit}",
                        last.scan_seq
                    )?;
                }
            }
        }
        ReviewCommand::Show { id } => {
            let sha = store.resolve(&id)?;
            let d = store.detail(&sha)?;
            show(&mut out, store.review_path(), &d, color)?;
        }
        ReviewCommand::Decide {
            id,
            stage,
            conclusion,
            opinion,
            changes,
            basis,
            key,
        } => {
            let key = load_key(key, trust.as_ref())?;
            let sha = store.resolve(&id)?;
            let v = store
                .decide(
                    &sha,
                    DecisionInput {
                        stage,
                        conclusion,
                        opinion,
                        changes,
                        basis,
                    },
                    &key,
                )
                .context("decision refused, nothing was recorded")?;
            let d = store.detail(&sha)?;
            writeln!(
                out,
                "recorded entry #{}: {} {} by {}; status now: {}",
                v.seq,
                v.stage_label,
                v.decision.conclusion.label_zh(),
                v.signer.display(),
                d.summary.status_label
            )?;
        }
        ReviewCommand::Waive {
            id,
            finding,
            reason,
            key,
        } => {
            let key = load_key(key, trust.as_ref())?;
            let sha = store.resolve(&id)?;
            let d = store.detail(&sha)?;
            let f = finding
                .checked_sub(1)
                .and_then(|i| ordered(&d).get(i).copied())
                .with_context(|| {
                    format!(
                        "no finding #{finding}; `baomi review show {id}` numbers them 1–{}",
                        d.findings.len()
                    )
                })?;
            let (rule, hash) = (f.rule.clone(), f.matched_sha256.clone());
            let w = store
                .waive(&sha, &rule, &hash, &reason, &key)
                .context("waiver refused, nothing was recorded")?;
            writeln!(
                out,
                "recorded waiver #{} of {} ({}) by {}{}",
                w.seq,
                w.waiver.rule,
                w.waiver.preview.as_deref().unwrap_or(""),
                w.signer.display(),
                if w.waiver.text_key.is_none() {
                    "\nnote: the file could not be re-read, so this waiver covers this revision only"
                } else {
                    ""
                }
            )?;
        }
        ReviewCommand::Waivers { unused } => {
            let list = if unused {
                store.unused_waivers()?
            } else {
                store.waivers()?
            };
            if list.is_empty() {
                writeln!(
                    out,
                    "{}",
                    if unused {
                        "no unused waivers"
                    } else {
                        "no waivers"
                    }
                )?;
            }
            for w in &list {
                waiver_line(&mut out, w)?;
            }
        }
    }
    Ok(if bad {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn waiver_line(out: &mut impl Write, w: &WaiverView) -> std::io::Result<()> {
    writeln!(
        out,
        "#{} {} {} {}  {}  by {}  doc {}  {}",
        w.seq,
        format_datetime(&w.recorded_at),
        clean(&w.waiver.rule),
        clean(w.waiver.preview.as_deref().unwrap_or("")),
        clean(&w.waiver.reason),
        w.signer.display(),
        clean(w.doc_sha256.get(..12).unwrap_or(&w.doc_sha256)),
        clean(w.waiver.path.as_deref().unwrap_or(""))
    )
}

/// Findings in the order `show` numbers them: grouped by part.
fn ordered(d: &DocDetail) -> Vec<&baomi_web::view::FindingView> {
    d.by_part().into_iter().flat_map(|(_, v)| v).collect()
}

fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Terminal-safe: every displayed field goes through the one function that
/// shows control, zero-width and bidi characters as `⟨U+202E⟩` (document
/// text, file names, opinions and names may hold escape sequences or
/// right-to-left overrides). Times are the office's ([`format_datetime`]).
fn clean(s: &str) -> String {
    baomi_core::display::visible(s)
}

fn show(
    out: &mut impl Write,
    path: &ReviewPath,
    d: &DocDetail,
    color: bool,
) -> std::io::Result<()> {
    let s = &d.summary;
    writeln!(
        out,
        "{}",
        paint(color, "1", &clean(s.title.as_deref().unwrap_or(&s.path)))
    )?;
    writeln!(
        out,
        "  文号      {}",
        clean(s.doc_number.as_deref().unwrap_or("（无）"))
    )?;
    writeln!(out, "  文件      {}", clean(&s.path))?;
    if s.location != s.path {
        writeln!(out, "  现在位置  {}", clean(&s.location))?;
    }
    writeln!(out, "  SHA-256   {}", s.sha256)?;
    writeln!(
        out,
        "  机器扫描  {} ({}) entry #{} {} by {}",
        s.verdict.as_str(),
        verdict_label(s.verdict),
        s.scan_seq,
        format_datetime(&s.scanned_at),
        d.scanner.display()
    )?;
    writeln!(
        out,
        "  状态      {} [{}]",
        clean(&s.status_label),
        s.status_key
    )?;
    if let Some(n) = &s.superseded_by {
        writeln!(out, "  superseded by a newer revision {n}: review that one")?;
    }
    if let Some(e) = &d.error {
        writeln!(out, "  error: {}", clean(e))?;
    }
    for n in &d.coverage.notes {
        writeln!(out, "  note: {}", clean(n))?;
    }
    match &d.source {
        FindingSource::Rescanned => writeln!(
            out,
            "\nfindings ({}), in context from the file:",
            d.findings.len()
        )?,
        FindingSource::Recorded(why) => writeln!(
            out,
            "\nfindings ({}), masked previews only — {}:",
            d.findings.len(),
            clean(why)
        )?,
    }
    let mut n = 0;
    for (part, items) in d.by_part() {
        let head = format!("[{} {}]", part_label(part), part.as_str());
        let hidden = part.is_hidden();
        writeln!(
            out,
            "  {}{}",
            paint(color, if hidden { "31;1" } else { "1" }, &head),
            if hidden {
                "  ⚠ hidden from readers but still inside the published file"
            } else {
                ""
            }
        )?;
        for f in items {
            n += 1;
            let sev = match f.severity {
                baomi_core::Severity::Block => paint(color, "31;1", "block "),
                baomi_core::Severity::Review => paint(color, "33;1", "review"),
                baomi_core::Severity::Note => "note  ".to_string(),
            };
            writeln!(
                out,
                "  {n:>3}. {sev} {} ({})  {}",
                clean(&f.rule),
                clean(&f.title),
                clean(&f.location.to_string())
            )?;
            let text = match &f.context {
                Some(c) => format!(
                    "{}{}{}",
                    c.before,
                    paint(color, "7", &format!("【{}】", c.matched)),
                    c.after
                ),
                None => format!("preview: {}", paint(color, "7", &clean(&f.preview))),
            };
            writeln!(out, "       {text}")?;
            writeln!(out, "       依据: {}", clean(&f.basis))?;
            if let Some(w) = &f.waived {
                writeln!(
                    out,
                    "       {} #{} by {} on {}: {}",
                    paint(color, "32", "WAIVED"),
                    w.seq,
                    w.signer.display(),
                    format_datetime(&w.recorded_at),
                    clean(&w.waiver.reason)
                )?;
            }
        }
    }
    writeln!(out, "\ndecisions:")?;
    if d.decisions.is_empty() {
        writeln!(out, "  (none yet)")?;
    }
    for x in &d.decisions {
        writeln!(
            out,
            "  #{} {} {}  {} — {}  {}",
            x.seq,
            clean(&x.stage_label),
            clean(&x.decision.stage),
            x.decision.conclusion.label_zh(),
            x.signer.display(),
            format_datetime(&x.recorded_at)
        )?;
        writeln!(out, "      意见: {}", clean(&x.decision.opinion))?;
        if let Some(c) = &x.decision.changes {
            writeln!(out, "      修改要求: {}", clean(c))?;
        }
        if let Some(b) = &x.decision.basis {
            writeln!(out, "      依据: {}", clean(b))?;
        }
    }
    for (x, why) in &d.ignored {
        writeln!(
            out,
            "  (not counted) #{} {} by {}: {}",
            x.seq,
            clean(&x.decision.stage),
            x.signer.display(),
            clean(why)
        )?;
    }
    match d.progress.status.waiting_for(path) {
        Some(st) if s.superseded_by.is_none() => writeln!(
            out,
            "\nnext: stage {} ({}), signed by a key with role {}:\n  baomi review decide {} --stage {} --conclusion publish|publish-after-changes|withhold --opinion … --key FILE",
            clean(&st.id),
            clean(&st.label),
            clean(&st.role),
            &s.sha256[..12],
            clean(&st.id)
        )?,
        _ => {}
    }
    Ok(())
}
