//! Who may sign what: the trust file.
//!
//! A signature proves which key signed an entry; the trust file says whose
//! key that is and which stage of the review path they may sign for. The
//! office's secrecy officer keeps it (outside the ledger, so that whoever can
//! write the database cannot also grant themselves a role).
//!
//! ```toml
//! # trust.toml
//! [[signer]]
//! key_id = "3f2a9c0d11e4b7a8"        # printed by `baomi key new`
//! name = "扫描服务"
//! roles = ["scanner"]
//!
//! [[signer]]
//! key_id = "9b1e0c3d4a5f6e7d"
//! name = "张三（保密委）"
//! roles = ["secrecy-committee"]
//! # optional: the full public key (base64 of the 32 raw bytes, as printed
//! # by `baomi key new`); when given, entries must carry exactly this key.
//! public_key = "…"
//! ```
//!
//! Roles: `scanner` (the machine scan), `department` (部门申请),
//! `work-department` (工作部审核), `secrecy-committee` (保密委审查).

use crate::error::{LedgerError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// A stage of the review path a key may sign for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The machine scan.
    Scanner,
    /// 部门申请: the department applies, after its head signs off.
    Department,
    /// 工作部审核: the work department checks.
    WorkDepartment,
    /// 保密委审查: the secrecy committee reviews.
    SecrecyCommittee,
}

impl Role {
    /// Every role, in review-path order.
    pub const ALL: [Role; 4] = [
        Role::Scanner,
        Role::Department,
        Role::WorkDepartment,
        Role::SecrecyCommittee,
    ];

