//! Verification: recompute every hash and signature, check the chain and
//! the signers' roles, and name the first bad entry.

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, GENESIS_PREV_HASH};
use crate::error::Result;
use crate::keys::{key_id_of, PublicKey};
use crate::ledger::{Ledger, RawRow};
use crate::merkle;
use crate::trust::{Role, Trust};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Why an entry is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A sequence number is missing or repeated: an entry was deleted or
    /// moved.
    SequenceGap,
    /// A column cannot be read at all (not hex, payload not JSON, …).
    Malformed,
    /// The stored hash no longer matches the entry's fields: its payload (or
    /// kind, document, time, seq) was changed after it was recorded.
    ContentChanged,
    /// `prev_hash` is not the previous entry's hash: entries were removed,
    /// inserted or reordered.
    ChainBroken,
    /// The key id does not belong to the stored public key.
    KeyMismatch,
    /// The Ed25519 signature does not verify: the entry was altered and its
    /// hash recomputed, or it was never signed by that key.
    SignatureInvalid,
    /// The signing key is not in the trust file (or its public key differs).
    UnknownKey,
    /// The signer's key may not sign for the role this entry needs.
    RoleNotAllowed,
    /// The signing key was revoked (`baomi key revoke`) by an earlier
    /// entry.
    KeyRevoked,
    /// The ledger has fewer entries than a checkpoint it must extend.
    Truncated,
    /// The first N entries no longer hash to the checkpoint's root, or the
    /// checkpoint is not this ledger's or its signature is bad.
    HeadMismatch,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::SequenceGap => "sequence gap",
            ProblemKind::Malformed => "malformed entry",
            ProblemKind::ContentChanged => "content changed",
            ProblemKind::ChainBroken => "chain broken",
            ProblemKind::KeyMismatch => "key id mismatch",
            ProblemKind::SignatureInvalid => "signature invalid",
            ProblemKind::UnknownKey => "unknown key",
            ProblemKind::RoleNotAllowed => "role not allowed",
            ProblemKind::KeyRevoked => "key revoked",
            ProblemKind::Truncated => "truncated",
            ProblemKind::HeadMismatch => "does not extend checkpoint",
        }
    }
}

/// The first bad entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The entry's sequence number; for `Truncated`, the first entry the
    /// checkpoint has and the ledger lacks (ledger size + 1); for
    /// `HeadMismatch`, the checkpoint's tree size.
    pub seq: u64,
    pub kind: ProblemKind,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {}: {}: {}",
            self.seq,
            self.kind.as_str(),
            self.detail
        )
    }
}

/// The outcome of [`Ledger::verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Entries in the ledger.
    pub total: u64,
    /// Entries checked and found good (all of them when `problem` is None).
    pub verified: u64,
    /// The first bad entry.
    pub problem: Option<Problem>,
    /// Whether signers and roles were checked against a trust file.
    pub trust_checked: bool,
    /// Entries per signing key id.
    pub signers: BTreeMap<String, u64>,
    /// Things worth knowing that do not make the ledger bad.
    pub warnings: Vec<String>,
    /// Merkle root over all entries (base64), when the ledger is good.
    pub root: Option<String>,
    /// What the automatic checkpoint folder held and how it was checked.
    pub checkpoints: Option<CheckpointsChecked>,
}

/// The checkpoint folder's part in a verification.
#[derive(Debug, Clone, Serialize)]
pub struct CheckpointsChecked {
    pub dir: String,
    /// Checkpoint files found (and checked, up to the first problem).
    pub found: usize,
    /// The largest tree size among them: the ledger extends it.
    pub newest_size: Option<u64>,
}

