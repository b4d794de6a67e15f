//! The HTTP server: the reviewer pages and the `/api/v1` scan API.
//!
//! Security choices, each for a reason:
//! - **Binds to 127.0.0.1 by default** and refuses requests whose `Host` is
//!   not the address it listens on (or `localhost`), so a web page elsewhere
//!   cannot reach it through DNS rebinding.
//! - **No state-changing GET.** Decisions and waivers are POST forms carrying
//!   a per-process random token (`csrf`) that another origin cannot read;
//!   requests that a browser marks as cross-site are refused as well.
//! - **The API's POST needs an `X-Filename` header**, which a cross-site form
//!   cannot send without a CORS preflight that this server never grants.
//! - **Every page is escaped** (maud) and a Content-Security-Policy forbids
//!   all scripts, so a `<script>` in a draft shows as text.
//! - **Bodies are capped** (64 MiB for drafts by default, 1 MiB for forms);
//!   larger requests get 413 with a JSON error.

use crate::html::{self, Me, Notice, QueueFilter};
use crate::review::Conclusion;
use crate::store::{DecisionInput, ListFilter, Store, StoreError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Form, Json, Router};
use baomi_core::Scanner;
use baomi_extract::{review_bytes, Limits};
use baomi_ledger::KeyPair;
use baomi_ledger::{Health, Integrity};
use serde::Deserialize;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// The checked-in OpenAPI description of `/api/v1`, served at
/// `/api/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Default cap on an uploaded draft.
pub const DEFAULT_MAX_BODY: usize = 64 << 20;
/// Cap on form posts (decisions, waivers).
const MAX_FORM: usize = 1 << 20;

/// Paths of the JSON API.
pub const API_SCAN: &str = "/api/v1/scan";
pub const API_DOCUMENT: &str = "/api/v1/documents/{sha256}";
pub const API_OPENAPI: &str = "/api/v1/openapi.json";

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
    /// signed with.
    pub key: KeyPair,
    /// The key that signs scans recorded through the API (`?record=true`);
    /// the machine scan is a signer of its own (role `scanner`).
    pub scanner_key: Option<KeyPair>,
    pub scanner: Arc<Scanner>,
    pub limits: Limits,
    pub max_body: usize,
    /// Further `Host` values to answer to (`name:port`), e.g. the name a
    /// reverse proxy forwards.
    pub allow_hosts: Vec<String>,
    /// The running verification of the ledger ([`crate::spawn_monitor`]).
    pub integrity: Arc<Integrity>,
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
    /// `Host` header values accepted; empty = any (listening on all
    /// interfaces was asked for explicitly).
    hosts: Vec<String>,
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
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let mut stores = Vec::with_capacity(workers);
    for _ in 1..workers {
        stores.push(Mutex::new(cfg.store.reopen().map_err(|e| {
            std::io::Error::other(format!("cannot open another ledger connection: {e}"))
        })?));
    }
    stores.push(Mutex::new(cfg.store));
    me.integrity = Some(cfg.integrity.clone());
    let hosts = if listen.ip().is_unspecified() {
        Vec::new()
    } else {
        let port = listen.port();
        let mut h = vec![listen.to_string(), format!("localhost:{port}")];
        if listen.ip().is_loopback() {
            h.push(format!("127.0.0.1:{port}"));
            h.push(format!("[::1]:{port}"));
        }
        h.extend(cfg.allow_hosts.iter().cloned());
        h.sort();
        h.dedup();
        h
    };
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
        hosts,
    });
    let mut app = Router::new();
    for (_, path, handler) in api_table(cfg.max_body) {
        app = app.route(path, handler);
    }
    Ok(app
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
        .route("/ledger", get(ledger_page))
        .route("/assets/style.css", get(style))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state))
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
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    let app = router(cfg, local)?;
    // The one line a script (or the browser tests) waits for.
    println!("baomi serve: listening on http://{local}/");
    tracing::info!(%local, "listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await
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

/// Host check, cross-site refusal, and security headers on every response.
async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !st.hosts.is_empty() && !st.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return json_error(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "unexpected Host `{host}`; this server answers only to {}",
                st.hosts.join(", ")
            ),
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let site = req
            .headers()
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok());
        if site == Some("cross-site") {
            return json_error(
                StatusCode::FORBIDDEN,
                "cross-site requests are refused".into(),
            );
        }
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|h| h.to_str().ok())
        {
            let ok = origin
                .strip_prefix("http://")
                .is_some_and(|o| o.eq_ignore_ascii_case(host));
            if !ok {
                return json_error(
                    StatusCode::FORBIDDEN,
                    format!("request from origin `{origin}` refused"),
                );
            }
        }
    }
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
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
    resp
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
        let mut store = (0..n)
            .find_map(|i| st.stores[(start + i) % n].try_lock().ok())
            .unwrap_or_else(|| {
                st.stores[start % n]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
            });
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
    let result = with_store(&st, move |store, st| {
        let report = review_bytes(&name, &body, &st.scanner, &st.limits);
        let recorded = if record {
            let Some(key) = st.scanner_key.as_ref() else {
                return Err(StoreError::Refused(
                    "this server has no scanner key, so it cannot record scans; start it with --scanner-key".into(),
                ));
            };
            Some(store.record_scan(&report, &st.scanner, key)?)
        } else {
            None
        };
        Ok((report, recorded))
    })
    .await;
    match result {
        Ok(Ok((report, None))) => Json(json!({ "documents": [report] })).into_response(),
        Ok(Ok((report, Some(r)))) => {
            Json(json!({ "documents": [report], "recorded": { "seq": r.0, "duplicate": r.1 } }))
                .into_response()
        }
        Ok(Err(e)) | Err(e) => store_error_json(e),
    }
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
    page(status, html::error_page(&st.me, "出错了", &e.to_string()))
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        html::STYLE,
    )
        .into_response()
}

