//! The HTTP server: the reviewer pages and the `/api/v1` scan API.
//!
//! Security choices, each for a reason:
//! - **Binds to 127.0.0.1 by default** and refuses requests whose `Host` is
//!   not one it was told about (the listening address, `localhost`, the
//!   `--public-url` and `--allow-host` names), so a web page elsewhere
//!   cannot reach it through DNS rebinding. It refuses to start on any
//!   other address without `--public-url` or `--allow-host`, so that check
//!   is never off.
//! - **No state-changing GET.** Decisions and waivers are POST forms carrying
//!   a per-process random token (`csrf`) that another origin cannot read;
//!   posts whose `Origin` (or, without one, `Referer`) is not an allowed
//!   origin, and requests that a browser marks as cross-site, are refused.
//! - **The API's POST needs an `X-Filename` header**, which a cross-site form
//!   cannot send without a CORS preflight that this server never grants.
//! - **Every page is escaped** (maud) and a Content-Security-Policy forbids
//!   all scripts, so a `<script>` in a draft shows as text.
//! - **Bodies are capped** (64 MiB for drafts by default, 1 MiB for forms);
//!   larger requests get 413.
//! - **Connections are bounded** ([`ConnectionLimits`]): at most
//!   `--max-connections` open (the next ones get a quick 503 and are
//!   closed), request headers must arrive within `--header-timeout`, an
//!   idle keep-alive connection is closed after `--idle-timeout`, a request
//!   body must arrive within `--body-timeout`, and a page must be ready
//!   within `--handler-timeout`. The connection loop ([`serve`]) drives
//!   hyper itself, because `axum::serve` has neither timeouts nor a limit.
//! - **Every API error is JSON** (`{"error": "…"}`), whichever layer
//!   produced it (a handler, an extractor's rejection, 404/405, the limits
//!   above); pages get HTML error pages.

#[path = "browser.rs"]
mod browser;
pub use browser::{login_message, BrowserKeys, CHALLENGE_TTL, PREPARED_TTL, SESSION_TTL};

use crate::html::{self, Me, Notice, QueueFilter};
use crate::review::Conclusion;
use crate::store::{DecisionInput, ListFilter, Store, StoreError};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Extension, Form, Json, Router};
use baomi_core::Scanner;
use baomi_extract::{review_bytes, Limits};
use baomi_ledger::KeyPair;
use baomi_ledger::{Health, Integrity};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

/// The checked-in OpenAPI description of `/api/v1`, served at
/// `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Default cap on an uploaded draft.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;
/// Cap on form posts (decisions, waivers).
const MAX_FORM: usize = 1 << 20;

/// Default for `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// Request heads (request line and headers) up to this size are read and,
/// when over [`MAX_HEAD`], answered with a proper 431; hyper itself answers
/// a bare 431 to anything larger and closes. Also hyper's read buffer per
/// connection, so 256 connections hold at most 16 MiB of it.
const HEAD_BUFFER: usize = 64 << 10;
/// Largest request head (request line and headers) served.
const MAX_HEAD: usize = 32 << 10;
/// Most header fields in a request served (hyper's own limit is twice that).
const MAX_HEADER_FIELDS: usize = 100;
/// Longest request target served (414 beyond).
const MAX_URI: usize = 8 << 10;
/// Connections over `--max-connections` being answered 503 at once; more
/// than that are closed without an answer, so a flood cannot use up the
/// process's file descriptors.
const REJECT_SLOTS: usize = 64;
/// How long requests in flight may take to finish after Ctrl-C / SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long each step of a connection may take, and how many may be open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; the next get a quick 503 and are closed.
    pub max_connections: usize,
    /// From connecting (or from the first byte of a later request on a
    /// keep-alive connection) to the end of the request headers.
    pub header_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request
    /// (and a response may take to be read by the client).
    pub idle_timeout: Duration,
    /// From the end of the headers to the end of the request body.
    pub body_timeout: Duration,
    /// How long a page or a GET of the API may take to prepare (reads
    /// only: a decision or a recorded scan is never cut off half-way, so
    /// that an answer never says "failed" about something that was signed).
    pub handler_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            handler_timeout: Duration::from_secs(120),
        }
    }
}

/// Paths of the JSON API.
pub const API_SCAN: &str = "/api/v1/scan";
pub const API_DOCUMENT: &str = "/api/v1/documents/{sha256}";
pub const API_OPENAPI: &str = "/api/v1/openapi.json";
pub const API_REDACT: &str = "/api/v1/redact";

/// The JSON API's routes: (method, path, handler). The router is built
/// from this table and [`api_routes`] lists it, so the OpenAPI test sees
/// exactly what is served.
fn api_table(max_body: usize) -> Vec<(&'static str, &'static str, MethodRouter<Shared>)> {
    vec![
        (
            "post",
            API_SCAN,
            post(api_scan).layer(DefaultBodyLimit::max(max_body)),
        ),
        (
            "post",
            API_REDACT,
            post(api_redact).layer(DefaultBodyLimit::max(max_body)),
        ),
        ("get", API_DOCUMENT, get(api_document)),
        ("get", API_OPENAPI, get(api_openapi)),
    ]
}

/// Every API route the router serves: (lowercase method, path template).
pub fn api_routes() -> Vec<(&'static str, &'static str)> {
    api_table(0).into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// What `baomi serve` starts with.
pub struct ServerConfig {
    pub store: Store,
    /// The reviewer key every decision and waiver made through the UI is
    /// signed with; with `browser` set, only the key that signs the head
    /// shown on the ledger page (the scanner key, or a temporary one).
    pub key: KeyPair,
    /// Reviewers sign in their own browsers with keys the server never
    /// sees (see [`BrowserKeys`]); `key` signs no entry then.
    pub browser: Option<BrowserKeys>,
    /// The key that signs scans recorded through the API (`?record=true`);
    /// the machine scan is a signer of its own (role `scanner`).
    pub scanner_key: Option<KeyPair>,
    pub scanner: Arc<Scanner>,
    pub limits: Limits,
    pub max_body: usize,
    /// Further `Host` values to answer to (`name:port`), e.g. the name a
    /// reverse proxy forwards.
    pub allow_hosts: Vec<String>,
    /// The URL reviewers open (`--public-url`), e.g. a TLS reverse proxy's:
    /// its host is answered to, and posts must come from its origin.
    pub public_url: Option<String>,
    /// Timeouts and the connection limit.
    pub connections: ConnectionLimits,
    /// The running verification of the ledger ([`crate::spawn_monitor`]).
    pub integrity: Arc<Integrity>,
}

/// Which `Host` values the server answers to and which origins may post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    hosts: Vec<String>,
    origins: Vec<String>,
}

/// `--public-url`, taken apart.
struct PublicUrl {
    scheme: &'static str,
    /// Lowercase; IPv6 in brackets.
    host: String,
    port: u16,
}

