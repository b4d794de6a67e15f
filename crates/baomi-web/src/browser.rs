//! Reviewers' keys in their own browsers (`baomi serve` without `--key`).
//!
//! The server holds no reviewer's private key, so whoever runs it cannot
//! sign as anyone:
//!
//! - **Enrolment**: the page `/enrol` makes an Ed25519 key pair with
//!   WebCrypto (non-extractable, kept in IndexedDB) and posts the public
//!   key; the administrator registers its code ([`crate::enrol`]).
//! - **Sessions** start with a signed challenge (`/session/challenge`,
//!   `/session/login`): no passwords. The message signed is
//!   `"baomi-login-v1\n" || origin || "\n" || challenge`, which can never be
//!   a ledger entry's signed message (those start `baomi-ledger-signed-v1`).
//!   A challenge is used once and lives [`CHALLENGE_TTL`]; a session lives
//!   [`SESSION_TTL`] and only lets its browser read and prepare.
//! - **Signing**: `/session/prepare/{decide,waive}/{sha}` checks the
//!   decision as the file-key path does and fixes the ledger entry it would
//!   be (sequence number, time, previous hash, canonical payload); the page
//!   shows the payload in words and signs exactly
//!   [`baomi_ledger::Unsigned::signed_message`]; `/session/sign` carries
//!   the signature, which must verify with the session's own key, over the
//!   payload as prepared, by a key the trust file lists with the role and
//!   no revocation names, at the place in the chain it was prepared for. A
//!   prepared entry is used once, so a signature cannot be replayed; a
//!   stolen session cookie cannot sign.

// The handlers' early returns are whole responses (refusals), as axum's
// own extractors' rejections are; they are made once per request.
#![allow(clippy::result_large_err)]

use super::{html, json_error, same, AppState, Shared};
use crate::enrol::{EnrolError, Enrolments};
use crate::html::Me;
use crate::store::{DecisionInput, StoreError};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use baomi_ledger::{PublicKey, Role, TrustWatch, Unsigned};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a session lasts from its login.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// How long a login challenge may wait for its signature.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// How long a prepared entry may wait for its signature.
pub const PREPARED_TTL: Duration = Duration::from_secs(600);
/// Prepared entries held per key; older ones are dropped.
const PREPARED_PER_KEY: usize = 8;
/// Bound on challenges, sessions and prepared entries held at once.
const MAX_HELD: usize = 10_000;
const COOKIE: &str = "baomi_session";
/// The header the page's script sends the form token in.
const CSRF_HEADER: &str = "x-baomi-csrf";

/// The browser-key mode's configuration.
pub struct BrowserKeys {
    /// The trust file, re-read when the administrator registers a key.
    pub trust: Arc<TrustWatch>,
    /// Where enrolment requests wait.
    pub enrolments: Enrolments,
}

struct Session {
    key: PublicKey,
    until: Instant,
}

struct Prepared {
    key_id: String,
    entry: Unsigned,
    until: Instant,
}

/// The running state of browser-key mode.
pub(super) struct Browser {
    pub(super) trust: Arc<TrustWatch>,
    enrolments: Enrolments,
    secure_cookie: bool,
    challenges: Mutex<HashMap<String, Instant>>,
    sessions: Mutex<HashMap<String, Session>>,
    prepared: Mutex<HashMap<String, Prepared>>,
}

fn held<T>(m: &Mutex<HashMap<String, T>>) -> std::sync::MutexGuard<'_, HashMap<String, T>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps at most `MAX_HELD`, dropping expired entries first.
fn room<T>(map: &mut HashMap<String, T>, until: impl Fn(&T) -> Instant) -> bool {
    if map.len() >= MAX_HELD {
        let now = Instant::now();
        map.retain(|_, v| until(v) > now);
    }
    map.len() < MAX_HELD
}

impl Browser {
    pub(super) fn new(cfg: BrowserKeys, public_url: Option<&str>) -> Browser {
        Browser {
            trust: cfg.trust,
            enrolments: cfg.enrolments,
            secure_cookie: public_url.is_some_and(|u| u.to_ascii_lowercase().starts_with("https:")),
            challenges: Default::default(),
            sessions: Default::default(),
            prepared: Default::default(),
        }
    }

