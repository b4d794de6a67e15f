//! A witness: cosigns ledger checkpoints after checking that each one is
//! consistent with the last one it cosigned for that ledger, so that an
//! operator who can write the database, its checkpoint folder and the
//! scanner key still cannot rewrite history without the witnesses seeing
//! it (they refuse), or show auditors a history the witnesses never saw
//! (`baomi ledger verify --witnesses FILE --min-cosignatures N` fails).
//!
//! The protocols followed, exactly:
//!
//! * **C2SP `tlog-cosignature` v1, Ed25519** (<https://c2sp.org/tlog-cosignature>):
//!   a cosignature is a signed-note signature line
//!   `— NAME base64(key_id || timestamp || signature)` where `key_id` is
//!   `SHA-256(NAME || "\n" || 0x04 || public_key)[:4]`, `timestamp` is the
//!   POSIX time as a big-endian u64, and the Ed25519 signature covers
//!   `"cosignature/v1\ntime <timestamp>\n"` followed by the checkpoint's
//!   note body (origin, size, root lines, each with its newline).
//! * **C2SP `signed-note` verifier keys** (<https://c2sp.org/signed-note>):
//!   a witness is named in a witness list by its vkey
//!   `NAME+<8 hex digits of key_id>+base64(0x04 || public_key)`.
//! * **C2SP `tlog-witness` `add-checkpoint`** (<https://c2sp.org/tlog-witness>):
//!   the request is `old <size>\n`, at most 63 base64 consistency-proof
//!   lines, an empty line, and the checkpoint; the checks and their order
//!   are the spec's (unknown origin; no valid log signature; old size above
//!   the new; old size not the last cosigned; same size, other root; proof
//!   that does not verify), and [`WitnessError::http_status`] gives the
//!   status code the spec assigns to each refusal. The request travels as a
//!   file or a pipe (`baomi witness cosign DIR --request FILE`) rather than
//!   over HTTP: the offices this is for move files between networks more
//!   readily than they open ports, and the message is the same.
//!
//! State is one small JSON file per witness (`witness.json`: its name, and
//! per log origin the log's keys and the last cosigned size and root),
//! replaced atomically (written beside, fsynced, renamed) under an
//! exclusive lock, so that checking the old size and recording the new
//! checkpoint happen as one step (the race the tlog-witness spec warns of).

use crate::checkpoint::{Checkpoint, NoteSignature};
use crate::keys::{load_private_key, KeyPair, PublicKey};
use crate::merkle::{self, Hash};
use crate::LedgerError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

const DASH: &str = "\u{2014} ";

/// The signed-note signature type byte of Ed25519 cosignatures
/// (tlog-cosignature v1).
pub const COSIGNATURE_V1: u8 = 0x04;
/// The signed-note signature type byte of plain Ed25519 note signatures
/// (what a baomi ledger signs its checkpoints with).
pub const ED25519_NOTE: u8 = 0x01;
/// tlog-witness: a client MUST NOT send more proof lines than this.
pub const MAX_PROOF_LINES: usize = 63;

/// State file inside a witness folder.
pub const STATE_FILE: &str = "witness.json";
/// Private key inside a witness folder (with `witness.pub` beside it).
pub const KEY_FILE: &str = "witness.key";

/// Why a witness refused, or could not run. Each message says what was
/// wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("malformed add-checkpoint request: {0}")]
    Malformed(String),
    #[error("the checkpoint has extension lines after its root; this witness cosigns only origin, size and root")]
    ExtensionLines,
    #[error("this witness does not know the ledger {origin}; its operator adds it with `baomi witness add-log DIR --origin {origin} --pub LEDGER_KEY.pub`")]
    UnknownLog { origin: String },
    #[error("no signature on the checkpoint of {origin} verifies with the ledger key(s) this witness trusts for it ({keys}); it was not signed by that ledger, or was altered")]
    NotSignedByLog { origin: String, keys: String },
    #[error("old size {old} is larger than the checkpoint's size {size}")]
    OldAfterNew { old: u64, size: u64 },
    #[error("refused: the checkpoint of {origin} has {size} entries but this witness already cosigned {cosigned}; a smaller tree is a rollback or a rewritten history")]
    Smaller {
        origin: String,
        size: u64,
        cosigned: u64,
    },
    #[error("the request is from old size {old}, but this witness last cosigned {origin} at size {cosigned}; make the request with `baomi ledger consistency {cosigned}`")]
    OldSizeMismatch {
        origin: String,
        old: u64,
        cosigned: u64,
    },
    #[error("refused: the checkpoint of {origin} at size {size} has root {got}, but this witness cosigned root {cosigned} at that size: the ledger's history was rewritten")]
    RootMismatch {
        origin: String,
        size: u64,
        got: String,
        cosigned: String,
    },
    #[error("refused: the consistency proof from size {old} (root {old_root}, cosigned earlier) to size {size} does not verify: the new checkpoint does not extend what this witness cosigned, so the ledger's history was rewritten (or the proof is damaged)")]
    Inconsistent {
        origin: String,
        old: u64,
        old_root: String,
        size: u64,
    },
    #[error("{path}: {detail}")]
    State { path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] LedgerError),
}

