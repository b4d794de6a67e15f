//! One ledger entry, and exactly which bytes are signed and hashed.
//!
//! ## What is signed
//!
//! The signer signs (Ed25519) the byte string
//!
//! ```text
//! "baomi-ledger-signed-v1\n"
//! || u64be(seq)
//! || field(kind) || field(doc_sha256) || field(recorded_at) || field(payload)
//! || prev_hash                      (32 raw bytes)
//! ```
//!
//! where `field(x)` is `u64be(len(x)) || x` and `payload` is the stored
//! RFC 8785 canonical JSON bytes. Because the signature covers the sequence
//! number and the previous entry's hash, nobody without the signers' keys can
//! delete, reorder or insert entries and then "repair" the chain.
//!
//! ## What is hashed
//!
//! An entry's own hash is SHA-256 over
//!
//! ```text
//! "baomi-ledger-entry-v1\n"
//! || u64be(seq)
//! || field(kind) || field(doc_sha256) || field(recorded_at) || field(payload)
//! || field(key_id) || public_key (32 raw bytes) || signature (64 raw bytes)
//! || prev_hash                      (32 raw bytes)
//! ```
//!
//! The first entry (seq 1) has `prev_hash` = 32 zero bytes. The hashes are
//! also the leaves of the ledger's RFC 6962 Merkle tree (see [`crate::merkle`]).

use crate::keys::KeyPair;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The kind of entry `baomi redact` writes: its document is the publishable
/// copy, its payload names the original's SHA-256 (`original_sha256`), the
/// rule-set fingerprint and every change made (masked previews only).
pub const KIND_REDACTION: &str = "redaction";

/// `prev_hash` of the first entry.
pub const GENESIS_PREV_HASH: [u8; 32] = [0; 32];

const SIGN_DOMAIN: &[u8] = b"baomi-ledger-signed-v1\n";
const HASH_DOMAIN: &[u8] = b"baomi-ledger-entry-v1\n";

/// A recorded entry, as read back from the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, … without gaps.
    pub seq: u64,
    /// `scan`, `decision`, `waiver`, `note`, …
    pub kind: String,
    /// Hex SHA-256 of the document's bytes (empty for an unreadable file).
    pub doc_sha256: String,
    /// The payload, parsed.
    pub payload: serde_json::Value,
    /// The exact canonical bytes that were signed and hashed.
    #[serde(skip)]
    pub payload_bytes: Vec<u8>,
    /// Key id of the signer (16 hex digits).
    pub key_id: String,
    /// The signer's raw Ed25519 public key.
    #[serde(with = "crate::hex_serde")]
    pub public_key: [u8; 32],
    #[serde(with = "crate::hex_serde")]
    pub signature: [u8; 64],
    #[serde(with = "crate::hex_serde")]
    pub prev_hash: [u8; 32],
    #[serde(with = "crate::hex_serde")]
    pub hash: [u8; 32],
    /// When the entry was appended, RFC 3339 UTC (`2026-11-27T11:20:00Z`).
    pub recorded_at: String,
}

impl Entry {
    /// A payload field as a string, if present.
    pub fn payload_str(&self, field: &str) -> Option<&str> {
        self.payload.get(field).and_then(|v| v.as_str())
    }

    /// The entry's hash in hex.
    pub fn hash_hex(&self) -> String {
        crate::hex(&self.hash)
    }

    /// Recomputes what the hash must be from the other fields.
    pub fn computed_hash(&self) -> [u8; 32] {
        entry_hash(
            self.seq,
            &self.kind,
            &self.doc_sha256,
            &self.recorded_at,
            &self.payload_bytes,
            &self.key_id,
            &self.public_key,
            &self.signature,
            &self.prev_hash,
        )
    }

    /// The message the signer signed.
    pub fn signed_message(&self) -> Vec<u8> {
        signed_message(
            self.seq,
            &self.kind,
            &self.doc_sha256,
            &self.recorded_at,
            &self.payload_bytes,
            &self.prev_hash,
        )
    }
}

