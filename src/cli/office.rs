//! The office's settings: `baomi.toml` (written by `baomi init`), read by
//! every command for its defaults, so that after `baomi init office && cd
//! office` the commands need no paths. Flags always win; then the
//! environment (`BAOMI_CHECKPOINTS`, `BAOMI_TIMEZONE`); then this file;
//! then the built-in defaults (`./baomi.db`, `./trust.toml`, …).
//!
//! Paths in the file are relative to the file's own folder. Only the
//! top-level keys below are read here; `[watch]` and other tables belong to
//! their commands (see `baomi_watch::FileConfig`).

use anyhow::Context;
use baomi_ledger::{DEFAULT_DB, DEFAULT_SCANNER_KEY};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The settings file looked for in the current folder.
pub const CONFIG_FILE: &str = "baomi.toml";

/// Top-level settings of `baomi.toml`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Office {
    /// The watched share (with inbox/ and the outcome folders).
    pub root: Option<PathBuf>,
    /// The ledger database.
    pub db: Option<PathBuf>,
    /// The scanner's signing key.
    pub key: Option<PathBuf>,
    /// The trust file.
    pub trust: Option<PathBuf>,
    /// The review path (stages).
    pub stages: Option<PathBuf>,
    /// Rule folder (default: the shipped rules).
    pub rules: Option<PathBuf>,
    /// The draft archive.
    pub archive: Option<PathBuf>,
    /// Days a draft stays in the archive after its review closed
    /// (`baomi archive prune`); default 365.
    pub archive_retention_days: Option<u64>,
    /// The automatic checkpoint folder.
    pub checkpoints: Option<PathBuf>,
    /// The office's time zone for dates people read (default Asia/Shanghai).
    pub timezone: Option<String>,
    /// Where the file was found (paths are relative to its folder).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

static OFFICE: OnceLock<Office> = OnceLock::new();

impl Office {
    /// Reads `path`, resolving relative paths against its folder.
    pub fn load(path: &Path) -> anyhow::Result<Office> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        // Unknown keys and tables belong to other commands (`[watch]`, …).
        let f: Office = toml::from_str(&text)
            .with_context(|| format!("{} is not a valid settings file", path.display()))?;
        let mut o = f;
        let base = path.parent().unwrap_or(Path::new(""));
        for p in [
            &mut o.root,
            &mut o.db,
            &mut o.key,
            &mut o.trust,
            &mut o.stages,
            &mut o.rules,
            &mut o.archive,
            &mut o.checkpoints,
        ]
        .into_iter()
        .flatten()
        {
            // A PostgreSQL URL is not a path.
            if p.is_relative() && !baomi_ledger::is_postgres_url(p) {
                *p = base.join(&*p);
            }
        }
        o.file = Some(path.to_owned());
        Ok(o)
    }

    /// The settings of this process: `./baomi.toml` if present. Loaded
    /// once; a broken file is an error for the command that needs it.
    pub fn current() -> &'static Office {
        OFFICE.get_or_init(Office::default)
    }

    /// Loads `./baomi.toml` (when present) for [`Office::current`], and
    /// hands the settings that libraries read from the environment to them.
    /// Called once at start, before any thread exists.
    pub fn init() -> anyhow::Result<()> {
        let path = Path::new(CONFIG_FILE);
        let office = if path.is_file() {
            Office::load(path)?
        } else {
            Office::default()
        };
        if let Some(c) = &office.checkpoints {
            if std::env::var_os("BAOMI_CHECKPOINTS").is_none() {
                std::env::set_var("BAOMI_CHECKPOINTS", c);
            }
        }
        if let Some(tz) = &office.timezone {
            if std::env::var_os("BAOMI_TIMEZONE").is_none() {
                std::env::set_var("BAOMI_TIMEZONE", tz);
            }
        }
        // An unknown zone stops here, rather than dating forms wrongly.
        baomi_core::time::init_office_zone().map_err(|e| {
            anyhow::anyhow!(
                "{e} (the time zone comes from BAOMI_TIMEZONE or `timezone` in {CONFIG_FILE})"
            )
        })?;
        let _ = OFFICE.set(office);
        Ok(())
    }

    pub fn db(&self, given: Option<&Path>) -> PathBuf {
        given
            .map(Path::to_path_buf)
            .or_else(|| self.db.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DB))
    }

    /// The trust file: given, configured, or `./trust.toml` when it exists.
    pub fn trust(&self, given: Option<&Path>) -> Option<PathBuf> {
        given
            .map(Path::to_path_buf)
            .or_else(|| self.trust.clone())
            .or_else(|| Some(PathBuf::from("trust.toml")).filter(|p| p.exists()))
    }

    pub fn stages(&self, given: Option<&Path>) -> Option<PathBuf> {
        given.map(Path::to_path_buf).or_else(|| self.stages.clone())
    }

    pub fn rules(&self, given: Option<&Path>) -> Option<PathBuf> {
        given.map(Path::to_path_buf).or_else(|| self.rules.clone())
    }

    /// The scanner key: given, configured, or `./baomi-scanner.key`.
    pub fn scanner_key(&self, given: Option<&Path>) -> PathBuf {
        given
            .map(Path::to_path_buf)
            .or_else(|| self.key.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SCANNER_KEY))
    }

    /// The draft archive: configured, else `<db>.archive` beside the ledger.
    pub fn archive(&self, db: &Path) -> PathBuf {
        self.archive.clone().unwrap_or_else(|| {
            // Beside the file; for a PostgreSQL ledger, a folder named
            // after the database in the current folder.
            let db = baomi_ledger::local_base(db);
            let mut name = db.file_name().unwrap_or_default().to_os_string();
            name.push(".archive");
            db.with_file_name(name)
        })
    }
}