    /// The kebab-case name used in trust files and payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Scanner => "scanner",
            Role::Department => "department",
            Role::WorkDepartment => "work-department",
            Role::SecrecyCommittee => "secrecy-committee",
        }
    }

    /// The stage's name on the paper form.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Scanner => "机器扫描",
            Role::Department => "部门申请",
            Role::WorkDepartment => "工作部审核",
            Role::SecrecyCommittee => "保密委审查",
        }
    }

    /// Who holds the role, for people ("角色：保密委员会"): the body a key
    /// signs for, where [`Role::label_zh`] names the stage it signs.
    pub fn role_zh(self) -> &'static str {
        match self {
            Role::Scanner => "扫描服务",
            Role::Department => "申请部门",
            Role::WorkDepartment => "工作部",
            Role::SecrecyCommittee => "保密委员会",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}` (expected scanner, department, work-department or secrecy-committee)"))
    }
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signer {
    pub key_id: String,
    pub name: String,
    pub roles: Vec<Role>,
    /// Base64 of the 32 raw public key bytes; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

impl Signer {
    /// The signer's public key, when the trust file gives it (`None`
    /// without `public_key`, or when it is not a valid Ed25519 key).
    pub fn key(&self) -> Option<crate::keys::PublicKey> {
        let bytes = crate::b64_decode(self.public_key.as_deref()?)?;
        crate::keys::PublicKey::from_bytes(&bytes.try_into().ok()?)
            .filter(|k| k.key_id() == self.key_id.to_ascii_lowercase())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    #[serde(default)]
    signer: Vec<Signer>,
}

/// The parsed trust file: key id → signer.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    signers: HashMap<String, Signer>,
}

impl Trust {
    /// Reads and checks a trust file; given a folder, reads its `trust.toml`.
    pub fn load(path: &Path) -> Result<Trust> {
        let file;
        let path = if path.is_dir() {
            file = path.join("trust.toml");
            file.as_path()
        } else {
            path
        };
        let text = std::fs::read_to_string(path).map_err(|e| LedgerError::io(path, e))?;
        Trust::parse(&text).map_err(|detail| LedgerError::Trust {
            path: path.to_owned(),
            detail,
        })
    }

    /// Parses trust-file text; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Trust, String> {
        let file: TrustFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut signers = HashMap::new();
        for s in file.signer {
            if s.key_id.len() != 16 || !s.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "key_id `{}` must be 16 hex digits (see `baomi key new`)",
                    s.key_id
                ));
            }
            if let Some(pk) = &s.public_key {
                let bytes = crate::b64_decode(pk)
                    .ok_or_else(|| format!("public_key of {} is not base64", s.key_id))?;
                let arr: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| format!("public_key of {} is not 32 bytes", s.key_id))?;
                if crate::keys::key_id_of(&arr) != s.key_id.to_ascii_lowercase() {
                    return Err(format!(
                        "public_key of {} does not match its key_id",
                        s.key_id
                    ));
                }
            }
            let id = s.key_id.to_ascii_lowercase();
            if signers
                .insert(
                    id.clone(),
                    Signer {
                        key_id: id.clone(),
                        ..s
                    },
                )
                .is_some()
            {
                return Err(format!("key_id {id} is listed twice"));
            }
        }
        Ok(Trust { signers })
    }

    /// Adds (or replaces) a signer; for programs that keep trust elsewhere.
    pub fn insert(&mut self, signer: Signer) {
        self.signers
            .insert(signer.key_id.to_ascii_lowercase(), signer);
    }

    /// The signer of a key id, if trusted.
    pub fn signer(&self, key_id: &str) -> Option<&Signer> {
        self.signers.get(key_id)
    }

    /// The roles a key may sign for (empty when the key is unknown).
    pub fn roles_of(&self, key_id: &str) -> &[Role] {
        self.signers.get(key_id).map_or(&[], |s| &s.roles)
    }

    /// The person's (or service's) name for a key id.
    pub fn name_of(&self, key_id: &str) -> Option<&str> {
        self.signers.get(key_id).map(|s| s.name.as_str())
    }

    /// All trusted signers.
    pub fn signers(&self) -> impl Iterator<Item = &Signer> {
        self.signers.values()
    }
}

/// A trust file re-read when it changes on disk, for long-running
/// processes (`baomi serve`): the administrator registers a reviewer's key
/// (`baomi key register --enrolment …`) while the server runs, and the
/// server and its ledger monitor see it at their next look, without a
/// restart. A file that no longer parses keeps the last good version (and
/// says so in the log): a typo must not make every signer unknown.
#[derive(Debug)]
pub struct TrustWatch {
    path: Option<std::path::PathBuf>,
    state: std::sync::Mutex<WatchState>,
}

#[derive(Debug)]
struct WatchState {
    stamp: Option<(std::time::SystemTime, u64)>,
    generation: u64,
    trust: Option<std::sync::Arc<Trust>>,
}

impl TrustWatch {
    /// Watches `path` (loaded now; an error if it cannot be read).
    pub fn file(path: &Path) -> Result<TrustWatch> {
        let trust = Trust::load(path)?;
        Ok(TrustWatch {
            path: Some(path.to_owned()),
            state: std::sync::Mutex::new(WatchState {
                stamp: Self::stamp(path),
                generation: 1,
                trust: Some(std::sync::Arc::new(trust)),
            }),
        })
    }

    /// A trust that never changes (or none at all).
    pub fn fixed(trust: Option<Trust>) -> TrustWatch {
        TrustWatch {
            path: None,
            state: std::sync::Mutex::new(WatchState {
                stamp: None,
                generation: 1,
                trust: trust.map(std::sync::Arc::new),
            }),
        }
    }

    fn stamp(path: &Path) -> Option<(std::time::SystemTime, u64)> {
        let m = std::fs::metadata(path).ok()?;
        Some((m.modified().ok()?, m.len()))
    }

    /// The trust now, and a generation number that changes whenever it
    /// does. Costs one `stat` of the file.
    pub fn current(&self) -> (u64, Option<std::sync::Arc<Trust>>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(path) = &self.path {
            let now = Self::stamp(path);
            if now != st.stamp {
                st.stamp = now;
                match Trust::load(path) {
                    Ok(t) => {
                        st.generation += 1;
                        st.trust = Some(std::sync::Arc::new(t));
                        tracing::info!(path = %path.display(), "trust file changed; re-read it");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the trust file changed but cannot be read; still using its last good version")
                    }
                }
            }
        }
        (st.generation, st.trust.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let t = Trust::parse(
            r#"
[[signer]]
key_id = "0123456789ABCDEF"
name = "张三"
roles = ["department", "secrecy-committee"]
"#,
        )
        .unwrap();
        assert_eq!(
            t.roles_of("0123456789abcdef"),
            &[Role::Department, Role::SecrecyCommittee]
        );
        assert_eq!(t.name_of("0123456789abcdef"), Some("张三"));
        assert!(t.roles_of("ffffffffffffffff").is_empty());
        assert!(
            Trust::parse("[[signer]]\nkey_id=\"01\"\nname=\"x\"\nroles=[]")
                .unwrap_err()
                .contains("16 hex")
        );
        assert!(Trust::parse(
            "[[signer]]\nkey_id=\"0123456789abcdef\"\nname=\"x\"\nroles=[\"boss\"]"
        )
        .unwrap_err()
        .contains("boss"));
    }

    #[test]
    fn a_signer_key_only_from_its_public_key() {
        let k = crate::KeyPair::generate().unwrap();
        let mut s = Signer {
            key_id: k.key_id().to_ascii_uppercase(),
            name: "扫描服务".into(),
            roles: vec![Role::Scanner],
            public_key: None,
        };
        assert!(s.key().is_none(), "no public_key, no key");
        s.public_key = Some(k.public_key().to_base64());
        assert_eq!(s.key().unwrap().key_id(), k.key_id());
        s.public_key = Some(crate::KeyPair::generate().unwrap().public_key().to_base64());
        assert!(s.key().is_none(), "a key that is not the key id's");
    }
}