impl WitnessError {
    /// The HTTP status tlog-witness assigns to this refusal (500 for the
    /// witness's own failures), so that a future HTTP front end answers as
    /// the spec says.
    pub fn http_status(&self) -> u16 {
        match self {
            WitnessError::Malformed(_)
            | WitnessError::ExtensionLines
            | WitnessError::OldAfterNew { .. } => 400,
            WitnessError::NotSignedByLog { .. } => 403,
            WitnessError::UnknownLog { .. } => 404,
            WitnessError::Smaller { .. }
            | WitnessError::OldSizeMismatch { .. }
            | WitnessError::RootMismatch { .. } => 409,
            WitnessError::Inconsistent { .. } => 422,
            WitnessError::State { .. } | WitnessError::Io { .. } | WitnessError::Key(_) => 500,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WitnessError + '_ {
    move |source| WitnessError::Io {
        path: path.to_owned(),
        source,
    }
}

/// `SHA-256(name || "\n" || type || public_key)[:4]`: the signed-note key id.
pub fn note_key_id(name: &str, kind: u8, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([kind]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// A signed-note verifier key: `NAME+HEXID+base64(type || key)`. Witness
/// lists are made of these (type 0x04), and a witness records the ledgers
/// it follows with them (type 0x01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vkey {
    pub name: String,
    pub kind: u8,
    pub key: [u8; 32],
}

impl Vkey {
    /// The key id this vkey's signatures carry.
    pub fn key_id(&self) -> [u8; 4] {
        note_key_id(&self.name, self.kind, &self.key)
    }

    /// The vkey of a baomi ledger signing key (its checkpoint signatures).
    pub fn of_ledger_key(k: &PublicKey) -> Vkey {
        Vkey {
            name: k.key_id().to_owned(),
            kind: ED25519_NOTE,
            key: k.to_bytes(),
        }
    }

    /// Parses a vkey; the error says which part is wrong. The key id in
    /// the middle must be the one the name and key give.
    pub fn parse(text: &str) -> Result<Vkey, String> {
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hexid), Some(b64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "`{text}` is not a verifier key (NAME+KEYID+BASE64)"
            ));
        };
        check_name(name)?;
        let id = crate::unhex::<4>(hexid.as_bytes())
            .ok_or_else(|| format!("`{text}`: key id `{hexid}` is not 8 hex digits"))?;
        let blob =
            crate::b64_decode(b64).ok_or_else(|| format!("`{text}`: the key is not base64"))?;
        if blob.len() != 33 || (blob[0] != COSIGNATURE_V1 && blob[0] != ED25519_NOTE) {
            return Err(format!(
                "`{text}`: not an Ed25519 key (type 0x01 or 0x04 and 32 bytes)"
            ));
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(&blob[1..]);
        if PublicKey::from_bytes(&key).is_none() {
            return Err(format!("`{text}`: not a valid Ed25519 public key"));
        }
        let v = Vkey {
            name: name.to_owned(),
            kind: blob[0],
            key,
        };
        if v.key_id() != id {
            return Err(format!(
                "`{text}`: key id {hexid} does not match the name and key (expected {})",
                crate::hex(&v.key_id())
            ));
        }
        Ok(v)
    }

    fn public_key(&self) -> Option<PublicKey> {
        PublicKey::from_bytes(&self.key)
    }
}

impl std::fmt::Display for Vkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut blob = vec![self.kind];
        blob.extend_from_slice(&self.key);
        write!(
            f,
            "{}+{}+{}",
            self.name,
            crate::hex(&self.key_id()),
            crate::b64_encode(&blob)
        )
    }
}

/// signed-note: a key name is non-empty, with no whitespace and no `+`.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{name}` is not a key name (non-empty, no spaces, no `+`)"
        ));
    }
    Ok(())
}

