//! Signed checkpoints (C2SP `tlog-checkpoint` in a C2SP `signed-note`) and
//! RFC 6962 inclusion proofs.
//!
//! A checkpoint is
//!
//! ```text
//! baomi.ledger/5f0c2e9a1b3d4c6e        ← origin: names the ledger
//! 42                                   ← tree size: number of entries
//! qK0n…base64 RFC 6962 root…=          ← Merkle root over the entry hashes
//!
//! — 3f2a9c0d11e4b7a8 AbCd…base64…      ← signature line(s)
//! ```
//!
//! The signature line is `— NAME BASE64(key_hash || signature)`, where NAME
//! is the signing key's id, `key_hash` is the first 4 bytes of
//! `SHA-256(NAME || "\n" || 0x01 || public_key)` (signed-note's Ed25519
//! type), and the Ed25519 signature covers the text above the blank line
//! (the three lines, each ending in a newline). Keep a checkpoint somewhere
//! the database's writers cannot reach; `baomi ledger verify --expect-head
//! FILE` later proves the ledger still extends it (nothing was rewritten,
//! removed or truncated).

use crate::error::{LedgerError, Result};
use crate::keys::{KeyPair, PublicKey};
use crate::merkle::{self, Hash};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const DASH: &str = "\u{2014} ";

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: [u8; 4],
    pub signature: Vec<u8>,
}

/// A parsed or freshly signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub signatures: Vec<NoteSignature>,
}

fn key_hash(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([0x01]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

impl Checkpoint {
    /// The signed text: origin, size and root, each on its own line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            crate::b64_encode(&self.root)
        )
    }

    /// A checkpoint signed by `key` (its key id is the signature name).
    pub fn sign(origin: String, size: u64, root: Hash, key: &KeyPair) -> Checkpoint {
        let mut c = Checkpoint {
            origin,
            size,
            root,
            signatures: Vec::new(),
        };
        let sig = key.sign(c.body().as_bytes());
        c.signatures.push(NoteSignature {
            name: key.key_id().to_owned(),
            key_hash: key_hash(key.key_id(), &key.public_key().to_bytes()),
            signature: sig.to_vec(),
        });
        c
    }

    /// The note text: body, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut s = self.body();
        s.push('\n');
        for sig in &self.signatures {
            let mut blob = sig.key_hash.to_vec();
            blob.extend_from_slice(&sig.signature);
            s.push_str(&format!(
                "{DASH}{} {}\n",
                sig.name,
                crate::b64_encode(&blob)
            ));
        }
        s
    }

    /// Parses note text; the error says which line is wrong.
    pub fn parse(text: &str) -> Result<Checkpoint> {
        let bad = |what: &str| LedgerError::Format(format!("not a checkpoint: {what}"));
        let (body, sigs) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size = lines
            .next()
            .and_then(|l| l.parse::<u64>().ok())
            .ok_or_else(|| bad("line 2 is not a tree size"))?;
        let root = lines
            .next()
            .and_then(crate::b64_decode)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| bad("line 3 is not a base64 SHA-256 root"))?;
        let mut signatures = Vec::new();
        for line in sigs.lines().filter(|l| !l.is_empty()) {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| bad("signature line does not start with `— `"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("signature line has no signature"))?;
            let blob = crate::b64_decode(b64).ok_or_else(|| bad("signature is not base64"))?;
            if blob.len() < 5 {
                return Err(bad("signature too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hash: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signature lines"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            signatures,
        })
    }

    /// Checks the signature made by `key`: `None` when the checkpoint has no
    /// signature by that key, `Some(valid)` otherwise.
    pub fn verify_signature(&self, key: &PublicKey) -> Option<bool> {
        let kh = key_hash(key.key_id(), &key.to_bytes());
        let sig = self
            .signatures
            .iter()
            .find(|s| s.name == key.key_id() && s.key_hash == kh)?;
        let sig: [u8; 64] = sig.signature.as_slice().try_into().ok()?;
        Some(key.verify(self.body().as_bytes(), &sig))
    }

    /// Key ids named in the signature lines.
    pub fn signer_names(&self) -> impl Iterator<Item = &str> {
        self.signatures.iter().map(|s| s.name.as_str())
    }
}

/// An RFC 6962 inclusion proof of one entry, in a form that can be saved as
/// JSON and checked without the database (`baomi ledger check-proof`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub origin: String,
    /// The entry's sequence number (leaf index + 1).
    pub seq: u64,
    pub tree_size: u64,
    #[serde(with = "crate::hex_serde")]
    pub entry_hash: Hash,
    /// Audit path, leaf to root, base64.
    #[serde(with = "b64_vec")]
    pub path: Vec<Hash>,
    /// The root the path leads to, base64 (as in the checkpoint).
    #[serde(with = "b64_one")]
    pub root: Hash,
}

impl InclusionProof {
    /// True when the path leads from the entry hash to the root.
    pub fn verify(&self) -> bool {
        self.seq >= 1
            && merkle::verify_inclusion(
                &self.entry_hash,
                self.seq - 1,
                self.tree_size,
                &self.path,
                &self.root,
            )
    }

    /// The root as a checkpoint shows it (base64).
    pub fn root_base64(&self) -> String {
        crate::b64_encode(&self.root)
    }

    /// True when the proof verifies and is against this checkpoint's tree.
    pub fn verify_against(&self, checkpoint: &Checkpoint) -> bool {
        self.verify()
            && checkpoint.size == self.tree_size
            && checkpoint.root == self.root
            && checkpoint.origin == self.origin
    }
}

mod b64_one {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::b64_encode(h))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        crate::b64_decode(&s)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected base64 of 32 bytes"))
    }
}

mod b64_vec {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[[u8; 32]], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|h| crate::b64_encode(h)))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[u8; 32]>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| {
                crate::b64_decode(s)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| serde::de::Error::custom("expected base64 of 32 bytes"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_print_parse_verify() {
        let key = KeyPair::generate().unwrap();
        let c = Checkpoint::sign("baomi.ledger/abc".into(), 7, [9; 32], &key);
        let text = c.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "baomi.ledger/abc");
        assert_eq!(lines[1], "7");
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("\u{2014} "));
        let p = Checkpoint::parse(&text).unwrap();
        assert_eq!(p, c);
        assert_eq!(p.verify_signature(key.public_key()), Some(true));
        let other = KeyPair::generate().unwrap();
        assert_eq!(p.verify_signature(other.public_key()), None);
        let forged = Checkpoint::parse(&text.replacen("\n7\n", "\n8\n", 1)).unwrap();
        assert_eq!(forged.verify_signature(key.public_key()), Some(false));
        assert!(Checkpoint::parse("hello").is_err());
    }
}
