//! `baomi serve`: the reviewer web UI and the HTTP scan API on
//! 127.0.0.1 (see `crates/baomi-web`).

use anyhow::Context;
use baomi_ledger::{
    load_private_key, spawn_monitor, KeyPair, MonitorTimes, DEFAULT_DB, DEFAULT_SCANNER_KEY,
};
use baomi_web::review::ReviewPath;
use baomi_web::{load_trust, ServerConfig, Store, DEFAULT_MAX_BODY};
use clap::Args;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct ServeArgs {
    /// The ledger database (created if missing).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_DB)]
    pub db: PathBuf,
    /// The reviewer key that signs every decision and waiver made in the UI.
    /// Without it the UI is read-only in effect: a temporary key that no
    /// trust file lists is used, and every decision is refused.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Trust file (default ./trust.toml).
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Address to listen on. Keep it on 127.0.0.1 unless a reverse proxy
    /// with authentication stands in front: whoever reaches the port signs
    /// with this process's key.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Key that signs scans recorded through `POST /api/v1/scan?record=true`
    /// (default ./baomi-scanner.key when it exists).
    #[arg(long, value_name = "FILE")]
    pub scanner_key: Option<PathBuf>,
    /// Review path (TOML [[stage]] id/label/role).
    #[arg(long, value_name = "FILE")]
    pub stages: Option<PathBuf>,
    /// Rules for the scan API and for re-reading documents (default: shipped).
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Largest draft the scan API accepts, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,
    /// Also answer requests whose Host header is NAME:PORT (e.g. behind a
    /// reverse proxy). Other Host values are refused (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME:PORT")]
    pub allow_hosts: Vec<String>,
}

fn key(p: &Path) -> anyhow::Result<KeyPair> {
    load_private_key(p).with_context(|| {
        format!(
            "cannot use the signing key {}; create one with `baomi key new NAME`",
            p.display()
        )
    })
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let trust = load_trust(args.trust.as_deref())?;
    let review_path = match &args.stages {
        None => ReviewPath::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            ReviewPath::from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
    };
    let reviewer = match &args.key {
        Some(p) => key(p)?,
        None => {
            let k = KeyPair::generate()?;
            eprintln!(
                "warning: no --key given; signing with a temporary key {} that no trust file lists, so decisions will be refused",
                k.key_id()
            );
            k
        }
    };
    let scanner_key = match &args.scanner_key {
        Some(p) => Some(key(p)?),
        None if Path::new(DEFAULT_SCANNER_KEY).exists() => {
            Some(key(Path::new(DEFAULT_SCANNER_KEY))?)
        }
        None => None,
    };
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}, not loopback: anyone who reaches it can sign as {}",
            args.listen,
            reviewer.key_id()
        );
    }
    let scanner = Arc::new(super::load_scanner(args.rules.as_deref())?);
    let store = Store::open(&args.db, true, trust.clone(), review_path, scanner.clone())
        .with_context(|| format!("cannot open the ledger {}", args.db.display()))?;
    // Verified in the background: pages are served meanwhile, and say so.
    let integrity = spawn_monitor(
        args.db.clone(),
        Some(store.ledger().checkpoint_dir().path().to_owned()),
        trust,
        MonitorTimes::default(),
    );
    let cfg = ServerConfig {
        store,
        key: reviewer,
        scanner_key,
        scanner,
        limits: baomi_extract::Limits::default(),
        max_body: args.max_body,
        allow_hosts: args.allow_hosts,
        integrity,
    };
    baomi_web::run(cfg, args.listen).with_context(|| format!("cannot serve on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
