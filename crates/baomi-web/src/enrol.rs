//! Enrolment of reviewers' browser keys.
//!
//! A reviewer's browser makes an Ed25519 key pair with WebCrypto (the
//! private key is non-extractable and stays in the browser's IndexedDB)
//! and sends the public key to `POST /session/enrol`. The server keeps it
//! here, under a short random **enrolment code**, until the administrator
//! registers it with a person and a role
//! (`baomi key register --enrolment CODE --person … --role …`), which
//! writes the trust file entry and removes the request. Only the trust file
//! grants anything: a pending request lets its browser do nothing.
//!
//! Requests are files `CODE.json` in a private folder beside the ledger
//! (`baomi.db.enrolments/`), so the command line finds them without the
//! server running. At most [`MAX_PENDING`] are kept; older than
//! [`PENDING_DAYS`] days they are dropped.

use baomi_ledger::PublicKey;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Most enrolment requests waiting at once (anyone who reaches the server
/// can make one; this bounds what they can make it store).
pub const MAX_PENDING: usize = 200;
/// Days a request waits for the administrator before it is dropped.
pub const PENDING_DAYS: u64 = 14;

/// Letters and digits that cannot be mistaken for each other when read
/// aloud or typed (no 0/O, 1/I/L).
const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// One waiting request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enrolment {
    /// `ABCD-EFGH`.
    pub code: String,
    pub key_id: String,
    /// Base64 of the 32 raw public key bytes.
    pub public_key: String,
    /// The name the reviewer typed (a hint for the administrator only: the
    /// trust file gets the name given to `--person`).
    pub name: String,
    /// Seconds since 1970.
    pub requested_at: u64,
}

impl Enrolment {
    /// The public key (checked against its key id).
    pub fn key(&self) -> Option<PublicKey> {
        let bytes: [u8; 32] = baomi_ledger::b64_decode(&self.public_key)?
            .try_into()
            .ok()?;
        PublicKey::from_bytes(&bytes).filter(|k| k.key_id() == self.key_id)
    }
}

/// Why an enrolment request cannot be made or found.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("no enrolment request with code {code} in {dir} (codes look like ABCD-EFGH; requests older than {PENDING_DAYS} days are dropped — enrol again in the browser)")]
    Unknown { code: String, dir: PathBuf },
    #[error(
        "{MAX_PENDING} enrolment requests are waiting in {dir}; register or delete some first"
    )]
    Full { dir: PathBuf },
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// The folder of waiting requests.
#[derive(Debug, Clone)]
pub struct Enrolments {
    dir: PathBuf,
}

fn now() -> u64 {
    baomi_core::time::now_unix()
}

/// `abcd efgh`, `ABCD-EFGH`, `abcdefgh` → `ABCD-EFGH`; `None` if it is
/// not a code.
pub fn normalise_code(text: &str) -> Option<String> {
    let c: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == 8 && c.bytes().all(|b| ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &c[..4], &c[4..]))
}

impl Enrolments {
    /// The folder for the ledger at `db`: `<db>.enrolments`.
    pub fn for_db(db: &Path) -> Enrolments {
        let db = baomi_ledger::local_base(db);
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(".enrolments");
        Enrolments {
            dir: db.with_file_name(name),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn io(&self, path: &Path) -> impl Fn(std::io::Error) -> EnrolError + '_ {
        let path = path.to_owned();
        move |cause| EnrolError::Io {
            path: path.clone(),
            cause,
        }
    }

    /// Every waiting request (dropping those too old), oldest first.
    pub fn list(&self) -> Result<Vec<Enrolment>, EnrolError> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in rd.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            match serde_json::from_str::<Enrolment>(&text) {
                Ok(e) if now().saturating_sub(e.requested_at) <= PENDING_DAYS * 86_400 => {
                    out.push(e)
                }
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        out.sort_by_key(|e| e.requested_at);
        Ok(out)
    }

    /// Records a request for `key` and returns it with its new code. The
    /// same key asking again gets its existing request back.
    pub fn create(&self, key: &PublicKey, name: &str) -> Result<Enrolment, EnrolError> {
        let name = name.trim();
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(EnrolError::Invalid(
                "the name must be at most 100 characters, without control characters".into(),
            ));
        }
        let pending = self.list()?;
        if let Some(e) = pending.iter().find(|e| e.key_id == key.key_id()) {
            return Ok(e.clone());
        }
        if pending.len() >= MAX_PENDING {
            return Err(EnrolError::Full {
                dir: self.dir.clone(),
            });
        }
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(&self.dir).map_err(self.io(&self.dir))?;
        loop {
            let mut r = [0u8; 32];
            getrandom::getrandom(&mut r)
                .map_err(|e| EnrolError::Invalid(format!("no random bytes: {e}")))?;
            // Bytes below 248 (= 8 × 31) only: no letter is likelier.
            let raw: String = r
                .iter()
                .filter(|&&b| b < 248)
                .take(8)
                .map(|b| ALPHABET[(b % 31) as usize] as char)
                .collect();
            if raw.len() < 8 {
                continue;
            }
            let code = format!("{}-{}", &raw[..4], &raw[4..]);
            let e = Enrolment {
                code: code.clone(),
                key_id: key.key_id().to_owned(),
                public_key: key.to_base64(),
                name: name.to_owned(),
                requested_at: now(),
            };
            let path = self.dir.join(format!("{code}.json"));
            let text = serde_json::to_string_pretty(&e)
                .map_err(|err| EnrolError::Invalid(err.to_string()))?;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(self.io(&path))?;
                    return Ok(e);
                }
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(self.io(&path)(err)),
            }
        }
    }

    /// The waiting request with `code` (any case, with or without `-`).
    pub fn find(&self, code: &str) -> Result<Enrolment, EnrolError> {
        let unknown = || EnrolError::Unknown {
            code: code.to_owned(),
            dir: self.dir.clone(),
        };
        let code = normalise_code(code).ok_or_else(unknown)?;
        self.list()?
            .into_iter()
            .find(|e| e.code == code)
            .filter(|e| e.key().is_some())
            .ok_or_else(unknown)
    }

    /// Removes a request (once its key is registered).
    pub fn remove(&self, code: &str) -> Result<(), EnrolError> {
        let path = self.dir.join(format!("{code}.json"));
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(&path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_by_code() {
        let dir = tempfile::tempdir().unwrap();
        let en = Enrolments::for_db(&dir.path().join("baomi.db"));
        assert!(en.list().unwrap().is_empty());
        let k = baomi_ledger::KeyPair::generate().unwrap();
        let e = en.create(k.public_key(), " 张三 ").unwrap();
        assert_eq!(e.name, "张三");
        assert_eq!(
            en.create(k.public_key(), "x").unwrap(),
            e,
            "same key, same request"
        );
        let lower = e.code.to_ascii_lowercase().replace('-', " ");
        assert_eq!(en.find(&lower).unwrap().key().unwrap(), *k.public_key());
        assert!(matches!(
            en.find("ZZZZ-ZZZZ"),
            Err(EnrolError::Unknown { .. })
        ));
        assert!(matches!(en.find("0O1I"), Err(EnrolError::Unknown { .. })));
        en.remove(&e.code).unwrap();
        assert!(en.find(&e.code).is_err());
        assert!(en.create(k.public_key(), "a\u{7}").is_err());
    }
}