impl PublicUrl {
    fn parse(url: &str) -> Result<PublicUrl, String> {
        let bad = |why: &str| format!("--public-url `{url}`: {why}");
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("give a whole URL, e.g. https://baomi.office.lan/"))?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            _ => return Err(bad("the scheme must be http or https")),
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if !(path.is_empty() || path == "/") {
            return Err(bad(
                "baomi serve must be at the root of its URL (its pages link to /…); give no path, query or fragment",
            ));
        }
        if authority.contains('@') {
            return Err(bad("no user name or password in the URL"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (addr, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("unclosed `[` in the host"))?;
            if addr.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(bad("not an IPv6 address in brackets"));
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("expected `:PORT` after `]`"))?,
                ),
            };
            (format!("[{addr}]"), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if !host.starts_with('[')
            && (host.is_empty()
                || !host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        {
            return Err(bad("the host must be a DNS name or an IP address"));
        }
        let default = if scheme == "https" { 443 } else { 80 };
        let port = match port {
            None => default,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad("the port must be a number from 1 to 65535"))?,
        };
        Ok(PublicUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn default_port(&self) -> bool {
        self.port == if self.scheme == "https" { 443 } else { 80 }
    }

    /// The `Host` a browser sends for it (no port when it is the default).
    fn authority(&self) -> String {
        if self.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// What a browser sends as `Origin` for pages under it.
    fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }
}

/// `scheme://authority` of an absolute URL (a `Referer`), if it has one.
fn origin_of(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..scheme.len() + 3 + end])
}

impl Access {
    /// What the server answers to when listening on `listen`: the address
    /// itself, `localhost` and the loopback addresses on its port, the
    /// host of `public_url`, and each of `allow_hosts`. Posts must come
    /// from the origins of these hosts (`http://` for the listening
    /// address, the URL's own for `public_url`, either scheme for
    /// `allow_hosts`).
    ///
    /// Refused, with what to pass instead: an unspecified address
    /// (0.0.0.0, ::) or any other address that is not loopback, without
    /// `public_url` or `allow_hosts` (those would have to answer to any
    /// `Host`, which DNS rebinding abuses).
    pub fn new(
        listen: SocketAddr,
        public_url: Option<&str>,
        allow_hosts: &[String],
    ) -> Result<Access, String> {
        let public = public_url.map(PublicUrl::parse).transpose()?;
        let port = listen.port();
        let shown = if port == 0 {
            "PORT".to_string()
        } else {
            port.to_string()
        };
        if !listen.ip().is_loopback() && public.is_none() && allow_hosts.is_empty() {
            let example = match listen.ip() {
                ip if ip.is_unspecified() => format!(
                    "--allow-host NAME:{shown} for each name reviewers type (e.g. baomi.office.lan:{shown})"
                ),
                std::net::IpAddr::V4(ip) => format!("--allow-host {ip}:{shown}"),
                std::net::IpAddr::V6(ip) => format!("--allow-host [{ip}]:{shown}"),
            };
            return Err(format!(
                "refusing to listen on {listen} without knowing the name reviewers reach it by: \
                 every other Host header is refused (a web page could otherwise reach this server \
                 through DNS rebinding and sign decisions). Pass --public-url with the URL they \
                 open, e.g. `--public-url https://baomi.office.lan/` behind a TLS reverse proxy \
                 or `--public-url http://NAME:{shown}/`, or {example}; or listen on 127.0.0.1 \
                 (the default) behind a reverse proxy on the same machine"
            ));
        }
        for h in allow_hosts {
            if h.is_empty() || h.contains(['/', ' ', ',', '@']) || h.chars().any(char::is_control) {
                return Err(format!(
                    "--allow-host `{h}`: give a Host header value, NAME or NAME:PORT (e.g. review.example:8443)"
                ));
            }
        }
        // Reached directly: plain HTTP on the listening port.
        let mut hosts = Vec::new();
        if !listen.ip().is_unspecified() {
            hosts.push(listen.to_string());
        }
        hosts.push(format!("localhost:{port}"));
        if listen.ip().is_loopback() || listen.ip().is_unspecified() {
            hosts.push(format!("127.0.0.1:{port}"));
            hosts.push(format!("[::1]:{port}"));
        }
        let mut origins: Vec<String> = hosts.iter().map(|h| format!("http://{h}")).collect();
        if let Some(p) = &public {
            hosts.push(p.authority());
            if p.default_port() {
                hosts.push(format!("{}:{}", p.host, p.port));
            }
            origins.push(p.origin());
        }
        for h in allow_hosts {
            let h = h.to_ascii_lowercase();
            for scheme in ["http", "https"] {
                origins.push(format!("{scheme}://{h}"));
            }
            if let Some(name) = h.strip_suffix(":80") {
                origins.push(format!("http://{name}"));
            }
            if let Some(name) = h.strip_suffix(":443") {
                origins.push(format!("https://{name}"));
            }
            hosts.push(h);
        }
        for v in [&mut hosts, &mut origins] {
            v.sort();
            v.dedup();
        }
        Ok(Access { hosts, origins })
    }