fn field(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// The bytes an entry's signer signs (see the module docs).
pub fn signed_message(
    seq: u64,
    kind: &str,
    doc_sha256: &str,
    recorded_at: &str,
    payload: &[u8],
    prev_hash: &[u8; 32],
) -> Vec<u8> {
    let mut m = Vec::with_capacity(payload.len() + 200);
    m.extend_from_slice(SIGN_DOMAIN);
    m.extend_from_slice(&seq.to_be_bytes());
    field(&mut m, kind.as_bytes());
    field(&mut m, doc_sha256.as_bytes());
    field(&mut m, recorded_at.as_bytes());
    field(&mut m, payload);
    m.extend_from_slice(prev_hash);
    m
}

/// An entry's own hash (see the module docs).
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    seq: u64,
    kind: &str,
    doc_sha256: &str,
    recorded_at: &str,
    payload: &[u8],
    key_id: &str,
    public_key: &[u8; 32],
    signature: &[u8; 64],
    prev_hash: &[u8; 32],
) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut head = Vec::with_capacity(128);
    head.extend_from_slice(HASH_DOMAIN);
    head.extend_from_slice(&seq.to_be_bytes());
    field(&mut head, kind.as_bytes());
    field(&mut head, doc_sha256.as_bytes());
    field(&mut head, recorded_at.as_bytes());
    head.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    h.update(&head);
    h.update(payload);
    let mut tail = Vec::with_capacity(160);
    field(&mut tail, key_id.as_bytes());
    tail.extend_from_slice(public_key);
    tail.extend_from_slice(signature);
    tail.extend_from_slice(prev_hash);
    h.update(&tail);
    h.finalize().into()
}

/// Builds, signs and hashes a new entry that follows `prev_hash`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal(
    seq: u64,
    kind: &str,
    doc_sha256: &str,
    recorded_at: String,
    payload: serde_json::Value,
    payload_bytes: Vec<u8>,
    prev_hash: [u8; 32],
    key: &KeyPair,
) -> Entry {
    let msg = signed_message(
        seq,
        kind,
        doc_sha256,
        &recorded_at,
        &payload_bytes,
        &prev_hash,
    );
    let signature = key.sign(&msg);
    let mut e = Entry {
        seq,
        kind: kind.to_owned(),
        doc_sha256: doc_sha256.to_owned(),
        payload,
        payload_bytes,
        key_id: key.key_id().to_owned(),
        public_key: key.public_key().to_bytes(),
        signature,
        prev_hash,
        hash: [0; 32],
        recorded_at,
    };
    e.hash = e.computed_hash();
    e
}

/// RFC 8785 canonical bytes of a payload.
pub fn canonical_bytes(payload: &serde_json::Value) -> crate::Result<Vec<u8>> {
    serde_json_canonicalizer::to_vec(payload)
        .map_err(|e| crate::LedgerError::Payload(e.to_string()))
}

/// The current time as RFC 3339 UTC with seconds (`2026-11-27T11:20:00Z`).
pub fn now_rfc3339() -> String {
    baomi_core::time::rfc3339_utc(baomi_core::time::now_unix())
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
pub fn rfc3339_from_unix(secs: u64) -> String {
    baomi_core::time::rfc3339_utc(secs)
}

/// Parses the RFC 3339 UTC form this crate writes (`2026-11-27T11:20:00Z`)
/// back into seconds since the Unix epoch; `None` for anything else.
pub fn unix_from_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days-from-civil (proleptic Gregorian), the inverse of the above.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        for t in [0, 951_782_400, 1_795_778_400, 4_102_444_799, 1_700_000_123] {
            assert_eq!(unix_from_rfc3339(&rfc3339_from_unix(t)), Some(t));
        }
        assert_eq!(unix_from_rfc3339("2026-11-27 11:20:00"), None);
        assert_eq!(unix_from_rfc3339("2026-13-27T11:20:00Z"), None);
    }

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_795_778_400), "2026-11-27T11:20:00Z");
        assert_eq!(rfc3339_from_unix(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn seal_is_verifiable_and_hash_covers_fields() {
        let key = KeyPair::generate().unwrap();
        let payload = serde_json::json!({"b": 1, "a": "机密"});
        let bytes = canonical_bytes(&payload).unwrap();
        assert_eq!(bytes, "{\"a\":\"机密\",\"b\":1}".as_bytes());
        let e = seal(
            1,
            "note",
            "ab",
            "2026-01-01T00:00:00Z".into(),
            payload,
            bytes,
            GENESIS_PREV_HASH,
            &key,
        );
        assert!(key.public_key().verify(&e.signed_message(), &e.signature));
        assert_eq!(e.hash, e.computed_hash());
        let mut f = e.clone();
        f.payload_bytes[3] ^= 1;
        assert_ne!(f.computed_hash(), e.hash);
        assert!(!key.public_key().verify(&f.signed_message(), &f.signature));
        let mut g = e.clone();
        g.seq = 2;
        assert_ne!(g.computed_hash(), e.hash);
    }
}