/// One tlog-cosignature/v1 (Ed25519) cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    pub name: String,
    pub key_id: [u8; 4],
    /// POSIX time of cosigning.
    pub timestamp: u64,
    pub signature: [u8; 64],
}

impl Cosignature {
    /// The message a cosignature signs: `cosignature/v1`, `time T`, then
    /// the checkpoint's note body.
    pub fn message(checkpoint_body: &str, timestamp: u64) -> String {
        format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
    }

    /// Cosigns `checkpoint` with `key` under `name` at `timestamp`.
    pub fn sign(name: &str, key: &KeyPair, checkpoint: &Checkpoint, timestamp: u64) -> Cosignature {
        let msg = Self::message(&checkpoint.body(), timestamp);
        Cosignature {
            name: name.to_owned(),
            key_id: note_key_id(name, COSIGNATURE_V1, &key.public_key().to_bytes()),
            timestamp,
            signature: key.sign(msg.as_bytes()),
        }
    }

    /// The signature line, `— NAME base64(key_id || timestamp || sig)\n`.
    pub fn to_line(&self) -> String {
        let mut blob = self.key_id.to_vec();
        blob.extend_from_slice(&self.timestamp.to_be_bytes());
        blob.extend_from_slice(&self.signature);
        format!("{DASH}{} {}\n", self.name, crate::b64_encode(&blob))
    }

    /// Reads a note signature as a cosignature: `None` when it is not
    /// shaped like one (another kind of signature line).
    pub fn from_note_signature(s: &NoteSignature) -> Option<Cosignature> {
        if s.signature.len() != 8 + 64 {
            return None;
        }
        let timestamp = u64::from_be_bytes(s.signature[..8].try_into().ok()?);
        if timestamp > i64::MAX as u64 {
            return None;
        }
        Some(Cosignature {
            name: s.name.clone(),
            key_id: s.key_hash,
            timestamp,
            signature: s.signature[8..].try_into().ok()?,
        })
    }

    /// Parses one signature line (`— NAME BASE64`).
    pub fn parse_line(line: &str) -> Result<Cosignature, String> {
        let rest = line
            .trim_end_matches('\n')
            .strip_prefix(DASH)
            .ok_or_else(|| format!("`{line}` does not start with `— `"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or_else(|| format!("`{line}` has no signature"))?;
        check_name(name)?;
        let blob = crate::b64_decode(b64).ok_or_else(|| format!("`{line}`: not base64"))?;
        if blob.len() != 4 + 8 + 64 {
            return Err(format!(
                "`{line}`: {} bytes, a cosignature has 76 (key id, time, Ed25519 signature)",
                blob.len()
            ));
        }
        Self::from_note_signature(&NoteSignature {
            name: name.to_owned(),
            key_hash: [blob[0], blob[1], blob[2], blob[3]],
            signature: blob[4..].to_vec(),
        })
        .ok_or_else(|| format!("`{line}`: its time is out of range"))
    }

    /// True when this is `witness`'s valid cosignature of `checkpoint`.
    pub fn verify(&self, checkpoint: &Checkpoint, witness: &Vkey) -> bool {
        let Some(k) = witness.public_key() else {
            return false;
        };
        witness.kind == COSIGNATURE_V1
            && self.name == witness.name
            && self.key_id == witness.key_id()
            && k.verify(
                Self::message(&checkpoint.body(), self.timestamp).as_bytes(),
                &self.signature,
            )
    }
}

/// A tlog-witness `add-checkpoint` request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    pub old_size: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: Checkpoint,
}

impl AddCheckpoint {
    /// The request text: `old N`, proof lines, empty line, checkpoint.
    pub fn to_text(&self) -> String {
        let mut s = format!("old {}\n", self.old_size);
        for h in &self.proof {
            s.push_str(&crate::b64_encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint.to_text());
        s
    }

    /// Parses a request body; the error says which line is wrong.
    pub fn parse(text: &str) -> Result<AddCheckpoint, WitnessError> {
        let bad = |m: String| WitnessError::Malformed(m);
        let (head, note) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no empty line before the checkpoint".into()))?;
        let mut lines = head.split('\n');
        let old = lines.next().unwrap_or_default();
        let old_size = old
            .strip_prefix("old ")
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .filter(|n| *n == "0" || !n.starts_with('0'))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad(format!("the first line `{old}` is not `old SIZE`")))?;
        let mut proof = Vec::new();
        for (i, l) in lines.enumerate() {
            if proof.len() == MAX_PROOF_LINES {
                return Err(bad(format!(
                    "more than {MAX_PROOF_LINES} consistency proof lines"
                )));
            }
            let h = crate::b64_decode(l)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad(format!("proof line {} is not a base64 SHA-256 hash", i + 1)))?;
            proof.push(h);
        }
        let checkpoint = Checkpoint::parse(note).map_err(|e| bad(e.to_string()))?;
        // Only the three lines baomi signs: a body with extension lines
        // would be cosigned without them.
        let body_len = note.find("\n\n").map_or(note.len(), |i| i + 1);
        if note[..body_len] != checkpoint.body() {
            return Err(WitnessError::ExtensionLines);
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint,
        })
    }
}