    /// The `Host` values answered to.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// The origins posts may come from.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    fn host_ok(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn origin_ok(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}

struct AppState {
    /// One store (ledger connection) per worker: SQLite in WAL mode reads
    /// in parallel, so a slow page does not hold up the others.
    stores: Vec<Mutex<Store>>,
    next_store: std::sync::atomic::AtomicUsize,
    /// Held while a decision or waiver is checked and appended, so that two
    /// posts for one document are judged one after the other.
    decisions: Mutex<()>,
    key: KeyPair,
    scanner_key: Option<KeyPair>,
    scanner: Arc<Scanner>,
    limits: Limits,
    csrf: String,
    me: Me,
    integrity: Arc<Integrity>,
    /// `Host` header values accepted and origins posts may come from.
    access: Access,
    /// Browser-key mode (`baomi serve` without `--key`).
    browser: Option<browser::Browser>,
    /// The trust generation each store last took (browser-key mode
    /// re-reads the trust file when the administrator registers a key).
    store_trust: Vec<std::sync::atomic::AtomicU64>,
    body_timeout: Duration,
    handler_timeout: Duration,
}

type Shared = Arc<AppState>;

/// A fresh random token per process: forms carry it, other origins cannot
/// read it, and restarting the server invalidates old forms.
fn random_token() -> std::io::Result<String> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Compares in time independent of where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Builds the router for a listening address. Public for tests that run the
/// app in-process.
pub fn router(cfg: ServerConfig, listen: SocketAddr) -> std::io::Result<Router> {
    let mut me = cfg.store.me(cfg.key.key_id());
    if cfg.browser.is_some() {
        // Nobody logged in: no key, no roles.
        me = Me {
            key_id: "（未登录）".into(),
            name: None,
            roles: Vec::new(),
            integrity: None,
            browser: true,
        };
    }
    // At least 4: a connection waiting on an fsync (recording a scan) must
    // not leave readers queueing behind it on a 2-core machine.
    let workers = std::thread::available_parallelism().map_or(4, |n| n.get().clamp(4, 8));
    let mut stores = Vec::with_capacity(workers);
    for _ in 1..workers {
        stores.push(Mutex::new(cfg.store.reopen().map_err(|e| {
            std::io::Error::other(format!("cannot open another ledger connection: {e}"))
        })?));
    }
    // Review states for the status and stage filters, computed once per
    // trust file and path: in the background, so that the first filtered
    // page after a change does not wait for the whole ledger.
    match cfg.store.reopen() {
        Ok(mut bg) => {
            std::thread::Builder::new()
                .name("review-states".into())
                .spawn(move || {
                    baomi_ledger::monitor::lower_thread_priority();
                    match bg.refresh_reviews(None) {
                        Ok(_) => tracing::debug!("review states up to date"),
                        Err(e) => tracing::warn!(error = %e, "cannot compute review states"),
                    }
                })?;
        }
        Err(e) => tracing::warn!(error = %e, "cannot compute review states in the background"),
    }
    stores.push(Mutex::new(cfg.store));
    for s in &stores {
        s.lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_refresh_budget(Some(1000));
    }
    me.integrity = Some(cfg.integrity.clone());
    let access = Access::new(listen, cfg.public_url.as_deref(), &cfg.allow_hosts)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let state = Arc::new(AppState {
        stores,
        next_store: std::sync::atomic::AtomicUsize::new(0),
        decisions: Mutex::new(()),
        key: cfg.key,
        scanner_key: cfg.scanner_key,
        scanner: cfg.scanner,
        limits: cfg.limits,
        csrf: random_token()?,
        me,
        integrity: cfg.integrity,
        access,
        store_trust: (0..workers)
            .map(|_| std::sync::atomic::AtomicU64::new(0))
            .collect(),
        browser: cfg
            .browser
            .map(|b| browser::Browser::new(b, cfg.public_url.as_deref())),
        body_timeout: cfg.connections.body_timeout,
        handler_timeout: cfg.connections.handler_timeout,
    });
    let mut app = Router::new();
    for (_, path, handler) in api_table(cfg.max_body) {
        app = app.route(path, handler);
    }
    let app = app
        .route("/", get(queue_page))
        .route("/documents/{sha}", get(document_page))
        .route("/documents/{sha}/form", get(form_page))
        .route(
            "/documents/{sha}/decide",
            post(decide).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route(
            "/documents/{sha}/waive",
            post(waive).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route(
            "/documents/{sha}/redact",
            post(redact_page).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route("/ledger", get(ledger_page))
        .route("/assets/style.css", get(style))
        .route("/assets/baomi.js", get(script))
        .route("/enrol", get(browser::enrol_page))
        .route("/login", get(browser::login_page))
        .route("/session/enrol", post(browser::enrol))
        .route("/session/challenge", post(browser::challenge))
        .route("/session/login", post(browser::login))
        .route("/session/logout", post(browser::logout))
        .route(
            "/session/prepare/decide/{sha}",
            post(browser::prepare_decide).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route(
            "/session/prepare/waive/{sha}",
            post(browser::prepare_waive).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route(
            "/session/sign",
            post(browser::sign).layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), browser::auth))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_limits,
        ))
        .with_state(state.clone());
    // Around the whole router (not per route, where a 405 has no `Allow`
    // yet): every error in the form its path calls for, then the
    // Host/Origin guard and the security headers around everything.
    Ok(Router::new()
        .fallback_service(app)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            uniform_errors,
        ))
        .layer(middleware::from_fn_with_state(state, guard)))
}

/// Runs the server on its own runtime until Ctrl-C or SIGTERM (for callers
/// that are not async themselves, such as the `baomi` binary).
pub fn run(cfg: ServerConfig, listen: SocketAddr) -> std::io::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(cfg, listen))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(cfg: ServerConfig, listen: SocketAddr) -> std::io::Result<()> {
    serve_until(cfg, listen, shutdown()).await
}

/// Runs the server until `stop` completes; then stops accepting, lets the
/// requests in flight finish (for up to 10 s) and returns.
pub async fn serve_until(
    cfg: ServerConfig,
    listen: SocketAddr,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // Refused before anything is bound.
    Access::new(listen, cfg.public_url.as_deref(), &cfg.allow_hosts)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let limits = cfg.connections.clone();
    if limits.max_connections == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "--max-connections must be at least 1",
        ));
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let public_url = cfg.public_url.clone();
    let app = router(cfg, local)?;
    // The one line a script (or the browser tests) waits for.
    println!("baomi serve: listening on http://{local}/");
    tracing::info!(%local, ?public_url, ?limits, "listening");
    accept_loop(listener, app, limits, stop).await;
    Ok(())
}

/// Accepts connections until `stop`: each gets a slot of
/// `--max-connections` and is served by [`serve_connection`]; one over the
/// limit is answered 503 by [`reject`] (or, when even those slots are
/// taken, closed at once), so the process never runs out of descriptors
/// and keeps serving the connections it has.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let limits = Arc::new(limits);
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let rejecting = Arc::new(Semaphore::new(REJECT_SLOTS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut last_warning: Option<Instant> = None;
    let mut warn = |what: &str| {
        // At most one line a second, however many connections a flood opens.
        if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
            last_warning = Some(Instant::now());
            tracing::warn!("{what}");
        }
    };
    tokio::pin!(stop);
    loop {
        let (tcp, _peer) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors (EMFILE) and the like: wait for
                    // some to be freed rather than spin.
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                            | std::io::ErrorKind::Interrupted
                    ) {
                        warn(&format!("cannot accept a connection: {e}"));
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        match open.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(serve_connection(
                    tcp,
                    app.clone(),
                    limits.clone(),
                    stop_rx.clone(),
                    slot,
                ));
            }
            Err(_) => {
                warn(&format!(
                    "{} connections open (--max-connections): answering further ones 503",
                    limits.max_connections
                ));
                if let Ok(slot) = rejecting.clone().try_acquire_owned() {
                    tokio::spawn(reject(tcp, limits.clone(), slot));
                }
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection gives its slot back when it ends.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
}

/// hyper's HTTP/1 settings for a connection. hyper's own header timeout
/// (which runs from the start of the wait for a request) is a backstop
/// for [`watchdog`], never shorter than what it enforces.
fn http1_builder(limits: &ConnectionLimits) -> http1::Builder {
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout + limits.idle_timeout)
        .max_buf_size(HEAD_BUFFER)
        .max_headers(2 * MAX_HEADER_FIELDS);
    b
}