async fn queue_page(State(st): State<Shared>, Query(f): Query<QueueFilter>) -> Response {
    let filter = ListFilter {
        stage: f.stage.clone().filter(|s| !s.is_empty()),
        status: f.status.clone().filter(|s| !s.is_empty()),
        verdict: f.verdict.clone().filter(|s| !s.is_empty()),
        all: f.all.is_some(),
        before: f.before,
        limit: None,
    };
    match with_store(&st, move |store, st| {
        store
            .summaries(&filter)
            .map(|docs| html::queue(&st.me, store.review_path(), &docs, &f))
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
    UrlPath(sha): UrlPath<String>,
    Query(q): Query<DocQuery>,
) -> Response {
    // Only fixed messages can be shown through the URL.
    let notice = match q.done.as_deref() {
        Some("decided") => Some(Notice::Ok("审查意见已签名并记入账本。".into())),
        Some("waived") => Some(Notice::Ok("豁免已签名并记入账本。".into())),
        _ => None,
    };
    render_document(&st, sha, notice, StatusCode::OK).await
}

async fn render_document(
    st: &Shared,
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
            .map(|d| html::document(&st.me, store.review_path(), &d, &st.csrf, notice.as_ref()))
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

/// Every field defaults to empty so that a hand-made post missing one
/// gets the page's own refusal (bad token, incomplete decision) rather
/// than a bare deserialisation error.
#[derive(Deserialize, Default)]
#[serde(default)]
struct DecideForm {
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
    UrlPath(sha): UrlPath<String>,
    Form(f): Form<DecideForm>,
) -> Response {
    if let Some(refusal) = refuse_post(&st, &f.csrf, &sha) {
        return refusal;
    }
    let Some(conclusion) = Conclusion::parse(&f.conclusion) else {
        return render_document(
            &st,
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
        Ok(Err(e)) | Err(e) => refused(&st, sha, e).await,
    }
}

async fn refused(st: &Shared, sha: String, e: StoreError) -> Response {
    let status = match &e {
        StoreError::NotFound(_) => return page_error(st, e),
        StoreError::Review(crate::review::ReviewError::MissingRole { .. }) => StatusCode::FORBIDDEN,
        StoreError::Review(_) | StoreError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    render_document(st, sha, Some(Notice::Refused(e.to_string())), status).await
}

/// Every field defaults to empty so that a hand-made post missing one
/// gets the page's own refusal (bad token, incomplete decision) rather
/// than a bare deserialisation error.
#[derive(Deserialize, Default)]
#[serde(default)]
struct WaiveForm {
    csrf: String,
    rule: String,
    matched_sha256: String,
    reason: String,
}

async fn waive(
    State(st): State<Shared>,
    UrlPath(sha): UrlPath<String>,
    Form(f): Form<WaiveForm>,
) -> Response {
    if let Some(refusal) = refuse_post(&st, &f.csrf, &sha) {
        return refusal;
    }
    let sha2 = sha.clone();
    match with_store(&st, move |store, st| {
        let _one_at_a_time = st.decisions.lock().unwrap_or_else(|e| e.into_inner());
        store.waive(&sha2, &f.rule, &f.matched_sha256, &f.reason, &st.key)
    })
    .await
    {
        Ok(Ok(_)) => Redirect::to(&format!("/documents/{sha}?done=waived")).into_response(),
        Ok(Err(e)) | Err(e) => refused(&st, sha, e).await,
    }
}

async fn ledger_page(State(st): State<Shared>) -> Response {
    match with_store(&st, |store, st| {
        store
            .ledger_status_with(&st.key)
            .map(|s| html::ledger(&st.me, &s.db, s.entries, s.verify, s.checkpoint.as_deref()))
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
    fn tokens_are_random_and_compared_fully() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token().unwrap());
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &a[..63]));
        assert!(!same("", "x"));
    }
}