    /// The session's key, if the request carries a live session cookie.
    fn session(&self, headers: &HeaderMap) -> Option<PublicKey> {
        let token = cookie(headers, COOKIE)?;
        let mut s = held(&self.sessions);
        match s.get(token) {
            Some(sess) if sess.until > Instant::now() => Some(sess.key.clone()),
            Some(_) => {
                s.remove(token);
                None
            }
            None => None,
        }
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Who `key` is now: registered (with roles) and not revoked, or why not.
fn standing(st: &AppState, key: &PublicKey) -> Result<(String, Vec<Role>), String> {
    let b = st.browser.as_ref().ok_or("not in browser-key mode")?;
    let (_, trust) = b.trust.current();
    let signer = trust
        .as_deref()
        .and_then(|t| t.signer(key.key_id()).cloned())
        .ok_or_else(|| {
            format!(
                "key {} is not registered; give the administrator your enrolment code (see /enrol)",
                key.key_id()
            )
        })?;
    if signer
        .public_key
        .as_deref()
        .is_some_and(|pk| pk.trim() != key.to_base64())
    {
        return Err(format!(
            "the trust file lists another public key for {}",
            key.key_id()
        ));
    }
    Ok((signer.name, signer.roles))
}

async fn revoked(st: &Shared, key_id: &str) -> Result<Option<u64>, StoreError> {
    let key_id = key_id.to_owned();
    super::with_store(st, move |store, _| {
        Ok(store.ledger().revocations()?.get(&key_id).copied())
    })
    .await?
}

/// Pages need a session in browser-key mode (the drafts' findings are
/// shown in context); the login and enrolment pages, the script and style,
/// and the API do not. Puts the reader's [`Me`] on the request.
pub(super) async fn auth(State(st): State<Shared>, mut req: Request, next: Next) -> Response {
    let Some(b) = &st.browser else {
        req.extensions_mut().insert(st.me.clone());
        return next.run(req).await;
    };
    let path = req.uri().path();
    let open = path == "/enrol"
        || path == "/login"
        || path.starts_with("/assets/")
        || path.starts_with("/session/")
        || super::is_api(path);
    let mut key = b.session(req.headers());
    // A revoked key's session ends at once (one indexed lookup).
    if let Some(k) = &key {
        if !matches!(revoked(&st, k.key_id()).await, Ok(None)) {
            key = None;
        }
    }
    let me = match &key {
        Some(k) => match standing(&st, k) {
            Ok((name, roles)) => Some(Me {
                key_id: k.key_id().to_owned(),
                name: Some(name),
                roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
                integrity: Some(st.integrity.clone()),
                browser: true,
            }),
            Err(_) => None,
        },
        None => None,
    };
    match me {
        Some(me) => {
            req.extensions_mut().insert(me);
            next.run(req).await
        }
        None if open => {
            req.extensions_mut().insert(st.me.clone());
            next.run(req).await
        }
        None if req.method() == axum::http::Method::GET => {
            let target = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let next_q: String = target
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            Redirect::to(&format!("/login?next={next_q}")).into_response()
        }
        None => super::page(
            StatusCode::UNAUTHORIZED,
            html::error_page(
                &st.me,
                "请先登录",
                "会话已过期或未登录，没有记录任何内容。请在 /login 用本浏览器的密钥登录后重试。",
            ),
        ),
    }
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    json_error(status, message.into())
}

/// The form token, from the page's `<meta>`, sent as a header by the script.
fn csrf_ok(st: &AppState, headers: &HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| same(t, &st.csrf))
}

fn public_key(text: &str) -> Option<PublicKey> {
    let bytes: [u8; 32] = baomi_ledger::b64_decode(text)?.try_into().ok()?;
    PublicKey::from_bytes(&bytes)
}

fn signature(text: &str) -> Option<[u8; 64]> {
    baomi_ledger::b64_decode(text)?.try_into().ok()
}

fn token() -> Result<String, Response> {
    super::random_token().map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

macro_rules! browser_or_404 {
    ($st:expr) => {
        match &$st.browser {
            Some(b) => b,
            None => {
                return refuse(
                    StatusCode::NOT_FOUND,
                    "this server signs with its own key (--key); browser keys are not in use",
                )
            }
        }
    };
}

macro_rules! check_csrf {
    ($st:expr, $headers:expr) => {
        if !csrf_ok(&$st, &$headers) {
            return refuse(
                StatusCode::FORBIDDEN,
                "missing or stale form token (reload the page)",
            );
        }
    };
}

#[derive(Deserialize)]
pub(super) struct EnrolBody {
    public_key: String,
    #[serde(default)]
    name: String,
}

pub(super) async fn enrol(
    State(st): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<EnrolBody>,
) -> Response {
    let b = browser_or_404!(st);
    check_csrf!(st, headers);
    let Some(key) = public_key(&body.public_key) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "public_key must be base64 of a raw 32-byte Ed25519 public key",
        );
    };
    if let Ok((name, roles)) = standing(&st, &key) {
        return Json(json!({
            "key_id": key.key_id(),
            "registered": true,
            "name": name,
            "roles": roles,
        }))
        .into_response();
    }
    match b.enrolments.create(&key, &body.name) {
        Ok(e) => {
            tracing::info!(key = %e.key_id, code = %e.code, "enrolment requested");
            Json(json!({"key_id": e.key_id, "code": e.code, "registered": false})).into_response()
        }
        Err(e @ (EnrolError::Full { .. } | EnrolError::Invalid(_))) => {
            refuse(StatusCode::BAD_REQUEST, e.to_string())
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

pub(super) async fn challenge(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let b = browser_or_404!(st);
    check_csrf!(st, headers);
    let c = match token() {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut ch = held(&b.challenges);
    if !room(&mut ch, |t| *t) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many logins at once; try again",
        );
    }
    ch.insert(c.clone(), Instant::now() + CHALLENGE_TTL);
    Json(json!({ "challenge": c })).into_response()
}

/// The bytes a login signs.
pub fn login_message(origin: &str, challenge: &str) -> Vec<u8> {
    format!("baomi-login-v1\n{origin}\n{challenge}").into_bytes()
}

#[derive(Deserialize)]
pub(super) struct LoginBody {
    public_key: String,
    challenge: String,
    origin: String,
    signature: String,
}

pub(super) async fn login(
    State(st): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> Response {
    let b = browser_or_404!(st);
    check_csrf!(st, headers);
    let live = held(&b.challenges)
        .remove(&body.challenge)
        .is_some_and(|t| t > Instant::now());
    if !live {
        return refuse(
            StatusCode::FORBIDDEN,
            "unknown, used or expired login challenge; log in again",
        );
    }
    if !st.access.origin_ok(&body.origin) {
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "the login was signed for origin `{}`, not this server",
                body.origin
            ),
        );
    }
    let (Some(key), Some(sig)) = (public_key(&body.public_key), signature(&body.signature)) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "public_key or signature is not base64 of the right length",
        );
    };
    if !key.verify(&login_message(&body.origin, &body.challenge), &sig) {
        return refuse(StatusCode::FORBIDDEN, "the login signature does not verify");
    }
    let (name, roles) = match standing(&st, &key) {
        Ok(s) => s,
        Err(why) => return refuse(StatusCode::FORBIDDEN, why),
    };
    match revoked(&st, key.key_id()).await {
        Ok(None) => {}
        Ok(Some(at)) => {
            return refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "key {} was revoked (ledger entry #{at}); enrol this browser again",
                    key.key_id()
                ),
            )
        }
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
    let t = match token() {
        Ok(t) => t,
        Err(r) => return r,
    };
    {
        let mut s = held(&b.sessions);
        if !room(&mut s, |x| x.until) {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many sessions; try again later",
            );
        }
        s.insert(
            t.clone(),
            Session {
                key: key.clone(),
                until: Instant::now() + SESSION_TTL,
            },
        );
    }
    tracing::info!(key = %key.key_id(), %name, "logged in");
    let cookie = format!(
        "{COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_TTL.as_secs(),
        if b.secure_cookie { "; Secure" } else { "" }
    );
    let mut r = Json(json!({"key_id": key.key_id(), "name": name, "roles": roles})).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

