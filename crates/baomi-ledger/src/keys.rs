//! Ed25519 signing keys in standard files.
//!
//! A key pair is two files: `NAME.key`, the private key as PKCS#8 PEM
//! (mode 0600, never overwritten), and `NAME.pub`, the public key as an SPKI
//! PEM. Both are what `openssl pkey` reads, so an office can inspect, back up
//! and audit keys with tools it already trusts.
//!
//! A key is named by its **key id**: the first 16 hex digits of the SHA-256
//! of the raw 32-byte public key. The id is what the trust file lists and
//! what every ledger entry carries; each entry also stores the full public
//! key, so a verifier can check signatures without the key files.

use crate::error::{LedgerError, Result};
use ed25519_dalek::ed25519::pkcs8::{
    spki::der::pem::LineEnding, DecodePrivateKey, DecodePublicKey, EncodePrivateKey,
    EncodePublicKey, KeypairBytes,
};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Where `baomi scan --db` finds (or creates) the scanner's key when no
/// `--key` is given: `./baomi-scanner.key` and `./baomi-scanner.pub`.
pub const DEFAULT_SCANNER_KEY: &str = "baomi-scanner.key";

/// The key id of a raw Ed25519 public key: first 16 hex digits of its SHA-256.
pub fn key_id_of(public_key: &[u8; 32]) -> String {
    crate::hex(&Sha256::digest(public_key)[..8])
}

/// An Ed25519 public key and its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    key_id: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl PublicKey {
    /// A public key from its 32 raw bytes; fails for bytes that are not a
    /// point on the curve.
    ///
    /// Weak (small-order) keys are refused here, once per key, so that
    /// [`verify`](Self::verify) can use the faster non-strict check.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublicKey> {
        let key = VerifyingKey::from_bytes(bytes)
            .ok()
            .filter(|k| !k.is_weak())?;
        Some(PublicKey {
            key_id: key_id_of(bytes),
            key,
        })
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id (16 hex digits).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Base64 of the 32 raw bytes, as a trust file's `public_key`.
    pub fn to_base64(&self) -> String {
        crate::b64_encode(&self.key.to_bytes())
    }

    /// Checks an Ed25519 signature over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(signature);
        // Non-strict RFC 8032 verification (canonical `s` still required);
        // weak keys were refused when this key was made.
        ed25519_dalek::Verifier::verify(&self.key, message, &sig).is_ok()
    }

    /// The SPKI PEM text of a `.pub` file.
    pub fn to_pem(&self) -> String {
        // Encoding a valid key into PEM cannot fail; fall back to an empty
        // string rather than panic if the encoder ever disagrees.
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// Reads a `.pub` file (SPKI PEM, as written by `baomi key new` or
    /// `openssl pkey -pubout`).
    pub fn load(path: &Path) -> Result<PublicKey> {
        let text = std::fs::read_to_string(path).map_err(|e| LedgerError::io(path, e))?;
        let key =
            VerifyingKey::from_public_key_pem(text.trim()).map_err(|e| LedgerError::BadKey {
                path: path.to_owned(),
                what: "public key",
                detail: e.to_string(),
            })?;
        if key.is_weak() {
            return Err(LedgerError::BadKey {
                path: path.to_owned(),
                what: "public key",
                detail: "a weak (small-order) key, which verifies forged signatures".into(),
            });
        }
        Ok(PublicKey {
            key_id: key_id_of(&key.to_bytes()),
            key,
        })
    }
}

