//! `baomi ledger copy`: a ledger copied verbatim into another database
//! (SQLite → PostgreSQL to move an office onto a shared server, or back),
//! with the same entries, hashes, signatures and ledger id — so the same
//! checkpoints, inclusion proofs and witness cosignatures hold for the copy.

use crate::error::{LedgerError, Result};
use crate::ledger::{insert_row, Ledger, RawRow};
use crate::store::{Arg, Tx};

/// What [`Ledger::copy_into`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// Entries copied.
    pub entries: u64,
    /// Checkpoint files copied into the destination's checkpoint folder.
    pub checkpoints: u64,
}

impl Ledger {
    /// Copies every entry of this ledger, as stored, into `dest`, which
    /// must be empty; `dest` takes this ledger's id (its checkpoint
    /// origin). All in one transaction: a failure leaves `dest` empty.
    /// The checkpoint files of this ledger's folder are copied into
    /// `dest`'s folder too. Entries are checked (hash, signature) while
    /// copied: a ledger that does not verify is not copied. Reopen `dest`
    /// afterwards (its id changed) and verify it.
    pub fn copy_into(&self, dest: &Ledger) -> Result<Copied> {
        let refuse = |detail: String| LedgerError::Database {
            target: dest.display_name().display().to_string(),
            detail,
        };
        if dest.ledger_id() == self.ledger_id() && dest.display_name() == self.display_name() {
            return Err(refuse(
                "the source and the destination are the same ledger".into(),
            ));
        }
        let tx = Tx::begin(dest.db(), true)?;
        let present = tx.db().query_int("SELECT count(*) FROM entries", &[])?;
        if present > 0 {
            return Err(refuse(format!(
                "it already holds {present} entries; copy only into an empty ledger (a new database, or a new file)"
            )));
        }
        tx.db().execute(
            "UPDATE meta SET value = ?1 WHERE key = 'ledger_id'",
            &[Arg::Text(self.ledger_id())],
        )?;
        let mut n = 0u64;
        let mut prev = crate::entry::GENESIS_PREV_HASH;
        let mut failed = None;
        self.for_each_raw(|raw: RawRow| {
            let seq = raw.seq.max(0) as u64;
            let e = match raw.parse() {
                Ok(e) => e,
                Err(detail) => {
                    failed = Some(LedgerError::Malformed { seq, detail });
                    return Ok(false);
                }
            };
            if e.seq != n + 1 || e.prev_hash != prev {
                failed = Some(LedgerError::EntryInvalid {
                    path: self.display_name().to_owned(),
                    seq: e.seq,
                    detail: "it does not follow the entry before it; nothing was copied".into(),
                });
                return Ok(false);
            }
            if let Err(err) = self.check_entry(&e) {
                failed = Some(err);
                return Ok(false);
            }
            insert_row(tx.db(), &e)?;
            prev = e.hash;
            n += 1;
            Ok(true)
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        crate::index::catch_up(tx.db())?;
        tx.commit()?;
        let checkpoints = self.copy_checkpoint_files(dest)?;
        Ok(Copied {
            entries: n,
            checkpoints,
        })
    }

    fn copy_checkpoint_files(&self, dest: &Ledger) -> Result<u64> {
        let from = self.checkpoint_dir().path();
        let to = dest.checkpoint_dir().path();
        if from == to {
            return Ok(0);
        }
        let rd = match std::fs::read_dir(from) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(LedgerError::io(from, e)),
        };
        std::fs::create_dir_all(to).map_err(|e| LedgerError::io(to, e))?;
        let mut n = 0;
        for de in rd {
            let de = de.map_err(|e| LedgerError::io(from, e))?;
            let name = de.file_name();
            let s = name.to_string_lossy();
            if s.starts_with('.') || !s.ends_with(".checkpoint") {
                continue;
            }
            let target = to.join(&name);
            if target.exists() {
                continue;
            }
            std::fs::copy(de.path(), &target).map_err(|e| LedgerError::io(&target, e))?;
            n += 1;
        }
        Ok(n)
    }
}