pub(super) async fn logout(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let b = browser_or_404!(st);
    check_csrf!(st, headers);
    if let Some(t) = cookie(&headers, COOKIE) {
        held(&b.sessions).remove(t);
    }
    let mut r = Json(json!({"ok": true})).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("baomi_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

/// The session's key and the store checks common to prepare and sign.
async fn signer_of(st: &Shared, headers: &HeaderMap) -> Result<PublicKey, Response> {
    let b = st
        .browser
        .as_ref()
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "no browser keys"))?;
    if !csrf_ok(st, headers) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "missing or stale form token (reload the page)",
        ));
    }
    let key = b.session(headers).ok_or_else(|| {
        refuse(
            StatusCode::UNAUTHORIZED,
            "not logged in or the session expired; log in again at /login",
        )
    })?;
    if let Some(p) = st.integrity.problem() {
        return Err(refuse(
            StatusCode::CONFLICT,
            format!("the ledger failed verification ({p}); nothing is signed until it is restored"),
        ));
    }
    standing(st, &key).map_err(|why| refuse(StatusCode::FORBIDDEN, why))?;
    match revoked(st, key.key_id()).await {
        Ok(None) => Ok(key),
        Ok(Some(at)) => Err(refuse(
            StatusCode::FORBIDDEN,
            format!(
                "key {} was revoked (ledger entry #{at}); nothing was written",
                key.key_id()
            ),
        )),
        Err(e) => Err(refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn store_refusal(e: StoreError) -> Response {
    let status = match &e {
        StoreError::NotFound(_) => StatusCode::NOT_FOUND,
        StoreError::Review(crate::review::ReviewError::MissingRole { .. }) => StatusCode::FORBIDDEN,
        StoreError::Review(_) | StoreError::Refused(_) => StatusCode::CONFLICT,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, crate::view::message_zh(&e))
}

/// Holds a prepared entry for its signature and describes it to the page.
fn hand_out(st: &AppState, key: &PublicKey, entry: Unsigned) -> Response {
    let Some(b) = &st.browser else {
        return refuse(StatusCode::NOT_FOUND, "no browser keys");
    };
    let id = match token() {
        Ok(t) => t,
        Err(r) => return r,
    };
    let payload = String::from_utf8_lossy(&entry.payload_bytes).into_owned();
    let body = json!({
        "id": id,
        "kind": entry.kind,
        "seq": entry.seq,
        "doc_sha256": entry.doc_sha256,
        "recorded_at": entry.recorded_at,
        "prev_hash": baomi_ledger::hex(&entry.prev_hash),
        "payload": payload,
        "key_id": key.key_id(),
    });
    let mut p = held(&b.prepared);
    // A few per key (a form opened in several tabs): the oldest goes, so
    // one session cannot fill the server's memory with payloads.
    let mine: Vec<(String, Instant)> = p
        .iter()
        .filter(|(_, x)| x.key_id == key.key_id())
        .map(|(id, x)| (id.clone(), x.until))
        .collect();
    if mine.len() >= PREPARED_PER_KEY {
        if let Some((oldest, _)) = mine.iter().min_by_key(|(_, until)| *until) {
            p.remove(oldest);
        }
    }
    if !room(&mut p, |x| x.until) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many entries waiting to be signed",
        );
    }
    p.insert(
        id,
        Prepared {
            key_id: key.key_id().to_owned(),
            entry,
            until: Instant::now() + PREPARED_TTL,
        },
    );
    Json(body).into_response()
}