/// What a witness knows of one ledger.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogState {
    /// vkeys (type 0x01) whose checkpoint signatures this witness accepts.
    pub keys: Vec<String>,
    /// Size of the last cosigned checkpoint (0: none yet).
    pub size: u64,
    /// Its root, base64 (absent before the first cosignature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    /// The witness's name (its cosignature lines and vkey carry it).
    name: String,
    logs: BTreeMap<String, LogState>,
}

/// A witness folder: `witness.key`/`witness.pub` and `witness.json`.
pub struct Witness {
    dir: PathBuf,
    name: String,
    key: KeyPair,
}

impl Witness {
    /// Creates a witness in `dir` (created if missing; an existing witness
    /// there is an error): a new key, and state naming it `name`, which
    /// should be a schema-less URL such as `inspection.example.gov.cn/w1`.
    pub fn init(dir: &Path, name: &str) -> Result<Witness, WitnessError> {
        check_name(name).map_err(|detail| WitnessError::State {
            path: dir.to_owned(),
            detail,
        })?;
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let state_path = dir.join(STATE_FILE);
        if state_path.exists() {
            return Err(WitnessError::State {
                path: state_path,
                detail: "a witness already lives here; use another folder".into(),
            });
        }
        let key = KeyPair::generate()?;
        key.write_files(&dir.join(KEY_FILE))?;
        let w = Witness {
            dir: dir.to_owned(),
            name: name.to_owned(),
            key,
        };
        w.save(&State {
            name: name.to_owned(),
            logs: BTreeMap::new(),
        })?;
        Ok(w)
    }