/// Serves one connection until it ends, its [`watchdog`] fires, or the
/// server stops (then the request in flight finishes first).
async fn serve_connection(
    tcp: TcpStream,
    app: Router,
    limits: Arc<ConnectionLimits>,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let state = Arc::new(ConnState::new());
    let io = TokioIo::new(Watched {
        io: tcp,
        state: state.clone(),
    });
    let app = TowerToHyperService::new(app);
    let in_service = state.clone();
    let service = hyper::service::service_fn(move |req: axum::http::Request<Incoming>| {
        let busy = in_service.begin();
        let answer = hyper::service::Service::call(&app, req);
        async move {
            let r = answer.await;
            drop(busy);
            r
        }
    });
    let conn = http1_builder(&limits).serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            why = watchdog(&state, &limits) => {
                // Dropping the connection closes the socket.
                tracing::debug!(why, "closing a connection");
                return;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Answers a connection over `--max-connections`: 503 (JSON for `/api/`
/// paths), then closed. It gets little time to send its request.
async fn reject(tcp: TcpStream, limits: Arc<ConnectionLimits>, _slot: OwnedSemaphorePermit) {
    let wait = limits.header_timeout.min(Duration::from_secs(2));
    let max = limits.max_connections;
    let service = hyper::service::service_fn(move |req: axum::http::Request<Incoming>| {
        let api = is_api(req.uri().path());
        let message = format!(
            "the server is busy: {max} connections are open (--max-connections); try again in a moment"
        );
        let mut resp = if api {
            json_error(StatusCode::SERVICE_UNAVAILABLE, message)
        } else {
            bare_page(StatusCode::SERVICE_UNAVAILABLE, "服务繁忙", &message)
        };
        let h = resp.headers_mut();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        security_headers(h);
        async move { Ok::<_, std::convert::Infallible>(resp) }
    });
    let mut b = http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(wait)
        .keep_alive(false)
        .max_buf_size(HEAD_BUFFER);
    let _ = tokio::time::timeout(wait * 2, b.serve_connection(TokioIo::new(tcp), service)).await;
}

/// What a connection is doing, for its [`watchdog`].
struct ConnState {
    phase: Mutex<Phase>,
    changed: Notify,
}

struct Phase {
    /// Requests being handled (more than one only when pipelined).
    busy: usize,
    /// When the request head now being read began: the connection was
    /// opened, or the first byte after an idle time arrived.
    head_since: Option<Instant>,
    /// When the last response was handed to hyper.
    idle_since: Instant,
    /// When bytes last went out (a response being read by the client).
    last_write: Instant,
}

impl ConnState {
    fn new() -> ConnState {
        let now = Instant::now();
        ConnState {
            phase: Mutex::new(Phase {
                busy: 0,
                head_since: Some(now),
                idle_since: now,
                last_write: now,
            }),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) {
        let mut p = self.phase();
        if p.busy == 0 && p.head_since.is_none() {
            p.head_since = Some(Instant::now());
            drop(p);
            self.changed.notify_one();
        }
    }

    fn wrote(&self) {
        self.phase().last_write = Instant::now();
    }

    /// A request's head has been read; it is handled until the guard drops.
    fn begin(self: &Arc<Self>) -> Busy {
        let mut p = self.phase();
        p.busy += 1;
        p.head_since = None;
        drop(p);
        self.changed.notify_one();
        Busy(self.clone())
    }

    /// When the connection is to be closed unless something happens first
    /// (and which limit that is); none while a request is handled (the body
    /// and handler deadlines of [`request_limits`] apply then).
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, &'static str)> {
        let p = self.phase();
        if p.busy > 0 {
            None
        } else if let Some(since) = p.head_since {
            Some((
                since + limits.header_timeout,
                "request headers not received in time",
            ))
        } else {
            Some((
                p.idle_since.max(p.last_write) + limits.idle_timeout,
                "idle keep-alive connection (or a response not read) timed out",
            ))
        }
    }
}

struct Busy(Arc<ConnState>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.busy -= 1;
        if p.busy == 0 {
            p.idle_since = Instant::now();
        }
        drop(p);
        self.0.changed.notify_one();
    }
}

/// Completes when the connection has overstayed: its request headers took
/// longer than `header_timeout`, or it sat idle (nothing to read, nothing
/// written) for `idle_timeout`.
async fn watchdog(state: &ConnState, limits: &ConnectionLimits) -> &'static str {
    loop {
        match state.deadline(limits) {
            None => state.changed.notified().await,
            Some((at, why)) => {
                if Instant::now() >= at {
                    return why;
                }
                tokio::select! {
                    () = tokio::time::sleep_until(at.into()) => {}
                    () = state.changed.notified() => {}
                }
            }
        }
    }
}

/// The socket, telling its [`ConnState`] when bytes come in and go out.
struct Watched {
    io: TcpStream,
    state: Arc<ConnState>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.state.read();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.state.wrote();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.state.wrote();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Paths answered in JSON (errors too): the API, and the script's
/// endpoints of browser-key mode.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/session/")
}

/// Host check, cross-origin refusal, and security headers on every response.
async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let refusal = if !st.access.host_ok(host) {
        let message = format!(
            "unexpected Host `{host}`; this server answers only to {} (see --public-url and --allow-host)",
            st.access.hosts.join(", ")
        );
        // Not even the reviewer's name for a page under a foreign name.
        Some(if api {
            json_error(StatusCode::MISDIRECTED_REQUEST, message)
        } else {
            bare_page(StatusCode::MISDIRECTED_REQUEST, "主机名不符", &message)
        })
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        cross_origin(&st, req.headers()).map(|m| error_response(&st, api, StatusCode::FORBIDDEN, m))
    } else {
        None
    };
    let mut resp = match refusal {
        Some(r) => r,
        None => next.run(req).await,
    };
    security_headers(resp.headers_mut());
    resp
}

/// Why a state-changing request is refused as coming from another site:
/// the browser says so (`Sec-Fetch-Site`), or its `Origin` (else its
/// `Referer`) is not one of the allowed origins. A request with neither
/// (curl, a publishing tool) passes; forms still need their token.
fn cross_origin(st: &AppState, headers: &HeaderMap) -> Option<String> {
    let get = |name: HeaderName| headers.get(name).map(|h| h.to_str().unwrap_or("\u{fffd}"));
    if get(HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return Some("cross-site requests are refused".into());
    }
    let allowed = || st.access.origins.join(", ");
    if let Some(origin) = get(header::ORIGIN) {
        if !st.access.origin_ok(origin) {
            return Some(format!(
                "request from origin `{origin}` refused; posts are taken only from {}",
                allowed()
            ));
        }
    } else if let Some(referer) = get(header::REFERER) {
        if !origin_of(referer).is_some_and(|o| st.access.origin_ok(o)) {
            return Some(format!(
                "request from page `{referer}` refused; posts are taken only from {}",
                allowed()
            ));
        }
    }
    None
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // `same-origin`, not `no-referrer`: with the latter browsers send
    // `Origin: null` on form posts, which the Origin check above refuses.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The limits that apply while a request is handled: the size of its head
/// (414, 431), the time its body may take to arrive (408, then the
/// connection is closed) and, for reads, the time the answer may take
/// (503). Answers in plain text; [`uniform_errors`] dresses them.
async fn request_limits(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if req.uri().path_and_query().map_or(0, |p| p.as_str().len()) > MAX_URI {
        return plain(
            StatusCode::URI_TOO_LONG,
            format!("the request target is longer than {MAX_URI} bytes"),
        );
    }
    let fields = req.headers().len();
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if fields > MAX_HEADER_FIELDS || head > MAX_HEAD {
        let mut r = plain(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request headers are too large ({fields} fields, {head} bytes; at most {MAX_HEADER_FIELDS} fields and {MAX_HEAD} bytes)"
            ),
        );
        close_after(&mut r);
        return r;
    }
    let read_only = req.method() == Method::GET || req.method() == Method::HEAD;
    let late = Arc::new(AtomicBool::new(false));
    let req = if req.body().is_end_stream() {
        req
    } else {
        let (parts, body) = req.into_parts();
        let body = Body::new(TimedBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(st.body_timeout)),
            late: late.clone(),
        });
        Request::from_parts(parts, body)
    };
    let resp = if read_only {
        match tokio::time::timeout(st.handler_timeout, next.run(req)).await {
            Ok(r) => r,
            Err(_) => {
                let mut r = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the answer took longer than {} s (--handler-timeout); try again",
                        st.handler_timeout.as_secs_f64()
                    ),
                );
                close_after(&mut r);
                return r;
            }
        }
    } else {
        next.run(req).await
    };
    if late.load(Ordering::Relaxed) {
        let mut r = plain(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s (--body-timeout)",
                st.body_timeout.as_secs_f64()
            ),
        );
        close_after(&mut r);
        return r;
    }
    resp
}

