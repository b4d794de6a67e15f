//! baomi's review-form ledger: every review — the machine scan and each
//! person's decision — as a signed, hash-chained entry in SQLite (the
//! embedded default) or PostgreSQL (a `postgres://` URL as the database:
//! many writers on many machines, one chain; see [`store`] and
//! [`Backend`]).
//!
//! * [`Ledger`] opens (creates, migrates, checks) the database and appends
//!   entries; [`Ledger::record_scan`] records a [`baomi_core::DocumentReport`]
//!   exactly once per content hash and rule set.
//! * [`KeyPair`] signs; key files are PKCS#8 / SPKI PEM ([`keys`]).
//! * [`Trust`] says whose keys those are and which review stage each may sign
//!   for ([`trust`]).
//! * [`Ledger::verify`] recomputes every hash and signature and names the
//!   first bad entry; [`Checkpoint`]s and [`InclusionProof`]s (RFC 6962) let
//!   an auditor prove later that nothing was rewritten or removed;
//!   a [`Witness`] cosigns checkpoints (C2SP tlog-cosignature) after
//!   checking each extends the last it saw ([`witness`]).
//! * [`export`] writes JSON Lines, CSV, and a printable HTML review form
//!   per document.
//!
//! Exactly what is signed and hashed is documented in [`entry`].
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! use baomi_ledger::{Conclusion, Decision, KeyPair, Ledger, Role};
//! let ledger = Ledger::open(&dir.path().join("baomi.db")).unwrap();
//! let scanner = KeyPair::generate().unwrap();
//! let sha = "ab".repeat(32); // the document's SHA-256, as `DocumentReport::sha256`
//! let report = baomi_core::DocumentReport::failed("draft.txt", sha.as_str(), "demo");
//! let rec = ledger.record_scan(&report, "rules-v1", &scanner).unwrap();
//! assert!(!rec.duplicate);
//! assert!(ledger.record_scan(&report, "rules-v1", &scanner).unwrap().duplicate);
//!
//! let officer = KeyPair::generate().unwrap();
//! let decision = Decision {
//!     role: Role::SecrecyCommittee,
//!     conclusion: Conclusion::Withhold,
//!     opinion: "含内部资料，不予公开".into(),
//!     changes: None, basis: None,
//!     scan_seq: Some(rec.seq),
//!     title: None, doc_number: None, path: None,
//! };
//! ledger.record_decision(&sha, &decision, &officer).unwrap();
//! assert_eq!(ledger.entries_for_document(&sha).unwrap().len(), 2);
//! assert!(ledger.verify(None).unwrap().ok());
//! ```

pub mod checkpoint;
pub mod checkpoints;
mod copy;
pub mod entry;
mod error;
pub mod export;
pub mod forms;
pub mod index;
pub mod keys;
mod ledger;
pub mod merkle;
pub mod monitor;
mod netfs;
mod pg;
pub mod store;
pub mod trust;
mod verify;
pub mod witness;

pub use checkpoint::{Checkpoint, InclusionProof};
pub use checkpoints::CheckpointDir;
pub use copy::Copied;
pub use entry::{Entry, KIND_REDACTION};
pub use error::{LedgerError, Result};
pub use forms::{Conclusion, Decision, Reason, ScanForm};
pub use index::{DocumentQuery, IndexedDocument, ReviewState};
pub use keys::{
    default_scanner_key, load_private_key, write_key_pair, KeyPair, PublicKey, DEFAULT_SCANNER_KEY,
};
pub use ledger::{Ledger, NewEntry, OpenOptions, Recorded, Unsigned, APPLICATION_ID, DEFAULT_DB};
pub use monitor::{spawn_monitor, spawn_monitor_watching, Health, Integrity, MonitorTimes};
pub use netfs::network_filesystem;
pub use pg::redact as redact_url;
pub use store::{is_postgres_url, local_base, shown, Backend};
pub use trust::{Role, Signer, Trust, TrustWatch};
pub use verify::{
    required_role, CheckpointsChecked, Problem, ProblemKind, VerifyCursor, VerifyReport,
    KIND_REVOCATION, REVOKER_ROLES,
};
pub use witness::{AddCheckpoint, Cosignature, Vkey, Witness, WitnessError};

use base64::Engine as _;

/// "entry 4 was removed" / "entries 4–6 were removed".
pub(crate) fn removed(first: u64, last: u64) -> String {
    if first == last {
        format!("entry {first} was removed")
    } else {
        format!("entries {first}–{last} were removed")
    }
}

/// Lower-case hex of bytes (how hashes and signatures are stored and shown).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Parses exactly `N` bytes of hex (either case).
pub(crate) fn unhex<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != 2 * N {
        return None;
    }
    let val = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = val(text[2 * i])? << 4 | val(text[2 * i + 1])?;
    }
    Some(out)
}

/// Standard base64 (with padding): how public keys appear in trust files
/// and how browsers hand keys and signatures to `baomi serve`.
pub fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes [`b64_encode`]'s form (surrounding blanks ignored).
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

/// Serde helper: fixed-size byte arrays as hex strings.
pub(crate) mod hex_serde {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer, const N: usize>(b: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        d: D,
    ) -> Result<[u8; N], D::Error> {
        let s = String::deserialize(d)?;
        super::unhex::<N>(s.as_bytes())
            .ok_or_else(|| serde::de::Error::custom(format!("expected {} hex digits", 2 * N)))
    }
}