    /// Opens the witness in `dir`.
    pub fn open(dir: &Path) -> Result<Witness, WitnessError> {
        let state = Self::load_at(dir)?;
        let key = load_private_key(&dir.join(KEY_FILE))?;
        Ok(Witness {
            dir: dir.to_owned(),
            name: state.name,
            key,
        })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its verifier key, for the witness lists of those who verify.
    pub fn vkey(&self) -> Vkey {
        Vkey {
            name: self.name.clone(),
            kind: COSIGNATURE_V1,
            key: self.key.public_key().to_bytes(),
        }
    }

    /// Per-origin state (what it follows, and the last cosigned sizes).
    pub fn logs(&self) -> Result<BTreeMap<String, LogState>, WitnessError> {
        Ok(Self::load_at(&self.dir)?.logs)
    }

    /// Follows the ledger `origin`, whose checkpoints `key` signs. Adding a
    /// second key to a known origin keeps its cosigned size and root.
    pub fn add_log(&self, origin: &str, key: &PublicKey) -> Result<(), WitnessError> {
        if origin.is_empty() || origin.contains('\n') {
            return Err(WitnessError::Malformed(format!(
                "`{origin}` is not a checkpoint origin line"
            )));
        }
        let _lock = self.lock()?;
        let mut state = Self::load_at(&self.dir)?;
        let log = state.logs.entry(origin.to_owned()).or_default();
        let v = Vkey::of_ledger_key(key).to_string();
        if !log.keys.contains(&v) {
            log.keys.push(v);
        }
        self.save(&state)
    }

    /// Checks an add-checkpoint request as tlog-witness orders and, when
    /// every check passes, records the checkpoint as the latest for its
    /// origin and returns the cosignature (time: `now`).
    pub fn add_checkpoint(
        &self,
        req: &AddCheckpoint,
        now: u64,
    ) -> Result<Cosignature, WitnessError> {
        let cp = &req.checkpoint;
        let _lock = self.lock()?;
        let mut state = Self::load_at(&self.dir)?;
        let log = state
            .logs
            .get_mut(&cp.origin)
            .ok_or_else(|| WitnessError::UnknownLog {
                origin: cp.origin.clone(),
            })?;
        let signed = log.keys.iter().any(|v| {
            Vkey::parse(v).ok().is_some_and(|v| {
                v.kind == ED25519_NOTE
                    && v.public_key().is_some_and(|k| {
                        k.key_id() == v.name && cp.verify_signature(&k) == Some(true)
                    })
            })
        });
        if !signed {
            return Err(WitnessError::NotSignedByLog {
                origin: cp.origin.clone(),
                keys: log.keys.join(", "),
            });
        }
        if req.old_size > cp.size {
            return Err(WitnessError::OldAfterNew {
                old: req.old_size,
                size: cp.size,
            });
        }
        if req.old_size != log.size {
            if cp.size < log.size {
                return Err(WitnessError::Smaller {
                    origin: cp.origin.clone(),
                    size: cp.size,
                    cosigned: log.size,
                });
            }
            return Err(WitnessError::OldSizeMismatch {
                origin: cp.origin.clone(),
                old: req.old_size,
                cosigned: log.size,
            });
        }
        let new_root = crate::b64_encode(&cp.root);
        let old_root: Option<Hash> = match &log.root {
            Some(r) => Some(
                crate::b64_decode(r)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| WitnessError::State {
                        path: self.dir.join(STATE_FILE),
                        detail: format!(
                            "the root recorded for {} is not base64 of 32 bytes",
                            cp.origin
                        ),
                    })?,
            ),
            None if log.size == 0 => None,
            None => {
                return Err(WitnessError::State {
                    path: self.dir.join(STATE_FILE),
                    detail: format!(
                        "size {} recorded for {} without a root",
                        log.size, cp.origin
                    ),
                })
            }
        };
        if req.old_size == cp.size && log.size > 0 && old_root != Some(cp.root) {
            return Err(WitnessError::RootMismatch {
                origin: cp.origin.clone(),
                size: cp.size,
                got: new_root,
                cosigned: log.root.clone().unwrap_or_default(),
            });
        }
        let old_root_or_empty = old_root.unwrap_or_else(|| merkle::root(&[]));
        if !merkle::verify_consistency(
            req.old_size,
            cp.size,
            &req.proof,
            &old_root_or_empty,
            &cp.root,
        ) {
            return Err(WitnessError::Inconsistent {
                origin: cp.origin.clone(),
                old: req.old_size,
                old_root: log.root.clone().unwrap_or_default(),
                size: cp.size,
            });
        }
        log.size = cp.size;
        log.root = Some(new_root);
        // Persisted before the cosignature is returned (tlog-witness).
        self.save(&state)?;
        tracing::info!(origin = %cp.origin, size = cp.size, "cosigned");
        Ok(Cosignature::sign(&self.name, &self.key, cp, now))
    }

    /// [`add_checkpoint`](Self::add_checkpoint) with the checkpoint and
    /// proof given apart.
    pub fn cosign(
        &self,
        checkpoint: &Checkpoint,
        old_size: u64,
        proof: &[Hash],
        now: u64,
    ) -> Result<Cosignature, WitnessError> {
        self.add_checkpoint(
            &AddCheckpoint {
                old_size,
                proof: proof.to_vec(),
                checkpoint: checkpoint.clone(),
            },
            now,
        )
    }

    fn load_at(dir: &Path) -> Result<State, WitnessError> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                WitnessError::State {
                    path: path.clone(),
                    detail: "no witness here; create one with `baomi witness init DIR --name NAME`"
                        .into(),
                }
            } else {
                WitnessError::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        })?;
        serde_json::from_str(&text).map_err(|e| WitnessError::State {
            path,
            detail: format!("not a witness state file ({e}); restore it from a backup"),
        })
    }

    /// Atomic replace: write a temporary file, fsync, rename, fsync the
    /// folder. A crash leaves the old state or the new, never half of one.
    fn save(&self, state: &State) -> Result<(), WitnessError> {
        let path = self.dir.join(STATE_FILE);
        let tmp = self
            .dir
            .join(format!(".{STATE_FILE}.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(state).map_err(|e| WitnessError::State {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            #[cfg(unix)]
            std::fs::File::open(&self.dir)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            WitnessError::Io {
                path: path.clone(),
                source: e,
            }
        })
    }

    /// An exclusive lock on `DIR/witness.lock`, held while state is read,
    /// checked and replaced.
    fn lock(&self) -> Result<std::fs::File, WitnessError> {
        let path = self.dir.join("witness.lock");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        f.lock().map_err(io(&path))?;
        Ok(f)
    }
}