fn plain(status: StatusCode, message: String) -> Response {
    (status, message).into_response()
}

/// Asks hyper to close the connection after this answer.
fn close_after(r: &mut Response) {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// A request body that fails once its deadline has passed.
struct TimedBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    late: Arc<AtomicBool>,
}

#[derive(Debug)]
struct BodyTooSlow;

impl std::fmt::Display for BodyTooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTooSlow {}

impl HttpBody for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.late.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(axum::Error::new(BodyTooSlow))));
        }
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Every error in the form its path calls for: JSON (`{"error": …}`)
/// under `/api/`, an HTML page elsewhere. Handlers answer so themselves;
/// this catches the rest: axum's rejections (bad query, form or path;
/// 413), 405 for a wrong method, and the limits of [`request_limits`].
/// Other headers (`Allow`, `Connection`) are kept.
async fn uniform_errors(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let api = is_api(req.uri().path());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let wanted = if api { "application/json" } else { "text/html" };
    let is = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(wanted));
    if is {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 16 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        format!("{method} is not allowed on {path}; use {allowed}")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_string()
    } else {
        text
    };
    let mut out = error_response(&st, api, status, message);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// An error as JSON for the API, as a page (with the usual header) for the
/// rest.
fn error_response(st: &AppState, api: bool, status: StatusCode, message: String) -> Response {
    if api {
        return json_error(status, message);
    }
    let title = match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::FORBIDDEN => "请求被拒绝",
        StatusCode::METHOD_NOT_ALLOWED => "不支持的请求方法",
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大",
        StatusCode::REQUEST_TIMEOUT => "请求超时",
        StatusCode::SERVICE_UNAVAILABLE => "服务繁忙",
        s if s.is_client_error() => "请求有误",
        _ => "出错了",
    };
    page(status, html::error_page(&st.me, title, &message))
}

/// A page without the reviewer's name, key or links: for answers to
/// requests that are not (yet) known to come from this server's users.
fn bare_page(status: StatusCode, title: &str, message: &str) -> Response {
    let m = maud::html! {
        (maud::DOCTYPE)
        html lang="zh-CN" {
            head { meta charset="utf-8"; title { (title) " — baomi 保密审查" } }
            body { h1 { (title) } p { (message) } }
        }
    };
    page(status, m)
}

fn json_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Runs ledger work off the async threads.
async fn with_store<T: Send + 'static>(
    st: &Shared,
    f: impl FnOnce(&mut Store, &AppState) -> T + Send + 'static,
) -> Result<T, StoreError> {
    let st = st.clone();
    tokio::task::spawn_blocking(move || {
        // A free store if there is one, else wait for the next in turn.
        let n = st.stores.len();
        let start = st
            .next_store
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (i, mut store) = (0..n)
            .find_map(|i| {
                let i = (start + i) % n;
                st.stores[i].try_lock().ok().map(|s| (i, s))
            })
            .unwrap_or_else(|| {
                let i = start % n;
                (i, st.stores[i].lock().unwrap_or_else(|e| e.into_inner()))
            });
        if let Some(b) = &st.browser {
            let (generation, trust) = b.trust.current();
            if st.store_trust[i].swap(generation, Ordering::Relaxed) != generation {
                store.set_trust(trust.as_deref());
            }
        }
        f(&mut store, &st)
    })
    .await
    .map_err(|e| StoreError::Internal(format!("worker failed: {e}")))
}

fn valid_sha(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

// ---------------------------------------------------------------- API

#[derive(Deserialize)]
struct ScanQuery {
    #[serde(default)]
    record: Option<String>,
}

/// `X-Filename`, percent-decoded (so non-ASCII names can be sent), reduced
/// to its last path component.
fn filename(headers: &HeaderMap) -> Result<String, String> {
    let raw = headers
        .get("x-filename")
        .ok_or("missing X-Filename header: send the draft's file name (e.g. `X-Filename: draft.txt`, percent-encoded if not ASCII)")?;
    let raw = raw
        .to_str()
        .map_err(|_| "X-Filename must be ASCII; percent-encode other characters")?;
    let decoded = percent_decode(raw).ok_or("X-Filename has an invalid percent-encoding")?;
    let name = decoded
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(
            "X-Filename must be a file name of 1–255 bytes without control characters".into(),
        );
    }
    Ok(name)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

async fn api_scan(
    State(st): State<Shared>,
    Query(q): Query<ScanQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the draft is larger than this server accepts (see --max-body)".into(),
            )
        }
        Err(e) => {
            return json_error(
                e.status(),
                format!("cannot read the request body: {}", e.body_text()),
            )
        }
    };
    let name = match filename(&headers) {
        Ok(n) => n,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let record = match q.record.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("record must be true or false, not `{other}`"),
            )
        }
    };
    // Reviewing needs no ledger connection: it runs on its own, so that a
    // long scan never holds up the readers.
    let st2 = st.clone();
    let scanned = tokio::task::spawn_blocking(move || {
        let report = review_bytes(&name, &body, &st2.scanner, &st2.limits);
        (report, body)
    })
    .await;
    let (report, body) = match scanned {
        Ok(r) => r,
        Err(e) => return store_error_json(StoreError::Internal(format!("worker failed: {e}"))),
    };
    if !record {
        return Json(json!({ "documents": [report] })).into_response();
    }
    let result = with_store(&st, move |store, st| {
        let Some(key) = st.scanner_key.as_ref() else {
            return Err(StoreError::Refused(
                "this server has no scanner key, so it cannot record scans; start it with --scanner-key".into(),
            ));
        };
        let recorded = store.record_scan(&report, &body, &st.scanner, key)?;
        Ok((report, recorded))
    })
    .await;
    match result {
        Ok(Ok((report, r))) => {
            Json(json!({ "documents": [report], "recorded": { "seq": r.0, "duplicate": r.1 } }))
                .into_response()
        }
        Ok(Err(e)) | Err(e) => store_error_json(e),
    }
}

