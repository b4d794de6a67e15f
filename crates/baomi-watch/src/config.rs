//! Daemon settings, and the `baomi.toml` file they can come from.

use crate::WatchError;
use baomi_extract::Limits;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Files larger than this go to `failed/` unread unless configured otherwise.
/// It matches the extractor's in-memory limit, so every accepted file is read
/// once, through the descriptor the safety checks were made on.
pub const DEFAULT_MAX_SIZE: u64 = 256 << 20;

/// How changes in `inbox/` are noticed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PollMode {
    /// Kernel events (inotify), unless the root is on a network share, which
    /// does not deliver events for changes made by other machines: then poll
    /// at this interval.
    Auto(Duration),
    /// Always poll at this interval.
    Always(Duration),
    /// Always use kernel events, even on a network share.
    Never,
}

/// Everything the daemon needs besides the scanner and the recorder.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// The watched root; `inbox/` and the outcome folders live inside it.
    pub root: PathBuf,
    /// A file is taken only after its size and mtime stayed the same this long.
    pub quiet_period: Duration,
    pub poll: PollMode,
    /// Larger files go to `failed/` without being read.
    pub max_size: u64,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Full re-listing of `inbox/` as a safety net against lost events.
    pub rescan_interval: Duration,
    /// Process what is in `inbox/` (waiting for files still being written)
    /// and return instead of watching.
    pub once: bool,
    /// Extraction limits (zip bombs, nesting, …).
    pub limits: Limits,
    /// How many inbox files are tracked for stability at once. A larger
    /// backlog stays on disk and is picked up by re-listing, so dropping
    /// 100,000 files costs memory for this many, not for all of them.
    pub max_tracked: usize,
}

impl WatchConfig {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        WatchConfig {
            root: root.into(),
            quiet_period: Duration::from_secs(2),
            poll: PollMode::Auto(Duration::from_secs(5)),
            max_size: DEFAULT_MAX_SIZE,
            workers: 0,
            rescan_interval: Duration::from_secs(60),
            once: false,
            limits: Limits::default(),
            max_tracked: 4096,
        }
    }

    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }
}

/// The `baomi.toml` file. Settings may sit in a `[watch]` table or at the
/// top level (shared with other subcommands); `[watch]` wins. Unknown keys in
/// `[watch]` are refused so that a typo does not silently fall back to a
/// default; unknown top-level keys and other tables belong to other
/// subcommands and are left alone.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub root: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Seconds.
    pub quiet_period: Option<f64>,
    /// Seconds; forces polling. `0` forces kernel events.
    pub poll: Option<f64>,
    /// Bytes, or a string like `"100 MiB"`.
    pub max_size: Option<Size>,
    pub workers: Option<usize>,
    /// Seconds between full re-listings of `inbox/`.
    pub rescan_interval: Option<f64>,
    /// `human` or `json`.
    pub log_format: Option<String>,
    /// Read text in images (OCR); `false` is `--no-ocr`.
    pub ocr: Option<bool>,
}

const KEYS: [&str; 11] = [
    "root",
    "rules",
    "db",
    "key",
    "quiet_period",
    "poll",
    "max_size",
    "workers",
    "rescan_interval",
    "log_format",
    "ocr",
];

/// A byte count written as a number or as `"256 MiB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SizeRepr")]
pub struct Size(pub u64);

#[derive(Deserialize)]
#[serde(untagged)]
enum SizeRepr {
    Int(u64),
    Str(String),
}

impl TryFrom<SizeRepr> for Size {
    type Error = String;
    fn try_from(r: SizeRepr) -> Result<Size, String> {
        match r {
            SizeRepr::Int(n) => Ok(Size(n)),
            SizeRepr::Str(s) => parse_size(&s).map(Size),
        }
    }
}

/// Parses `1234`, `100KB`, `100 KiB`, `2 MiB`, `1G` (K/M/G are binary).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a size: {s:?} (write e.g. 100MiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown size unit in {s:?} (use KiB, MiB or GiB)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size too large: {s:?}"))
}

impl FileConfig {
    /// Reads `path`; the `[watch]` table's settings override the top level.
    pub fn load(path: &Path) -> Result<FileConfig, WatchError> {
        let text = std::fs::read_to_string(path).map_err(|e| WatchError::io(path, e))?;
        let bad = |message: String| WatchError::Config {
            path: path.to_path_buf(),
            message,
        };
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let watch = match table.remove("watch") {
            None => None,
            Some(toml::Value::Table(t)) => Some(t),
            Some(_) => return Err(bad("`watch` must be a table ([watch])".into())),
        };
        let top: toml::Table = table
            .into_iter()
            .filter(|(k, _)| KEYS.contains(&k.as_str()))
            .collect();
        let mut cfg: FileConfig = top
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string()))?;
        if let Some(w) = watch {
            let w: FileConfig = w
                .try_into()
                .map_err(|e: toml::de::Error| bad(format!("[watch]: {e}")))?;
            macro_rules! over {
                ($($f:ident),*) => { $( if w.$f.is_some() { cfg.$f = w.$f; } )* };
            }
            over!(
                root,
                rules,
                db,
                key,
                quiet_period,
                poll,
                max_size,
                workers,
                rescan_interval,
                log_format
            );
        }
        // Relative paths in the file are relative to the file, not to
        // wherever the daemon happened to be started.
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut cfg.root, &mut cfg.rules, &mut cfg.db, &mut cfg.key]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        for (name, v) in [
            ("quiet_period", cfg.quiet_period),
            ("poll", cfg.poll),
            ("rescan_interval", cfg.rescan_interval),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && (0.0..1e7).contains(&v)) {
                    return Err(WatchError::Config {
                        path: path.to_path_buf(),
                        message: format!("{name} must be a number of seconds ≥ 0, not {v}"),
                    });
                }
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1234").unwrap(), 1234);
        assert_eq!(parse_size("100 KiB").unwrap(), 102_400);
        assert_eq!(parse_size("2MiB").unwrap(), 2 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("").is_err());
    }

    #[test]
    fn watch_table_overrides_top_level_and_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("baomi.toml");
        std::fs::write(
            &p,
            "db = \"top.db\"\nkey = \"/etc/baomi/scan.key\"\n[watch]\nroot = \"share\"\ndb = \"w.db\"\nquiet_period = 0.5\nmax_size = \"10 MiB\"\n[serve]\nlisten = \"127.0.0.1:8080\"\n",
        )
        .unwrap();
        let c = FileConfig::load(&p).unwrap();
        assert_eq!(c.db.unwrap(), dir.path().join("w.db"));
        assert_eq!(c.root.unwrap(), dir.path().join("share"));
        assert_eq!(c.key.unwrap(), PathBuf::from("/etc/baomi/scan.key"));
        assert_eq!(c.quiet_period, Some(0.5));
        assert_eq!(c.max_size, Some(Size(10 << 20)));
    }

    #[test]
    fn typos_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("baomi.toml");
        std::fs::write(&p, "[watch]\nquiet_perod = 1\n").unwrap();
        let e = FileConfig::load(&p).unwrap_err().to_string();
        assert!(e.contains("quiet_perod"), "{e}");
        std::fs::write(&p, "[watch]\npoll = -1\n").unwrap();
        assert!(FileConfig::load(&p).is_err());
    }
}