/// The ledger side of a request: signs a checkpoint of the whole ledger
/// with `key`, saves it in the ledger's checkpoint folder, and returns the
/// add-checkpoint request from `old_size` (the size a witness last
/// cosigned; 0 the first time) with the consistency proof. Checkpoint and
/// proof are made from one read of the entry hashes, so they agree.
pub fn consistency_request(
    ledger: &crate::Ledger,
    old_size: u64,
    key: &KeyPair,
) -> Result<(AddCheckpoint, PathBuf), LedgerError> {
    let hashes = ledger.entry_hashes(None)?;
    let proof = merkle::consistency_proof(&hashes, old_size as usize)
        .filter(|_| old_size <= hashes.len() as u64)
        .ok_or_else(|| {
            LedgerError::Format(format!(
                "old size {old_size} is larger than the ledger ({} entries): the witness saw a longer ledger than this one — entries were removed, or this is another copy",
                hashes.len()
            ))
        })?;
    let cp = Checkpoint::sign(
        ledger.origin(),
        hashes.len() as u64,
        merkle::root(&hashes),
        key,
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let saved = ledger.checkpoint_dir().write(&cp, now)?;
    Ok((
        AddCheckpoint {
            old_size,
            proof,
            checkpoint: cp,
        },
        saved,
    ))
}

/// How a checkpoint's cosignatures stand against a witness list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CosignatureCheck {
    /// Witnesses with a valid cosignature (name, time).
    pub valid: Vec<(String, u64)>,
    /// Witnesses whose line is there but does not verify.
    pub invalid: Vec<String>,
    /// Witnesses with no line at all.
    pub missing: Vec<String>,
}

/// Checks `checkpoint`'s signature lines against `witnesses`: lines from
/// keys not in the list are ignored (as the spec requires).
pub fn check_cosignatures(checkpoint: &Checkpoint, witnesses: &[Vkey]) -> CosignatureCheck {
    let mut out = CosignatureCheck::default();
    for w in witnesses {
        let id = w.key_id();
        let lines: Vec<&NoteSignature> = checkpoint
            .signatures
            .iter()
            .filter(|s| s.name == w.name && s.key_hash == id)
            .collect();
        if lines.is_empty() {
            out.missing.push(w.name.clone());
            continue;
        }
        match lines
            .iter()
            .filter_map(|s| Cosignature::from_note_signature(s))
            .find(|c| c.verify(checkpoint, w))
        {
            Some(c) => out.valid.push((w.name.clone(), c.timestamp)),
            None => out.invalid.push(w.name.clone()),
        }
    }
    out
}