#[derive(Deserialize)]
struct RedactQuery {
    #[serde(default)]
    record: Option<String>,
    /// Rule ids, comma separated.
    #[serde(default)]
    remove_paragraphs_with: Option<String>,
}

fn redact_options(rules: Option<&str>, scanner: &Scanner) -> Result<baomi_redact::Options, String> {
    let ids: Vec<String> = rules
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = ids
        .iter()
        .find(|id| !scanner.rules().iter().any(|r| &*r.id == id.as_str()))
    {
        return Err(format!(
            "remove_paragraphs_with: no rule `{bad}` in this server's rule set"
        ));
    }
    Ok(baomi_redact::Options {
        remove_paragraphs_with: ids,
        drop_title: false,
    })
}

/// `draft.docx` → `draft.redacted.docx`, in the same folder.
fn copy_name(name: &str) -> String {
    let p = std::path::Path::new(name);
    let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("document");
    let file = match p.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}.redacted.{ext}"),
        None => format!("{stem}.redacted"),
    };
    match p.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.join(file).display().to_string(),
        None => file,
    }
}

/// The status a redaction failure answers with: the document's own
/// problem (refused, not clean: 409; unreadable or unsupported: 400).
fn redact_status(e: &baomi_redact::RedactError) -> StatusCode {
    match e {
        baomi_redact::RedactError::Refused(_) | baomi_redact::RedactError::NotClean(_) => {
            StatusCode::CONFLICT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn api_redact(
    State(st): State<Shared>,
    Query(q): Query<RedactQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "the draft is larger than this server accepts (see --max-body)".into(),
            )
        }
        Err(e) => {
            return json_error(
                e.status(),
                format!("cannot read the request body: {}", e.body_text()),
            )
        }
    };
    let name = match filename(&headers) {
        Ok(n) => n,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let record = match q.record.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") | Some("") => true,
        Some(other) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                format!("record must be true or false, not `{other}`"),
            )
        }
    };
    let options = match redact_options(q.remove_paragraphs_with.as_deref(), &st.scanner) {
        Ok(o) => o,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e),
    };
    let st2 = st.clone();
    let name2 = name.clone();
    let done = tokio::task::spawn_blocking(move || {
        let r = baomi_redact::redact(
            std::path::Path::new(&name2),
            &body,
            &st2.scanner,
            &options,
            &st2.limits,
        );
        (r, body)
    })
    .await;
    let (red, body) = match done {
        Ok((Ok(r), body)) => (r, body),
        Ok((Err(e), _)) => {
            return json_error(redact_status(&e), format!("{name}: no copy made: {e}"))
        }
        Err(e) => return store_error_json(StoreError::Internal(format!("worker failed: {e}"))),
    };
    let copy = copy_name(&name);
    let original_sha: String = <sha2::Sha256 as sha2::Digest>::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    use base64::Engine as _;
    let mut answer = json!({
        "original": {"name": name, "sha256": original_sha},
        "copy": {
            "name": copy,
            "sha256": red.proof.sha256,
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&red.bytes),
        },
        "format": red.format,
        "changes": red.changes,
        "proof": red.proof,
    });
    if record {
        let result = with_store(&st, move |store, st| {
            let Some(key) = st.scanner_key.as_ref() else {
                return Err(StoreError::Refused(
                    "this server has no scanner key, so it cannot record redactions; start it with --scanner-key".into(),
                ));
            };
            store.record_redaction(&name, &body, &red, &copy, key)
        })
        .await;
        match result {
            Ok(Ok((scan, redaction))) => {
                answer["recorded"] = json!({"scan_seq": scan, "redaction_seq": redaction});
            }
            Ok(Err(e)) | Err(e) => return store_error_json(e),
        }
    }
    Json(answer).into_response()
}

fn store_error_json(e: StoreError) -> Response {
    let status = match &e {
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Review(_) | StoreError::Refused(_) => StatusCode::CONFLICT,
        StoreError::Ledger(_) | StoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    json_error(status, e.to_string())
}

async fn api_document(State(st): State<Shared>, UrlPath(sha): UrlPath<String>) -> Response {
    if !valid_sha(&sha) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "the document id must be a lowercase hex SHA-256 (64 digits)".into(),
        );
    }
    match with_store(&st, move |store, _| store.status_json(&sha)).await {
        Ok(Ok(mut v)) => {
            // Nothing may go out on the word of a ledger that does not verify.
            let health = st.integrity.health();
            if let Health::Bad(p) = &health {
                v["may_publish"] = json!(false);
                v["ledger_problem"] = json!(p);
            }
            v["ledger_verified"] = json!(matches!(health, Health::Good { .. }));
            Json(v).into_response()
        }
        Ok(Err(e)) | Err(e) => store_error_json(e),
    }
}

async fn api_openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// JSON for API paths, a page for everything else.
async fn not_found(State(st): State<Shared>, method: Method, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return json_error(
            StatusCode::NOT_FOUND,
            format!("no such API route: {method} {}", uri.path()),
        );
    }
    page(
        StatusCode::NOT_FOUND,
        html::error_page(&st.me, "页面不存在", "没有这个页面。"),
    )
}

// ---------------------------------------------------------------- pages

fn page(status: StatusCode, m: maud::Markup) -> Response {
    (status, Html(m.into_string())).into_response()
}

fn page_error(st: &AppState, e: StoreError) -> Response {
    let status = match &e {
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Review(_) | StoreError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    page(
        status,
        html::error_page(&st.me, "出错了", &crate::view::message_zh(&e)),
    )
}

/// The one script: enrolment, login and signing in browser-key mode
/// (served from here, so the CSP allows `'self'` scripts only).
async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        html::SCRIPT,
    )
        .into_response()
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        html::STYLE,
    )
        .into_response()
}

async fn queue_page(
    State(st): State<Shared>,
    Extension(me): Extension<Me>,
    Query(f): Query<QueueFilter>,
) -> Response {
    let filter = ListFilter {
        stage: f.stage.clone().filter(|s| !s.is_empty()),
        status: f.status.clone().filter(|s| !s.is_empty()),
        verdict: f.verdict.clone().filter(|s| !s.is_empty()),
        all: f.all.is_some(),
        before: f.before,
        limit: None,
    };
    match with_store(&st, move |store, _| {
        store
            .summaries(&filter)
            .map(|docs| html::queue(&me, store.review_path(), &docs, &f))
    })
    .await
    {
        Ok(Ok(m)) => page(StatusCode::OK, m),
        Ok(Err(e)) | Err(e) => page_error(&st, e),
    }
}

#[derive(Deserialize)]
struct DocQuery {
    done: Option<String>,
}