impl VerifyReport {
    /// True when every entry is good.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

/// The kind of entry that revokes a key (`baomi key revoke`): its payload
/// names the `key_id`; entries that key signs after it fail verification.
/// Signed by the office's scanner key or a secrecy-committee key (those
/// who keep the server and the trust file).
pub const KIND_REVOCATION: &str = "revocation";

/// Who may sign a revocation.
pub const REVOKER_ROLES: [Role; 2] = [Role::Scanner, Role::SecrecyCommittee];

/// The role an entry's signer must hold: `scan` → scanner; `decision` →
/// the payload's `role`; `waiver` → secrecy-committee; other kinds → any
/// trusted signer (`Ok(None)`). `Err` when a decision names no valid role.
pub fn required_role(entry: &Entry) -> Result<Option<Role>, String> {
    match entry.kind.as_str() {
        "scan" => Ok(Some(Role::Scanner)),
        "waiver" => Ok(Some(Role::SecrecyCommittee)),
        "decision" => {
            let r = entry
                .payload_str("role")
                .ok_or("decision payload has no `role`")?;
            r.parse::<Role>().map(Some)
        }
        _ => Ok(None),
    }
}

/// Checks done in order, without the signature; `hash_ok` says whether the
/// stored hash matches the recomputed one (computed on a worker thread).
fn structural(
    e: &Entry,
    hash_ok: bool,
    expected_seq: u64,
    prev: &[u8; 32],
) -> Option<(ProblemKind, String)> {
    if e.seq != expected_seq {
        return Some((
            ProblemKind::SequenceGap,
            if e.seq > expected_seq {
                format!(
                    "expected entry {expected_seq} next, found {}: entries are missing",
                    e.seq
                )
            } else {
                format!("expected entry {expected_seq} next, found {} again", e.seq)
            },
        ));
    }
    if !hash_ok {
        return Some((
            ProblemKind::ContentChanged,
            "its stored hash does not match its contents: the payload (or kind, document, time) was changed after it was recorded".into(),
        ));
    }
    if e.prev_hash != *prev {
        return Some((
            ProblemKind::ChainBroken,
            if expected_seq == 1 {
                "the first entry does not start the chain (prev_hash is not zero)".into()
            } else {
                format!(
                    "prev_hash does not match entry {}'s hash: entries were removed, inserted or reordered",
                    expected_seq - 1
                )
            },
        ));
    }
    if key_id_of(&e.public_key) != e.key_id {
        return Some((
            ProblemKind::KeyMismatch,
            format!(
                "key id {} does not belong to the stored public key",
                e.key_id
            ),
        ));
    }
    None
}

fn authority(e: &Entry, trust: &Trust) -> Option<(ProblemKind, String)> {
    let Some(signer) = trust.signer(&e.key_id) else {
        return Some((
            ProblemKind::UnknownKey,
            format!("signed by key {}, which is not in the trust file", e.key_id),
        ));
    };
    if let Some(pk) = &signer.public_key {
        if crate::b64_decode(pk).as_deref() != Some(&e.public_key[..]) {
            return Some((
                ProblemKind::UnknownKey,
                format!(
                    "key {} carries a public key other than the trust file's",
                    e.key_id
                ),
            ));
        }
    }
    if e.kind == KIND_REVOCATION {
        if e.payload_str("key_id").is_none_or(|k| k.len() != 16) {
            return Some((
                ProblemKind::Malformed,
                "a revocation must name the `key_id` it revokes".into(),
            ));
        }
        return (!signer.roles.iter().any(|r| REVOKER_ROLES.contains(r))).then(|| {
            (
                ProblemKind::RoleNotAllowed,
                format!(
                    "a revocation must be signed by the scanner key or a secrecy-committee key, not by {} ({})",
                    signer.name, e.key_id
                ),
            )
        });
    }
    match required_role(e) {
        Err(why) => Some((ProblemKind::RoleNotAllowed, why)),
        Ok(None) if signer.roles.is_empty() => Some((
            ProblemKind::RoleNotAllowed,
            format!(
                "{} ({}) has no roles in the trust file",
                signer.name, e.key_id
            ),
        )),
        Ok(None) => None,
        Ok(Some(role)) if signer.roles.contains(&role) => None,
        Ok(Some(role)) => Some((
            ProblemKind::RoleNotAllowed,
            format!(
                "{} entry needs role {role}, but {} ({}) may sign only for {}",
                e.kind,
                signer.name,
                e.key_id,
                if signer.roles.is_empty() {
                    "nothing".to_string()
                } else {
                    signer
                        .roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )),
    }
}

/// An entry parsed and checked on a worker thread: everything that does not
/// depend on the entries before it.
struct Checked {
    seq: u64,
    entry: Result<Entry, String>,
    hash_ok: bool,
    sig_ok: bool,
}

/// Parses rows and checks their hashes and signatures on all cores (the
/// Ed25519 verification dominates); results keep the rows' order.
fn check_chunk(rows: Vec<RawRow>, threads: usize) -> Vec<Checked> {
    let threads = threads.max(1);
    let per = rows.len().div_ceil(threads).max(256);
    let mut parts: Vec<Vec<RawRow>> = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        parts.push(rows.by_ref().take(per).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                s.spawn(move || {
                    let mut keys: HashMap<[u8; 32], Option<PublicKey>> = HashMap::new();
                    part.into_iter()
                        .map(|raw| {
                            let seq = raw.seq.max(0) as u64;
                            // Only decisions need their payload parsed (for the role).
                            let entry = raw
                                .parse_with(|kind| kind == "decision" || kind == KIND_REVOCATION);
                            let (hash_ok, sig_ok) = match &entry {
                                Ok(e) => {
                                    let key = keys
                                        .entry(e.public_key)
                                        .or_insert_with(|| PublicKey::from_bytes(&e.public_key));
                                    let sig_ok = key.as_ref().is_some_and(|k| {
                                        k.verify(&e.signed_message(), &e.signature)
                                    });
                                    (e.computed_hash() == e.hash, sig_ok)
                                }
                                Err(_) => (false, false),
                            };
                            Checked {
                                seq,
                                entry,
                                hash_ok,
                                sig_ok,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

const CHUNK: usize = 8192;

/// One checked row in its place in the chain: the entry, or the first
/// problem with it (malformed, out of sequence, changed, unlinked, badly
/// signed, or — with a trust file — not the signer's to sign, or signed
/// by a key an earlier entry revoked, which `revoked` collects).
fn in_chain(
    c: Checked,
    expected_seq: u64,
    prev: &[u8; 32],
    trust: Option<&Trust>,
    revoked: &mut HashMap<String, u64>,
) -> Result<Entry, Problem> {
    let e = c.entry.map_err(|detail| Problem {
        seq: c.seq,
        kind: ProblemKind::Malformed,
        detail,
    })?;
    let found = structural(&e, c.hash_ok, expected_seq, prev)
        .or_else(|| {
            (!c.sig_ok).then(|| {
                (
                    ProblemKind::SignatureInvalid,
                    format!("the signature by key {} does not verify", e.key_id),
                )
            })
        })
        .or_else(|| trust.and_then(|t| authority(&e, t)))
        .or_else(|| {
            let at = *revoked.get(&e.key_id)?;
            (trust.is_some()).then(|| {
                (
                    ProblemKind::KeyRevoked,
                    format!("signed by key {} after entry {at} revoked it", e.key_id),
                )
            })
        });
    match found {
        Some((kind, detail)) => Err(Problem {
            seq: e.seq,
            kind,
            detail,
        }),
        None => {
            if trust.is_some() && e.kind == KIND_REVOCATION {
                if let Some(k) = e.payload_str("key_id") {
                    revoked.entry(k.to_ascii_lowercase()).or_insert(e.seq);
                }
            }
            Ok(e)
        }
    }
}

impl Ledger {
    /// Verifies the whole ledger: sequence, hashes, chain, signatures, and —
    /// with a trust file — that every signer is known and holds the role the
    /// entry needs. Stops at the first bad entry.
    pub fn verify(&self, trust: Option<&Trust>) -> Result<VerifyReport> {
        self.verify_with(trust, None)
    }

    /// [`verify`](Self::verify), and also that the ledger still extends
    /// `expect` (its first `expect.size` entries hash to its root).
    pub fn verify_with(
        &self,
        trust: Option<&Trust>,
        expect: Option<&Checkpoint>,
    ) -> Result<VerifyReport> {
        let mut report = VerifyReport {
            total: 0,
            verified: 0,
            problem: None,
            trust_checked: trust.is_some(),
            signers: BTreeMap::new(),
            warnings: Vec::new(),
            root: None,
            checkpoints: None,
        };
        let mut prev = GENESIS_PREV_HASH;
        let mut expected = 1u64;
        let mut hashes: Vec<merkle::Hash> = Vec::new();
        let mut chunk: Vec<RawRow> = Vec::with_capacity(CHUNK);
        let mut problem: Option<Problem> = None;
        let mut revoked: HashMap<String, u64> = HashMap::new();

        // Sequential part: order, chain links, key ids, trust — cheap.
        let mut flush = |chunk: &mut Vec<RawRow>,
                         prev: &mut [u8; 32],
                         expected: &mut u64,
                         hashes: &mut Vec<merkle::Hash>,
                         report: &mut VerifyReport|
         -> Option<Problem> {
            for c in check_chunk(std::mem::take(chunk), self.verify_threads()) {
                let e = match in_chain(c, *expected, prev, trust, &mut revoked) {
                    Ok(e) => e,
                    Err(p) => return Some(p),
                };
                *prev = e.hash;
                *expected += 1;
                hashes.push(e.hash);
                report.verified += 1;
                *report.signers.entry(e.key_id).or_default() += 1;
            }
            None
        };

        self.for_each_raw(|raw| {
            report.total += 1;
            if problem.is_some() {
                return Ok(true); // keep counting
            }
            chunk.push(raw);
            if chunk.len() >= CHUNK {
                problem = flush(
                    &mut chunk,
                    &mut prev,
                    &mut expected,
                    &mut hashes,
                    &mut report,
                );
            }
            Ok(true)
        })?;
        if problem.is_none() {
            problem = flush(
                &mut chunk,
                &mut prev,
                &mut expected,
                &mut hashes,
                &mut report,
            );
        }

        if problem.is_none() {
            if let Some(cp) = expect {
                problem = self.check_head(cp, &hashes, &mut report.warnings);
            }
        }
        if problem.is_none() {
            problem = self.check_folder(&hashes, trust, &mut report);
        }
        if problem.is_none() {
            report.root = Some(crate::b64_encode(&merkle::root(&hashes)));
        }
        if trust.is_none() {
            report
                .warnings
                .push("no trust file: signatures were checked, but not whose keys they are or their roles".into());
        }
        report.problem = problem;
        Ok(report)
    }

    fn check_head(
        &self,
        cp: &Checkpoint,
        hashes: &[merkle::Hash],
        warnings: &mut Vec<String>,
    ) -> Option<Problem> {
        let bad = |kind, detail: String| {
            Some(Problem {
                seq: cp.size,
                kind,
                detail,
            })
        };
        if cp.origin != self.origin() {
            return bad(
                ProblemKind::HeadMismatch,
                format!(
                    "the checkpoint is for {}, this ledger is {}",
                    cp.origin,
                    self.origin()
                ),
            );
        }
        let have = hashes.len() as u64;
        if have < cp.size {
            let first_missing = have + 1;
            let removed = crate::removed(first_missing, cp.size);
            return Some(Problem {
                seq: first_missing,
                kind: ProblemKind::Truncated,
                detail: format!(
                    "the checkpoint has {} entries but the ledger only {have}: {removed}",
                    cp.size
                ),
            });
        }
        if merkle::root(&hashes[..cp.size as usize]) != cp.root {
            return bad(
                ProblemKind::HeadMismatch,
                format!("the first {} entries no longer hash to the checkpoint's root: they were rewritten", cp.size),
            );
        }
        // The checkpoint's signature: by a key whose public key the ledger holds.
        let mut checked = false;
        for name in cp.signer_names() {
            if let Ok(Some(pk)) = self.public_key_of(name) {
                match cp.verify_signature(&pk) {
                    Some(true) => checked = true,
                    Some(false) => {
                        return bad(
                            ProblemKind::HeadMismatch,
                            format!("the checkpoint's signature by {name} does not verify"),
                        )
                    }
                    None => {}
                }
            }
        }
        if !checked {
            warnings.push("the checkpoint's signature was not checked: its key signed no entry in this ledger".into());
        }
        None
    }

    /// The public key of a key id that signed some entry.
    pub fn public_key_of(&self, key_id: &str) -> Result<Option<PublicKey>> {
        let pk: Option<String> = self
            .db()
            .query_row(
                "SELECT public_key FROM entries WHERE key_id = ?1 LIMIT 1",
                &[key_id.into()],
            )?
            .and_then(|r| r.first().and_then(|v| v.text()));
        Ok(pk
            .and_then(|h| crate::unhex::<32>(h.as_bytes()))
            .and_then(|b| PublicKey::from_bytes(&b))
            .filter(|k| k.key_id() == key_id))
    }
}

/// Where an incremental verification stands: entries `1..=verified` were
/// found good, the last of them hashing to `prev_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyCursor {
    pub verified: u64,
    pub prev_hash: [u8; 32],
    /// Keys revoked by entries up to `verified`: key id → revoking entry.
    pub revoked: HashMap<String, u64>,
}

impl Default for VerifyCursor {
    fn default() -> Self {
        VerifyCursor {
            verified: 0,
            prev_hash: GENESIS_PREV_HASH,
            revoked: HashMap::new(),
        }
    }
}

impl Ledger {
    /// Checks the ledger against every checkpoint in its checkpoint folder:
    /// same ledger (origin), at least as many entries (else truncated or
    /// rolled back), the same root over the first `size` entries (else
    /// rewritten), and signed by a known key (with a trust file: a listed
    /// signer; without: a key that signed entries here). No checkpoint at
    /// all is a warning: truncation then cannot be seen.
    fn check_folder(
        &self,
        hashes: &[merkle::Hash],
        trust: Option<&Trust>,
        report: &mut VerifyReport,
    ) -> Option<Problem> {
        let dir = self.checkpoint_dir();
        let found = match dir.list() {
            Ok(f) => f,
            Err(e) => {
                report
                    .warnings
                    .push(format!("the checkpoint folder cannot be read: {e}"));
                return None;
            }
        };
        let mut checked = CheckpointsChecked {
            dir: dir.path().display().to_string(),
            found: found.len(),
            newest_size: None,
        };
        if found.is_empty() && !hashes.is_empty() {
            report.warnings.push(format!(
                "no checkpoint in {}: entries cut off the end, or a rollback to an older copy, cannot be detected; \
                 every append writes one, and `baomi ledger head` writes one now",
                dir.path().display()
            ));
        }
        let have = hashes.len() as u64;
        let bad = |seq, kind, detail: String| Some(Problem { seq, kind, detail });
        let mut wanted: Vec<(u64, usize)> = Vec::new();
        for (i, f) in found.iter().enumerate() {
            let name = f.path.display();
            let cp = match &f.checkpoint {
                Ok(cp) => cp,
                Err(why) => {
                    // A torn write (power cut) or junk: it proves nothing
                    // either way, so it is reported, not held against the
                    // ledger; the other checkpoints still count.
                    report.warnings.push(format!(
                        "checkpoint {name} cannot be read as a checkpoint ({why}); it was not used"
                    ));
                    continue;
                }
            };
            if cp.origin != self.origin() {
                return bad(
                    have,
                    ProblemKind::HeadMismatch,
                    format!(
                        "checkpoint {name} is of {}, but this database is {}: the ledger was replaced by another one",
                        cp.origin,
                        self.origin()
                    ),
                );
            }
            if cp.size > have {
                let first = have + 1;
                return bad(
                    first,
                    ProblemKind::Truncated,
                    format!(
                        "checkpoint {name} has {} entries but the ledger only {have}: {}, or the file was rolled back to an older copy",
                        cp.size,
                        crate::removed(first, cp.size)
                    ),
                );
            }
            if let Err(detail) = self.checkpoint_signed_by_known_key(cp, trust) {
                return bad(
                    cp.size,
                    ProblemKind::HeadMismatch,
                    format!("checkpoint {name}: {detail}"),
                );
            }
            wanted.push((cp.size, i));
            checked.newest_size = checked.newest_size.max(Some(cp.size));
        }
        // Every root in one pass over the hashes.
        wanted.sort();
        let mut frontier = merkle::Frontier::default();
        let mut next = wanted.iter().peekable();
        let mut compare = |frontier: &merkle::Frontier| -> Option<Problem> {
            while let Some(&&(size, i)) = next.peek() {
                if size != frontier.size() {
                    break;
                }
                next.next();
                let cp = found[i].checkpoint.as_ref().ok()?;
                if cp.root != frontier.root() {
                    return Some(Problem {
                        seq: size,
                        kind: ProblemKind::HeadMismatch,
                        detail: format!(
                            "the first {size} entries no longer hash to the root of checkpoint {}: they were rewritten",
                            found[i].path.display()
                        ),
                    });
                }
            }
            None
        };
        if let Some(p) = compare(&frontier) {
            return Some(p);
        }
        for h in hashes {
            frontier.push(h);
            if let Some(p) = compare(&frontier) {
                return Some(p);
            }
        }
        report.checkpoints = Some(checked);
        None
    }

    /// `Ok` when some signature on `cp` verifies with a key that counts.
    fn checkpoint_signed_by_known_key(
        &self,
        cp: &Checkpoint,
        trust: Option<&Trust>,
    ) -> Result<(), String> {
        for name in cp.signer_names() {
            let key = match trust {
                Some(t) => match t.signer(name) {
                    Some(s) => s.key().or_else(|| self.public_key_of(name).ok().flatten()),
                    None => None,
                },
                None => self.public_key_of(name).ok().flatten(),
            };
            if let Some(k) = key {
                return match cp.verify_signature(&k) {
                    Some(true) => Ok(()),
                    _ => Err(format!("its signature by {name} does not verify")),
                };
            }
        }
        let names: Vec<&str> = cp.signer_names().collect();
        Err(format!(
            "it is signed by {}, {}",
            if names.is_empty() {
                "nobody".to_string()
            } else {
                names.join(", ")
            },
            if trust.is_some() {
                "a key the trust file does not list"
            } else {
                "a key that signed no entry of this ledger"
            }
        ))
    }

    /// Verifies the entries after `cursor` (as [`Ledger::verify`] does, for
    /// a long-running process that checked the start already) and returns
    /// the new cursor, or the first problem.
    pub fn verify_after(
        &self,
        trust: Option<&Trust>,
        cursor: VerifyCursor,
    ) -> Result<Result<VerifyCursor, Problem>> {
        let rows = self.raw_rows_after(cursor.verified)?;
        let start = cursor.verified;
        let mut cur = cursor;
        for c in check_chunk(rows, self.verify_threads()) {
            let e = match in_chain(c, cur.verified + 1, &cur.prev_hash, trust, &mut cur.revoked) {
                Ok(e) => e,
                Err(p) => return Ok(Err(p)),
            };
            cur.verified = e.seq;
            cur.prev_hash = e.hash;
        }
        // Fewer entries than already verified: cut off under us.
        if cur.verified == start && self.len()? < start {
            let have = self.len()?;
            return Ok(Err(Problem {
                seq: have + 1,
                kind: ProblemKind::Truncated,
                detail: format!(
                    "{start} entries were verified earlier, the ledger now holds {have}: entries were removed"
                ),
            }));
        }
        Ok(Ok(cur))
    }
}

#[cfg(test)]
mod tests {
    use crate::trust::Signer;
    use crate::{KeyPair, Ledger, LedgerError, ProblemKind, Role, Trust};

    fn trust(keys: &[(&KeyPair, Role)]) -> Trust {
        let mut t = Trust::default();
        for (k, r) in keys {
            t.insert(Signer {
                key_id: k.key_id().into(),
                name: format!("{r}"),
                roles: vec![*r],
                public_key: Some(k.public_key().to_base64()),
            });
        }
        t
    }

    #[test]
    fn entries_signed_elsewhere_and_revocations() {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(&dir.path().join("b.db")).unwrap();
        let admin = KeyPair::generate().unwrap();
        let reviewer = KeyPair::generate().unwrap();
        let other = KeyPair::generate().unwrap();
        let sha = "ab".repeat(32);
        let d = serde_json::json!({"role": "department", "conclusion": "publish", "opinion": "好"});

        // Signed "in the browser": over exactly the prepared message.
        let u = l.prepare_unsigned("decision", &sha, d.clone()).unwrap();
        let bad = other.sign(&u.signed_message());
        assert!(matches!(
            l.append_signed(&u, reviewer.public_key(), &bad, Some(&admin)),
            Err(LedgerError::BadSignature { .. })
        ));
        assert_eq!(l.len().unwrap(), 0);
        let sig = reviewer.sign(&u.signed_message());
        let e = l
            .append_signed(&u, reviewer.public_key(), &sig, Some(&admin))
            .unwrap();
        assert_eq!((e.seq, e.key_id.as_str()), (1, reviewer.key_id()));
        // The same signature again: the ledger moved on, nothing written.
        assert!(matches!(
            l.append_signed(&u, reviewer.public_key(), &sig, Some(&admin)),
            Err(LedgerError::Moved {
                expected: 1,
                now: 1
            })
        ));
        assert_eq!(l.len().unwrap(), 1);

        let t = trust(&[(&admin, Role::Scanner), (&reviewer, Role::Department)]);
        assert!(l.verify(Some(&t)).unwrap().ok());
        l.append(
            super::KIND_REVOCATION,
            "",
            serde_json::json!({"key_id": reviewer.key_id(), "reason": "lost"}),
            &admin,
        )
        .unwrap();
        assert_eq!(l.revocations().unwrap().get(reviewer.key_id()), Some(&2));
        assert!(
            l.verify(Some(&t)).unwrap().ok(),
            "earlier decisions stay good"
        );
        let u = l.prepare_unsigned("decision", &sha, d).unwrap();
        let sig = reviewer.sign(&u.signed_message());
        l.append_signed(&u, reviewer.public_key(), &sig, Some(&admin))
            .unwrap();
        let p = l.verify(Some(&t)).unwrap().problem.unwrap();
        assert_eq!((p.seq, p.kind), (3, ProblemKind::KeyRevoked));
        // The monitor's incremental check agrees.
        let cur = crate::VerifyCursor::default();
        let p = l.verify_after(Some(&t), cur).unwrap().unwrap_err();
        assert_eq!(p.kind, ProblemKind::KeyRevoked);
        // A reviewer may not revoke.
        let t2 = trust(&[(&admin, Role::Department), (&reviewer, Role::Department)]);
        let p = l.verify(Some(&t2)).unwrap().problem.unwrap();
        assert_eq!((p.seq, p.kind), (2, ProblemKind::RoleNotAllowed));
    }
}