pub(super) async fn prepare_decide(
    State(st): State<Shared>,
    UrlPath(sha): UrlPath<String>,
    headers: HeaderMap,
    Form(f): Form<super::DecideForm>,
) -> Response {
    let key = match signer_of(&st, &headers).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    if !super::valid_sha(&sha) {
        return refuse(StatusCode::NOT_FOUND, "no such document");
    }
    let Some(conclusion) = crate::review::Conclusion::parse(&f.conclusion) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("未知的审查结论 `{}`", f.conclusion),
        );
    };
    let input = DecisionInput {
        stage: f.stage,
        conclusion,
        opinion: f.opinion,
        changes: Some(f.changes),
        basis: Some(f.basis),
    };
    let key_id = key.key_id().to_owned();
    let prepared = super::with_store(&st, move |store, _| {
        let (_, payload) = store.check_decide(&sha, input, &key_id)?;
        Ok::<_, StoreError>(store.ledger().prepare_unsigned(
            crate::review::KIND_DECISION,
            &sha,
            payload,
        )?)
    })
    .await;
    match prepared {
        Ok(Ok(u)) => hand_out(&st, &key, u),
        Ok(Err(e)) | Err(e) => store_refusal(e),
    }
}

pub(super) async fn prepare_waive(
    State(st): State<Shared>,
    UrlPath(sha): UrlPath<String>,
    headers: HeaderMap,
    Form(f): Form<super::WaiveForm>,
) -> Response {
    let key = match signer_of(&st, &headers).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    if !super::valid_sha(&sha) {
        return refuse(StatusCode::NOT_FOUND, "no such document");
    }
    let key_id = key.key_id().to_owned();
    let prepared = super::with_store(&st, move |store, _| {
        let (_, payload) =
            store.check_waive(&sha, &f.rule, &f.matched_sha256, &f.reason, &key_id)?;
        Ok::<_, StoreError>(store.ledger().prepare_unsigned(
            crate::review::KIND_WAIVER,
            &sha,
            payload,
        )?)
    })
    .await;
    match prepared {
        Ok(Ok(u)) => hand_out(&st, &key, u),
        Ok(Err(e)) | Err(e) => store_refusal(e),
    }
}