async fn document_page(
    State(st): State<Shared>,
    Extension(me): Extension<Me>,
    UrlPath(sha): UrlPath<String>,
    Query(q): Query<DocQuery>,
) -> Response {
    // Only fixed messages can be shown through the URL.
    let notice = match q.done.as_deref() {
        Some("decided") => Some(Notice::Ok("审查意见已签名并记入账本。".into())),
        Some("waived") => Some(Notice::Ok("豁免已签名并记入账本。".into())),
        Some("redacted") => Some(Notice::Ok(
            "已生成去标识化副本，复扫通过并记入账本；审查在副本上继续。".into(),
        )),
        _ => None,
    };
    render_document(&st, me, sha, notice, StatusCode::OK).await
}

async fn render_document(
    st: &Shared,
    me: Me,
    sha: String,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    if !valid_sha(&sha) {
        return page(
            StatusCode::NOT_FOUND,
            html::error_page(&st.me, "页面不存在", "文档编号应为 64 位十六进制 SHA-256。"),
        );
    }
    match with_store(st, move |store, st| {
        store
            .detail(&sha)
            .map(|d| html::document(&me, store.review_path(), &d, &st.csrf, notice.as_ref()))
    })
    .await
    {
        Ok(Ok(m)) => page(status, m),
        Ok(Err(e)) | Err(e) => page_error(st, e),
    }
}

