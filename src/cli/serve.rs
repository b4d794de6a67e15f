//! `baomi serve`: the reviewer web UI and the HTTP scan API on
//! 127.0.0.1 (see `crates/baomi-web`).

use super::office::{load_trust, require_registered, Office};
use super::review::REVIEWER_ROLES;
use anyhow::Context;
use baomi_ledger::{
    load_private_key, spawn_monitor, spawn_monitor_watching, KeyPair, MonitorTimes, Role,
};
use baomi_web::review::ReviewPath;
use baomi_web::server::{Access, ConnectionLimits, DEFAULT_MAX_CONNECTIONS};
use baomi_web::{ServerConfig, Store, DEFAULT_MAX_BODY};
use clap::Args;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args)]
pub struct ServeArgs {
    /// The ledger database, created if missing [default: baomi.toml's `db`,
    /// else ./baomi.db].
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// The reviewer key that signs every decision and waiver made in the UI
    /// (one reviewer on this machine). Without it, each reviewer signs in
    /// their own browser with a key the server never sees (enrol at
    /// /enrol; `baomi key register --enrolment CODE`).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Trust file (default ./trust.toml).
    #[arg(long, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Address to listen on. Keep it on 127.0.0.1 unless a reverse proxy
    /// with authentication stands in front: whoever reaches the port signs
    /// with this process's key. Any other address needs --public-url or
    /// --allow-host (the Host check against DNS rebinding is never off).
    /// (`--bind` is the same.) With browser keys, an address other than
    /// loopback needs --public-url.
    #[arg(
        long,
        visible_alias = "bind",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// The URL reviewers open, e.g. https://baomi.office.lan/ behind a TLS
    /// reverse proxy: its host[:port] is answered to, and posts must come
    /// from its origin.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
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
    /// Do not read text in images (OCR) in uploaded drafts; see `baomi scan --no-ocr`.
    #[arg(long)]
    pub no_ocr: bool,
    /// Also answer requests whose Host header is NAME:PORT (e.g. behind a
    /// reverse proxy). Other Host values are refused (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME:PORT")]
    pub allow_hosts: Vec<String>,
    /// Connections open at once; further ones get a quick 503 and are
    /// closed.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers (from connecting,
    /// or from the first byte of a later request).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = seconds)]
    pub header_timeout: Duration,
    /// Seconds a keep-alive connection may wait for its next request.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Seconds a request body (an uploaded draft, a form) may take to arrive.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = seconds)]
    pub body_timeout: Duration,
    /// Seconds a page or API read may take to prepare (not decisions,
    /// waivers or recorded scans, which are never cut off).
    #[arg(long, value_name = "SECS", default_value = "120", value_parser = seconds)]
    pub handler_timeout: Duration,
}

/// A positive number of seconds (fractions allowed).
fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(v > 0.0 && v <= 86_400.0) {
        return Err("give a number of seconds above 0 and at most 86400".into());
    }
    Ok(Duration::from_secs_f64(v))
}

fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err(format!("`{s}`: give a number from 1 to 1000000")),
    }
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
    let office = Office::current();
    let db = office.db(args.db.as_deref());
    let trust_file = load_trust(args.trust.as_deref())?;
    let trust = trust_file.as_ref().map(|t| t.0.clone());
    let review_path = match &office.stages(args.stages.as_deref()) {
        None => ReviewPath::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            ReviewPath::from_toml(&text).with_context(|| format!("in {}", p.display()))?
        }
    };
    let reviewer = match &args.key {
        Some(p) => {
            let k = key(p)?;
            require_registered(&k, p, trust_file.as_ref(), &REVIEWER_ROLES, "reviewer")?;
            Some(k)
        }
        None => None,
    };
    let scanner_key_path = Some(office.scanner_key(args.scanner_key.as_deref()))
        .filter(|p| args.scanner_key.is_some() || p.exists());
    let scanner_key = match &scanner_key_path {
        Some(p) => {
            let k = key(p)?;
            require_registered(&k, p, trust_file.as_ref(), &[Role::Scanner], "scanner")?;
            Some(k)
        }
        None => None,
    };
    // Before the ledger is opened: a listening address the Host check
    // could not protect is refused, with what to pass instead.
    Access::new(args.listen, args.public_url.as_deref(), &args.allow_hosts)
        .map_err(anyhow::Error::msg)?;
    match &reviewer {
        Some(k) if !args.listen.ip().is_loopback() => eprintln!(
            "warning: listening on {}, not loopback: anyone who reaches it can sign as {}",
            args.listen,
            k.key_id()
        ),
        None if !args.listen.ip().is_loopback() && args.public_url.is_none() => anyhow::bail!(
            "listening on {} for reviewers' browsers needs --public-url with the URL they open \
             (e.g. --public-url https://baomi.office.lan/ behind a TLS reverse proxy): logins are \
             signed for that origin, and browsers allow keys only on https:// pages or on this machine",
            args.listen
        ),
        _ => {}
    }
    let browser = match (&reviewer, &trust_file) {
        (Some(_), _) => None,
        (None, None) => anyhow::bail!(
            "without --key, reviewers sign in their browsers, and their keys are registered in a trust file; \
             none was given or found (give --trust FILE, or run `baomi init` to make an office with one)"
        ),
        (None, Some((_, path))) => Some(baomi_web::server::BrowserKeys {
            trust: Arc::new(
                baomi_ledger::TrustWatch::file(path)
                    .with_context(|| format!("cannot use the trust file {}", path.display()))?,
            ),
            enrolments: baomi_web::enrol::Enrolments::for_db(&db),
        }),
    };
    let scanner = Arc::new(super::load_scanner(
        office.rules(args.rules.as_deref()).as_deref(),
    )?);
    let archive = baomi_archive::Archive::open(&office.archive(&db))?;
    let store = Store::open(
        &db,
        baomi_web::OpenMode::Create,
        trust.clone(),
        review_path,
        scanner.clone(),
    )
    .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(&db)))?
    .with_archive(archive);
    // Verified in the background: pages are served meanwhile, and say so.
    // With browser keys the trust file grows while serving: re-read it.
    let checkpoints = Some(store.ledger().checkpoint_dir().path().to_owned());
    let integrity = match &browser {
        Some(b) => spawn_monitor_watching(
            db.clone(),
            checkpoints,
            b.trust.clone(),
            MonitorTimes::default(),
        ),
        None => spawn_monitor(db.clone(), checkpoints, trust, MonitorTimes::default()),
    };
    if browser.is_some() {
        eprintln!(
            "baomi serve: reviewers sign in their browsers: each enrols at /enrol, then the administrator runs `baomi key register --enrolment CODE --person NAME --role ROLE`"
        );
    }
    // The ledger page signs a fresh head with this key; with browser keys
    // it is the scanner key (or, lacking one, a temporary key that signs
    // nothing else).
    let head_key = match (&reviewer, &scanner_key) {
        (Some(k), _) | (None, Some(k)) => k.clone(),
        (None, None) => KeyPair::generate()?,
    };
    let cfg = ServerConfig {
        store,
        key: head_key,
        browser,
        scanner_key,
        scanner,
        limits: {
            let mut l = baomi_extract::Limits::default();
            l.ocr.enabled = !args.no_ocr;
            l
        },
        max_body: args.max_body,
        allow_hosts: args.allow_hosts,
        public_url: args.public_url,
        connections: ConnectionLimits {
            max_connections: args.max_connections,
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            body_timeout: args.body_timeout,
            handler_timeout: args.handler_timeout,
        },
        integrity,
    };
    baomi_web::run(cfg, args.listen).with_context(|| format!("cannot serve on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