/// Refuses to sign with a key that the trust file in use does not list
/// with one of `roles`: its entries would fail `baomi ledger verify`
/// ("unknown key", "role not allowed") from the first one on. Without a
/// trust file anything goes (and verify says it checked no signers).
pub fn require_registered(
    key: &baomi_ledger::KeyPair,
    key_path: &Path,
    trust: Option<&(baomi_ledger::Trust, PathBuf)>,
    roles: &[baomi_ledger::Role],
    what: &str,
) -> anyhow::Result<()> {
    let Some((trust, trust_path)) = trust else {
        return Ok(());
    };
    let role_list: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let register = format!(
        "baomi key register {} --person NAME --role {} --trust {}",
        key_path.display(),
        role_list.first().copied().unwrap_or("ROLE"),
        trust_path.display()
    );
    match trust.signer(key.key_id()) {
        None => anyhow::bail!(
            "the {what} key {} (id {}) is not registered in {}: entries it signed would fail `baomi ledger verify`. Register it first:\n  {register}",
            key_path.display(),
            key.key_id(),
            trust_path.display()
        ),
        Some(s) if !roles.is_empty() && !s.roles.iter().any(|r| roles.contains(r)) => {
            let has: Vec<&str> = s.roles.iter().map(|r| r.as_str()).collect();
            anyhow::bail!(
                "the {what} key {} (id {}, {}) holds the role(s) [{}] in {}, but signing here needs {}; add the role to its entry there",
                key_path.display(),
                key.key_id(),
                s.name,
                has.join(", "),
                trust_path.display(),
                role_list.join(" or ")
            )
        }
        Some(_) => Ok(()),
    }
}

/// The trust file in use (given, configured, or ./trust.toml), loaded.
pub fn load_trust(given: Option<&Path>) -> anyhow::Result<Option<(baomi_ledger::Trust, PathBuf)>> {
    match Office::current().trust(given) {
        None => Ok(None),
        Some(p) => {
            let t = baomi_ledger::Trust::load(&p)
                .with_context(|| format!("cannot use the trust file {}", p.display()))?;
            Ok(Some((t, p)))
        }
    }
}

/// The scanner's key at `path`, registered with the `scanner` role when a
/// trust file is in use. Only when there is none and `may_create` is the
/// key created if missing (and the command to register it printed): with a
/// trust file, nothing signs with a key `baomi ledger verify` would call
/// unknown.
pub fn scanner_key_at(
    path: &Path,
    may_create: bool,
    trust: Option<&(baomi_ledger::Trust, PathBuf)>,
) -> anyhow::Result<baomi_ledger::KeyPair> {
    let key = if trust.is_some() || !may_create {
        baomi_ledger::load_private_key(path).with_context(|| {
            format!(
                "cannot use the scanner key {}; create and register one with `baomi key new {} --person 扫描服务 --role scanner --register`",
                path.display(),
                path.with_extension("").display()
            )
        })?
    } else {
        let (key, created) = baomi_ledger::default_scanner_key(path)
            .with_context(|| format!("cannot load the scanner key {}", path.display()))?;
        if created {
            eprintln!(
                "created the scanner key {} (id {}); register it with `baomi key register {} --person 扫描服务 --role scanner`",
                path.display(),
                key.key_id(),
                path.display()
            );
        }
        key
    };
    require_registered(&key, path, trust, &[baomi_ledger::Role::Scanner], "scanner")?;
    Ok(key)
}