async fn form_page(State(st): State<Shared>, UrlPath(sha): UrlPath<String>) -> Response {
    if !valid_sha(&sha) {
        return page(
            StatusCode::NOT_FOUND,
            html::error_page(&st.me, "页面不存在", "文档编号应为 64 位十六进制 SHA-256。"),
        );
    }
    match with_store(&st, move |store, _| {
        store
            .detail(&sha)
            .map(|d| html::review_form(store.review_path(), &d))
    })
    .await
    {
        Ok(Ok(m)) => page(StatusCode::OK, m),
        Ok(Err(e)) | Err(e) => page_error(&st, e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct RedactForm {
    csrf: String,
    remove_paragraphs_with: String,
}

/// The document page's "make a publishable copy" button: the archived
/// draft is redacted, the copy recorded (scan and `redaction` entries,
/// signed with the server's scanner key) and its page opened.
async fn redact_page(
    State(st): State<Shared>,
    Extension(me): Extension<Me>,
    UrlPath(sha): UrlPath<String>,
    Form(f): Form<RedactForm>,
) -> Response {
    if let Some(refusal) = refuse_post(&st, &f.csrf, &sha) {
        return refusal;
    }
    let sha2 = sha.clone();
    let result = with_store(&st, move |store, st| {
        let Some(key) = st.scanner_key.as_ref() else {
            return Err(StoreError::Refused(
                "本服务器没有扫描密钥（--scanner-key），不能记录去标识化副本".into(),
            ));
        };
        let options = redact_options(Some(&f.remove_paragraphs_with), &st.scanner)
            .map_err(StoreError::Refused)?;
        let (name, bytes) = store.archived(&sha2)?;
        let red = baomi_redact::redact(
            std::path::Path::new(&name),
            &bytes,
            &st.scanner,
            &options,
            &st.limits,
        )
        .map_err(|e| StoreError::Refused(format!("未生成副本：{e}")))?;
        let copy = copy_name(&name);
        store.record_redaction(&name, &bytes, &red, &copy, key)?;
        Ok(red.proof.sha256.clone())
    })
    .await;
    match result {
        Ok(Ok(copy)) => Redirect::to(&format!("/documents/{copy}?done=redacted")).into_response(),
        Ok(Err(e)) | Err(e) => refused(&st, me, sha, e).await,
    }
}

/// Every field defaults to empty so that a hand-made post missing one
/// gets the page's own refusal (bad token, incomplete decision) rather
/// than a bare deserialisation error.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct DecideForm {
    csrf: String,
    stage: String,
    conclusion: String,
    opinion: String,
    changes: String,
    basis: String,
}

fn csrf_refusal(st: &AppState) -> Response {
    page(
        StatusCode::FORBIDDEN,
        html::error_page(
            &st.me,
            "请求被拒绝",
            "表单已失效（服务已重启或请求并非来自本页面）。请返回文档页面重新提交。",
        ),
    )
}

/// The checks every form post starts with: the CSRF token, then a
/// well-formed document hash.
fn refuse_post(st: &AppState, csrf: &str, sha: &str) -> Option<Response> {
    if !same(csrf, &st.csrf) {
        return Some(csrf_refusal(st));
    }
    if let Some(p) = st.integrity.problem() {
        return Some(page(
            StatusCode::CONFLICT,
            html::error_page(
                &st.me,
                "账本核验未通过，未签名",
                &format!(
                    "账本未通过核验（{p}），在恢复之前不接受审查意见和豁免。没有记录任何内容。"
                ),
            ),
        ));
    }
    if !valid_sha(sha) {
        return Some(page(
            StatusCode::NOT_FOUND,
            html::error_page(&st.me, "页面不存在", "没有这个文档。"),
        ));
    }
    None
}

async fn decide(
    State(st): State<Shared>,
    Extension(me): Extension<Me>,
    UrlPath(sha): UrlPath<String>,
    Form(f): Form<DecideForm>,
) -> Response {
    if let Some(refusal) = refuse_post(&st, &f.csrf, &sha) {
        return refusal;
    }
    if st.browser.is_some() {
        return needs_browser_key(&st, &me);
    }
    let Some(conclusion) = Conclusion::parse(&f.conclusion) else {
        return render_document(
            &st,
            me,
            sha,
            Some(Notice::Refused(format!(
                "未知的审查结论 `{}`",
                f.conclusion
            ))),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let input = DecisionInput {
        stage: f.stage,
        conclusion,
        opinion: f.opinion,
        changes: Some(f.changes),
        basis: Some(f.basis),
    };
    let sha2 = sha.clone();
    match with_store(&st, move |store, st| {
        let _one_at_a_time = st.decisions.lock().unwrap_or_else(|e| e.into_inner());
        store.decide(&sha2, input, &st.key)
    })
    .await
    {
        Ok(Ok(_)) => Redirect::to(&format!("/documents/{sha}?done=decided")).into_response(),
        Ok(Err(e)) | Err(e) => refused(&st, me, sha, e).await,
    }
}

/// A form posted without the page's script in browser-key mode: the
/// server has no key to sign with, and says so. Nothing is written.
fn needs_browser_key(_st: &AppState, me: &Me) -> Response {
    page(
        StatusCode::FORBIDDEN,
        html::error_page(
            me,
            "需要在浏览器中签名",
            "本服务不保存任何审查人的私钥：审查意见和豁免由本浏览器中的签名密钥签名，这需要启用 JavaScript。请启用后返回文档页面重新提交；没有记录任何内容。",
        ),
    )
}

async fn refused(st: &Shared, me: Me, sha: String, e: StoreError) -> Response {
    let status = match &e {
        StoreError::NotFound(_) => return page_error(st, e),
        StoreError::Review(crate::review::ReviewError::MissingRole { .. }) => StatusCode::FORBIDDEN,
        StoreError::Review(_) | StoreError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    render_document(
        st,
        me,
        sha,
        Some(Notice::Refused(crate::view::message_zh(&e))),
        status,
    )
    .await
}

/// Every field defaults to empty so that a hand-made post missing one
/// gets the page's own refusal (bad token, incomplete decision) rather
/// than a bare deserialisation error.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct WaiveForm {
    csrf: String,
    rule: String,
    matched_sha256: String,
    reason: String,
}

async fn waive(
    State(st): State<Shared>,
    Extension(me): Extension<Me>,
    UrlPath(sha): UrlPath<String>,
    Form(f): Form<WaiveForm>,
) -> Response {
    if let Some(refusal) = refuse_post(&st, &f.csrf, &sha) {
        return refusal;
    }
    if st.browser.is_some() {
        return needs_browser_key(&st, &me);
    }
    let sha2 = sha.clone();
    match with_store(&st, move |store, st| {
        let _one_at_a_time = st.decisions.lock().unwrap_or_else(|e| e.into_inner());
        store.waive(&sha2, &f.rule, &f.matched_sha256, &f.reason, &st.key)
    })
    .await
    {
        Ok(Ok(_)) => Redirect::to(&format!("/documents/{sha}?done=waived")).into_response(),
        Ok(Err(e)) | Err(e) => refused(&st, me, sha, e).await,
    }
}

async fn ledger_page(State(st): State<Shared>, Extension(me): Extension<Me>) -> Response {
    match with_store(&st, move |store, st| {
        store
            .ledger_status_with(&st.key)
            .map(|s| html::ledger(&me, &s.db, s.entries, s.verify, s.checkpoint.as_deref()))
    })
    .await
    {
        Ok(Ok(m)) => page(StatusCode::OK, m),
        Ok(Err(e)) | Err(e) => page_error(&st, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_decoded_and_reduced() {
        let mut h = HeaderMap::new();
        assert!(filename(&h).unwrap_err().contains("missing X-Filename"));
        h.insert(
            "x-filename",
            HeaderValue::from_static("%E9%80%9A%E7%9F%A5.txt"),
        );
        assert_eq!(filename(&h).unwrap(), "通知.txt");
        h.insert("x-filename", HeaderValue::from_static("../../etc/passwd"));
        assert_eq!(filename(&h).unwrap(), "passwd");
        h.insert("x-filename", HeaderValue::from_static("a%0Ab.txt"));
        assert!(filename(&h).is_err());
        h.insert("x-filename", HeaderValue::from_static("a%ZZ"));
        assert!(filename(&h).is_err());
        h.insert("x-filename", HeaderValue::from_static("dir/"));
        assert!(filename(&h).is_err());
    }

    #[test]
    fn public_urls_are_taken_apart_as_browsers_send_them() {
        let u = PublicUrl::parse("HTTPS://Baomi.Office.LAN/").unwrap();
        assert_eq!(
            (u.authority(), u.origin()),
            ("baomi.office.lan".into(), "https://baomi.office.lan".into())
        );
        let u = PublicUrl::parse("http://reviewers.example:8080").unwrap();
        assert_eq!(
            (u.authority(), u.origin()),
            (
                "reviewers.example:8080".into(),
                "http://reviewers.example:8080".into()
            )
        );
        let u = PublicUrl::parse("https://[fd00::1]:8443/").unwrap();
        assert_eq!(u.authority(), "[fd00::1]:8443");
        let u = PublicUrl::parse("http://10.0.0.5:80/").unwrap();
        assert_eq!(u.origin(), "http://10.0.0.5");
        for bad in [
            "baomi.office.lan",
            "ftp://x/",
            "https://x/baomi",
            "https://x/?a=1",
            "https://u:p@x/",
            "https://x:0/",
            "https://x:99999/",
            "https://x:/",
            "https://[nothex]/",
            "https://[::1]x/",
            "https:///",
            "https://a_b/",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            origin_of("https://a.example:8443/documents/x?y#z"),
            Some("https://a.example:8443")
        );
        assert_eq!(origin_of("https://a.example"), Some("https://a.example"));
        assert_eq!(origin_of("/relative"), None);
    }

    #[test]
    fn access_never_answers_to_any_host() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let a = Access::new(lo, None, &[]).unwrap();
        assert_eq!(
            a.hosts(),
            ["127.0.0.1:8080", "[::1]:8080", "localhost:8080"]
        );
        assert!(a.host_ok("LOCALHOST:8080") && !a.host_ok("evil.example") && !a.host_ok(""));
        assert!(a.origin_ok("http://127.0.0.1:8080") && !a.origin_ok("https://127.0.0.1:8080"));
        assert!(!a.origin_ok("null"));

        for any in ["0.0.0.0:8080", "[::]:8080", "192.168.1.5:8080"] {
            let addr: SocketAddr = any.parse().unwrap();
            let e = Access::new(addr, None, &[]).unwrap_err();
            assert!(
                e.contains("--public-url https://") && e.contains("--allow-host "),
                "{e}"
            );
        }
        let e = Access::new("192.168.1.5:8080".parse().unwrap(), None, &[]).unwrap_err();
        assert!(e.contains("--allow-host 192.168.1.5:8080"), "{e}");
        let e = Access::new("[fd00::5]:0".parse().unwrap(), None, &[]).unwrap_err();
        assert!(e.contains("--allow-host [fd00::5]:PORT"), "{e}");

        let all: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let a = Access::new(all, Some("https://baomi.office.lan/"), &[]).unwrap();
        assert!(a.host_ok("baomi.office.lan") && a.host_ok("baomi.office.lan:443"));
        assert!(a.host_ok("127.0.0.1:8080") && !a.host_ok("0.0.0.0:8080"));
        assert!(a.origin_ok("https://baomi.office.lan") && !a.origin_ok("http://baomi.office.lan"));
        let a = Access::new(all, None, &["Review.example:443".into()]).unwrap();
        assert!(a.host_ok("review.example:443") && !a.host_ok("review.example"));
        assert!(a.origin_ok("https://review.example") && a.origin_ok("https://review.example:443"));
        for bad in ["", "a b", "x/y", "a,b"] {
            assert!(Access::new(lo, None, &[bad.into()]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_watchdog_counts_the_right_limit_for_each_phase() {
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            ..ConnectionLimits::default()
        };
        let c = Arc::new(ConnState::new());
        let opened = Instant::now();
        // A new connection must send its headers in time.
        let (at, why) = c.deadline(&limits).unwrap();
        assert!(why.contains("headers") && at <= opened + limits.header_timeout);
        // Handled: no connection deadline (the request's own apply).
        let busy = c.begin();
        c.read();
        assert!(c.deadline(&limits).is_none());
        drop(busy);
        // Answered: idle, for the idle timeout.
        let (at, why) = c.deadline(&limits).unwrap();
        assert!(why.contains("idle") && at >= opened + limits.idle_timeout);
        // The next request's first byte starts the header clock again.
        c.read();
        let (at, why) = c.deadline(&limits).unwrap();
        assert!(why.contains("headers") && at < opened + limits.idle_timeout);
    }

    #[test]
    fn tokens_are_random_and_compared_fully() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token().unwrap());
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..63]));
        assert!(!same("", "x"));
    }
}