/// An Ed25519 key pair that signs ledger entries and checkpoints.
///
/// `Debug` shows only the key id: private key material never reaches logs or
/// error messages. The secret is zeroed when the pair is dropped.
///
/// ```
/// let key = baomi_ledger::KeyPair::generate().unwrap();
/// assert_eq!(key.key_id().len(), 16);
/// assert!(!format!("{key:?}").contains("secret"));
/// ```
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
    public: PublicKey,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_id", &self.public.key_id)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A new key pair from the operating system's random number generator.
    pub fn generate() -> Result<KeyPair> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut()).map_err(|e| LedgerError::Random(e.to_string()))?;
        Ok(KeyPair::from_signing_key(SigningKey::from_bytes(&seed)))
    }

    fn from_signing_key(signing: SigningKey) -> KeyPair {
        let key = signing.verifying_key();
        let public = PublicKey {
            key_id: key_id_of(&key.to_bytes()),
            key,
        };
        KeyPair { signing, public }
    }

    /// The key id (16 hex digits) that entries signed by this key carry.
    pub fn key_id(&self) -> &str {
        &self.public.key_id
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` with Ed25519.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// Writes `BASE.key` (PKCS#8 PEM, mode 0600) and `BASE.pub` (SPKI PEM)
    /// next to each other, where `base` is e.g. `keys/alice` (an extension
    /// `.key` on `base` is dropped). Neither file may exist yet: a key file
    /// is never overwritten. Returns the two paths.
    pub fn write_files(&self, base: &Path) -> Result<(PathBuf, PathBuf)> {
        let (key_path, pub_path) = key_file_paths(base);
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(LedgerError::KeyExists { path: p.clone() });
            }
        }
        // PKCS#8 v1 (RFC 8410, the secret only): OpenSSL 3.0 cannot read the
        // v2 form that also embeds the public key.
        let secret = KeypairBytes {
            secret_key: self.signing.to_bytes(),
            public_key: None,
        };
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| LedgerError::BadKey {
                path: key_path.clone(),
                what: "private key",
                detail: e.to_string(),
            })?;
        write_new(&key_path, pem.as_bytes(), 0o600)?;
        if let Err(e) = write_new(&pub_path, self.public.to_pem().as_bytes(), 0o644) {
            // Leave no private key without its public half behind.
            let _ = std::fs::remove_file(&key_path);
            return Err(e);
        }
        tracing::info!(key_id = %self.key_id(), path = %key_path.display(), "wrote key pair");
        Ok((key_path, pub_path))
    }
}

/// `NAME.key` and `NAME.pub` for a base path `NAME` (or `NAME.key`).
pub fn key_file_paths(base: &Path) -> (PathBuf, PathBuf) {
    let stem = if base.extension().is_some_and(|e| e == "key" || e == "pub") {
        base.with_extension("")
    } else {
        base.to_owned()
    };
    let with = |ext: &str| {
        let mut s = stem.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".key"), with(".pub"))
}

/// Generates a key pair and writes `BASE.key` and `BASE.pub` (see
/// [`KeyPair::write_files`]).
pub fn write_key_pair(base: &Path) -> Result<(KeyPair, PathBuf, PathBuf)> {
    let key = KeyPair::generate()?;
    let (k, p) = key.write_files(base)?;
    Ok((key, k, p))
}

/// Reads a private key file (PKCS#8 PEM). Like ssh, refuses a file that
/// group or others may read or write, naming the `chmod 600` that fixes it.
pub fn load_private_key(path: &Path) -> Result<KeyPair> {
    check_private_permissions(path)?;
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| LedgerError::io(path, e))?);
    let signing = SigningKey::from_pkcs8_pem(text.trim()).map_err(|e| LedgerError::BadKey {
        path: path.to_owned(),
        // The decoder's message names the structural problem only, never key bytes.
        what: "private key (PKCS#8)",
        detail: e.to_string(),
    })?;
    Ok(KeyPair::from_signing_key(signing))
}

/// Loads the scanner key at `path`, or creates it (with its `.pub`) on first
/// use. The flag says whether it was created just now.
pub fn default_scanner_key(path: &Path) -> Result<(KeyPair, bool)> {
    if path.exists() {
        return Ok((load_private_key(path)?, false));
    }
    let key = KeyPair::generate()?;
    match key.write_files(path) {
        Ok(_) => Ok((key, true)),
        // Another process created it between our check and our write: use theirs.
        Err(LedgerError::KeyExists { .. }) if path.exists() => Ok((load_private_key(path)?, false)),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn check_private_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| LedgerError::io(path, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(LedgerError::KeyPermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_permissions(path: &Path) -> Result<()> {
    std::fs::metadata(path).map_err(|e| LedgerError::io(path, e))?;
    Ok(())
}

/// Creates `path` with `bytes`, atomically and never replacing a file: the
/// bytes go to a temporary file beside it, which is then hard-linked to
/// `path` (link(2) fails if `path` exists). So a second process that finds
/// the file (e.g. two first uses of the scanner key at once) never reads it
/// half-written. Where hard links are not supported, falls back to an
/// exclusive create.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let exists = |path: &Path| LedgerError::KeyExists {
        path: path.to_owned(),
    };
    if path.exists() {
        return Err(exists(path));
    }
    let mut tmp_name = path.as_os_str().to_owned();
    let mut salt = [0u8; 6];
    getrandom::getrandom(&mut salt).map_err(|e| LedgerError::Random(e.to_string()))?;
    tmp_name.push(format!(".tmp-{}", crate::hex(&salt)));
    let tmp = PathBuf::from(tmp_name);
    create_exclusive(&tmp, bytes, mode)?;
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(path)),
        // No hard links here (some network or FAT file systems).
        Err(_) => create_exclusive(path, bytes, mode),
    }
}

fn create_exclusive(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            LedgerError::KeyExists {
                path: path.to_owned(),
            }
        } else {
            LedgerError::io(path, e)
        }
    })?;
    if let Err(e) = f.write_all(bytes).and_then(|_| f.sync_all()) {
        let _ = std::fs::remove_file(path);
        return Err(LedgerError::io(path, e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_no_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("alice");
        let (key, k, p) = write_key_pair(&base).unwrap();
        assert_eq!(k, dir.path().join("alice.key"));
        let loaded = load_private_key(&k).unwrap();
        assert_eq!(loaded.key_id(), key.key_id());
        assert_eq!(PublicKey::load(&p).unwrap(), *key.public_key());
        let sig = loaded.sign(b"x");
        assert!(key.public_key().verify(b"x", &sig));
        assert!(!key.public_key().verify(b"y", &sig));
        assert!(matches!(
            write_key_pair(&base),
            Err(LedgerError::KeyExists { .. })
        ));
        // the original is untouched
        assert_eq!(load_private_key(&k).unwrap().key_id(), key.key_id());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_readable_private_key() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (_, k, _) = write_key_pair(&dir.path().join("bob")).unwrap();
        assert_eq!(
            std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_private_key(&k).unwrap_err().to_string();
        assert!(err.contains(&format!("chmod 600 {}", k.display())), "{err}");
    }

    #[test]
    fn debug_and_errors_hide_secret() {
        let key = KeyPair::generate().unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains(key.key_id()));
        let dir = tempfile::tempdir().unwrap();
        let (k, _) = key.write_files(&dir.path().join("c")).unwrap();
        let pem = std::fs::read_to_string(&k).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!dbg.contains(&body));
        // A damaged key file: the error must not echo its contents.
        let broken = pem.replace('A', "B");
        let bad = dir.path().join("bad.key");
        write_new(&bad, broken.as_bytes(), 0o600).unwrap();
        if let Err(e) = load_private_key(&bad) {
            let msg = e.to_string();
            assert!(!msg.contains(&body[..20]), "{msg}");
        }
    }

    #[test]
    fn racing_first_uses_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DEFAULT_SCANNER_KEY);
        let ids: Vec<String> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| s.spawn(|| default_scanner_key(&path).unwrap().0.key_id().to_owned()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 2, "no temporary files left: {left:?}");
    }

    #[test]
    fn scanner_key_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DEFAULT_SCANNER_KEY);
        let (a, created) = default_scanner_key(&path).unwrap();
        assert!(created);
        let (b, created) = default_scanner_key(&path).unwrap();
        assert!(!created);
        assert_eq!(a.key_id(), b.key_id());
    }
}