#[derive(Deserialize)]
pub(super) struct SignBody {
    id: String,
    payload: String,
    signature: String,
}

pub(super) async fn sign(
    State(st): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<SignBody>,
) -> Response {
    let key = match signer_of(&st, &headers).await {
        Ok(k) => k,
        Err(r) => return r,
    };
    let b = browser_or_404!(st);
    // Used once, whatever happens next: a signature is never replayed.
    let Some(p) = held(&b.prepared).remove(&body.id) else {
        return refuse(
            StatusCode::CONFLICT,
            "this signature's entry is unknown or was already used (each prepared entry is signed once); nothing was written",
        );
    };
    if p.until < Instant::now() {
        return refuse(
            StatusCode::CONFLICT,
            "the prepared entry expired; sign again",
        );
    }
    if p.key_id != key.key_id() {
        return refuse(
            StatusCode::FORBIDDEN,
            "the entry was prepared for another session's key; nothing was written",
        );
    }
    if body.payload.as_bytes() != p.entry.payload_bytes {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the payload differs from the one prepared (changed after signing?); nothing was written",
        );
    }
    let Some(sig) = signature(&body.signature) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "signature must be base64 of 64 bytes",
        );
    };
    let needed = match baomi_ledger::required_role(&baomi_ledger::Entry {
        seq: p.entry.seq,
        kind: p.entry.kind.clone(),
        doc_sha256: p.entry.doc_sha256.clone(),
        payload: p.entry.payload.clone(),
        payload_bytes: Vec::new(),
        key_id: String::new(),
        public_key: [0; 32],
        signature: [0; 64],
        prev_hash: [0; 32],
        hash: [0; 32],
        recorded_at: String::new(),
    }) {
        Ok(r) => r,
        Err(why) => return refuse(StatusCode::BAD_REQUEST, why),
    };
    match standing(&st, &key) {
        Ok((_, roles)) if needed.is_none_or(|r| roles.contains(&r)) => {}
        Ok(_) => {
            return refuse(
                StatusCode::FORBIDDEN,
                format!(
                    "key {} no longer holds the role this entry needs; nothing was written",
                    key.key_id()
                ),
            )
        }
        Err(why) => return refuse(StatusCode::FORBIDDEN, why),
    }
    let sha = p.entry.doc_sha256.clone();
    let kind = p.entry.kind.clone();
    let appended = super::with_store(&st, move |store, st| {
        let _one_at_a_time = st.decisions.lock().unwrap_or_else(|e| e.into_inner());
        store
            .ledger()
            .append_signed(&p.entry, &key, &sig, st.scanner_key.as_ref())
    })
    .await;
    match appended {
        Ok(Ok(e)) => {
            tracing::info!(seq = e.seq, kind = %e.kind, key = %e.key_id, "entry signed in the browser recorded");
            let done = if kind == crate::review::KIND_WAIVER {
                "waived"
            } else {
                "decided"
            };
            Json(json!({
                "seq": e.seq,
                "hash": e.hash_hex(),
                "location": format!("/documents/{sha}?done={done}"),
            }))
            .into_response()
        }
        Ok(Err(e @ baomi_ledger::LedgerError::BadSignature { .. })) => {
            refuse(StatusCode::FORBIDDEN, e.to_string())
        }
        Ok(Err(e @ baomi_ledger::LedgerError::Moved { .. })) => {
            refuse(StatusCode::CONFLICT, e.to_string())
        }
        Ok(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => store_refusal(e),
    }
}

