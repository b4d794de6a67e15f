//! The ledger side of witnessing: attaching cosignatures to a checkpoint
//! (`baomi ledger add-cosignatures`) and requiring them
//! (`baomi ledger verify --witnesses FILE --min-cosignatures N`).
//!
//! Which checkpoint must be cosigned: every append writes an automatic
//! checkpoint, so the very newest one is almost never witnessed yet. The
//! requirement is therefore on the newest checkpoint in the folder that
//! carries N valid cosignatures: the ledger must extend it (plain `verify`
//! already checks that for every checkpoint in the folder), and the
//! entries after it are reported as not yet witnessed.

use anyhow::Context;
use baomi_ledger::witness::{
    check_cosignatures, parse_witness_list, AddCheckpoint, Cosignature, CosignatureCheck,
};
use baomi_ledger::{Checkpoint, Ledger};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A checkpoint file with the witnesses (name, time) that validly cosigned it.
type Found = (Checkpoint, PathBuf, Vec<(String, u64)>);

/// `baomi ledger add-cosignatures --request REQ COSIG…`.
pub fn add_cosignatures(
    db: &Path,
    request: &Path,
    cosignatures: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let ledger = Ledger::open_existing(db)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(db)))?;
    let text = std::fs::read_to_string(request)
        .with_context(|| format!("cannot read {}", request.display()))?;
    let req = AddCheckpoint::parse(&text)
        .with_context(|| format!("{} is not an add-checkpoint request", request.display()))?;
    let mut cp = req.checkpoint;
    anyhow::ensure!(
        cp.origin == ledger.origin(),
        "the request {} is for {}, this ledger is {}",
        request.display(),
        cp.origin,
        ledger.origin()
    );
    let mut added = 0;
    for f in cosignatures {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let c = Cosignature::parse_line(line)
                .map_err(|e| anyhow::anyhow!("{}: not a cosignature line: {e}", f.display()))?;
            let present = cp
                .signatures
                .iter()
                .filter_map(Cosignature::from_note_signature)
                .any(|x| x == c);
            if !present {
                cp = Checkpoint::parse(&format!("{}{}", cp.to_text(), c.to_line()))?;
                added += 1;
            }
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let saved = ledger.checkpoint_dir().write_cosigned(&cp, now)?;
    println!(
        "checkpoint of {} entries with {added} cosignature(s) saved in {}",
        cp.size,
        saved.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// After a successful `verify`: the newest checkpoint with at least `min`
/// valid cosignatures from the witness list, or exit 1 naming what is
/// missing.
pub fn require_cosignatures(db: &Path, list: &Path, min: usize) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(list)
        .with_context(|| format!("cannot read the witness list {}", list.display()))?;
    let witnesses =
        parse_witness_list(&text).map_err(|e| anyhow::anyhow!("{}: {e}", list.display()))?;
    anyhow::ensure!(
        min >= 1,
        "--min-cosignatures 0 would require nothing; give 1 or more"
    );
    anyhow::ensure!(
        witnesses.len() >= min,
        "the witness list {} names {} witness(es), fewer than --min-cosignatures {min}",
        list.display(),
        witnesses.len()
    );
    let ledger = Ledger::open_existing(db)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(db)))?;
    let origin = ledger.origin();
    let total = ledger.len()?;
    let dir = ledger.checkpoint_dir();
    let mut best: Option<Found> = None;
    // The newest checkpoint that carries any line from a listed witness,
    // to say what is wrong with it when none is enough.
    let mut closest: Option<(Checkpoint, PathBuf, CosignatureCheck)> = None;
    for f in dir.list()? {
        let Ok(cp) = f.checkpoint else { continue };
        if cp.origin != origin {
            continue;
        }
        let check = check_cosignatures(&cp, &witnesses);
        if check.valid.len() >= min {
            if best.as_ref().is_none_or(|(b, _, _)| cp.size >= b.size) {
                best = Some((cp, f.path, check.valid));
            }
        } else if check.missing.len() < witnesses.len()
            && closest.as_ref().is_none_or(|(c, _, _)| cp.size >= c.size)
        {
            closest = Some((cp, f.path, check));
        }
    }
    match best {
        Some((cp, path, valid)) => {
            let names: Vec<String> = valid
                .iter()
                .map(|(n, t)| format!("{n} (time {t})"))
                .collect();
            println!(
                "OK: checkpoint of {} entries ({}) is cosigned by {} of the witnesses in {} (at least {min} required): {}",
                cp.size,
                path.display(),
                valid.len(),
                list.display(),
                names.join(", ")
            );
            if total > cp.size {
                let which = if total == cp.size + 1 {
                    format!("entry {total} is")
                } else {
                    format!("entries {}–{total} are", cp.size + 1)
                };
                println!(
                    "note: {which} not witnessed yet; `baomi ledger consistency {}` makes the next request",
                    cp.size
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!(
                "BAD: no checkpoint in {} carries {min} valid cosignature(s) from the witnesses in {}",
                dir.path().display(),
                list.display()
            );
            match closest {
                Some((cp, path, check)) => {
                    println!(
                        "the newest cosigned checkpoint, {} entries ({}), has {} valid:",
                        cp.size,
                        path.display(),
                        check.valid.len()
                    );
                    for (n, _) in &check.valid {
                        println!("  witness {n}: valid cosignature");
                    }
                    for n in &check.invalid {
                        println!("  witness {n}: its cosignature does NOT verify (forged, or the checkpoint was altered)");
                    }
                    for n in &check.missing {
                        println!("  witness {n}: no cosignature");
                    }
                }
                None => {
                    let names: Vec<&str> = witnesses.iter().map(|w| w.name.as_str()).collect();
                    println!(
                        "no checkpoint of {origin} carries a cosignature line from any of: {}; get them with `baomi ledger consistency`, `baomi witness cosign`, `baomi ledger add-cosignatures`",
                        names.join(", ")
                    );
                }
            }
            Ok(ExitCode::from(1))
        }
    }
}