/// Reads a witness list: one vkey per line; blank lines and `#` comments
/// are skipped. Every key must be a cosignature (type 0x04) key.
pub fn parse_witness_list(text: &str) -> Result<Vec<Vkey>, String> {
    let mut out: Vec<Vkey> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let v = Vkey::parse(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if v.kind != COSIGNATURE_V1 {
            return Err(format!(
                "line {}: {} is a note-signing key (type 0x01), not a witness's cosignature key (type 0x04)",
                i + 1,
                v.name
            ));
        }
        if !out.iter().any(|o| o.name == v.name && o.key == v.key) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_cp(key: &KeyPair, entries: &[Hash]) -> Checkpoint {
        Checkpoint::sign(
            "baomi.ledger/test".into(),
            entries.len() as u64,
            merkle::root(entries),
            key,
        )
    }

    fn hashes(tag: u8, n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| Sha256::digest([tag, i as u8]).into())
            .collect()
    }

    #[test]
    fn the_spec_example_cosignature_decodes() {
        // tlog-cosignature's example line: key id, then the big-endian time
        // 1679315147 (the time in the spec's example signed message).
        let line = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
        let c = Cosignature::parse_line(line).unwrap();
        assert_eq!(c.name, "witness.example.com/w1");
        assert_eq!(c.key_id, [0x8d, 0x66, 0xcf, 0x3f]);
        assert_eq!(c.timestamp, 1_679_315_147);
        assert_eq!(c.to_line().trim_end(), line);
        // The message layout of the spec's example.
        let cp_body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        assert_eq!(
            Cosignature::message(cp_body, 1_679_315_147),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        );
    }

    #[test]
    fn cosignature_signs_the_v1_message_with_the_0x04_key_id() {
        let wkey = KeyPair::generate().unwrap();
        let lkey = KeyPair::generate().unwrap();
        let cp = ledger_cp(&lkey, &hashes(1, 5));
        let c = Cosignature::sign("w.example/1", &wkey, &cp, 1_700_000_000);
        let pk = wkey.public_key();
        // Independently: the key id and the signed bytes the spec defines.
        let mut h = Sha256::new();
        h.update(b"w.example/1\n\x04");
        h.update(pk.to_bytes());
        assert_eq!(c.key_id, h.finalize()[..4]);
        let msg = format!("cosignature/v1\ntime 1700000000\n{}", cp.body());
        assert!(pk.verify(msg.as_bytes(), &c.signature));
        // Round trip through a note with the cosignature line appended.
        let text = format!("{}{}", cp.to_text(), c.to_line());
        let parsed = Checkpoint::parse(&text).unwrap();
        let vk = Vkey {
            name: "w.example/1".into(),
            kind: COSIGNATURE_V1,
            key: pk.to_bytes(),
        };
        let vk = Vkey::parse(&vk.to_string()).unwrap();
        let check = check_cosignatures(&parsed, std::slice::from_ref(&vk));
        assert_eq!(
            check.valid,
            vec![("w.example/1".to_string(), 1_700_000_000)]
        );
        // The log's own signature still verifies beside it.
        assert_eq!(parsed.verify_signature(lkey.public_key()), Some(true));
        // Another time, another size, or another name does not verify.
        let mut later = c.clone();
        later.timestamp += 1;
        assert!(!later.verify(&cp, &vk));
        let other = ledger_cp(&lkey, &hashes(1, 6));
        assert!(!c.verify(&other, &vk));
        let renamed = Vkey {
            name: "w.example/2".into(),
            ..vk.clone()
        };
        assert!(!c.verify(&cp, &renamed));
        assert_eq!(check_cosignatures(&cp, &[renamed]).missing.len(), 1);
        // A forged line (right name and key id, wrong signature) is invalid.
        let mut forged = c.clone();
        forged.signature[0] ^= 1;
        let text = format!("{}{}", cp.to_text(), forged.to_line());
        let check = check_cosignatures(&Checkpoint::parse(&text).unwrap(), &[vk]);
        assert_eq!(check.invalid, vec!["w.example/1".to_string()]);
    }

    #[test]
    fn vkeys_parse_and_reject_what_is_wrong() {
        let k = KeyPair::generate().unwrap();
        let v = Vkey {
            name: "w.example/1".into(),
            kind: COSIGNATURE_V1,
            key: k.public_key().to_bytes(),
        };
        let s = v.to_string();
        assert_eq!(Vkey::parse(&s).unwrap(), v);
        let parts: Vec<&str> = s.splitn(3, '+').collect();
        let wrong_id = format!("{}+00000000+{}", parts[0], parts[2]);
        assert!(Vkey::parse(&wrong_id)
            .unwrap_err()
            .contains("does not match"));
        let renamed = format!("w.example/2+{}+{}", parts[1], parts[2]);
        assert!(Vkey::parse(&renamed).is_err());
        assert!(Vkey::parse("nonsense").is_err());
        assert!(
            parse_witness_list(&format!("# ours\n\n{s}\n"))
                .unwrap()
                .len()
                == 1
        );
        let ledger_vkey = Vkey::of_ledger_key(k.public_key()).to_string();
        assert!(parse_witness_list(&ledger_vkey)
            .unwrap_err()
            .contains("type 0x01"));
    }

    #[test]
    fn add_checkpoint_request_round_trips_and_rejects_bad_bodies() {
        let lkey = KeyPair::generate().unwrap();
        let d = hashes(1, 9);
        let req = AddCheckpoint {
            old_size: 4,
            proof: merkle::consistency_proof(&d, 4).unwrap(),
            checkpoint: ledger_cp(&lkey, &d),
        };
        let text = req.to_text();
        assert!(text.starts_with("old 4\n"));
        assert_eq!(AddCheckpoint::parse(&text).unwrap(), req);
        for bad in [
            "old 04\n\n".to_string(),
            text.replacen("old 4", "new 4", 1),
            text.replacen("\n\n", "\n!!\n\n", 1),
            format!(
                "old 0\n{}\n{}",
                "AAAA\n".repeat(70),
                req.checkpoint.to_text()
            ),
        ] {
            assert!(
                matches!(AddCheckpoint::parse(&bad), Err(WitnessError::Malformed(_))),
                "{bad}"
            );
        }
        let ext = text.replacen(
            &format!("{}\n\n", crate::b64_encode(&req.checkpoint.root)),
            &format!("{}\nextra\n\n", crate::b64_encode(&req.checkpoint.root)),
            1,
        );
        assert!(matches!(
            AddCheckpoint::parse(&ext),
            Err(WitnessError::ExtensionLines)
        ));
    }

    #[test]
    fn witness_follows_a_growing_ledger_and_refuses_a_rewritten_one() {
        let tmp = tempfile::tempdir().unwrap();
        let wdir = tmp.path().join("w");
        let w = Witness::init(&wdir, "inspection.example/w1").unwrap();
        assert!(Witness::init(&wdir, "again").is_err());
        let lkey = KeyPair::generate().unwrap();
        let d = hashes(1, 12);
        let cp = |n: usize| ledger_cp(&lkey, &d[..n]);

        // Unknown ledger: refused (404).
        let e = w.cosign(&cp(5), 0, &[], 1).unwrap_err();
        assert!(matches!(e, WitnessError::UnknownLog { .. }));
        assert_eq!(e.http_status(), 404);
        w.add_log("baomi.ledger/test", lkey.public_key()).unwrap();
        // Signed by another key: refused (403).
        let stranger = KeyPair::generate().unwrap();
        let e = w
            .cosign(&ledger_cp(&stranger, &d[..5]), 0, &[], 1)
            .unwrap_err();
        assert_eq!(e.http_status(), 403, "{e}");

        // First checkpoint, then a bigger one with its proof.
        let w = Witness::open(&wdir).unwrap();
        let c5 = w.cosign(&cp(5), 0, &[], 10).unwrap();
        assert!(c5.verify(&cp(5), &w.vkey()));
        let p = merkle::consistency_proof(&d[..9], 5).unwrap();
        w.cosign(&cp(9), 5, &p, 11).unwrap();
        assert_eq!(w.logs().unwrap()["baomi.ledger/test"].size, 9);
        // The same checkpoint again is fine (same size, same root).
        w.cosign(&cp(9), 9, &[], 12).unwrap();

        // A smaller tree: refused.
        let e = w.cosign(
            &cp(7),
            5,
            &merkle::consistency_proof(&d[..7], 5).unwrap(),
            13,
        );
        assert!(
            matches!(
                e,
                Err(WitnessError::Smaller {
                    size: 7,
                    cosigned: 9,
                    ..
                })
            ),
            "{e:?}"
        );
        // A stale old size: refused, naming the size to use.
        let e = w
            .cosign(&cp(12), 5, &merkle::consistency_proof(&d, 5).unwrap(), 13)
            .unwrap_err();
        assert!(e.to_string().contains("baomi ledger consistency 9"), "{e}");
        assert_eq!(e.http_status(), 409);

        // A rewritten history: a second ledger, a different entry 3, same size.
        let mut r = d.clone();
        r[2] = [0xaa; 32];
        let rewritten = |n: usize| ledger_cp(&lkey, &r[..n]);
        let e = w.cosign(&rewritten(9), 9, &[], 14).unwrap_err();
        assert!(
            matches!(e, WitnessError::RootMismatch { size: 9, .. }),
            "{e}"
        );
        assert_eq!(e.http_status(), 409);
        // …and grown past the cosigned size, with its own (valid) proof.
        let e = w
            .cosign(
                &rewritten(12),
                9,
                &merkle::consistency_proof(&r, 9).unwrap(),
                14,
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                WitnessError::Inconsistent {
                    old: 9,
                    size: 12,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(e.http_status(), 422);
        // A damaged proof for the real ledger fails too; nothing was recorded.
        let mut bad = merkle::consistency_proof(&d, 9).unwrap();
        bad[0][5] ^= 1;
        assert!(w.cosign(&cp(12), 9, &bad, 15).is_err());
        assert_eq!(w.logs().unwrap()["baomi.ledger/test"].size, 9);
        // The real continuation is still accepted.
        let good = merkle::consistency_proof(&d, 9).unwrap();
        w.cosign(&cp(12), 9, &good, 16).unwrap();
        assert_eq!(w.logs().unwrap()["baomi.ledger/test"].size, 12);
        // Old size above the new: 400.
        assert_eq!(
            w.cosign(&cp(5), 12, &[], 17).unwrap_err().http_status(),
            400
        );
    }

    #[test]
    fn a_damaged_state_file_is_an_error_that_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        Witness::init(tmp.path(), "w.example/1").unwrap();
        std::fs::write(tmp.path().join(STATE_FILE), "{").unwrap();
        let e = Witness::open(tmp.path()).err().unwrap();
        assert!(e.to_string().contains("not a witness state file"), "{e}");
    }
}