/// The enrolment and login pages: readable without scripts, which they
/// need to do their work (the page says so).
pub(super) fn key_page(st: &AppState, which: &str) -> Response {
    let body = match which {
        "enrol" => maud::html! {
            h1 { "登记本浏览器的签名密钥" }
            p { "签名密钥在本浏览器中生成，私钥不可导出，只保存在本浏览器中；服务器只得到公钥。生成后本页显示登记码和密钥编号：请把登记码交给保密管理员，由其运行 "
                code { "baomi key register --enrolment 登记码 --person 姓名 --role 角色" } " 登记，并当面核对密钥编号。" }
            p { "换了电脑或浏览器、清除了浏览器数据，就需要重新登记；旧密钥请管理员用 " code { "baomi key revoke 密钥编号" } " 撤销。" }
            noscript { p.notice.refused { "生成密钥、登录和签名需要启用 JavaScript（阅读页面不需要）。" } }
            div #baomi-enrol data-csrf=(st.csrf) {
                p { label { "姓名（供管理员核对） " input #baomi-name type="text" maxlength="100"; } }
                p { button #baomi-generate type="button" disabled { "生成密钥并申请登记" } }
                p #baomi-status role="status" {}
            }
        },
        _ => maud::html! {
            h1 { "登录" }
            p { "用本浏览器中登记过的签名密钥登录（对服务器发来的随机挑战签名，不需要密码）。还没有密钥？请先 " a href="/enrol" { "登记" } "。" }
            noscript { p.notice.refused { "登录需要启用 JavaScript。" } }
            div #baomi-login data-csrf=(st.csrf) {
                p { button #baomi-login-button type="button" disabled { "用本浏览器的密钥登录" } }
                p #baomi-status role="status" {}
            }
        },
    };
    let title = if which == "enrol" {
        "登记签名密钥"
    } else {
        "登录"
    };
    let mut me = st.me.clone();
    me.browser = true;
    (
        StatusCode::OK,
        Html(html::plain_layout(title, &me, body).into_string()),
    )
        .into_response()
}

pub(super) async fn enrol_page(State(st): State<Shared>) -> Response {
    if st.browser.is_none() {
        return super::page(
            StatusCode::NOT_FOUND,
            html::error_page(
                &st.me,
                "页面不存在",
                "本服务用自己的密钥签名（--key），不使用浏览器密钥。",
            ),
        );
    }
    key_page(&st, "enrol")
}

pub(super) async fn login_page(State(st): State<Shared>) -> Response {
    if st.browser.is_none() {
        return Redirect::to("/").into_response();
    }
    key_page(&st, "login")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn sessions_expire_and_cookies_are_read_exactly() {
        let b = Browser::new(
            BrowserKeys {
                trust: Arc::new(TrustWatch::fixed(None)),
                enrolments: Enrolments::for_db(std::path::Path::new("/nonexistent/b.db")),
            },
            Some("https://baomi.office.lan/"),
        );
        assert!(b.secure_cookie);
        let key = baomi_ledger::KeyPair::generate()
            .unwrap()
            .public_key()
            .clone();
        let now = Instant::now();
        held(&b.sessions).insert(
            "live".into(),
            Session {
                key: key.clone(),
                until: now + Duration::from_secs(60),
            },
        );
        held(&b.sessions).insert(
            "old".into(),
            Session {
                key,
                until: now - Duration::from_millis(1),
            },
        );
        assert!(b.session(&with_cookie("a=1; baomi_session=live")).is_some());
        assert!(b.session(&with_cookie("baomi_session=old")).is_none());
        assert!(
            !held(&b.sessions).contains_key("old"),
            "an expired session is dropped"
        );
        assert!(b.session(&with_cookie("xbaomi_session=live")).is_none());
        assert!(b.session(&HeaderMap::new()).is_none());
    }

    #[test]
    fn a_login_signature_is_never_an_entry_signature() {
        let m = login_message("https://baomi.office.lan", "c");
        assert!(m.starts_with(b"baomi-login-v1\n"));
        assert!(!m.starts_with(b"baomi-ledger-signed-v1\n"));
    }
}
